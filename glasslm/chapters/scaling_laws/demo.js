// The scaling-laws chapter: the demos only draw what /api/scaling-laws/* and the
// sweep's event stream (/api/jobs/{id}/events) send.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { numberInput, segmented, button, buttonRow, progressBar } from "/static/js/components/controls.js";
import { etaClock } from "/static/js/components/eta.js";
import { barChart } from "/static/js/components/barchart.js";
import { lineChart } from "/static/js/components/linechart.js";
import { fixed, count, compact, seconds, signed, sci as sciFormat, superscript } from "/static/js/components/format.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { modelPicker, DEFAULT_MODEL } from "/static/js/components/modelpicker.js";

const API = "/api/scaling-laws";
// Compute values between 0.01 and 1e5 stay plain here (the sweep's own range reads better so).
const sci = (x, digits = 3) => sciFormat(x, digits, { plainFrom: 1e-2, plainTo: 1e5 });

// Held-out loss against compute, both axes logarithmic (the shared line chart): points
// per run (a colour per width, joined in order of tokens), the frontier ringed, the
// fitted law dashed.
function logLogChart(container, { label }) {
  const chart = lineChart(container, { xScale: "log", yScale: "log", height: 340, title: label,
    xLabel: "training compute C = 6ND (FLOPs, log scale)", yLabel: "held-out loss (nats/char, log scale)" });
  let runs = [], widths = [], front = new Set(), yours = null;
  const YOURS = { name: "yours", label: "your model", dots: true, color: "var(--text)" };
  const yourPoint = () => (yours ? [[yours.flops, yours.heldout_loss, { r: 7, title: `your model “${yours.name}”: `
    + `${count(yours.n_params)} params, ${count(yours.tokens)} chars: loss ${fixed(yours.heldout_loss, 3)}` }]] : []);
  const point = (r) => [r.flops, r.heldout_loss, { class: front.has(r.index) ? "sl-front" : null, r: front.has(r.index) ? 6 : 4,
    title: `width ${r.width}, ${count(r.n_params)} params, ${count(r.tokens)} chars: loss ${fixed(r.heldout_loss, 3)}` }];
  function draw() {
    const done = runs.filter((r) => r.heldout_loss !== null && r.heldout_loss !== undefined);
    for (const w of widths) chart.set(`w${w}`, done.filter((r) => r.width === w).sort((a, b) => a.tokens - b.tokens).map(point));
  }
  return {
    svg: chart.svg,
    plan(allRuns, ws) {
      runs = allRuns.map((r) => ({ ...r })); widths = ws; front = new Set();
      chart.setSeries([...ws.map((w) => {
        const n = runs.find((r) => r.width === w);
        return { name: `w${w}`, label: `width ${w}${n ? ` (${count(n.n_params)} params)` : ""}`, dots: true };
      }), { name: "fit", label: "fitted law", dashed: true, class: "sl-fit", color: "var(--text)" }, YOURS]);
      chart.set("yours", yourPoint());
    },
    // The learner's own model (from train-a-gpt) as one more point, before or after a sweep.
    setYours(point) {
      yours = point;
      if (!widths.length) chart.setSeries([YOURS]);
      chart.set("yours", yourPoint());
    },
    finish(run, frontier) { const i = runs.findIndex((r) => r.index === run.index); if (i >= 0) runs[i] = run; front = new Set(frontier); draw(); },
    setFit(points) { chart.set("fit", points || []); },
  };
}

const ratioRange = (xs) => `${fixed(Math.min(...xs), 1)} to ${fixed(Math.max(...xs), 1)}`;
const lawText = (law) => `L = ${law.e ? `${fixed(law.e, 3)} + ` : ""}${fixed(law.a, 3)} · C${superscript("-" + law.b.toFixed(3))}`;

