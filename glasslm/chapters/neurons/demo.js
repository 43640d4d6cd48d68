// The neurons chapter: the demos only draw what /api/neurons/* returns.

import { postJSON } from "/static/js/api.js";
import { demoFrame, debounce, h, rowControls } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { slider, select, segmented, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { onThemeChange } from "/static/js/components/color.js";
import { fixed, pct, count } from "/static/js/components/format.js";
import { boundaryMap } from "/chapters/neurons/boundary.js";
import { networkDiagram } from "/chapters/neurons/network.js";

const API = "/api/neurons";
const ACTIVATIONS = [["step", "step"], ["sigmoid", "sigmoid"], ["tanh", "tanh"], ["relu", "ReLU"],
  ["gelu", "GELU (exact, erf)"], ["gelu_tanh", "GELU (tanh approx.)"], ["silu", "SiLU (swish)"]];
const HIDDEN = [["tanh", "tanh"], ["relu", "ReLU"], ["sigmoid", "sigmoid"], ["gelu_tanh", "GELU"], ["silu", "SiLU"]];
const DATASETS = [["xor", "XOR"], ["circles", "circles"], ["moons", "moons"], ["spiral", "spiral"]];
const RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];

// Side by side on a wide screen (first column `first` wide), stacked on a narrow one.
function twoUp(picture, first, ...children) {
  const box = h("div", { style: `display:grid;grid-template-columns:repeat(auto-fit,minmax(min(${first},100%),1fr));gap:1rem;align-items:center` }, ...children);
  picture.append(box);
  return box;
}

// ---------------------------------------------------------------- activations

function activationsDemo(el) {
  const f = demoFrame(el, { title: "Activation functions and their slopes",
    sources: ["glasslm.engine.basics.activations:gelu", "glasslm.engine.basics.activations:d_gelu"] });
  const name = select({ label: "function", field: "name", options: ACTIVATIONS, value: "relu", onchange: update });
  const x = slider({ label: "x", field: "x", min: -6, max: 6, step: 0.1, value: 1, format: (v) => v.toFixed(1), oninput: debounce(update, 40) });
  const note = h("p", { class: "nn-note", style: "font-size:.9rem;color:var(--muted);margin:.3rem 0 0" });
  f.add(name.el, x.el);
  const chart = lineChart(f.picture, { xLabel: "x", yLabel: "value", xDomain: [-6, 6],
    series: [{ name: "f(x)" }, { name: "slope f′(x)" }, { name: "your x", dashed: true, color: "var(--muted)" }] });
  f.picture.append(note);
  async function update() {
    const d = await f.run(() => postJSON(`${API}/activations`, { name: name.value, x: x.value }), { key: "update" });
    if (!d) return;
    chart.set("f(x)", d.x.map((v, i) => [v, d.y[i]]));
    chart.set("slope f′(x)", d.x.map((v, i) => [v, d.dy[i]]));
    const lo = Math.min(...d.y, ...d.dy), hi = Math.max(...d.y, ...d.dy);
    chart.set("your x", [[d.at.x, lo], [d.at.x, hi]]);
    note.textContent = d.note;
    f.setReadout([
      { label: `${d.title}(${fixed(d.at.x, 1)})`, value: fixed(d.at.y, 4) },
      { label: "slope there", value: fixed(d.at.dy, 4) },
    ]);
    f.hood(d);
  }
  return update();
}

// ---------------------------------------------------------------- perceptron

