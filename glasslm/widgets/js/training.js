// TrainingCurve's front end: the guide's line chart of the loss, growing while the kernel trains,
// the bigram baseline as a reference line, and the newest sampled names.
// "Train" asks the kernel to run; the linear/log switch only redraws (it is the page's choice).

import { lineChart } from "/static/js/components/linechart.js";
import { button, buttonRow, progressBar, segmented } from "/static/js/components/controls.js";
import { h } from "/static/js/components/demo.js";
import { listen, setTraits, widgetRoot } from "./common.js";

const SERIES = [{ name: "train", label: "training loss" }, { name: "heldout", label: "held-out loss", dots: true }];

function render({ model, el }) {
  widgetRoot(el);
  const go = button("Train", () => model.send({ type: "train" }), { primary: true });
  const scale = segmented({ label: "Loss axis", field: "y_scale", options: [["linear", "linear"], ["log", "log"]],
    value: model.get("y_scale"), onchange: (v) => setTraits(model, { y_scale: v }) });
  const bar = progressBar("Training progress");
  const status = h("div", { class: "demo-status", role: "status" });
  const picture = h("div", { class: "glasslm-picture" });
  const samples = h("div", { class: "glasslm-samples", "aria-label": "Sampled names" });
  el.append(h("div", { class: "glasslm-row" }, buttonRow(go), scale.el), bar.el, picture, status, samples);
  let chart = null;

  function build() {
    picture.replaceChildren();
    chart = lineChart(picture, { xLabel: "step", yLabel: "loss (nats per character)", series: SERIES,
      yScale: model.get("y_scale"), height: 260, title: "Loss while training" });
    draw();
  }
  function draw() {
    chart.set("train", model.get("losses"));
    chart.set("heldout", model.get("heldout"));
    if (model.get("bigram") > 0) chart.hline("bigram", model.get("bigram"), "bigram baseline", null, { legend: true });
  }
  function progress() {
    bar.set(model.get("step"), Math.max(1, model.get("total")));
    status.textContent = model.get("status");
    go.disabled = model.get("running") || model.get("step") >= model.get("total");
    const names = model.get("samples");
    samples.textContent = names.length ? `Samples: ${names.join(", ")}` : "";
  }
  const off = listen(model, { losses: draw, heldout: draw, y_scale: () => { scale.value = model.get("y_scale"); build(); },
    step: progress, status: progress, running: progress, samples: progress });
  build();
  progress();
  return off;
}

export default { render };
