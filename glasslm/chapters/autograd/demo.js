// The autograd chapter: the demos only draw what /api/autograd/* returns.
// graph: the typed expression's computation graph, values and gradients, the
//        backward pass stepped node by node, finite-difference checks.
// check: finite differences for step sizes 1e-1 ... 1e-14 against autograd.

import { postJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { textInput, numberInput, select, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { diverging, textOn, onThemeChange } from "/static/js/components/color.js";
import { fixed, signed } from "/static/js/components/format.js";

const API = "/api/autograd";
const PRESETS = [
  ["(a*b + c).relu()", "a*b + c, then ReLU"],
  ["x*x + x", "x used twice"],
  ["(w1*x1 + w2*x2 + b).tanh()", "a neuron"],
  ["-log(exp(a) / (exp(a) + exp(b)))", "softmax loss"],
];

// Show the expression with a caret under the column the parser complained about.
function caret(control, text, position) {
  control.querySelector(".ag-caret")?.remove();
  if (position === null || position === undefined) return;
  const at = Math.min(position, text.length);
  control.append(h("pre", { class: "ag-caret demo-error", "aria-hidden": "true", text: `${text}\n${" ".repeat(at)}^` }));
}

// Named-value inputs, rebuilt when the expression's names change.
function valueInputs(container, onchange) {
  let inputs = new Map();
  return {
    values() {
      const out = {};
      for (const [name, inp] of inputs) if (Number.isFinite(inp.value)) out[name] = inp.value;
      return out;
    },
    invalid() { return [...inputs].find(([, inp]) => !Number.isFinite(inp.value))?.[0] ?? null; },
    show(list) {
      const names = list.map((i) => i.name);
      if (names.join(",") === [...inputs.keys()].join(",")) return;
      const next = new Map();
      for (const { name, value } of list) {
        next.set(name, inputs.get(name) || numberInput({ label: name, field: name, value, step: 0.1, onchange }));
      }
      inputs = next;
      container.replaceChildren(...[...inputs.values()].map((i) => i.el));
    },
  };
}

// ---------------------------------------------------------------- graph layout

const BOX_W = 124, BOX_H = 60, GAP_X = 56, GAP_Y = 14, PAD = 10;

function layout(nodes, edges) {
  const inputsOf = nodes.map(() => []), usersOf = nodes.map(() => []);
  for (const e of edges) { inputsOf[e.target].push(e.source); usersOf[e.source].push(e.target); }
  const depth = nodes.map(() => 0);
  for (const n of nodes) depth[n.id] = inputsOf[n.id].length ? 1 + Math.max(...inputsOf[n.id].map((s) => depth[s])) : 0;
  const cols = [];
  nodes.forEach((n) => (cols[depth[n.id]] ||= []).push(n.id));
  const rank = new Map();
  cols.forEach((c) => c.forEach((id, i) => rank.set(id, i)));
  const mean = (ids) => ids.reduce((s, id) => s + rank.get(id), 0) / ids.length;
  // Barycentre ordering: each column follows its inputs, then leaves follow their users.
  for (let d = 1; d < cols.length; d++) {
    cols[d].sort((a, b) => mean(inputsOf[a]) - mean(inputsOf[b]));
    cols[d].forEach((id, i) => rank.set(id, i));
  }
  cols[0].sort((a, b) => mean(usersOf[a]) - mean(usersOf[b]));
  cols[0].forEach((id, i) => rank.set(id, i));
  const rows = Math.max(...cols.map((c) => c.length));
  const height = rows * (BOX_H + GAP_Y) - GAP_Y + 2 * PAD;
  const pos = new Map();
  cols.forEach((c, d) => {
    const offset = (height - (c.length * (BOX_H + GAP_Y) - GAP_Y)) / 2;
    c.forEach((id, i) => pos.set(id, { x: PAD + d * (BOX_W + GAP_X), y: offset + i * (BOX_H + GAP_Y) }));
  });
  return { pos, width: 2 * PAD + cols.length * (BOX_W + GAP_X) - GAP_X, height };
}

function nodeTitle(n) {
  if (n.kind === "input") return n.label;
  if (n.kind === "constant") return `${n.label}`;
  return n.op === "neg" ? "−(…)" : n.op.startsWith("**") ? `x${n.op}` : n.op;
}

function drawGraph(svgHost, data, state) {
  const d3 = window.d3;
  const { pos, width, height } = layout(data.nodes, data.edges);
  svgHost.replaceChildren();
  // at most its natural width: a small graph stretched across a laptop's demo had 20 px letters
  const svg = d3.select(svgHost).append("svg").attr("viewBox", `0 0 ${width} ${height}`).style("max-width", `${Math.max(width, 520)}px`)
    .attr("role", "img").attr("aria-label", `Computation graph of ${data.expression}`);
  const current = state.step > 0 ? state.steps[state.step - 1] : null;
  const active = new Map((current ? current.contributions : []).map((c) => [`${c.child}-${current.node}`, c]));
  const gE = svg.append("g"), gN = svg.append("g");
  data.edges.forEach((e) => {
    const a = pos.get(e.source), b = pos.get(e.target);
    const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2, mx = (x1 + x2) / 2;
    const c = active.get(`${e.source}-${e.target}`);
    gE.append("path").attr("class", c ? "edge active" : "edge").attr("d", `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`)
      .append("title").text(`local derivative d(${nodeTitle(data.nodes[e.target])})/d(${nodeTitle(data.nodes[e.source])}) = ${fixed(e.local, 4)}`);
    // at the edge's source end: edges into one node share their target end, and labels there overlapped
    if (c) gE.append("text").attr("class", "edge-label").attr("x", x1 + 4).attr("y", y1 - 5).text(`×${fixed(c.local, 3)}`);
  });
  const maxAbs = Math.max(1e-12, ...state.grads.filter((g) => g !== null).map(Math.abs));
  data.nodes.forEach((n) => {
    const p = pos.get(n.id), g = state.grads[n.id];
    const fill = g === null ? "var(--surface-2)" : diverging(g, maxAbs);
    const ink = g === null ? "var(--text)" : textOn(fill);
    const node = gN.append("g").attr("class", current && current.node === n.id ? "node current" : "node")
      .attr("data-node", n.label).attr("transform", `translate(${p.x},${p.y})`);
    node.append("rect").attr("width", BOX_W).attr("height", BOX_H).attr("rx", 7).attr("fill", fill);
    node.append("text").attr("class", "op").attr("x", 8).attr("y", 17).style("fill", ink)
      .text(n.kind === "op" ? nodeTitle(n) : `${nodeTitle(n)}${n.kind === "constant" ? " (const)" : ""}`);
    node.append("text").attr("class", "node-value").attr("x", 8).attr("y", 35).style("fill", ink).text(`value ${fixed(n.value, 4)}`);
    node.append("text").attr("class", "node-grad").attr("x", 8).attr("y", 52).style("fill", ink).text(`grad  ${g === null ? "?" : fixed(g, 4)}`);
    node.append("title").text(`${n.text || n.label}\nvalue ${n.value}\ngradient ${g === null ? "not reached yet" : g}`);
  });
}

// Gradients after the first k backward steps (replaying the API's recorded steps).
function gradsAfter(data, steps, k) {
  const g = data.nodes.map(() => null);
  g[data.output] = 1;
  for (const s of steps.slice(0, k)) for (const c of s.contributions) g[c.child] = (g[c.child] ?? 0) + c.added;
  return g;
}

function graphDemo(el) {
  const f = demoFrame(el, { title: "Type an expression: its graph, values and gradients", stacked: true,
    sources: ["glasslm.engine.autograd.value:Value.backward", "glasslm.engine.autograd.value:Value.__mul__", "glasslm.engine.autograd.expr_graph:analyse"] });
  const signal = latest();
  const exprIn = textInput({ label: "expression", field: "expression", value: PRESETS[0][0], maxlength: 200,
    oninput: debounce(update, 350), onenter: update });
  const valuesBox = h("div", { class: "button-row ag-values" });
  const values = valueInputs(valuesBox, () => update());
  const presets = buttonRow(...PRESETS.map(([text, label]) => button(label, () => { exprIn.value = text; update(); })));
  const stepLine = h("div", { class: "ag-step", "aria-live": "polite" });
  const graphBox = h("div", { class: "ag-graph" });
  const table = h("table", { class: "ag-table" });
  const stepRow = buttonRow(
    button("Reset", () => go(0), { label: "Reset the backward pass" }),
    button("◀ Back", () => go(state.step - 1), { label: "Back one step" }),
    button("Step ▶", () => go(state.step + 1), { primary: true, label: "Step" }),
    button("Run all", () => go(state.steps.length), { label: "Run all" }));
  f.add(exprIn.el, presets, valuesBox);
  f.picture.append(stepRow, stepLine, graphBox, h("div", { class: "ag-table-wrap" }, table));
  let data = null;
  const state = { step: 0, steps: [], grads: [] };
  onThemeChange(() => { if (data) drawGraph(graphBox, data, state); });  // node colours come from the theme

  function go(k) {
    if (!data) return;
    state.step = Math.max(0, Math.min(state.steps.length, k));
    state.grads = gradsAfter(data, state.steps, state.step);
    drawGraph(graphBox, data, state);
    const byId = data.nodes;
    if (state.step === 0) {
      stepLine.textContent = "Start: the output's gradient with respect to itself is 1. Press Step to send it backward.";
    } else {
      const s = state.steps[state.step - 1], n = byId[s.node];
      const parts = s.contributions.map((c) =>
        `grad(${byId[c.child].text || byId[c.child].label}) += ${fixed(c.local, 4)} × ${fixed(s.grad, 4)} = ${signed(c.added, 4)}`);
      stepLine.textContent = `Step ${state.step} of ${state.steps.length}: node ${nodeTitle(n)} (${n.text}) has gradient ${fixed(s.grad, 4)}\n${parts.join("\n")}`;
    }
    f.setReadout([
      { label: "value of the expression", value: fixed(data.value, 4) },
      { label: "nodes", value: String(data.nodes.length) },
      { label: "backward step", value: `${state.step} of ${state.steps.length}` },
    ]);
  }

  function showTable() {
    table.replaceChildren(
      h("tr", {}, ...["input", "value", "autograd gradient", "finite difference", "agree?"].map((t) => h("th", { text: t }))),
      ...data.inputs.map((i) => h("tr", { "data-input": i.name },
        h("td", { text: i.name }), h("td", { text: fixed(i.value, 4) }), h("td", { class: "ag-grad", text: fixed(i.grad, 6) }),
        h("td", { text: i.finite_difference === null ? "–" : fixed(i.finite_difference, 6) }),
        h("td", { class: i.agrees ? "yes" : "no", text: i.agrees ? "✓ yes" : "✗ no (a kink or a domain edge)" }))));
  }

  async function update() {
    const bad = values.invalid();
    if (bad) { f.setError(`Give “${bad}” a number.`, bad); return; }
    const text = exprIn.value;
    let failure = null;
    const d = await f.run(async () => {
      try {
        return await postJSON(`${API}/graph`, { expression: text, values: values.values() }, { signal: signal() });
      } catch (e) { failure = e; throw e; }
    }, { key: "update" });
    caret(exprIn.el, text, failure?.field === "expression" ? failure.body?.position : null);
    if (!d) return;
    data = d;
    state.steps = d.steps.filter((s) => s.contributions.length);
    values.show(d.inputs);
    showTable();
    go(state.steps.length);  // gradients shown at once; Reset to step through
    f.hood(d);
  }
  return update();
}

function checkDemo(el) {
  const f = demoFrame(el, { title: "Finite differences: how small should h be?",
    sources: ["glasslm.engine.autograd.expr_graph:difference_sweep"] });
  const signal = latest();
  const exprIn = textInput({ label: "expression", field: "expression", value: "exp(x) * x", maxlength: 200,
    oninput: debounce(update, 350), onenter: update });
  const nameSel = select({ label: "nudge this input", field: "name", options: ["x"], value: "x", onchange: update });
  const at = numberInput({ label: "at the value", field: "value", value: 1, step: 0.1, onchange: update });
  f.add(exprIn.el, nameSel.el, at.el);
  const chart = lineChart(f.picture, { xLabel: "step size h (log scale)", yLabel: "|finite difference − autograd|", xScale: "log", yScale: "log",
    series: [{ name: "error of the finite difference" }] });
  async function update() {
    if (!Number.isFinite(at.value)) { f.setError("Give the input a number.", "value"); return; }
    const text = exprIn.value;
    const values = {};
    values[nameSel.value] = at.value;
    let failure = null;
    const d = await f.run(async () => {
      try {
        return await postJSON(`${API}/check`, { expression: text, values, name: nameSel.value || null }, { signal: signal() });
      } catch (e) {
        // A new expression may not contain the chosen name: ask again for its first name.
        if (e.field === "name") return postJSON(`${API}/check`, { expression: text, values: {} }, { signal: signal() });
        failure = e; throw e;
      }
    }, { key: "update" });
    caret(exprIn.el, text, failure?.field === "expression" ? failure.body?.position : null);
    if (!d) return;
    if (d.names.join(",") !== [...nameSel.input.options].map((o) => o.value).join(",")) {
      nameSel.input.replaceChildren(...d.names.map((n) => h("option", { value: n, text: n })));
    }
    nameSel.value = d.name;
    at.value = d.value;
    const pts = d.rows.filter((r) => r.error !== null).map((r) => [r.h, Math.max(r.error, 1e-17)]);
    chart.set("error of the finite difference", pts);
    const ok = d.rows.filter((r) => r.error !== null);
    const best = ok.reduce((a, b) => (b.error < a.error ? b : a), ok[0] || { h: NaN, error: NaN, estimate: NaN });
    f.setReadout([
      { label: `autograd d/d${d.name}`, value: fixed(d.grad, 10) },
      { label: "best h", value: Number.isFinite(best.h) ? best.h.toExponential(0) : "–" },
      { label: "its estimate", value: fixed(best.estimate, 10) },
      { label: "its error", value: Number.isFinite(best.error) ? best.error.toExponential(1) : "–" },
    ]);
    f.hood(d);
  }
  return update();
}

export const demos = { graph: graphDemo, check: checkDemo };