function perceptronDemo(el) {
  const f = demoFrame(el, { title: "Rosenblatt's perceptron on AND, OR and XOR", stacked: true,
    sources: ["glasslm.engine.basics.perceptron:train"] });
  const d3 = window.d3;
  const gate = segmented({ label: "logic gate", field: "gate", options: [["and", "AND"], ["or", "OR"], ["xor", "XOR"]], value: "and", onchange: update });
  const epochs = slider({ label: "epochs", field: "epochs", min: 5, max: 100, step: 5, value: 20, format: (v) => `${v}`, onchange: update });
  const shown = slider({ label: "show epoch", field: "shown", min: 1, max: 20, step: 1, value: 20, format: (v) => `${v}`, oninput: () => draw() });
  let timer = null;
  const play = button("Play", () => animate(), { label: "Play the epochs" });
  f.add(gate.el, epochs.el, shown.el, buttonRow(play));
  rowControls(f);
  const left = h("div", { style: "max-width:300px" }), right = h("div");
  twoUp(f.picture, "280px", left, right);
  const S = 300, x = d3.scaleLinear().domain([-0.5, 1.5]).range([0, S]), y = d3.scaleLinear().domain([-0.5, 1.5]).range([S, 0]);
  const svg = d3.select(left).append("svg").attr("viewBox", `0 0 ${S} ${S}`).attr("class", "chart pc-square")
    .attr("role", "img").attr("aria-label", "The four inputs and the perceptron's line");
  const region = svg.append("path").attr("fill", "var(--pos)").attr("fill-opacity", 0.18);
  const line = svg.append("line").attr("stroke", "var(--text)").attr("stroke-width", 2);
  const dots = svg.append("g");
  const chart = lineChart(right, { xLabel: "epoch", yLabel: "errors (of 4)", yDomain: [0, 4], height: 260,
    series: [{ name: "errors after each epoch" }, { name: "shown", dashed: true, color: "var(--muted)" }] });
  let data = null;

  function draw() {
    if (!data) return;
    const k = Math.min(shown.value, data.epochs.length);
    const e = data.epochs[k - 1];
    const [w1, w2] = e.w, b = e.b;
    // The half-plane w.x + b > 0 (answer 1), clipped to the view box, as a polygon.
    const corners = [[-0.5, -0.5], [1.5, -0.5], [1.5, 1.5], [-0.5, 1.5]];
    const val = (p) => w1 * p[0] + w2 * p[1] + b;
    const poly = [];
    for (let i = 0; i < 4; i++) {
      const p = corners[i], q = corners[(i + 1) % 4];
      if (val(p) > 0) poly.push(p);
      if ((val(p) > 0) !== (val(q) > 0)) { const t = val(p) / (val(p) - val(q)); poly.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]); }
    }
    region.attr("d", poly.length ? `M${poly.map((p) => `${x(p[0])},${y(p[1])}`).join("L")}Z` : null);
    const cross = poly.filter((p) => Math.abs(val(p)) < 1e-9);
    if (cross.length >= 2) line.attr("x1", x(cross[0][0])).attr("y1", y(cross[0][1])).attr("x2", x(cross[1][0])).attr("y2", y(cross[1][1])).attr("opacity", 1);
    else line.attr("opacity", 0);
    const pred = data.X.map((p) => (val(p) > 0 ? 1 : 0));
    dots.selectAll("g").data(data.X).join((enter) => {
      const g = enter.append("g");
      g.append("circle").attr("r", 11);
      g.append("text").attr("text-anchor", "middle").attr("y", 4).style("font", "11px var(--mono)");
      return g;
    }).attr("transform", (p) => `translate(${x(p[0])},${y(p[1])})`).each(function (p, i) {
      const g = d3.select(this);
      g.select("circle").attr("fill", data.y[i] ? "var(--pos)" : "var(--surface)").attr("stroke", pred[i] === data.y[i] ? "var(--text)" : "var(--bad)")
        .attr("stroke-width", pred[i] === data.y[i] ? 1.5 : 4);
      g.select("text").text(data.y[i]).style("fill", data.y[i] ? "#111" : "var(--text)");
    });
    chart.set("shown", [[k, 0], [k, 4]]);
    f.setReadout([
      { label: `errors after epoch ${k}`, value: `${e.errors} of 4` },
      { label: `lowest in ${data.epochs.length} epochs`, value: `${data.lowest_errors} of 4` },
      { label: "learned it", value: data.first_perfect_epoch ? `yes, in epoch ${data.first_perfect_epoch}` : "never" },
      { label: "weights w1, w2, bias", value: `${fixed(w1, 1)}, ${fixed(w2, 1)}, ${fixed(b, 1)}` },
    ]);
  }

  function animate() {
    clearInterval(timer);
    if (!data) return;
    shown.value = 1; draw();
    timer = setInterval(() => {
      if (shown.value >= data.epochs.length) { clearInterval(timer); return; }
      shown.value = shown.value + 1; draw();
    }, 250);
  }

  async function update() {
    clearInterval(timer);
    const d = await f.run(() => postJSON(`${API}/perceptron`, { gate: gate.value, epochs: epochs.value }), { key: "update" });
    if (!d) return;
    data = d;
    shown.input.max = d.epochs.length;
    shown.value = d.epochs.length;
    chart.set("errors after each epoch", d.epochs.map((e) => [e.epoch, e.errors]));
    chart.hline("zero", 0, "no errors: learned");
    draw();
    f.hood(d);
  }
  return update();
}