function sweep(el) {
  const f = demoFrame(el, { title: "A sweep of tiny GPTs", stacked: true,
    sources: ["glasslm.engine.pretraining.scaling:sweep", "glasslm.engine.pretraining.scaling:fit_power_law", "glasslm.engine.pretraining.scaling:frontier",
      "glasslm.engine.pretraining.scaling:place_model"] });
  let presets = null, job = null, runs = [], frontier = [];
  const eta = etaClock();
  const preset = segmented({ label: "Sweep", field: "preset", value: "quick",
    options: [["quick", "quick (3 × 3 runs)"], ["standard", "standard (4 × 4)"], ["wide", "wide (5 × 3)"]],
    onchange: (v) => showPlan(v) });
  const widthBox = h("fieldset", { class: "sl-widths", "data-field": "widths" }, h("legend", { text: "Model widths (embedding size)" }));
  const fitTo = segmented({ label: "Fit to", field: "points", value: "frontier",
    options: [["frontier", "frontier runs"], ["all", "all runs"]], onchange: () => refit() });
  const floor = segmented({ label: "Irreducible loss E", field: "irreducible", value: "no",
    options: [["no", "L = a·C^−b"], ["yes", "L = E + a·C^−b"]], onchange: () => refit() });
  const jobs = jobButtons(f, "Train the sweep", () => start());
  const bar = progressBar("sweep progress");
  // A model the learner trained on first names in train-a-gpt, placed as the sweep's runs are counted.
  let yours = null;
  const picker = modelPicker({ label: "Your model on the chart", defaultLabel: "none", needsNames: true, onchange: () => place() });
  async function place() {
    yours = null;
    if (picker.value !== DEFAULT_MODEL) yours = await f.run(() => postJSON(`${API}/yours`, { model: picker.value }), { key: "yours" }) || null;
    chart.setYours(yours);
    showReadout();
  }
  f.add(preset.el, widthBox, jobs.row, bar.el, fitTo.el, floor.el, picker.el);
  const chartBox = h("div", { class: "sl-chart-box" });
  const table = h("table", { class: "sl-table" });
  f.picture.append(chartBox, h("div", { class: "scroll-x sl-table-wrap" }, table));
  const chart = logLogChart(chartBox, { label: "held-out loss against training compute, log-log" });
  let fitInfo = null;

  function checkedWidths() {
    return [...widthBox.querySelectorAll("input:checked")].map((i) => Number(i.value));
  }

  function showPlan(name) {
    const p = presets.presets[name];
    widthBox.querySelectorAll("input").forEach((i) => { i.checked = p.widths.includes(Number(i.value)); });
    drawTable(p.runs);
    f.setStatus(`${p.runs.length} runs, ${sci(p.total_flops)} FLOPs in all. Budgets: ${p.token_budgets.map((b) => count(b)).join(", ")} characters per model.`);
  }

  function drawTable(rows) {
    const head = h("tr", {}, ...["width", "parameters N", "characters D", "D / N", "6ND (FLOPs)", "held-out loss", "time"].map((t) => h("th", { text: t })));
    table.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows.map((r) => h("tr", { class: frontier.includes(r.index) ? "sl-front-row" : null, "data-run": r.index },
      h("td", { class: "num", text: String(r.width) }), h("td", { class: "num", text: count(r.n_params) }),
      h("td", { class: "num", text: count(r.tokens) }), h("td", { class: "num", text: fixed(r.tokens / r.n_params, 1) }),
      h("td", { class: "num", text: sci(r.flops) }), h("td", { class: "num sl-loss", text: fixed(r.heldout_loss, 3) }),
      h("td", { class: "num", text: r.seconds ? `${r.seconds.toFixed(1)} s` : "–" })))));
  }

  function showReadout() {
    const fin = runs.filter((r) => r.heldout_loss !== null && r.heldout_loss !== undefined);
    f.setReadout([
      { label: "runs finished", value: `${fin.length} of ${runs.length}` },
      { label: "fitted law", value: fitInfo ? lawText(fitInfo.law) : "– (needs 2+ frontier runs)" },
      { label: "fit error (RMS of log L)", value: fitInfo ? fixed(fitInfo.law.rmse_log, 4) : "–" },
      { label: "predicted loss at 10× the largest compute", value: fitInfo ? fixed(fitInfo.predicted_at_10x, 3) : "–" },
      { label: "characters per parameter of the fitted runs", value: fitInfo ? ratioRange(fitInfo.tokens_per_param.map((p) => p[1])) : "–" },
      ...(yours ? [{ label: "your model", value: `loss ${fixed(yours.heldout_loss, 3)} at ${sci(yours.flops)} FLOPs`
        + (fitInfo ? `; the law predicts ${fixed((fitInfo.law.e || 0) + fitInfo.law.a * yours.flops ** -fitInfo.law.b, 3)}` : "") }] : []),
    ]);
  }

  async function refit() {
    if (!job) return;
    const fin = runs.filter((r) => r.heldout_loss !== null && r.heldout_loss !== undefined);
    if (fin.length < 2) return;
    const d = await f.run(() => postJSON(`${API}/fit`, { job, points: fitTo.value, irreducible: floor.value === "yes" }));
    fitInfo = d;
    chart.setFit(d ? d.curve : []);
    showReadout();
    if (d) f.hood(d, null);
  }

  function onEvent(ev) {
    if (ev.type === "plan") {
      runs = ev.runs; frontier = [];
      chart.plan(runs, ev.config.widths);
      drawTable(runs);
    } else if (ev.type === "progress") {
      bar.set(ev.done_flops, ev.total_flops);
      const r = runs[ev.index];
      // Time left from the pace in FLOPs so far: a run's cost is its 6ND, which is what the bar measures.
      const left = eta.left(ev.done_flops, ev.total_flops);
      f.setStatus(`Training run ${ev.index + 1} of ${runs.length}: width ${r.width}, step ${count(ev.step)} of ${count(ev.steps)}`
        + (left === null ? "…" : `, about ${seconds(Math.max(1, Math.round(left)))} left in the sweep`));
    } else if (ev.type === "run") {
      runs[ev.run.index] = ev.run; frontier = ev.frontier;
      chart.finish(ev.run, ev.frontier);
      drawTable(runs);
      refit();
    } else if (ev.type === "done" || ev.type === "stopped") {
      frontier = ev.frontier;
      drawTable(runs);
      f.hood(ev, null);
    }
    showReadout();
  }

  async function start() {
    await jobs.follow(`${API}/sweep`, { preset: preset.value, widths: checkedWidths() }, {
      progress: "Preparing the sweep…",
      keepStatus: true,
      onStarted: (d) => {
        eta.reset();
        job = d.job; fitInfo = null; runs = d.runs; frontier = [];
        chart.plan(runs, d.widths); chart.setFit([]);
        bar.reset();
      },
      onEvent,
      onDone: (end) => {
        const fin = runs.filter((r) => r.heldout_loss !== null && r.heldout_loss !== undefined).length;
        f.setStatus(end.status === "stopped" ? `Stopped after ${fin} runs: the points and the fit are what finished.`
          : end.status === "done" ? `Done: ${fin} runs.` : "");
        if (end.status === "done") bar.set(1, 1);
        refit();
      },
    });
  }

  (async () => {
    presets = await f.run(() => getJSON(`${API}/presets`));
    if (!presets) return;
    widthBox.append(...presets.allowed_widths.map((w) => h("label", { class: "sl-width" },
      h("input", { type: "checkbox", value: w, name: "width" }), ` ${w}`)));
    showPlan("quick");
    showReadout();
  })();
  picker.refresh().catch(() => {});
}

