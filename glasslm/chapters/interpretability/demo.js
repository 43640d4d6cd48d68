// The interpretability chapter: the demos only draw what /api/interpretability/* returns.
// Neurons and the sparse autoencoder read the same forty sentences (texts.json);
// the server computes a layer's activations once and both demos share them.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h, latest } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { slider, numberInput, textInput, select, segmented, button, buttonRow, progressBar } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { pct, fixed, count, ms, seconds } from "/static/js/components/format.js";
import { modelPicker } from "/static/js/components/modelpicker.js";

const API = "/api/interpretability";
const FLOOR = 1e-8;  // the lens chart's log axis starts here: one in a hundred million

// One top-activating token in its context, the token highlighted by its strength. Each token is
// one unbreakable box, so a narrow card wraps between tokens and never inside one ("al/bum").
const tok = (text) => h("span", { class: "ip-tok", text: text.replace(/\n/g, "↵") });
function exampleRow(e, top) {
  const share = top > 0 ? Math.max(0.15, e.value / top) : 0;
  return h("li", { class: "ip-ex" },
    h("span", { class: `ip-topic ip-t-${e.topic}`, text: e.topic }),
    h("span", { class: "mono ip-ctx" }, ...e.before_tokens.map(tok),
      h("mark", { class: "ip-tok ip-hit", style: `--ip-share:${(share * 100).toFixed(0)}%`, title: `activation ${fixed(e.value, 3)}`,
        text: e.token.replace(/\n/g, "↵") }),
      ...e.after_tokens.map(tok)),
    h("span", { class: "num ip-val", text: fixed(e.value, 2) }));
}

function exampleList(exs) {
  const top = Math.max(...exs.map((e) => e.value), 1e-9);
  return h("ol", { class: "ip-exs" }, ...exs.map((e) => exampleRow(e, top)));
}

function lens(el) {
  const f = demoFrame(el, { title: "When does the answer appear? The lens at the last position",
    sources: ["glasslm.engine.interpretability.logit_lens:lens_logits", "glasslm.engine.models.llama.hooked_llama:residuals"] });
  const clean = textInput({ label: "Prompt A", field: "clean", value: "The capital of France is", maxlength: 200, onenter: () => run() });
  const corrupted = textInput({ label: "Prompt B", field: "corrupted", value: "The capital of Italy is", maxlength: 200, onenter: () => run() });
  f.add(clean.el, corrupted.el, buttonRow(button("Read the lens", () => run(), { primary: true })));
  const box = h("div");
  let chart = null;
  f.picture.append(box);
  async function run() {
    const d = await f.run(() => postJSON(`${API}/lens`, { clean: clean.value, corrupted: corrupted.value }), { progress: "Running both prompts…" });
    if (!d) return;
    box.replaceChildren();
    const A = `p(“${visible(d.good)}”)`, B = `p(“${visible(d.bad)}”)`;
    chart = lineChart(box, { xLabel: "layer (0 = the embedding)", yLabel: "probability, last position (log scale)",
      yScale: "log", yDomain: [FLOOR, 1], series: [{ name: `A: ${A}`, color: "var(--s1)" }, { name: `A: ${B}`, color: "var(--s1)", dashed: true },
        { name: `B: ${B}`, color: "var(--s2)" }, { name: `B: ${A}`, color: "var(--s2)", dashed: true }] });
    const line = (ps) => d.layers.map((l, i) => [l, Math.max(FLOOR, ps[i])]);  // below FLOOR drawn on the floor
    chart.set(`A: ${A}`, line(d.clean_good));
    chart.set(`A: ${B}`, line(d.clean_bad));
    chart.set(`B: ${B}`, line(d.corrupted_bad));
    chart.set(`B: ${A}`, line(d.corrupted_good));
    const last = d.layers.length - 1;
    f.setReadout([
      { label: "A's answer", value: `${visible(d.good)} (${pct(d.clean_good[last])}), top from layer ${d.first_top_layer.clean}` },
      { label: "B's answer", value: `${visible(d.bad)} (${pct(d.corrupted_bad[last])}), top from layer ${d.first_top_layer.corrupted}` },
    ]);
    f.hood(d);
  }
  run();
}