// ---------------------------------------------------------------- MLP, trained live

function shapeControls(onchange, { layers = 2, width = 4 } = {}) {
  return {
    dataset: select({ label: "data set", field: "dataset", options: DATASETS, value: "xor", onchange }),
    layers: slider({ label: "hidden layers", field: "layers", min: 1, max: 4, step: 1, value: layers, format: (v) => `${v}`, onchange }),
    width: slider({ label: "neurons per layer", field: "width", min: 1, max: 8, step: 1, value: width, format: (v) => `${v}`, onchange }),
    activation: select({ label: "activation", field: "activation", options: HIDDEN, value: "tanh", onchange }),
    output: select({ label: "output", field: "output", value: "sigmoid", onchange,
      options: [["sigmoid", "1 neuron, sigmoid"], ["softmax", "2 neurons, softmax"]] }),
  };
}

function shapeOf(c) {
  return { dataset: c.dataset.value, layers: c.layers.value, width: c.width.value, activation: c.activation.value,
    output: c.output.value };
}

function mlpDemo(el) {
  const f = demoFrame(el, { title: "A small network trained live", stacked: true,
    sources: ["glasslm.engine.basics.mlp:MLP.backward", "glasslm.engine.basics.mlp:training", "glasslm.engine.basics.toy_data:make"] });
  const c = shapeControls(() => reset());
  const lr = select({ label: "learning rate", field: "lr", options: RATES.map((r) => [String(r), String(r)]), value: "0.03", onchange: () => reset() });
  const optimizer = select({ label: "optimizer", field: "optimizer", options: [["adam", "Adam"], ["momentum", "momentum"], ["sgd", "SGD"]], value: "adam", onchange: () => reset() });
  const steps = select({ label: "training steps", field: "steps", options: ["500", "1500", "3000", "5000"], value: "1500", onchange: () => reset() });
  const jobs = jobButtons(f, "Train", () => start());
  f.add(c.dataset.el, c.layers.el, c.width.el, c.activation.el, c.output.el, lr.el, optimizer.el, steps.el, jobs.row);
  rowControls(f);
  const left = h("div"), right = h("div");
  twoUp(f.picture, "380px", left, right);
  const map = boundaryMap(left);
  const chart = lineChart(right, { xLabel: "training step", yLabel: "loss (cross-entropy)", height: 300,
    series: [{ name: "loss" }, { name: "accuracy", dashed: true }] });
  let startLoss = null;

  function readout(step, total, loss, accuracy) {
    f.setReadout([
      { label: "step", value: `${count(step)} of ${count(total)}` },
      { label: "loss", value: fixed(loss, 3) },
      { label: "loss at the start", value: fixed(startLoss, 3) },
      { label: "accuracy", value: pct(accuracy, 1) },
    ]);
  }

  // The untrained network's boundary, so the picture is never empty.
  async function reset() {
    jobs.cancel();  // a run still going counts against the learner's job limit
    chart.clear();
    const d = await f.run(() => postJSON(`${API}/network`, { ...shapeOf(c), steps: 0, index: 0 }), { key: "reset" });
    if (!d) return;
    map.setData(d.points, d.labels, d.ticks);
    map.setGrid(d.grid);
    startLoss = d.loss;
    readout(0, Number(steps.value), d.loss, d.accuracy);
    f.setStatus("Press Train.");
  }

  async function start() {
    chart.clear();
    const body = { ...shapeOf(c), lr: Number(lr.value), optimizer: optimizer.value, steps: Number(steps.value) };
    await jobs.follow(`${API}/mlp/train`, body, {
      keepStatus: true,
      onStarted: () => { f.setStatus("Training…"); f.hood(body); },
      onEvent(e) {
        if (e.type === "setup") { map.setData(e.points, e.labels, e.ticks); return; }
        if (e.type !== "progress") return;
        if (e.diverged) { f.setError("The loss is no longer a finite number: the learning rate is far too large. Choose a smaller one."); return; }
        if (e.step === 0) startLoss = e.loss;
        map.setGrid(e.grid);
        chart.append("loss", [e.step, e.loss]);
        chart.append("accuracy", [e.step, e.accuracy]);
        readout(e.step, body.steps, e.loss, e.accuracy);
        f.hood({ request: body, last_event: { ...e, grid: `${e.grid.length}×${e.grid.length} probabilities` } });
      },
      onDone(end) {
        f.setStatus(end.status === "done" ? "Done." : end.status === "stopped" ? "Stopped." : "");
      },
    });
  }
  return reset();
}

