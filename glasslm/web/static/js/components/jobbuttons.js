// A Run button and a Stop button for a demo whose work is a background job:
// `follow(url, body, handlers)` stops any earlier run of this demo, starts the
// job (POST url), streams its events to `onEvent`, and keeps the buttons in
// step (Run disabled while it runs, Stop enabled). On the end it shows an
// error beside the demo, or "Stopped.", or (unless keepStatus) clears the status.
// `cancel()` stops a running job and stops listening to it (a setting it used changed).
import { postJSON, streamJob } from "/static/js/api.js";
import { button, buttonRow } from "/static/js/components/controls.js";

export function jobButtons(f, label, start) {
  let stream = null;
  const go = button(label, () => start(), { primary: true });
  const stop = button("Stop", () => stream?.stop().catch(() => {}));
  stop.disabled = true;

  async function cancel() {
    if (!stream) return;
    const old = stream;
    stream = null;
    go.disabled = false; stop.disabled = true;
    old.close();
    await old.stop().catch(() => {});
  }

  // Resolves to the POST's answer once the job streams, or null if it could not start.
  async function follow(url, body, { onEvent, onStarted, onDone, progress = "Starting…", keepStatus = false } = {}) {
    await cancel();
    const d = await f.run(() => postJSON(url, body), { progress });
    if (!d) return null;
    onStarted?.(d);
    go.disabled = true; stop.disabled = false;
    const mine = streamJob(d.job, {
      onEvent,
      onEnd: (end) => {
        if (stream === mine) { go.disabled = false; stop.disabled = true; stream = null; }
        if (end.status === "error") f.setError(end.error);
        if (end.status === "stopped") f.setStatus("Stopped.");
        else if (!keepStatus) f.setStatus("");
        onDone?.(end);
      },
    });
    stream = mine;
    return d;
  }
  return { go, stop, row: buttonRow(go, stop), follow, cancel };
}
