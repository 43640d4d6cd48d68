// The learning loop chapter: the demos only draw what /api/learning-loop/* returns.
// Each path is computed by the engine in one request; the buttons replay it
// step by step so the learner can follow it.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h, rowControls } from "/static/js/components/demo.js";
import { slider, numberInput, select, segmented, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { scatterPlot } from "/static/js/components/scatter.js";
import { fitWidth, xTickCount } from "/static/js/components/chartsize.js";
import { series as seriesColor } from "/static/js/components/color.js";
import { fixed, signed } from "/static/js/components/format.js";
import { surfacePlot } from "/chapters/learning-loop/surface_plot.js";

const API = "/api/learning-loop";
const SURFACES = [["bowl", "elongated bowl"], ["rosenbrock", "Rosenbrock valley"], ["two_valleys", "two valleys"]];
const OPTIMIZERS = [["sgd", "SGD"], ["momentum", "momentum"], ["adam", "Adam"]];
const FRAME_MS = { descent: 220, surface: 30 };

function sideBySide(picture, ...children) {
  const box = h("div", { style: "display:grid;grid-template-columns:repeat(auto-fit,minmax(min(300px,100%),1fr));gap:1rem;align-items:center" }, ...children);
  picture.append(box);
}

// Reset / Step / Play / Run all over steps 0..last; show(k) draws step k.
function player(show, frameMs) {
  let k = 0, last = 0, timer = null;
  const stopTimer = () => { clearInterval(timer); timer = null; play.textContent = "Play"; };
  const go = (n) => { k = Math.max(0, Math.min(last, n)); show(k); };
  const play = button("Play", () => {
    if (timer) return stopTimer();
    if (k >= last) go(0);
    play.textContent = "Pause";
    timer = setInterval(() => { if (k >= last) stopTimer(); else go(k + 1); }, frameMs);
  }, { primary: true });
  const row = buttonRow(
    button("Reset", () => { stopTimer(); go(0); }),
    button("Step", () => { stopTimer(); go(k + 1); }, { label: "Step" }),
    play,
    button("Run all", () => { stopTimer(); go(last); }));
  return {
    el: row,
    load(n, startAt = 0) { stopTimer(); last = n; go(startAt); },
    get k() { return k; },
  };
}

// ---------------------------------------------------------------- one weight

function descentDemo(el) {
  const f = demoFrame(el, { title: "Gradient descent on one weight (petal width = length × w)", stacked: true,
    sources: ["glasslm.engine.basics.linear:descend_one_weight", "glasslm.engine.basics.linear:mse_grad",
      "glasslm.engine.basics.linear:one_weight_curvature"] });
  const d3 = window.d3;
  const preset = segmented({ label: "learning rate preset", field: "preset",
    options: [["crawl", "crawl"], ["converge", "converge"], ["oscillate", "oscillate"], ["diverge", "diverge"]],
    value: "converge", onchange: () => { lr.value = ""; update(); } });
  const lr = numberInput({ label: "or your own learning rate η", field: "lr", value: "", min: 0, max: 1, step: "any",
    onchange: () => { preset.value = null; update(); } });
  const w0 = slider({ label: "starting weight", field: "w0", min: -1, max: 2, step: 0.05, value: 0, format: (v) => v.toFixed(2), onchange: () => update() });
  const steps = slider({ label: "steps", field: "steps", min: 5, max: 100, step: 5, value: 30, format: (v) => `${v}`, onchange: () => update() });
  const play = player(show, FRAME_MS.descent);
  f.add(preset.el, lr.el, w0.el, steps.el, play.el);
  rowControls(f);
  const left = h("div"), right = h("div");
  sideBySide(f.picture, left, right);
  // Drawn one viewBox unit per CSS pixel of its box (like the shared charts), so its text keeps
  // its 11 px on a phone: PW x PH is its shape at 560 wide, and a narrow one keeps 3/4 of the height.
  const PW = 560, PH = 320, M = { l: 56, r: 12, t: 12, b: 40 };
  const svg = d3.select(left).append("svg").attr("class", "chart ll-valley")
    .attr("role", "img").attr("aria-label", "The error against the weight, and the steps taken");
  const g = svg.append("g").attr("transform", `translate(${M.l},${M.t})`);
  let iw = PW - M.l - M.r, ih = PH - M.t - M.b;
  const gx = g.append("g").attr("class", "axis"), gy = g.append("g").attr("class", "axis");
  const xTitle = g.append("text").attr("text-anchor", "middle").text("weight w");
  const yTitle = g.append("text").attr("transform", "rotate(-90)").attr("y", -44).attr("text-anchor", "middle").text("mean squared error (cm²)");
  const clip = `clip-${Math.random().toString(36).slice(2)}`;
  const clipRect = svg.append("clipPath").attr("id", clip).append("rect");
  const plot = g.append("g").attr("clip-path", `url(#${clip})`);
  const curve = plot.append("path").attr("fill", "none").attr("stroke", "var(--s1)").attr("stroke-width", 2.5);
  const trail = plot.append("path").attr("fill", "none").attr("stroke", "var(--s2)").attr("stroke-width", 1.5).attr("stroke-dasharray", "4 3");
  const dots = plot.append("g"), ball = plot.append("circle").attr("r", 8).attr("fill", "var(--s2)").attr("stroke", "var(--surface)").attr("stroke-width", 2);
  const chart = lineChart(right, { xLabel: "step", yLabel: "error (log scale)", yScale: "log", height: 320,
    series: [{ name: "error" }, { name: "you are here", dashed: true, color: "var(--muted)" }] });
  const fit = h("div"), explain = h("div", { class: "ll-explain mono", "aria-live": "polite", style: "white-space:pre-wrap;font-size:.9rem" });
  sideBySide(f.picture, fit, explain);
  const scatter = scatterPlot(fit, { xLabel: "petal length (cm)", yLabel: "petal width (cm)", yDomain: [0, 3],
    label: "The flowers and the model's line at this step" });
  let data = null, xs = null, ys = null;
  fitWidth(svg.node(), (width) => {
    const height = Math.round(PH * Math.max(width / PW, 0.75));
    svg.attr("viewBox", `0 0 ${width} ${height}`);
    iw = width - M.l - M.r; ih = height - M.t - M.b;
    gx.attr("transform", `translate(0,${ih})`);
    xTitle.attr("x", iw / 2).attr("y", ih + 34);
    yTitle.attr("x", -ih / 2);
    clipRect.attr("width", iw).attr("height", ih);
    if (data) { drawValley(); show(play.k); }
  }, PW);

  // The axes and the error curve at the current size (the steps are drawn by show).
  function drawValley() {
    xs.range([0, iw]);
    ys.range([ih, 0]);
    gx.call(d3.axisBottom(xs).ticks(xTickCount(iw)));
    gy.call(d3.axisLeft(ys).ticks(5));
    curve.attr("d", d3.line().x((c) => xs(c[0])).y((c) => ys(c[1]))(data.curve));
  }

  function show(k) {
    if (!data) return;
    const p = data.path[Math.min(k, data.path.length - 1)];
    const seen = data.path.slice(0, k + 1).filter((q) => q.loss !== null);
    const vis = (q) => [xs(Math.max(xs.domain()[0] - 1, Math.min(xs.domain()[1] + 1, q.w))), ys(Math.min(q.loss, ys.domain()[1] * 3))];
    trail.attr("d", d3.line()(seen.map(vis)));
    dots.selectAll("circle").data(seen).join("circle").attr("r", 3).attr("fill", "var(--s2)")
      .attr("cx", (q) => vis(q)[0]).attr("cy", (q) => vis(q)[1]);
    if (p.loss !== null) ball.attr("cx", vis(p)[0]).attr("cy", vis(p)[1]).attr("opacity", 1);
    else ball.attr("opacity", 0);
    scatter.setLine(Number.isFinite(p.w) ? [[0, 0], [8, 8 * p.w]] : []);
    const next = data.path[k + 1];
    explain.textContent = !next
      ? (p.loss === null ? "The numbers overflowed: the weight has run off to infinity."
        : `After ${k} steps: predicted width = length × ${fixed(p.w, 4)}.`)
      : `The update rule, with this step's numbers:\n\n  w ← w − η × dL/dw\n    = ${fixed(p.w, 4)} − ${data.lr.toPrecision(3)} × (${signed(p.grad, 3)})\n    = ${fixed(next.w, 4)}`;
    const losses = data.path.filter((q) => q.loss !== null).map((q) => q.loss);
    chart.set("you are here", [[k, Math.max(1e-12, d3.min(losses))], [k, d3.max(losses)]]);
    f.setReadout([
      { label: "step", value: `${k} of ${data.path.length - 1}` },
      { label: "weight w", value: fixed(p.w, 4) },
      { label: "error", value: p.loss === null ? "overflowed" : `${fixed(p.loss, 4)} cm²` },
      { label: "slope dL/dw", value: p.grad === null ? "–" : signed(p.grad, 3) },
      { label: "learning rate η", value: data.lr.toPrecision(3) },
      { label: "each step × (1 − η a)", value: signed(data.factor, 2) },
    ]);
  }

  async function update() {
    if (lr.input.value !== "" && !Number.isFinite(lr.value)) { f.setError("Type a number for the learning rate.", "lr"); return; }
    const body = { w0: w0.value, steps: steps.value };
    if (lr.input.value !== "") body.lr = lr.value; else body.preset = preset.value || "converge";
    const d = await f.run(() => postJSON(`${API}/descent`, body), { key: "update" });
    if (!d) return;
    data = d;
    xs = d3.scaleLinear().domain(d3.extent(d.curve, (c) => c[0]));
    ys = d3.scaleLinear().domain([0, d3.max(d.curve, (c) => c[1])]).nice();
    drawValley();
    scatter.setPoints(d.points);
    chart.set("error", d.path.filter((q) => q.loss !== null).map((q) => [q.step, Math.max(q.loss, 1e-12)]));
    chart.hline("best", d.best_loss, "best possible error");
    if (lr.input.value === "") lr.input.placeholder = d.lr.toPrecision(3);
    play.load(d.path.length - 1, 0);
    if (d.diverged) f.setStatus("The weight ran off to infinity: the learning rate is far too large.");
    else f.setStatus(`Best weight ${fixed(d.best_w, 4)}; curvature a = ${fixed(d.curvature, 2)}, so η a = ${fixed(1 - d.factor, 2)}.`);
    f.hood(d);
  }
  return update();
}

// ---------------------------------------------------------------- one optimizer on a surface

function surfaceDemo(el) {
  const f = demoFrame(el, { title: "A ball rolling on a loss surface", stacked: true,
    sources: ["glasslm.engine.basics.surfaces:path", "glasslm.engine.autograd.optim:SGD", "glasslm.engine.autograd.optim:Momentum", "glasslm.engine.autograd.optim:Adam"] });
  const surfaceSel = select({ label: "surface", field: "surface", options: SURFACES, value: "bowl", onchange: () => loadSurface() });
  const opt = segmented({ label: "optimizer", field: "optimizer", options: OPTIMIZERS, value: "sgd", onchange: () => { useDefaultLr(); update(); } });
  const lr = numberInput({ label: "learning rate", field: "lr", value: 0.18, min: 0, max: 10, step: "any", onchange: () => update() });
  const steps = slider({ label: "steps", field: "steps", min: 10, max: 500, step: 10, value: 150, format: (v) => `${v}`, onchange: () => update() });
  const play = player(show, FRAME_MS.surface);
  f.add(surfaceSel.el, opt.el, lr.el, steps.el, play.el);
  rowControls(f);
  const left = h("div"), right = h("div");
  sideBySide(f.picture, left, right);
  const plot = surfacePlot(left, { onPick: (p) => { start = p; update(); } });
  const chart = lineChart(right, { xLabel: "step", yLabel: "loss above the lowest point (log)", yScale: "log", height: 320,
    series: [{ name: "loss" }] });
  left.append(h("p", { style: "font-size:.85rem;color:var(--muted);margin:.3rem 0 0", text: "Click the map to start the ball somewhere else. The star is the lowest point." }));
  let surf = null, data = null, start = null;

  function useDefaultLr() { if (surf) lr.value = surf.lr[opt.value]; }

  function show(k) {
    if (!data) return;
    plot.setStep(k);
    const p = data.points[Math.min(k, data.points.length - 1)];
    f.setReadout([
      { label: "step", value: `${k} of ${data.points.length - 1}` },
      { label: "position", value: `(${fixed(p[0], 3)}, ${fixed(p[1], 3)})` },
      { label: "loss", value: fixed(p[2], 4) },
      { label: "lowest possible", value: fixed(surf.minimum_loss, 4) },
    ]);
  }

  async function loadSurface() {
    const s = await f.run(() => getJSON(`${API}/surface`, { name: surfaceSel.value }), { key: "loadSurface" });
    if (!s) return;
    surf = s;
    start = null;
    plot.setSurface(s);
    useDefaultLr();
    return update();
  }

  async function update() {
    if (!surf) return;
    if (!Number.isFinite(lr.value)) { f.setError("Type a number for the learning rate.", "lr"); return; }
    const body = { surface: surfaceSel.value, optimizer: opt.value, lr: lr.value, steps: steps.value };
    if (start) body.start = start;
    const d = await f.run(() => postJSON(`${API}/path`, body), { key: "update" });
    if (!d) return;
    data = d;
    plot.setPaths([{ name: d.optimizer, color: seriesColor(1), points: d.points }]);
    chart.set("loss", d.points.map((p, i) => [i, Math.max(p[2] - surf.minimum_loss, 1e-12)]));
    play.load(d.points.length - 1, 0);
    f.setStatus(d.diverged ? "The ball flew off the surface: the learning rate is too large for this optimizer here." : "");
    f.hood(d);
  }
  return loadSurface();
}

// ---------------------------------------------------------------- the race

function raceDemo(el) {
  const f = demoFrame(el, { title: "SGD, momentum and Adam from the same start", stacked: true,
    sources: ["glasslm.engine.basics.surfaces:race", "glasslm.engine.autograd.optim:Adam"] });
  const surfaceSel = select({ label: "surface", field: "surface", options: SURFACES, value: "two_valleys", onchange: () => loadSurface() });
  const steps = slider({ label: "steps", field: "steps", min: 20, max: 500, step: 10, value: 200, format: (v) => `${v}`, onchange: () => update() });
  const play = player(show, FRAME_MS.surface);
  f.add(surfaceSel.el, steps.el, play.el);
  rowControls(f);
  const left = h("div"), right = h("div");
  sideBySide(f.picture, left, right);
  const plot = surfacePlot(left, { onPick: (p) => { start = p; update(); } });
  const names = OPTIMIZERS.map(([, label]) => label);
  const chart = lineChart(right, { xLabel: "step", yLabel: "loss above the lowest point (log)", yScale: "log", height: 320,
    series: names.map((name, i) => ({ name, color: seriesColor(i) })) });
  left.append(h("p", { style: "font-size:.85rem;color:var(--muted);margin:.3rem 0 0", text: "Click the map to start all three somewhere else." }));
  let surf = null, data = null, start = null;

  function show(k) {
    if (!data) return;
    plot.setStep(k);
    f.setReadout(OPTIMIZERS.map(([key, label]) => {
      const pts = data.paths[key].points, p = pts[Math.min(k, pts.length - 1)];
      return { label: `${label} (η ${data.paths[key].lr})`, value: `(${fixed(p[0], 2)}, ${fixed(p[1], 2)}) loss ${fixed(p[2], 3)}` };
    }));
  }

  async function loadSurface() {
    const s = await f.run(() => getJSON(`${API}/surface`, { name: surfaceSel.value }), { key: "loadSurface" });
    if (!s) return;
    surf = s;
    start = null;
    plot.setSurface(s);
    return update();
  }

  async function update() {
    if (!surf) return;
    const body = { surface: surfaceSel.value, steps: steps.value };
    if (start) body.start = start;
    const d = await f.run(() => postJSON(`${API}/race`, body), { key: "update" });
    if (!d) return;
    data = d;
    plot.setPaths(OPTIMIZERS.map(([key, label], i) => ({ name: label, color: seriesColor(i), points: d.paths[key].points })));
    OPTIMIZERS.forEach(([key, label]) =>
      chart.set(label, d.paths[key].points.map((p, i) => [i, Math.max(p[2] - surf.minimum_loss, 1e-12)])));
    const longest = Math.max(...OPTIMIZERS.map(([key]) => d.paths[key].points.length)) - 1;
    play.load(longest, longest);
    f.hood(d);
  }
  return loadSurface();
}

export const demos = { descent: descentDemo, surface: surfaceDemo, race: raceDemo };