function neurons(el) {
  const f = demoFrame(el, { title: "What makes one MLP neuron fire?",
    sources: ["glasslm.engine.models.llama.hooked_llama:batch_layers", "glasslm.engine.interpretability.sae:top_examples",
      "glasslm.engine.interpretability.sae:topic_spans"] });
  const layer = slider({ label: "Block", field: "layer", min: 1, max: 30, step: 1, value: 12, format: (v) => String(v), onchange: () => run() });
  const neuron = numberInput({ label: "Neuron (0-1535)", field: "neuron", value: 495, min: 0, max: 1535, step: 1, onchange: () => run() });
  const k = select({ label: "Top examples", field: "k", value: "8", options: ["5", "8", "12"], onchange: () => run() });
  const mixed = h("div", { class: "ip-suggest" });
  const pure = h("div", { class: "ip-suggest" });
  f.add(layer.el, neuron.el, k.el, mixed, pure);
  const list = h("div");
  const spread = h("p", { class: "ip-note" });
  f.picture.append(list, spread);

  function suggestions(box, title, items) {
    box.replaceChildren(h("span", { class: "control-label", text: title }),
      h("div", { class: "button-row" }, ...items.map((s) => button(`${s.neuron} (${s.topics})`, () => { neuron.value = s.neuron; run(); },
        { label: `neuron ${s.neuron}, ${s.topics} topics` }))));
  }
  const signal = latest(); // a newer choice aborts the request still in flight, so its answer cannot land last
  async function run() {
    const body = { layer: layer.value, neuron: neuron.value, k: Number(k.value) };
    const d = await f.run(() => postJSON(`${API}/neurons`, body, { signal: signal() }), { key: "run", progress: "SmolLM2 is reading the forty sentences through all 30 blocks (once; then every block is at hand)…" });
    if (!d) return;
    list.replaceChildren(d.examples.length ? exampleList(d.examples) : h("p", { text: "This neuron is never positive on these sentences." }));
    suggestions(mixed, "Most mixed neurons here (topics)", d.mixed);
    suggestions(pure, "Least mixed (topics)", d.pure);
    const c = d.span_counts;
    spread.textContent = `Across all ${count(d.n_neurons)} neurons of block ${d.layer}, the top ${d.k} examples span: ` +
      c.map((n, t) => (n && t ? `${t} topic${t > 1 ? "s" : ""}: ${count(n)}` : null)).filter(Boolean).join(" · ") + ".";
    f.setReadout([
      { label: "topics in the top examples", value: `${d.topics} of 10` },
      { label: "tokens where it is positive", value: `${count(d.active)} of ${count(d.tokens)}` },
      { label: "strongest activation", value: d.examples.length ? fixed(d.examples[0].value, 3) : "none" },
    ]);
    f.hood(d);
  }
  run();
}

let saeJob = null;

