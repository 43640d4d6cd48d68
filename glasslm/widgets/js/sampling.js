// SamplingKnobs' front end: the guide's sliders, and its bar chart of what sampling would draw from
// (each bar notes the model's own probability). Each knob sets a trait; the kernel refilters.

import { barChart } from "/static/js/components/barchart.js";
import { slider } from "/static/js/components/controls.js";
import { h } from "/static/js/components/demo.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { count, fixed, pct } from "/static/js/components/format.js";
import { errorLine, listen, setTraits, widgetRoot } from "./common.js";

const KNOBS = [
  { name: "temperature", label: "Temperature", min: 0, max: 2, step: 0.05, format: (v) => fixed(v, 2) },
  { name: "top_k", label: "Top-k (0 = off)", min: 0, max: 50, step: 1, format: (v) => String(v) },
  { name: "top_p", label: "Top-p", min: 0.05, max: 1, step: 0.05, format: (v) => fixed(v, 2) },
  { name: "min_p", label: "Min-p", min: 0, max: 0.5, step: 0.01, format: (v) => fixed(v, 2) },
];

function render({ model, el }) {
  widgetRoot(el);
  const sliders = KNOBS.map((k) => slider({ ...k, field: k.name, value: model.get(k.name),
    onchange: (v) => setTraits(model, { [k.name]: v }) }));
  const error = errorLine(model);
  const picture = h("div", { class: "glasslm-picture" });
  const caption = h("div", { class: "demo-status" });
  el.append(h("div", { class: "glasslm-row" }, ...sliders.map((s) => s.el)), error.el, picture, caption);
  const bars = barChart(picture, { label: "What sampling draws from", max: 1 });
  function draw() {
    bars.update(model.get("rows").map((r) => ({ label: visible(r.text), value: r.final, note: `model ${pct(r.model)}` })));
    const last = model.get("stages").at(-1);
    caption.textContent = last ? `${count(last.survivors)} tokens can be drawn, holding ${pct(last.kept_mass)} of the model's ` +
      `probability; entropy ${fixed(last.entropy_bits, 2)} bits.` : "";
    KNOBS.forEach((k, i) => { sliders[i].value = model.get(k.name); });
  }
  const off = listen(model, { rows: draw, stages: draw });
  draw();
  return () => { off(); error.off(); };
}

export default { render };
