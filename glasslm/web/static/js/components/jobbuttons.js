// A Run button and a Stop button for a demo whose work is a background job:
// `follow(url, body, handlers)` stops any earlier run of this demo, starts the
// job (POST url), streams its events to `onEvent`, and keeps the buttons in
// step (Run disabled while it runs, Stop enabled). On the end it shows an
// error beside the demo, or "Stopped.", or (unless keepStatus) clears the status.
import { postJSON, streamJob } from "/static/js/api.js";
import { button, buttonRow } from "/static/js/components/controls.js";

export function jobButtons(f, label, start) {
  let stream = null;
  const go = button(label, () => start(), { primary: true });
  const stop = button("Stop", () => stream?.stop().catch(() => {}));
  stop.disabled = true;

  // Resolves to the POST's answer once the job streams, or null if it could not start.
  async function follow(url, body, { onEvent, onStarted, onDone, progress = "Starting…", keepStatus = false } = {}) {
    if (stream) { await stream.stop().catch(() => {}); stream.close(); stream = null; }
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
  return { go, stop, row: buttonRow(go, stop), follow };
}
