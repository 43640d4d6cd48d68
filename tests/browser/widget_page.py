"""A widget of glasslm.widgets in real Chromium, without Jupyter: a minimal page that does what anywidget does.

anywidget imports the widget's `_esm` as a module, adds its `_css`, and calls
`render({model, el})` with a model object holding the widget's synced state
(get/set/on/off/save_changes/send). `open_widget_page` serves such a page from
a temporary folder on a local port, with the bundle as widget.js and the Python
widget's own state (`widget.get_state()`, what the kernel would send) as
state.json, and stands in for the kernel with the real Python widget:
`save_changes()` and `send(msg)` call back into this process (a Playwright
binding), which applies them to the widget (`set_state`, its message handler)
and answers with the traits that changed, as a kernel's sync messages would.
The page records what it saved and sent in `window.saved` and `window.sent`;
`window.model.set(name, value)` plays the kernel pushing a trait on its own
(a training run streaming its curve).
"""

from __future__ import annotations

import functools
import json
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>widget</title><link rel="icon" href="data:,">
<style id="widget-css"></style></head>
<body><div id="out"></div>
<script type="module">
const state = await (await fetch("state.json")).json();
document.getElementById("widget-css").textContent = state._css;
window.saved = []; window.sent = [];
const listeners = {};
const set = (k, v) => { state[k] = v; (listeners[`change:${k}`] || new Set()).forEach((fn) => fn()); };
const answer = (changed) => Object.entries(changed).forEach(([k, v]) => set(k, v));
let pending = {};
const model = {
  get: (k) => state[k],
  set: (k, v) => { pending[k] = v; set(k, v); },
  on: (e, fn) => { (listeners[e] ||= new Set()).add(fn); },
  off: (e, fn) => { listeners[e]?.delete(fn); },
  save_changes() { const changes = pending; pending = {}; window.saved.push(changes); window.kernelSync(changes).then(answer); },
  send(msg) { window.sent.push(msg); window.kernelMessage(msg).then(answer); },
};
window.model = { get: model.get, set };
const widget = (await import("./widget.js")).default;
await widget.render({ model, el: document.getElementById("out") });
document.body.dataset.rendered = "yes";
</script></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def widget_server(folder: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _synced(widget) -> dict:
    """The widget's synced state as JSON values (what a kernel sends), without the code and CSS."""
    state = widget.get_state()
    return {k: json.loads(json.dumps(v)) for k, v in state.items() if k not in ("_esm", "_css")}


def serve_widget(folder: Path, page, widget) -> None:
    """Write the page's files and bind the page's kernel calls to `widget` (call before page.goto)."""
    state = widget.get_state()
    (folder / "widget.js").write_text(state.pop("_esm"), encoding="utf-8")
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "index.html").write_text(PAGE, encoding="utf-8")
    last = _synced(widget)

    def changed() -> dict:
        nonlocal last
        now = _synced(widget)
        diff = {k: v for k, v in now.items() if last.get(k) != v}
        last = now
        return diff

    def sync(source, changes):
        widget.set_state(changes)  # as ipywidgets applies a front end's update: validated, observers run
        last.update(changes)  # the page already has these
        return changed()

    def message(source, content):
        widget._handle_custom_msg(content, [])  # as a custom message from the front end reaches on_msg handlers
        return changed()

    page.expose_binding("kernelSync", sync)
    page.expose_binding("kernelMessage", message)