function optimal(el) {
  const f = demoFrame(el, { title: "Compute-optimal: how to split a budget between N and D", stacked: true,
    sources: ["glasslm.engine.pretraining.scaling:compute_optimal", "glasslm.engine.pretraining.training_compute:training_flops"] });
  const flops = numberInput({ label: "Compute budget C (FLOPs)", field: "flops", value: 3.15e23, min: 1, step: "any", onchange: () => go() });
  const ratio = numberInput({ label: "Tokens per parameter (Chinchilla: about 20)", field: "tokens_per_param", value: 20, min: 0.1, step: "any", onchange: () => go() });
  f.add(flops.el, ratio.el, h("p", { class: "sl-hint", text: "The default budget is GPT-3's: 6 × 175 billion parameters × 300 billion tokens." }),
    buttonRow(button("Compute", () => go(), { primary: true })));
  const barsBox = h("div", { class: "sl-bars" });
  const table = h("table", { class: "sl-table" });
  f.picture.append(h("h4", { text: "Tokens per parameter of the published models" }), barsBox, h("div", { class: "scroll-x sl-table-wrap" }, table));
  const bars = barChart(barsBox, { format: (v) => fixed(v, 1), label: "tokens per parameter" });
  async function go() {
    const d = await f.run(() => postJSON(`${API}/optimal`, { flops: flops.value, tokens_per_param: ratio.value }), { key: "go" });
    if (!d) return;
    bars.update(d.models.map((m) => ({ label: m.name, value: m.tokens_per_param, highlight: m.tokens_per_param >= d.tokens_per_param,
      note: m.tokens_per_param < d.tokens_per_param ? `(below ${fixed(d.tokens_per_param, 0)})` : "" })));
    const head = h("tr", {}, ...["model", "N", "D", "6ND", `N for ${fixed(d.tokens_per_param, 0)} tokens/param`, `D for ${fixed(d.tokens_per_param, 0)} tokens/param`, "N / optimal N"].map((t) => h("th", { text: t })));
    table.replaceChildren(h("thead", {}, head), h("tbody", {}, ...d.models.map((m) => h("tr", {},
      h("td", { text: m.name, title: m.source }), h("td", { class: "num", text: compact(m.params) }), h("td", { class: "num", text: compact(m.tokens) }),
      h("td", { class: "num", text: sci(m.flops) }), h("td", { class: "num", text: compact(m.optimal_params) }),
      h("td", { class: "num", text: compact(m.optimal_tokens) }), h("td", { class: "num", text: `${fixed(m.params_vs_optimal, 2)}×` })))));
    f.setReadout([
      { label: "compute-optimal parameters N", value: compact(d.params) },
      { label: "compute-optimal tokens D", value: compact(d.tokens) },
      { label: "check: 6ND", value: `${sci(d.check_flops)} FLOPs` },
      ...d.models.filter((m) => m.name === "GPT-3").map((m) => ({ label: "GPT-3 by this rule",
        value: `${fixed(m.tokens_per_param, 1)} tokens/param; its compute would train ${compact(m.optimal_params)} params on ${compact(m.optimal_tokens)} tokens` })),
    ]);
    f.hood(d);
  }
  go();
}