function sae(el) {
  const f = demoFrame(el, { title: "Train a sparse autoencoder on the residual stream", stacked: true,
    sources: ["glasslm.engine.interpretability.sae:SparseAutoencoder.loss_and_grads", "glasslm.engine.interpretability.sae:train_sae"] });
  const layer = slider({ label: "Residual stream after block", field: "layer", min: 1, max: 30, step: 1, value: 12, format: (v) => String(v) });
  const width = select({ label: "Features", field: "n_features", value: "128", options: ["64", "128", "256", "512"] });
  const l1 = slider({ label: "Sparsity λ (L1 weight)", field: "l1", min: 0, max: 3, step: 0.05, value: 1, format: (v) => fixed(v, 2) });
  const steps = select({ label: "Steps", field: "steps", value: "200", options: [["100", "100"], ["200", "200"], ["400", "400"], ["600", "600"]] });
  const sort = segmented({ label: "Show features by", field: "sort", value: "max", options: [["max", "strongest"], ["frequency", "most frequent"]], onchange: () => features() });
  const jobs = jobButtons(f, "Train", () => start());
  const bar = progressBar("training steps done", { hidden: true });
  f.add(layer.el, width.el, l1.el, steps.el, jobs.row, bar.el, sort.el);
  const box = h("div");
  const chart = lineChart(box, { xLabel: "step", yLabel: "per token", series: [{ name: "reconstruction error" }, { name: "λ × L1" }, { name: "active features (L0)", dashed: true }] });
  const grid = h("div", { class: "ip-features" });
  const check = button("Check the gradients", () => gradcheck());
  check.disabled = true;
  const checks = h("div", { class: "ip-gradcheck" });
  f.picture.append(box, grid, buttonRow(check), checks);
  f.setStatus("Press Train: SmolLM2 reads the sentences, then the autoencoder trains (10-30 s).");
  let last = null;

  async function start() {
    const body = { layer: layer.value, n_features: Number(width.value), l1: l1.value, steps: Number(steps.value) };
    let job = null;
    await jobs.follow(`${API}/sae/train`, body, {
      keepStatus: true,
      onStarted: (d) => {
        job = d.job;
        saeJob = null;
        check.disabled = true;
        checks.replaceChildren();
        chart.clear();
        grid.replaceChildren();
        bar.set(0, body.steps); bar.show(true);
        f.setStatus(`SmolLM2 is reading the sentences up to block ${body.layer}…`);
      },
      onEvent: (ev) => {
        if (ev.type === "data") f.setStatus(`${count(ev.tokens)} vectors of ${ev.width} numbers read in ${ms(ev.seconds)}; training…`);
        if (ev.type === "step") {
          last = ev;
          bar.set(ev.step, body.steps);
          chart.append("reconstruction error", [ev.step, ev.mse]);
          chart.append("λ × L1", [ev.step, body.l1 * ev.l1]);
          chart.append("active features (L0)", [ev.step, ev.l0]);
          f.setReadout([
            { label: "step", value: `${ev.step} of ${body.steps}` },
            { label: "variance explained", value: pct(ev.explained) },
            { label: "active features per token (L0)", value: fixed(ev.l0, 1) },
            { label: "dead features", value: `${ev.dead} of ${body.n_features}` },
          ]);
        }
        if (ev.type === "trained") { saeJob = job; f.setStatus(`Trained in ${ms(ev.seconds)}.`); }
      },
      onDone: (end) => {
        bar.show(false);
        if (end.status === "stopped") f.setStatus("Stopped before the end: train again to see its features.");
        if (end.status === "done") { check.disabled = false; features(); }
      },
    });
  }
  async function gradcheck() {
    if (!saeJob) return;
    const d = await f.run(() => postJSON(`${API}/sae/gradcheck`, { job: saeJob, checks: 12, seed: Math.floor(Math.random() * 1e6) }),
      { progress: "Nudging weights…" });
    if (!d) return;
    checks.replaceChildren(
      h("p", { class: "ip-note", text: `Each row nudges one weight of the trained autoencoder by ±${d.eps} and re-measures the loss on ${d.vectors.length} of the vectors: (L(w+ε) − L(w−ε)) / 2ε, beside the gradient the backward pass computed. Largest relative difference: ${d.max_rel_error.toExponential(1)}.` }),
      h("table", { class: "terms num ip-gc" },
        h("tr", {}, ...["weight", "backward pass", "finite difference", "relative difference"].map((t) => h("th", { text: t }))),
        ...d.checks.map((c) => h("tr", {}, h("td", { class: "mono", text: `${c.param}[${c.index.join(", ")}]` }),
          h("td", { text: c.analytic.toExponential(4) }), h("td", { text: c.numeric.toExponential(4) }),
          h("td", { text: c.rel_error.toExponential(1) })))));
    f.hood(d, ["glasslm.engine.interpretability.sae:gradient_check", "glasslm.engine.interpretability.sae:SparseAutoencoder.loss_and_grads"]);
  }
  async function features() {
    if (!saeJob) return;
    const d = await f.run(() => postJSON(`${API}/sae/features`, { job: saeJob, sort: sort.value, show: 12, k: 6 }), { key: "features" });
    if (!d) return;
    grid.replaceChildren(...d.features.map((ft) => h("div", { class: "ip-feature", "data-feature": ft.feature },
      h("h4", { text: `Feature ${ft.feature}` }),
      h("p", { class: "ip-note", text: `${ft.topics} topic${ft.topics > 1 ? "s" : ""} · fires on ${pct(ft.frequency)} of tokens · max ${fixed(ft.max, 2)}` }),
      exampleList(ft.examples))));
    f.setReadout([
      { label: "features that ever fire", value: `${d.alive} of ${d.n_features}` },
      { label: "active features per token (L0)", value: fixed(d.l0, 1) },
      { label: "variance explained", value: last ? pct(last.explained) : "–" },
      { label: "topics in a feature's top 6 (mean)", value: fixed(d.mean_topics, 1) },
    ]);
    f.hood(d);
  }
}

