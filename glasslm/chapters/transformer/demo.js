// The transformer chapter: the demos only draw what /api/transformer/* returns.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { textInput, numberInput, button, buttonRow, select } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { barChart } from "/static/js/components/barchart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { sequential, textOn, onThemeChange } from "/static/js/components/color.js";
import { pct, fixed, count, compact, bytes, sci } from "/static/js/components/format.js";

const API = "/api/transformer";
const shape = (s) => `(${s.map((n) => count(n)).join(", ")})`;

function anatomy(el) {
  const f = demoFrame(el, { title: "SmolLM2 from token ids to probabilities", stacked: true,
    sources: ["glasslm.engine.interpretability.anatomy:stages", "glasslm.engine.interpretability.anatomy:parameter_parts", "glasslm.engine.models.llama.hooked_llama:block"] });
  const T = numberInput({ label: "tokens T", field: "tokens", value: 8, min: 1, max: 8192, step: 1, onchange: () => load() });
  f.add(T.el);
  const flow = h("ol", { class: "tf-flow", "aria-label": "The stages of the forward pass" });
  const partsTitle = h("h4", { text: "Parameters per part, counted from the loaded tensors" });
  const barsBox = h("div");
  f.picture.append(flow, partsTitle, barsBox);
  const bars = barChart(barsBox, { format: (v) => count(v), label: "Parameters per part" });
  const stageItem = (s) => h("li", { class: "tf-stage" },
    h("span", { class: "tf-name mono", text: s.name }), h("span", { class: "tf-what", text: s.what }),
    h("span", { class: "tf-shape num", text: shape(s.shape) }),
    h("span", { class: "tf-params num", text: s.params ? `${count(s.params)} params` : "" }));
  async function load() {
    const d = await f.run(() => getJSON(`${API}/anatomy`, { tokens: Number.isFinite(T.value) ? T.value : "" }));
    if (!d) return;
    const before = d.stages.filter((s, i) => !s.repeat && i < d.stages.findIndex((x) => x.repeat));
    const block = d.stages.filter((s) => s.repeat);
    const after = d.stages.filter((s, i) => !s.repeat && i > d.stages.findIndex((x) => x.repeat));
    const perBlock = block.reduce((a, s) => a + s.params, 0);
    flow.replaceChildren(...before.map(stageItem),
      h("li", { class: "tf-block" }, h("div", { class: "tf-block-title", text: `× ${d.config.layers} blocks, each with its own ${count(perBlock)} parameters` }),
        h("ol", { class: "tf-flow" }, ...block.map(stageItem))),
      ...after.map(stageItem));
    bars.update(d.parts.map((p) => ({ label: p.part, value: p.params })));
    const mlp = d.parts.filter((p) => p.part.startsWith("MLP")).reduce((a, p) => a + p.params, 0);
    const emb = d.parts.find((p) => p.part === "embedding").params;
    f.setReadout([
      { label: "total parameters", value: count(d.total) },
      { label: "as counted in the weights chapter", value: count(d.total_counted_by_engine) },
      { label: "in the MLPs", value: pct(mlp / d.total, 1) },
      { label: "in the embedding table", value: pct(emb / d.total, 1) },
    ]);
    f.hood(d);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

function residual(el) {
  const f = demoFrame(el, { title: "The residual stream, layer by layer", stacked: true,
    sources: ["glasslm.engine.interpretability.logit_lens:residual_norms", "glasslm.engine.models.llama.smollm2:SmolLM2.trace"] });
  const text = textInput({ label: "Your text", field: "text", value: "The capital of France is Paris, and the capital of Italy is",
    maxlength: 400, oninput: debounce(() => load(), 500) });
  f.add(text.el);
  const box = h("div", { class: "tf-map" });
  const note = h("p", { class: "tf-note", text: "Colour: the norm of the stream, on a log scale (darker = longer vector). Hover a cell for its value." });
  f.picture.append(note, box);
  let lmax = 1;
  const pathNote = h("p", { class: "tf-note", "aria-live": "polite" });
  f.picture.append(pathNote);
  let data = null;
  const map = heatmap(box, { cell: 16, showValues: false, format: (v) => fixed(10 ** (v * lmax), 1), label: "Residual stream norm per layer (rows) and token (columns)",
    onCell: (c) => showPath(c.j) });
  function showPath(t) {
    const d = data, tok = visible(d.tokens[t].text), col = d.norms.map((r) => r[t]);
    const adds = d.added.map((r) => r[t]);
    const most = adds.indexOf(Math.max(...adds));
    pathNote.textContent = `“${tok}”: norm ${fixed(col[0], 1)} as an embedding, ${fixed(col[Math.floor(d.layers / 2)], 1)} after layer ${Math.floor(d.layers / 2) - 1}, ` +
      `${fixed(col[d.layers], 1)} after layer ${d.layers - 1}; the biggest addition (${fixed(adds[most], 1)}) comes from layer ${most}.`;
  }
  const nextSignal = latest();
  async function load() {
    const signal = nextSignal();
    const d = await f.run(() => postJSON(`${API}/residual`, { text: text.value }, { signal }), { key: "load", progress: "Running SmolLM2…" });
    if (!d) return;
    data = d;
    const all = d.norms.flat();
    lmax = Math.log10(Math.max(...all));
    const rows = d.norms.map((r) => r.map((v) => Math.log10(Math.max(v, 1)) / lmax)).reverse();
    const rowLabels = d.norms.map((_, l) => (l === 0 ? "embedding" : `after layer ${l - 1}`)).reverse();
    map.update(rows, rowLabels, d.tokens.map((t) => visible(t.text)));
    const last = d.norms[d.layers];
    const sorted = [...last.slice(1)].sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : last[0];
    let big = [0, 0, 0];
    d.norms.forEach((r, l) => r.forEach((v, t) => { if (v > big[0]) big = [v, l, t]; }));
    const addedMean = d.added.map((r) => r.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, r.length - 1));
    const most = addedMean.indexOf(Math.max(...addedMean));
    showPath(d.tokens.length - 1);
    f.setReadout([
      { label: "width", value: `${d.width} numbers per token` },
      { label: "largest", value: `${fixed(big[0], 0)} (“${visible(d.tokens[big[2]].text)}”, ${big[1] === 0 ? "embedding" : `after layer ${big[1] - 1}`})` },
      { label: "typical at the end (median, tokens 2+)", value: fixed(median, 0) },
      { label: "block that adds most (tokens 2+)", value: `layer ${most}` },
    ]);
    f.hood(d);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

function lens(el) {
  const f = demoFrame(el, { title: "The logit lens: what each layer would predict", stacked: true,
    sources: ["glasslm.engine.interpretability.logit_lens:logit_lens", "glasslm.engine.interpretability.logit_lens:lens_logits"] });
  const text = textInput({ label: "Your text (up to 16 tokens)", field: "text", value: "The capital of France is", maxlength: 400,
    oninput: debounce(() => load(), 600) });
  f.add(text.el);
  const table = h("table", { class: "tf-lens num" });
  const detail = h("p", { class: "tf-note", "aria-live": "polite" });
  f.picture.append(h("div", { class: "tf-scroll" }, table), detail);
  let data = null;
  const nextSignal = latest();
  async function load() {
    // The last token's column first (a 16th of the work), so typing answers at once; then the whole table.
    const signal = nextSignal();
    const last = await f.run(() => postJSON(`${API}/lens`, { text: text.value, k: 3, last_only: true }, { signal }),
      { key: "load", progress: "Reading the stream after every layer through the unembedding…" });
    if (!last) return;
    data = last;
    draw();
    if (last.tokens.length === 1) return;
    const d = await f.run(() => postJSON(`${API}/lens`, { text: text.value, k: 3 }, { signal }),
      { key: "load", progress: "Filling in the other tokens' columns…" });
    if (!d) return;
    data = d;
    draw();
  }
  // The cell of layer l at token t, or null while that column is still coming.
  const cell = (l, t) => { const i = data.positions.indexOf(t); return i < 0 ? null : data.lens[l][i]; };
  function show(l, t) {
    const c = cell(l, t);
    if (!c) return;
    const where = l === 0 ? "the embedding alone" : `the stream after layer ${l - 1}`;
    detail.textContent = `After “${visible(data.tokens[t].text)}”, ${where} predicts: ` +
      c.tokens.map((tok, i) => `“${visible(tok)}” ${pct(c.probs[i])}`).join(", ") + `; entropy ${fixed(c.entropy, 2)} nats.`;
  }
  function draw() {
    const d = data;
    const head = h("tr", {}, h("th", { text: "" }), ...d.tokens.map((t) => h("th", { class: "mono", text: visible(t.text) })));
    const body = [];
    for (let l = d.lens.length - 1; l >= 0; l--) {
      body.push(h("tr", {}, h("th", { class: "tf-row", text: l === 0 ? "embedding" : `layer ${l - 1}` }), ...d.tokens.map((_, t) => {
        const c = cell(l, t);
        if (!c) return h("td", { class: "tf-cell tf-pending", text: "…" });
        const bg = sequential(c.probs[0]);
        const td = h("td", { class: "mono tf-cell", tabindex: 0, "data-layer": l, "data-token": t,
          title: `${visible(c.tokens[0])} ${pct(c.probs[0])}`, style: `background:${bg};color:${textOn(bg)}`, text: visible(c.tokens[0]) });
        td.addEventListener("click", () => show(l, t));
        td.addEventListener("focus", () => show(l, t));
        return td;
      })));
    }
    table.replaceChildren(h("thead", {}, head), h("tbody", {}, ...body));
    const L = d.lens.length - 1, last = cell(L, d.tokens.length - 1);
    show(L, d.tokens.length - 1);
    f.setReadout([
      { label: "the model's real next token", value: `“${visible(d.model_next.text)}”` },
      { label: "lens after the last layer", value: `“${visible(last.tokens[0])}” ${pct(last.probs[0])}` },
      { label: "final answer on top from", value: d.first_layer_with_final_answer === 0 ? "the embedding" : `layer ${d.first_layer_with_final_answer - 1} on` },
    ]);
    f.hood(d);
  }
  onThemeChange(() => data && draw());
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

function compare(el) {
  const f = demoFrame(el, { title: "The tiny GPT, SmolLM2 and published models", stacked: true,
    sources: ["glasslm.engine.interpretability.anatomy:Features", "glasslm.engine.data.model_facts:PublishedModel", "glasslm.engine.models.tiny.gpt:GPTConfig"] });
  const table = h("table", { class: "terms num tf-compare" });
  const sources = h("ol", { class: "tf-sources" });
  f.picture.append(h("div", { class: "tf-scroll" }, table), h("h4", { text: "Sources" }), sources);
  async function load() {
    const d = await f.run(() => getJSON(`${API}/compare`), { progress: "Counting…" });
    if (!d) return;
    const modern = new Set(["RMSNorm", "RoPE", "SwiGLU", "grouped-query"]);
    const feat = (v) => h("td", { class: modern.has(v) ? "tf-modern" : "", text: v ?? "–" });
    const cols = ["model", "layers", "width", "heads (kv)", "context", "parameters", "norm", "positions", "MLP", "attention", "source"];
    const note = (m) => `${m.how}: ${m.source}${m.features_source && m.features_source !== m.source ? `. Design: ${m.features_source}` : ""}`;
    sources.replaceChildren(...d.models.map((m) => h("li", { text: `${m.name}: ${note(m)}` })));
    table.replaceChildren(h("tr", {}, ...cols.map((c) => h("th", { text: c }))),
      ...d.models.map((m) => h("tr", { "data-model": m.name },
        h("td", { class: "tf-model", text: m.year ? `${m.name} (${m.year})` : m.name }),
        h("td", { text: count(m.layers) }), h("td", { text: count(m.d_model) }),
        h("td", { text: m.kv_heads === m.heads ? count(m.heads) : `${count(m.heads)} (${count(m.kv_heads)})` }),
        h("td", { text: count(m.context) }),
        h("td", { text: m.how === "published" ? `${compact(m.params)}` : count(m.params) }),
        feat(m.norm), feat(m.positions), feat(m.mlp), feat(m.attention),
        h("td", { class: "tf-source", text: `[${d.models.indexOf(m) + 1}]`, title: note(m) }))));
    const [tiny, smol] = d.models;
    const biggest = d.models.reduce((a, b) => (b.params > a.params ? b : a));
    f.setReadout([
      { label: "tiny GPT", value: `${count(tiny.params)} parameters` },
      { label: "SmolLM2", value: `${count(smol.params)} (${compact(smol.params / tiny.params)} × tiny)` },
      { label: `${biggest.name}`, value: `${compact(biggest.params)} (${compact(biggest.params / smol.params)} × SmolLM2)` },
    ]);
    f.hood(d);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

// ---- an encoder-decoder trained live on dates; its cross-attention drawn as it learns
function seq2seq(el) {
  const f = demoFrame(el, { title: "Encoder, decoder and cross-attention: rewrite a date", stacked: true,
    sources: ["glasslm.engine.models.tiny.seq2seq:Seq2Seq.forward", "glasslm.engine.autograd.tensor:cross_attention",
      "glasslm.engine.models.tiny.seq2seq:train_seq2seq"] });
  const probe = textInput({ label: "A date to watch (month day, year)", field: "probe", value: "March 14, 2023", maxlength: 40 });
  const jb = jobButtons(f, "Train", () => go());
  const mine = textInput({ label: "After training: your own date", field: "date", value: "December 25, 1999", maxlength: 40 });
  const rewrite = button("Rewrite it", () => translate());
  rewrite.disabled = true;
  f.add(probe.el, jb.row, mine.el, buttonRow(rewrite));
  const chartBox = h("div", {}), crossBox = h("div", {}), masksBox = h("div", { class: "tf-masks" });
  const encBox = h("div", {}), decBox = h("div", {});
  masksBox.append(h("div", {}, h("h4", { text: "Encoder (as BERT): every character sees every character" }), encBox),
    h("div", {}, h("h4", { text: "Decoder (as GPT): each output sees only the outputs before it" }), decBox));
  f.picture.append(chartBox, h("h4", { text: "Cross-attention: which source characters each output character reads (mean over heads)" }),
    crossBox, masksBox);
  const chart = lineChart(chartBox, { xLabel: "training step", yLabel: "loss", height: 200, yScale: "log",
    series: [{ name: "loss", label: "training loss" }], title: "The encoder-decoder's loss" });
  const cross = heatmap(crossBox, { format: (v) => fixed(v, 2), cell: 24, showValues: false, label: "cross-attention weights" });
  const enc = heatmap(encBox, { format: (v) => (v ? "sees" : "masked"), cell: 14, showValues: false, label: "encoder mask" });
  const dec = heatmap(decBox, { format: (v) => (v ? "sees" : "masked"), cell: 14, showValues: false, label: "decoder mask" });
  let job = null, points = [];
  const show = (c) => (c === "_" ? "·" : c === " " ? "␣" : c);

  function drawCross(e) {
    cross.update(e.cross, e.target.map((c, i) => `${i}: ${c}`), e.source.map(show));
    enc.update(e.source.map(() => e.source.map(() => 1)), e.source.map(show), e.source.map(show));
    dec.update(e.target.map((_, i) => e.target.map((__, j) => (j <= i ? 1 : 0))), e.target, e.target);
  }

  let state = {};
  function readout() {
    f.setReadout([
      { label: "weights", value: count(state.n_params ?? 0) },
      { label: "held-out dates rewritten exactly", value: state.exact === undefined ? "–" : `${pct(state.exact, 1)} (step ${count(state.step)})` },
      { label: "the watched date becomes", value: state.output ?? "–" },
    ]);
  }

  async function go() {
    points = []; chart.set("loss", []); rewrite.disabled = true; state = {};
    const d = await jb.follow(`${API}/seq2seq`, { probe: probe.value }, { progress: "Starting…",
      onEvent: (e) => {
        if (e.type === "start") { state.n_params = e.n_params; readout(); }
        else if (e.type === "step") { points.push([e.step, e.loss]); chart.set("loss", points); f.setStatus(`Step ${e.step}…`); }
        else if (e.type === "eval") { state.exact = e.exact_match; state.step = e.step; readout(); }
        else if (e.type === "attention") { state.output = e.output; drawCross(e); readout(); }
        else if (e.type === "done") { rewrite.disabled = false; f.hood(e); }
      } });
    if (d) job = d.job;
  }

  async function translate() {
    if (!job) return;
    const d = await f.run(() => postJSON(`${API}/seq2seq/translate`, { job, date: mine.value }));
    if (!d) return;
    drawCross(d);
    f.setReadout([{ label: "your date becomes", value: d.output }]);
    f.hood(d);
  }
}

// ---------------------------------------------------------------- the architecture lab
const LAB_HEADS = 4;  // the tiny GPT's heads; "grouped" shares 2 key-value heads among them, "multi-query" 1
const KV_HEADS = { full: LAB_HEADS, grouped: LAB_HEADS / 2, multi: 1 };
const LAB_SOURCES = ["glasslm.engine.training.arch_lab:train_side_by_side", "glasslm.engine.models.tiny.gpt:TinyGPT.forward",
  "glasslm.engine.models.tiny.gpt:TinyGPT._sublayer", "glasslm.engine.models.tiny.gpt:TinyGPT.layer_grad_norms"];

// One model's switches: a small form whose values are an ArchSpec for the API.
function archForm(name, preset) {
  const box = h("fieldset", { class: "arch-form", "aria-label": `Model ${name}` }, h("legend", { text: `Model ${name}` }));
  const layers = numberInput({ label: "Layers", field: "n_layer", value: preset.n_layer, min: 1, max: 16, step: 1 });
  const width = numberInput({ label: "Width (channels)", field: "n_embd", value: 16, min: 4, max: 64, step: 4 });
  const residual = select({ label: "Residual connections", field: "residual", value: preset.residual,
    options: [["on", "on"], ["off", "off"]] });
  const norm = select({ label: "Normalization", field: "norm", value: preset.norm,
    options: [["rmsnorm", "RMSNorm"], ["layernorm", "LayerNorm"], ["none", "none"]] });
  const place = select({ label: "Norm placed", field: "norm_position", value: "pre",
    options: [["pre", "before each block (pre-norm)"], ["post", "after the sum (post-norm)"]] });
  const positions = select({ label: "Positions", field: "positions", value: preset.positions,
    options: [["learned", "learned"], ["sinusoidal", "sinusoidal"], ["rope", "rotary (RoPE)"], ["none", "none"]] });
  const attention = select({ label: "Attention", field: "n_kv_head", value: "full",
    options: [["full", "full: 4 key-value heads"], ["grouped", "grouped-query: 2"], ["multi", "multi-query: 1"]] });
  const mlp = select({ label: "MLP", field: "mlp", value: preset.mlp,
    options: [["relu", "ReLU"], ["gelu", "GELU"], ["swiglu", "SwiGLU"]] });
  const all = [layers, width, residual, norm, place, positions, attention, mlp];
  box.append(...all.map((c) => c.el));
  return {
    el: box,
    spec: () => ({ n_layer: Number(layers.value), n_embd: Number(width.value), residual: residual.value === "on", norm: norm.value,
      norm_position: place.value, positions: positions.value, n_head: LAB_HEADS, n_kv_head: KV_HEADS[attention.value],
      mlp: mlp.value }),
  };
}

function lab(el) {
  const f = demoFrame(el, { title: "Two architectures, the same names", stacked: true, sources: LAB_SOURCES });
  const a = archForm("A", { n_layer: 12, residual: "on", norm: "rmsnorm", positions: "learned", mlp: "relu" });
  const b = archForm("B", { n_layer: 12, residual: "off", norm: "rmsnorm", positions: "learned", mlp: "relu" });
  const steps = numberInput({ label: "Steps", field: "steps", value: 300, min: 1, max: 2000, step: 1 });
  const jobs = jobButtons(f, "Train both", () => run());
  f.add(h("div", { class: "arch-forms" }, a.el, b.el), h("div", { class: "arch-run" }, steps.el, jobs.row));
  const lossBox = h("div", { class: "arch-loss" });
  const gradBox = h("div", { class: "arch-grads" });
  const table = h("table", { class: "terms num arch-table", "aria-label": "the two models compared" });
  f.picture.append(lossBox, h("div", { class: "scroll-x" }, table), gradBox);
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "training loss (nats per character)", title: "training loss of A and B",
    series: [{ name: "A", label: "A" }, { name: "B", label: "B" }] });
  const grads = lineChart(gradBox, { xLabel: "block (1 = nearest the input)", yLabel: "gradient size (L2 norm)", yScale: "log",
    xIntegers: true, title: "how much gradient reaches each block, latest stretch of training",
    series: [{ name: "A", label: "A", dots: true }, { name: "B", label: "B", dots: true }] });
  let rows = [{}, {}];

  function drawTable() {
    const row = (label, fn) => h("tr", {}, h("th", { text: label }), ...[0, 1].map((i) => h("td", { "data-run": "AB"[i], text: fn(rows[i]) })));
    table.replaceChildren(h("tr", {}, h("th", { text: "" }), h("th", { text: "A" }), h("th", { text: "B" })),
      row("weights", (r) => (r.n_params ? count(r.n_params) : "–")),
      row("held-out loss", (r) => fixed(r.heldout ?? null, 3)),
      row("steps per second", (r) => (r.speed ? count(Math.round(r.speed)) : "–")),
      row("gradient at block 1", (r) => (r.first ? sci(r.first, 2) : "–")));
  }
  function onEvent(ev) {
    if (ev.type === "start") {
      rows = ev.runs.map((r) => ({ n_params: r.n_params }));
      for (const n of ["A", "B"]) { loss.set(n, []); grads.set(n, []); }
      f.setStatus("Training…");
    } else if (ev.type === "step") {
      loss.append("AB"[ev.run], [ev.step, ev.loss]);
      if (ev.run === 1) f.setStatus(`Training… step ${count(ev.step)}`);
    } else if (ev.type === "eval") {
      rows[ev.run].heldout = ev.heldout_loss;
    } else if (ev.type === "grads") {
      grads.set("AB"[ev.run], ev.norms.map((g, k) => [k + 1, g]));
      rows[ev.run].first = ev.norms[0];
    } else if (ev.type === "run_done") {
      Object.assign(rows[ev.run], { heldout: ev.heldout_loss, speed: ev.steps_per_s });
      if (ev.diverged) f.setError(`Model ${"AB"[ev.run]}: ${ev.message}`);
    } else if (ev.type === "done") {
      f.setStatus("Done.");
      f.hood(ev);
    }
    drawTable();
  }
  async function run() {
    await jobs.follow(`${API}/lab`, { a: a.spec(), b: b.spec(), steps: steps.value }, { onEvent, keepStatus: true });
  }
  drawTable();
}

function tour(el) {
  const f = demoFrame(el, { title: "From microgpt to SmolLM2's choices, one upgrade at a time", stacked: true,
    sources: ["glasslm.engine.training.arch_lab:tour_configs", "glasslm.engine.training.arch_lab:kv_cache_variants",
      "glasslm.engine.training.arch_lab:train_side_by_side"] });
  const jobs = jobButtons(f, "Run the tour", () => run());
  const context = numberInput({ label: "Context for the KV cache (tokens)", field: "context", value: 8192, min: 1, max: 1000000, step: 1,
    onchange: () => sizes() });
  f.add(jobs.row, context.el);
  const lossBox = h("div", { class: "arch-loss" });
  const table = h("table", { class: "terms num tour-table", "aria-label": "each step of the tour measured" });
  const kvTable = h("table", { class: "terms num kv-table", "aria-label": "KV cache per attention variant" });
  f.picture.append(lossBox, h("div", { class: "scroll-x" }, table), h("h4", { text: "The KV cache each attention variant needs" }),
    h("div", { class: "scroll-x" }, kvTable));
  let names = [], rows = [];
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "training loss (nats per character)", title: "training loss at each step of the tour", series: [] });

  function drawTable() {
    table.replaceChildren(h("tr", {}, ...["model", "weights", "held-out loss", "steps per second"].map((t) => h("th", { text: t }))),
      ...names.map((n, i) => h("tr", { "data-step": String(i) }, h("td", { text: n }),
        h("td", { text: rows[i]?.n_params ? count(rows[i].n_params) : "–" }),
        h("td", { text: fixed(rows[i]?.heldout ?? null, 3) }),
        h("td", { text: rows[i]?.speed ? count(Math.round(rows[i].speed)) : "–" }))));
  }
  function onEvent(ev) {
    if (ev.type === "start") {
      names = ev.runs.map((r) => r.name);
      rows = ev.runs.map((r) => ({ n_params: r.n_params }));
      loss.setSeries(names.map((n) => ({ name: n, label: n })));
      f.setStatus("Training all four…");
    } else if (ev.type === "step") {
      loss.append(names[ev.run], [ev.step, ev.loss]);
    } else if (ev.type === "eval") {
      rows[ev.run].heldout = ev.heldout_loss;
    } else if (ev.type === "run_done") {
      Object.assign(rows[ev.run], { heldout: ev.heldout_loss, speed: ev.steps_per_s });
    } else if (ev.type === "done") {
      f.setStatus("Done.");
      f.hood(ev);
    }
    drawTable();
  }
  async function run() {
    await jobs.follow(`${API}/tour`, {}, { onEvent, keepStatus: true });
  }
  async function sizes() {
    const d = await f.run(() => getJSON(`${API}/kv-cache`, { context: context.value }), { key: "kv" });
    if (!d) return;
    const model = (label, m) => m.variants.map((v) => h("tr", { "data-variant": v.variant },
      h("td", { text: label }), h("td", { text: v.variant }), h("td", { text: count(v.kv_heads) }), h("td", { class: "kv-bytes", text: bytes(v.bytes) })));
    kvTable.replaceChildren(h("tr", {}, ...["model", "attention", "key-value heads", `cache for ${count(d.context)} tokens`].map((t) => h("th", { text: t }))),
      ...model(`tiny GPT (${d.tiny.layers} layers, float64)`, d.tiny),
      ...model(`SmolLM2 (${d.smollm2.layers} layers, ${d.smollm2.heads} heads, float32)`, d.smollm2));
  }
  drawTable();
  sizes();
}

export const demos = { anatomy, residual, lens, compare, seq2seq, lab, tour };
