"""A widget of glasslm.widgets in real Chromium, without Jupyter: a minimal page that does what anywidget does.

anywidget imports the widget's `_esm` as a module, adds its `_css`, and calls
`render({model, el})` with a model object holding the widget's synced state
(get/set/on/off/save_changes/send). `open_widget` serves such a page from a
temporary folder on a local port: the bundle as widget.js, the Python widget's
own state (`widget.get_state()`, what the kernel would send) as state.json, and
a fake model. The fake model records what the page saved and sent
(`window.saved`, `window.sent`); a test may pass `kernel`, JavaScript
`(model, changes) => ...` run on each save_changes, to answer as the kernel
would (from numbers the Python widget computed).
"""

from __future__ import annotations

import functools
import json
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>widget</title><link rel="icon" href="data:,"><style id="widget-css"></style></head>
<body><div id="out"></div>
<script type="module">
const state = await (await fetch("state.json")).json();
const extra = await (await fetch("kernel.json")).json();
document.getElementById("widget-css").textContent = state._css;
window.saved = []; window.sent = [];
const listeners = {};
const kernel = extra.kernel ? new Function("return " + extra.kernel)() : null;
window.kernelData = extra.data;
const model = {
  get: (k) => state[k],
  set: (k, v) => { state[k] = v; (listeners[`change:${k}`] || new Set()).forEach((fn) => fn()); },
  on: (e, fn) => { (listeners[e] ||= new Set()).add(fn); },
  off: (e, fn) => { listeners[e]?.delete(fn); },
  save_changes() { const changes = { ...pending }; pending = {}; window.saved.push(changes); kernel?.(model, changes); },
  send: (msg) => window.sent.push(msg),
};
let pending = {};
const set = model.set;
model.set = (k, v) => { pending[k] = v; set(k, v); };
window.model = { get: model.get, set };  // the test's hand, as the kernel: sets without saving
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


def write_page(folder: Path, widget, kernel: str | None = None, data=None) -> None:
    state = widget.get_state()
    (folder / "widget.js").write_text(state.pop("_esm"), encoding="utf-8")
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "kernel.json").write_text(json.dumps({"kernel": kernel, "data": data}), encoding="utf-8")
    (folder / "index.html").write_text(PAGE, encoding="utf-8")