function patching(el) {
  const f = demoFrame(el, { title: "Patch the clean run into the corrupted one",
    sources: ["glasslm.engine.interpretability.patching:patch_sweep", "glasslm.engine.interpretability.patching:patch", "glasslm.engine.models.llama.hooked_llama:block"] });
  const clean = textInput({ label: "Clean prompt", field: "clean", value: "The capital of France is", maxlength: 200 });
  const corrupted = textInput({ label: "Corrupted prompt (same number of tokens)", field: "corrupted", value: "The capital of Italy is", maxlength: 200 });
  const stride = select({ label: "Layers", field: "stride", value: "3", options: [["1", "every layer (slow)"], ["2", "every 2nd"], ["3", "every 3rd"], ["5", "every 5th (fast)"]] });
  const jobs = jobButtons(f, "Run the sweep", () => start());
  const bar = progressBar("layers patched", { hidden: true });
  f.add(clean.el, corrupted.el, stride.el, jobs.row, bar.el);
  const box = h("div", { class: "ip-heat" });
  const map = heatmap(box, { scale: "diverging", format: (v) => fixed(Math.abs(v) < 0.005 ? 0 : v, 2), cell: 40, label: "Share of the logit difference recovered, per layer and position" });
  const note = h("p", { class: "ip-note" });
  f.picture.append(box, note);
  f.setStatus("Press Run: each row is one batch of patched runs (a few seconds each here).");

  async function start() {
    const rows = [], labels = [];
    let cols = [], info = null;
    await jobs.follow(`${API}/patch`, { clean: clean.value, corrupted: corrupted.value, stride: Number(stride.value) }, {
      onStarted: (d) => {
        bar.set(0, d.layers.length); bar.show(true);
        f.setStatus("Running both prompts…");
      },
      onEvent: (ev) => {
        if (ev.type === "start") {
          info = ev;
          cols = ev.clean.map((t, i) => (t === ev.corrupted[i] ? visible(t) : `${visible(t)} / ${visible(ev.corrupted[i])}`));
          note.textContent = `Clean answer “${ev.good}”, corrupted answer “${ev.bad}”. Logit difference: clean ${fixed(ev.clean_ld, 2)}, corrupted ${fixed(ev.corrupted_ld, 2)}.`;
          f.setReadout([
            { label: "clean LD", value: fixed(ev.clean_ld, 2) },
            { label: "corrupted LD", value: fixed(ev.corrupted_ld, 2) },
          ]);
        } else if (ev.type === "row") {
          rows.push(ev.recovered);
          labels.push(ev.layer === 0 ? "embedding" : `after block ${ev.layer}`);
          map.update(rows, labels, cols);
          bar.set(ev.index, ev.of);
          f.setStatus(`Layer ${ev.index} of ${ev.of} patched…`);
          f.setReadout([
            { label: "clean LD", value: fixed(info.clean_ld, 2) },
            { label: "corrupted LD", value: fixed(info.corrupted_ld, 2) },
            { label: "rows done", value: `${ev.index} of ${ev.of}` },
            { label: "deepest row where the changed word still matters", value: deepest(rows, labels) },
          ]);
        } else if (ev.type === "done") {
          f.hood({ ...info, rows: rows.map((r, i) => ({ layer: labels[i], recovered: r })), seconds: ev.seconds });
        }
      },
      onDone: (end) => {
        bar.show(false);
        if (end.status === "error") f.setError(end.error, "corrupted");
      },
    });
  }
  // The last row in which patching some position other than the last recovers at least half.
  function deepest(rows, labels) {
    let at = "none";
    rows.forEach((r, i) => { if (r.slice(0, -1).some((v) => v >= 0.5)) at = labels[i]; });
    return at;
  }
}

// Causal tracing: three heat maps (tokens x blocks), one row per position as the job streams it.
const KIND_TITLES = {
  residual: "Residual stream: one state restored",
  mlp: "MLP outputs: a window of blocks restored",
  attention: "Attention outputs: a window of blocks restored",
};