// ---------------------------------------------------------------- forward and backward

function networkDemo(el) {
  const f = demoFrame(el, { title: "Values forward, gradients backward, for one point", stacked: true,
    sources: ["glasslm.engine.basics.mlp:MLP.trace", "glasslm.engine.basics.mlp:MLP.forward", "glasslm.engine.basics.mlp:MLP.backward"] });
  const c = shapeControls(() => update(), { layers: 2, width: 3 });
  const steps = slider({ label: "training steps first", field: "steps", min: 0, max: 1000, step: 50, value: 300, format: (v) => `${v}`, onchange: () => update() });
  const mode = segmented({ label: "show", field: "mode", options: [["forward", "forward: values"], ["backward", "backward: gradients"]], value: "forward", onchange: () => draw() });
  const pick = slider({ label: "data point", field: "index", min: 0, max: 199, step: 1, value: 0, format: (v) => `#${v + 1}`,
    onchange: (v) => { index = v; update(); } });
  f.add(c.dataset.el, c.layers.el, c.width.el, c.activation.el, c.output.el, steps.el, pick.el, mode.el);
  rowControls(f);
  // Small map and wide network side by side; stacked on a narrow screen.
  const left = h("div", { style: "flex:0 1 280px;min-width:200px" }), right = h("div", { style: "flex:1 1 360px" });
  const box = h("div", { style: "display:flex;flex-wrap:wrap;gap:1rem;align-items:center" }, left, right);
  f.picture.append(box, h("p", { style: "font-size:.85rem;color:var(--muted);margin:.3rem 0 0", text: "Click a point on the map (or use the data-point slider) to trace it." }));
  const map = boundaryMap(left, { onPick: (i) => { index = i; pick.value = i; update(); } });
  const net = networkDiagram(right);
  let index = 0, data = null;
  onThemeChange(() => draw());  // neuron and connection colours come from the theme

  function draw() {
    if (!data) return;
    net.update(data.trace, mode.value);
    const t = data.trace;
    f.setReadout([
      { label: "point", value: `(${fixed(t.x[0], 2)}, ${fixed(t.x[1], 2)})` },
      { label: "true class", value: t.y ? "orange" : "blue" },
      { label: "p(orange)", value: pct(t.p, 1) },
      { label: "this point's loss", value: fixed(t.loss, 3) },
    ]);
  }

  async function update() {
    const d = await f.run(() => postJSON(`${API}/network`, { ...shapeOf(c), steps: steps.value, index }), { key: "update" });
    if (!d) return;
    data = d;
    map.setData(d.points, d.labels, d.ticks);
    map.setGrid(d.grid);
    map.highlight(d.index);
    draw();
    f.hood(d);
  }
  return update();
}

export const demos = { activations: activationsDemo, perceptron: perceptronDemo, mlp: mlpDemo, network: networkDemo };
