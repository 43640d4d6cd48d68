// How long a running job has left, from its own pace so far: "step 300 of 1,500, about 12 s left".
// The clock starts at the first progress report, not at the click, so the model's
// start-up (data, first compile of the graph) does not count as the pace of the steps.
//   const eta = etaClock();  ...  f.setStatus(`Training: ${eta.text(ev.step, total)}`);

import { count, seconds } from "./format.js";

export function etaClock(unit = "step") {
  let t0 = null, done0 = 0;
  return {
    reset() { t0 = null; },
    // Seconds left at the pace since the first report; null until there are two reports to compare.
    left(done, total) {
      const now = performance.now();
      if (t0 === null || done <= done0) { if (t0 === null) { t0 = now; done0 = done; } return null; }
      return ((now - t0) / 1000 / (done - done0)) * Math.max(0, total - done);
    },
    text(done, total) {
      const s = this.left(done, total);
      return `${unit} ${count(done)} of ${count(total)}` + (s === null ? "" : `, about ${seconds(Math.max(1, Math.round(s)))} left`);
    },
  };
}