async function tracing(el) {
  const f = demoFrame(el, { title: "Where is a fact? Causal tracing on SmolLM2", stacked: true,
    sources: ["glasslm.engine.interpretability.causal_tracing:prepare", "glasslm.engine.interpretability.causal_tracing:restore_column",
      "glasslm.engine.interpretability.causal_tracing:noise", "glasslm.engine.models.llama.hooked_llama:attention"] });
  const info = await f.run(() => getJSON(`${API}/trace/facts`));
  if (!info) return;
  const facts = info.facts;
  const preset = select({ label: "A fact SmolLM2 gets right", field: "preset", value: "0",
    options: facts.map((x, i) => [String(i), `${x.prompt} →${x.answer}`]), onchange: () => pick() });
  const prompt = textInput({ label: `Prompt (at most ${info.max_tokens} tokens)`, field: "prompt", value: facts[0].prompt, maxlength: 200 });
  const subject = textInput({ label: "Subject (words of the prompt to blur with noise)", field: "subject", value: facts[0].subject,
    maxlength: info.max_subject_chars });
  const noise = select({ label: "Noise samples averaged", field: "noise_samples", value: "3",
    options: [["1", "1 (fastest)"], ["3", "3"], ["5", "5"], ["10", "10 (as in the paper, slow)"]] });
  const jobs = jobButtons(f, "Trace", () => start());
  const bar = progressBar("positions traced", { hidden: true });
  f.add(preset.el, prompt.el, subject.el, noise.el, jobs.row, bar.el);
  function pick() {
    const x = facts[Number(preset.value)];
    prompt.value = x.prompt;
    subject.value = x.subject;
  }
  const grid = h("div", { class: "ip-traces" });
  const maps = {};
  for (const kind of Object.keys(KIND_TITLES)) {
    const box = h("div", { class: "ip-trace", "data-kind": kind }, h("h4", { text: KIND_TITLES[kind] }));
    maps[kind] = heatmap(box, { scale: "sequential", cell: 17, showValues: false, format: (v) => pct(v),
      label: `${KIND_TITLES[kind]}: share of the answer's lost probability recovered, per token and block` });
    grid.append(box);
  }
  const note = h("p", { class: "ip-note" });
  f.picture.append(note, grid);
  f.setStatus("Pick a fact or type your own, then press Trace. Each row of the maps is one token position.");

  async function start() {
    const body = { prompt: prompt.value, subject: subject.value, noise_samples: Number(noise.value) };
    let head = null, rows = {}, labels = [], cols = [];
    const draw = () => { for (const k in maps) maps[k].update(rows[k], labels, cols); };
    await jobs.follow(`${API}/trace`, body, {
      keepStatus: true,
      progress: "Running the clean prompt and the noisy ones…",
      onStarted: (d) => {
        bar.set(0, 1); bar.show(true);
        cols = Array.from({ length: d.layers }, (_, l) => String(l));
        f.setStatus("Tracing…");
      },
      onEvent: (ev) => {
        if (ev.type === "start") {
          head = ev;
          const [a, b] = ev.subject;
          labels = ev.tokens.map((t, i) => (i >= a && i < b ? `${visible(t)}*` : visible(t)));
          for (const k of ev.kinds) rows[k] = ev.tokens.map(() => cols.map(() => NaN));  // not traced yet: blank
          draw();
          note.textContent = `Clean, SmolLM2 gives “${visible(ev.answer)}” ${pct(ev.p_clean)}. With noise (${fixed(ev.noise_scale, 0)}× the ` +
            `embeddings' spread) on the subject (*), ${pct(ev.p_corrupted)}, averaged over ${ev.noise_samples} noise ` +
            `sample${ev.noise_samples > 1 ? "s" : ""}. A cell is the share of that loss won back by restoring one state ` +
            `(MLP and attention: ${ev.window} blocks centred on the column): pale is none, the full colour all of it. ` +
            "Hover a cell for its value.";
          f.setReadout([
            { label: "answer", value: visible(ev.answer) },
            { label: "p(answer) clean", value: pct(ev.p_clean) },
            { label: "with noise on the subject", value: pct(ev.p_corrupted) },
          ]);
        } else if (ev.type === "column") {
          for (const k of head.kinds) rows[k][ev.position] = ev[k];
          draw();
          bar.set(ev.done, ev.total);
          const eta = ev.eta_seconds == null ? "" : `, about ${seconds(ev.eta_seconds)} left`;
          f.setStatus(ev.computed ? `Token ${ev.position + 1} of ${labels.length} traced${eta}.`
            : `Token ${ev.position + 1} comes before the subject: the noise cannot reach it, so restoring it changes nothing.`);
        } else if (ev.type === "done") {
          const at = (p) => `block ${p.layer}, “${labels[p.position]}”: ${pct(p.recovered)}`;
          f.setReadout([
            { label: "answer", value: `${visible(head.answer)}: ${pct(head.p_clean)} clean, ${pct(head.p_corrupted)} with noise` },
            ...head.kinds.map((k) => ({ label: `${k} peak`, value: at(ev.peaks[k].all) })),
            { label: "residual peak on the subject", value: at(ev.peaks.residual.subject) },
          ]);
          f.setStatus(`Traced in ${seconds(ev.seconds)}.`);
          f.hood({ ...head, peaks: ev.peaks, seconds: ev.seconds, recovered: rows });
        }
      },
      onDone: () => bar.show(false),
    });
  }
}