// One real data-parallel step: N torch processes each take a share of one batch of names,
// compute their gradient, and all-reduce it; a separate process takes the whole batch.
function dataParallel(el) {
  const f = demoFrame(el, { title: "Data parallelism, run for real: N processes, one batch", stacked: true,
    sources: ["glasslm.torch_gpt.ddp_step:_worker", "glasslm.torch_gpt.train:train_torch"] });
  const procs = segmented({ label: "Processes", field: "processes", value: "2",
    options: [["2", "2"], ["3", "3"], ["4", "4"]] });
  const batch = numberInput({ label: "Names in the batch", field: "batch", value: 8, min: 2, max: 32, step: 1 });
  const letter = h("input", { type: "text", value: "a", maxlength: 1, size: 2, "aria-label": "letter" });
  const letterBox = h("label", { class: "control", "data-field": "letter" },
    h("span", { class: "label", text: "Show the gradient of letter" }), letter);
  const jb = jobButtons(f, "Run one step", () => go());
  const installBox = h("p", { class: "sl-hint", hidden: true });
  f.add(procs.el, batch.el, letterBox, jb.row, installBox);
  const table = h("table", { class: "sl-table dp-table" });
  const heatBox = h("div", { class: "dp-heat" });
  f.picture.append(h("div", { class: "scroll-x" }, table), heatBox);
  const heat = heatmap(heatBox, { scale: "diverging", format: (v) => signed(v, 4), cell: 30,
    label: "gradient values per process" });

  function show(r) {
    const rows = r.processes.map((p) => h("tr", {},
      h("td", { text: `process ${p.rank}` }), h("td", { text: p.names.join(", ") }),
      h("td", { class: "num", text: String(p.predicted) }), h("td", { class: "num", text: fixed(p.loss_share, 4) })));
    rows.push(h("tr", { class: "dp-sum" }, h("td", { text: "sum of the shares" }), h("td", { text: "" }),
      h("td", { class: "num", text: String(r.processes.reduce((a, p) => a + p.predicted, 0)) }),
      h("td", { class: "num", text: fixed(r.loss_sum_of_shares, 4) })));
    rows.push(h("tr", {}, h("td", { text: "one process, whole batch" }), h("td", { text: r.single.names.join(", ") }),
      h("td", { class: "num", text: String(r.single.predicted) }), h("td", { class: "num", text: fixed(r.loss_single, 4) })));
    table.replaceChildren(h("thead", {}, h("tr", {}, ...["", "its names", "characters predicted", "its share of the loss"]
      .map((t) => h("th", { text: t })))), h("tbody", {}, ...rows));
    heat.update([...r.processes.map((p) => p.local), r.processes[0].reduced, r.single.local],
      [...r.processes.map((p) => `process ${p.rank}`), "all-reduced", "whole batch"],
      r.processes[0].local.map((_, i) => `${r.letter}[${i}]`));
    f.setReadout([
      { label: "largest difference, all-reduced vs whole batch", value: sciFormat(r.max_abs_diff, 2) },
      { label: "loss: sum of shares vs one process", value: `${fixed(r.loss_sum_of_shares, 5)} vs ${fixed(r.loss_single, 5)}` },
      { label: "wall time (starting the processes included)", value: `${fixed(r.elapsed_s, 1)} s` },
    ]);
    f.hood(r);
  }

  async function go() {
    await jb.follow(`${API}/data-parallel`, { processes: Number(procs.value), batch: batch.value, letter: letter.value },
      { progress: "Starting the processes…",
        onEvent: (e) => { if (e.type === "progress") f.setStatus(`${e.message}…`); if (e.type === "result") show(e); } });
  }

  (async () => {
    const s = await f.run(() => getJSON(`${API}/data-parallel`));
    if (s && !s.torch) {
      jb.go.disabled = true;
      installBox.hidden = false;
      installBox.replaceChildren("PyTorch is not installed, so this demo cannot run here. Add it with ",
        h("code", { text: s.install }), " and restart glasslm.");
    }
  })();
}

