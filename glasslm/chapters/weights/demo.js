// The weights chapter: the demos only draw what /api/weights/* returns.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, debounce, h } from "/static/js/components/demo.js";
import { slider, button, buttonRow } from "/static/js/components/controls.js";
import { scatterPlot } from "/static/js/components/scatter.js";
import { fixed, count, compact, signed } from "/static/js/components/format.js";

const API = "/api/weights";

function oneWeight(el) {
  const f = demoFrame(el, { title: "One weight: predicted width = length × w",
    sources: ["glasslm.engine.basics.linear:predict", "glasslm.engine.basics.linear:mse"] });
  const plot = scatterPlot(f.picture, { xLabel: "petal length (cm)", yLabel: "petal width (cm)", yDomain: [0, 2.8] });
  let best = null;
  const w = slider({ label: "weight w", field: "w", min: 0, max: 1, step: 0.001, value: 0.1, format: (v) => v.toFixed(3),
    oninput: debounce(() => update(), 30) });
  // "Best weight" sends the exact least-squares value (the slider shows it rounded to its step).
  f.add(w.el, buttonRow(button("Best weight", () => { if (best !== null) { w.value = best; update(best); } })));
  async function update(exact = null) {
    const d = await f.run(() => postJSON(`${API}/one-weight`, { w: exact ?? w.value }), { key: "update" });
    if (!d) return;
    best = d.best_w;
    plot.setPoints(d.points);
    plot.setLine([[0, 0], [7.5, 7.5 * d.w]]);
    f.setReadout([
      { label: "mean squared error", value: `${fixed(d.mse, 4)} cm²` },
      { label: "best possible w", value: fixed(d.best_w, 3) },
      { label: "its error", value: `${fixed(d.best_mse, 4)} cm²` },
      { label: "a 5 cm petal ->", value: `${fixed(5 * d.w, 2)} cm wide` },
    ]);
    f.hood(d);
  }
  return update();
}

function fewInputs(el) {
  const f = demoFrame(el, { title: "Three inputs, three weights and a bias",
    sources: ["glasslm.engine.basics.linear:predict", "glasslm.engine.basics.linear:least_squares"] });
  const table = h("table", { class: "terms num" });
  f.picture.append(table);
  const fmt = (v) => signed(v, 2);
  const names = ["sepal length", "sepal width", "petal length"];
  const ws = names.map((n, i) => slider({ label: `w${i + 1} (${n})`, field: "weights", min: -2, max: 2, step: 0.01,
    value: [0.0, 0.0, 0.3][i], format: fmt, oninput: debounce(() => update(), 30) }));
  const b = slider({ label: "bias b", field: "bias", min: -2, max: 2, step: 0.01, value: 0, format: fmt, oninput: debounce(() => update(), 30) });
  const flower = slider({ label: "flower", field: "flower", min: 0, max: 149, step: 1, value: 0, format: (v) => `#${v + 1} of 150`,
    oninput: debounce(() => update(), 30) });
  let best = null;
  f.add(flower.el, ...ws.map((s) => s.el), b.el, buttonRow(button("Best fit", () => {
    if (!best) return;
    best.weights.forEach((v, i) => (ws[i].value = v));
    b.value = best.bias;
    update(best);  // exact values; the sliders show them rounded to their step
  })));
  async function update(exact = null) {
    const weights = exact ? exact.weights : ws.map((s) => s.value);
    const bias = exact ? exact.bias : b.value;
    const d = await f.run(() => postJSON(`${API}/few-inputs`, { weights, bias, flower: flower.value }), { key: "update" });
    if (!d) return;
    best = d.best;
    const rows = d.inputs.map((name, i) => h("tr", {}, h("td", { text: name }), h("td", { text: `${fixed(d.x[i], 1)} cm` }),
      h("td", { text: `× ${fixed(weights[i], 2)}` }), h("td", { text: `= ${signed(d.terms[i], 3)}` })));
    table.replaceChildren(
      h("tr", {}, h("th", { text: "input" }), h("th", { text: "value" }), h("th", { text: "weight" }), h("th", { text: "contribution" })),
      ...rows,
      h("tr", {}, h("td", { text: "bias" }), h("td"), h("td"), h("td", { text: `${signed(bias, 3)}` })),
      h("tr", {}, h("th", { text: "prediction" }), h("td"), h("td"), h("th", { text: `= ${fixed(d.prediction, 3)} cm` })));
    f.setReadout([
      { label: "predicted petal width", value: `${fixed(d.prediction, 2)} cm` },
      { label: "actual", value: `${fixed(d.actual, 2)} cm` },
      { label: "mean squared error (all 150)", value: `${fixed(d.mse, 4)} cm²` },
      { label: "best possible error", value: `${fixed(d.best.mse, 4)} cm²` },
    ]);
    f.hood(d);
  }
  return update();
}

function paramCounts(el) {
  const f = demoFrame(el, { title: "Parameters: counted here, and published", stacked: true,
    sources: ["glasslm.engine.data.model_facts:PublishedModel"] });
  const list = h("div", { class: "param-bars" });
  f.picture.append(list);
  async function load() {
    const d = await f.run(() => getJSON(`${API}/parameter-counts`), { progress: "Loading the models and counting their tensors…" });
    if (!d) return;
    const rows = [...d.here, ...d.published];
    const max = Math.log10(Math.max(...rows.map((r) => r.params || 1)));
    const min = 3;
    list.replaceChildren(...rows.map((r) => {
      const width = r.params ? Math.max(2, (100 * (Math.log10(r.params) - min)) / (max - min)) : 0;
      return h("div", { class: "param-row" },
        h("div", { class: "param-name" }, h("strong", { text: r.name }), h("span", { class: "param-how", text: r.source ? `${r.how}: ${r.source}` : r.how })),
        h("div", { class: "param-bar-track" }, h("div", { class: `param-bar ${r.how === "published" ? "published" : "here"}`, style: `width:${width}%` })),
        h("div", { class: "param-value num", text: r.params ? `${count(r.params)} (${compact(r.params)})` : r.note }));
    }));
    const here = d.here.filter((r) => r.params);
    f.setReadout(here.map((r) => ({ label: r.name, value: `${count(r.params)} parameters` })));
    f.hood(d);
  }
  return load();
}

export const demos = { "one-weight": oneWeight, "few-inputs": fewInputs, "param-counts": paramCounts };