// ---------------------------------------------------------------- a tiny GPT, the learner's own

const RETRY_MS = 3000, RETRIES = 40;  // the default tiny GPT trains once per server, in seconds

function tinyLens(el) {
  const f = demoFrame(el, { title: "Inside a tiny GPT: where each head looks, what each layer predicts", stacked: true,
    sources: ["glasslm.engine.interpretability.tiny_lens:tiny_lens", "glasslm.engine.interpretability.tiny_lens:residuals"] });
  const picker = modelPicker({ onchange: () => run() });
  const text = textInput({ label: "Characters after BOS", field: "text", value: "mar", maxlength: 64,
    oninput: debounceRun });
  const layer = select({ label: "Layer", field: "layer", value: "0", options: [["0", "1"]], onchange: () => draw() });
  const head = select({ label: "Head", field: "head", value: "0", options: [["0", "1"]], onchange: () => draw() });
  f.add(picker.el, text.el, layer.el, head.el);
  const mapBox = h("div", { class: "tl-map" });
  const table = h("table", { class: "terms tl-lens", "aria-label": "the logit lens: the likeliest next character after each layer" });
  f.picture.append(h("h4", { text: "Attention of the chosen head (rows look at columns)" }), mapBox,
    h("h4", { text: "The logit lens: the likeliest next character, read after each layer" }), h("div", { class: "scroll-x" }, table));
  const map = heatmap(mapBox, { cell: 26, format: (v) => pct(v, 0), label: "attention weights of the chosen head" });
  let data = null, timer = null;
  function debounceRun() { clearTimeout(timer); timer = setTimeout(run, 300); }
  const options = (n, name) => Array.from({ length: n }, (_, i) => h("option", { value: String(i), text: `${name} ${i + 1}` }));
  let waits = 0;
  async function run() {
    let status = 0;
    const d = await f.run(() => postJSON(`${API}/tiny-lens`, { text: text.value, model: picker.value, k: 3 })
      .catch((e) => { status = e.status; throw e; }), { key: "tiny-lens" });
    // 409: the server's default tiny GPT is still training (its sentence is shown); look again shortly.
    if (!d && status === 409 && waits++ < RETRIES) setTimeout(run, RETRY_MS);
    if (!d) return;
    if (!data || data.layers !== d.layers) { layer.input.replaceChildren(...options(d.layers, "layer")); layer.value = "0"; }
    if (!data || data.heads !== d.heads) { head.input.replaceChildren(...options(d.heads, "head")); head.value = "0"; }
    data = d;
    draw();
  }
  function draw() {
    if (!data) return;
    const labels = data.tokens.map((t) => (t === "<BOS>" ? "BOS" : visible(t)));
    map.update(data.attention[Number(layer.value)][Number(head.value)], labels, labels);
    const rowName = (l) => (l === 0 ? "embedding" : `after layer ${l}`);
    table.replaceChildren(h("tr", {}, h("th", { text: "read so far →" }), ...labels.map((t) => h("th", { class: "mono", text: t }))),
      ...data.lens.map((row, l) => h("tr", { "data-layer": String(l) }, h("th", { text: rowName(l) }),
        ...row.map((top) => h("td", { class: "mono", title: top.map((c) => `${visible(c.text)} ${pct(c.prob)}`).join(", "),
          text: `${top[0].text === "<BOS>" ? "end" : visible(top[0].text)} ${pct(top[0].prob, 0)}` })))));
    const last = data.lens[data.lens.length - 1];
    const next = last[last.length - 1][0];
    f.setReadout([
      { label: "model", value: `${data.model} (${count(data.n_params)} parameters)` },
      { label: "next character", value: `${next.text === "<BOS>" ? "end (BOS)" : visible(next.text)} ${pct(next.prob)}` },
    ]);
    f.hood(data);
  }
  run();
  picker.refresh().catch(() => {});
}

export const demos = { lens, neurons, sae, patching, tracing, "tiny-lens": tinyLens };