// Decimal units, as the ZeRO paper and GPU makers count: 120 GB = 120 × 10⁹ bytes.
function gigabytes(n) {
  const [v, unit] = n >= 1e12 ? [n / 1e12, "TB"] : n >= 1e9 ? [n / 1e9, "GB"] : n >= 1e6 ? [n / 1e6, "MB"] : [n / 1e3, "kB"];
  return `${v >= 100 ? v.toFixed(0) : v.toPrecision(3)} ${unit}`;
}

// Memory per GPU of each way of splitting training, from the ZeRO paper's accounting.
function parallelMemory(el) {
  const f = demoFrame(el, { title: "Memory per GPU: data, tensor and pipeline parallelism, and ZeRO", stacked: true,
    sources: ["glasslm.engine.training.parallelism:memory_per_gpu"] });
  const params = numberInput({ label: "Parameters of the model", field: "params", value: 7.5e9, min: 1, step: "any", onchange: () => go() });
  const gpus = numberInput({ label: "GPUs", field: "gpus", value: 64, min: 1, max: 100000, step: 1, onchange: () => go() });
  f.add(params.el, gpus.el, h("p", { class: "sl-hint", text: "The default is the ZeRO paper's example: 7.5 billion parameters on 64 GPUs." }),
    buttonRow(button("Compute", () => go(), { primary: true })));
  const barsBox = h("div", { class: "sl-bars" });
  // What each strategy splits, as whole sentences under the bars: beside them a phone had room for three words.
  const notes = h("dl", { class: "sl-notes" });
  f.picture.append(barsBox, notes);
  const bars = barChart(barsBox, { format: gigabytes, label: "memory per GPU for weights, gradients and Adam state" });
  async function go() {
    const d = await f.run(() => postJSON(`${API}/parallel-memory`, { params: params.value, gpus: gpus.value }), { key: "go" });
    if (!d) return;
    const dp = d.strategies[0].bytes_per_gpu;
    bars.update(d.strategies.map((s) => ({ label: s.name, value: s.bytes_per_gpu, highlight: s.bytes_per_gpu < 80e9 })));
    notes.replaceChildren(...d.strategies.flatMap((s) => [h("dt", { text: s.name }), h("dd", { text: s.note })]));
    f.setReadout([
      { label: "data parallel: every GPU holds", value: gigabytes(dp) },
      { label: "ZeRO-3: each GPU holds", value: gigabytes(d.strategies[3].bytes_per_gpu) },
      { label: "an 80 GB GPU fits (highlighted)", value: d.strategies.filter((s) => s.bytes_per_gpu < 80e9).map((s) => s.name).join(", ") || "none of them" },
    ]);
    f.hood(d);
  }
  go();
}

export const demos = { sweep, optimal, "data-parallel": dataParallel, "parallel-memory": parallelMemory };
