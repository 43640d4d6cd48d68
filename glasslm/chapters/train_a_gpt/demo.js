// The train-a-gpt chapter: the demos only draw what /api/train-a-gpt/* and the
// run's event stream (/api/jobs/{id}/events) send.

import { ApiError, getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { numberInput, textInput, select, segmented, slider, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { fixed, count, bytes } from "/static/js/components/format.js";
import { modelsChanged, onModelsChanged } from "/static/js/components/modelpicker.js";

const API = "/api/train-a-gpt";
const EXAMPLE_TEXT = "apple\napricot\nbanana\nblackberry\nblueberry\ncherry\ncoconut\ndate\nfig\ngrape\nguava\nkiwi\nlemon\nlime\nmango\nmelon\nnectarine\norange\npapaya\npeach\npear\nplum\nquince\nraspberry\nstrawberry\ntangerine";

function playground(el) {
  const f = demoFrame(el, { title: "Train a tiny GPT",
    sources: ["glasslm.engine.training.train:train_tiny_gpt", "glasslm.engine.models.tiny.gpt:TinyGPT.forward"] });

  // ---- controls
  const text = textInput({ label: "Your text (one document per line)", field: "text", multiline: true, rows: 5, value: EXAMPLE_TEXT });
  text.el.style.display = "none";
  const data = segmented({ label: "Data", field: "data", value: "first-names",
    options: [["first-names", "first names"], ["last-names", "last names"], ["text", "my text"]],
    onchange: (v) => { text.el.style.display = v === "text" ? "" : "none"; } });
  const steps = numberInput({ label: "Steps", field: "steps", value: 1000, min: 1, max: 20000, step: 1 });
  const batch = select({ label: "Names per step (batch)", field: "batch_size", value: "1", options: ["1", "4", "8", "16", "32", "64"] });
  const lr = numberInput({ label: "Learning rate", field: "lr", value: 0.01, min: 0, max: 1, step: "any" });
  const optimizer = segmented({ label: "Optimizer", field: "optimizer", value: "adam",
    options: [["adam", "Adam"], ["sgd", "SGD"], ["momentum", "momentum"]] });
  const sched = select({ label: "Schedule", field: "schedule", value: "linear", options: ["linear", "cosine", "constant"],
    onchange: () => drawSchedule() });
  const warmup = numberInput({ label: "Warm-up steps", field: "warmup", value: 0, min: 0, step: 1 });
  const layers = numberInput({ label: "Layers", field: "n_layer", value: 1, min: 1, max: 4, step: 1 });
  const embd = numberInput({ label: "Embedding width", field: "n_embd", value: 16, min: 4, max: 64, step: 4 });
  const heads = numberInput({ label: "Heads", field: "n_head", value: 4, min: 1, max: 16, step: 1 });
  const context = numberInput({ label: "Context (characters)", field: "block_size", value: 16, min: 2, max: 32, step: 1 });
  for (const c of [steps, lr, warmup]) c.input.addEventListener("change", () => drawSchedule());
  const size = h("details", { class: "gpt-size" }, h("summary", { text: "Model size" }), layers.el, embd.el, heads.el, context.el);

  const jobs = jobButtons(f, "Train", () => train());
  const resumeBtn = button("Resume", () => resume());
  const download = h("a", { class: "btn", download: "tiny-gpt.safetensors", "aria-disabled": "true", text: "Download model" });
  // The trained model stays in the session: sample it here at any temperature, no download needed.
  const sampleTemp = slider({ label: "Sampling temperature", field: "temperature", min: 0, max: 2, step: 0.05, value: 0.5,
    format: (v) => v.toFixed(2) });
  const sampleBtn = button("Sample 10 names", () => sampleNow());
  resumeBtn.disabled = true;
  sampleBtn.disabled = true;
  steps.input.addEventListener("input", () => labelResume());
  f.add(data.el, text.el, steps.el, batch.el, lr.el, optimizer.el, sched.el, warmup.el, size,
    buttonRow(jobs.go, jobs.stop, resumeBtn, download), sampleTemp.el, buttonRow(sampleBtn));

  // ---- picture
  const lossBox = h("div", { class: "gpt-loss" });
  const lrBox = h("div", { class: "gpt-lr" });
  const samples = h("ol", { class: "gpt-samples mono", "aria-live": "polite", "aria-label": "samples" });
  const samplesHead = h("h4", { text: "Samples (temperature 0.5)" });
  const attnHead = h("h4", { text: "Attention heads" });
  const attn = h("div", { class: "gpt-heads" });
  f.picture.append(lossBox, lrBox, h("div", { class: "gpt-side" }, h("div", {}, samplesHead, samples), h("div", {}, attnHead, attn)));
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "loss (nats per character)", title: "training and held-out loss",
    series: [{ name: "train loss" }, { name: "held-out loss" }, { name: "previous run (held-out)", dashed: true }] });
  const lrChart = lineChart(lrBox, { xLabel: "step", yLabel: "learning rate", height: 170, title: "learning-rate schedule",
    series: [{ name: "schedule", dashed: true }, { name: "so far" }] });

  let job = null, maps = [], lastDone = null;
  const numbers = { step: null, total: null, train: null, held: null, bigram: null, tps: null, params: null };

  function showNumbers() {
    f.setReadout([
      { label: "step", value: numbers.step === null ? "–" : `${count(numbers.step)} / ${count(numbers.total)}` },
      { label: "train loss", value: fixed(numbers.train, 3) },
      { label: "held-out loss", value: fixed(numbers.held, 3) },
      { label: "bigram baseline", value: fixed(numbers.bigram, 3) },
      { label: "speed", value: numbers.tps === null ? "–" : `${count(numbers.tps)} characters/s` },
      { label: "parameters", value: count(numbers.params) },
    ]);
  }
  showNumbers();

  // Run and Stop follow the job (jobButtons); Resume and Download need a run that has ended.
  const finished = () => numbers.total !== null && numbers.step !== null && numbers.step >= numbers.total;
  function labelResume() {
    const more = Math.max(1, Math.round(steps.value) || 1);
    resumeBtn.textContent = job && finished() ? `Train ${count(more)} more` : "Resume";
  }

  function setRunning(on) {
    resumeBtn.disabled = on || !job;
    sampleBtn.disabled = on || !job;
    labelResume();
    const ready = !on && job;
    download.setAttribute("aria-disabled", String(!ready));
    if (ready) download.setAttribute("href", `${API}/model?job=${job}`); else download.removeAttribute("href");
  }

  async function drawSchedule() {
    const body = { lr: lr.value, steps: steps.value, schedule: sched.value, warmup: warmup.value };
    if (![body.lr, body.steps, body.warmup].every(Number.isFinite)) return;
    try {
      const d = await postJSON(`${API}/schedule`, body);
      lrChart.set("schedule", d.points);
    } catch (e) { /* the Train button reports bad settings beside their control */ }
  }

  function drawHeads(ev) {
    const flat = ev.layers.flatMap((layer, l) => layer.map((head, i) => ({ head, name: `layer ${l + 1}, head ${i + 1}` })));
    if (maps.length !== flat.length) {
      attn.replaceChildren();
      maps = flat.map(({ name }) => {
        const box = h("figure", { class: "gpt-head" }, h("figcaption", { text: name }));
        attn.append(box);
        return heatmap(box, { scale: "sequential", cell: 22, showValues: false, label: `attention of ${name}` });
      });
    }
    const labels = ev.tokens.map((t) => (t === "<BOS>" ? "BOS" : t));
    flat.forEach(({ head }, i) => maps[i].update(head, labels, labels));
    attnHead.textContent = `Attention heads on “${ev.probe}” at step ${count(ev.step)} (row: position, column: where it looks)`;
  }

  function onEvent(ev) {
    if (ev.type === "start") {
      numbers.total = ev.steps; numbers.bigram = ev.bigram_heldout_loss; numbers.params = ev.n_params;
      // Labelled in the legend: the noisy loss curve crosses the line wherever a label on the plot would sit.
      loss.hline("bigram", ev.bigram_heldout_loss, `bigram baseline ${fixed(ev.bigram_heldout_loss, 3)}`, null, { legend: true });
      lrChart.set("schedule", ev.schedule);
      f.hood(ev, null);
    } else if (ev.type === "step") {
      numbers.step = ev.step; numbers.train = ev.loss; numbers.tps = ev.tokens_per_s;
      loss.append("train loss", [ev.step, ev.loss]);
      lrChart.append("so far", [ev.step, ev.lr]);
    } else if (ev.type === "eval") {
      numbers.held = ev.heldout_loss;
      loss.append("held-out loss", [ev.step, ev.heldout_loss]);
    } else if (ev.type === "samples") {
      samples.replaceChildren(...ev.names.map((n) => h("li", { text: n || "(empty)" })));
      samplesHead.textContent = `Samples at step ${count(ev.step)} (temperature 0.5)`;
    } else if (ev.type === "attention") {
      drawHeads(ev);
    } else if (ev.type === "done") {
      lastDone = ev;
      f.hood(ev, null);
      if (ev.diverged) f.setError(ev.message, "lr");
    }
    showNumbers();
  }

  // Start a run (a new one, or the last one resumed) and follow its events.
  async function followRun(url, body, { progress, onStarted } = {}) {
    await jobs.follow(url, body, {
      progress,
      keepStatus: true,
      onStarted: (d) => {
        onStarted?.(d);
        job = d.job;
        setRunning(true);
        f.setStatus("Training…");
      },
      onEvent,
      onDone: (end) => {
        setRunning(false);
        modelsChanged();  // the run's model is now the learner's, in "Your models" and the later chapters
        const held = lastDone && lastDone.heldout_loss;
        f.setStatus(end.status === "stopped" ? `Stopped at step ${count(numbers.step)}: resume it, sample it, or download the model.`
          : end.status === "done" ? `Done: held-out loss ${fixed(held, 3)} vs bigram ${fixed(numbers.bigram, 3)}. `
            + "Sample it (Sample 10 names), or train it further." : "");
      },
    });
  }

  async function train() {
    const body = { data: data.value, text: data.value === "text" ? text.value : "", steps: steps.value,
      batch_size: Number(batch.value), lr: lr.value, optimizer: optimizer.value, schedule: sched.value,
      warmup: warmup.value, n_layer: layers.value, n_embd: embd.value, n_head: heads.value, block_size: context.value };
    await followRun(`${API}/train`, body, { progress: "Preparing the data…", onStarted: () => {
      const previous = loss.points("held-out loss").slice();  // kept as a dashed line to compare against
      loss.clear();
      if (previous.length) loss.set("previous run (held-out)", previous);
      lrChart.clear(); samples.replaceChildren(); attn.replaceChildren(); maps = []; lastDone = null;
      Object.keys(numbers).forEach((k) => (numbers[k] = null));
    } });
  }

  async function resume() {
    const more = finished() ? { steps: numbers.step + Math.max(1, Math.round(steps.value) || 1) } : {};
    await followRun(`${API}/resume`, { job, ...more }, { onStarted: (d) => { numbers.total = d.steps; } });
  }

  async function sampleNow() {
    const body = { job, n: 10, temperature: sampleTemp.value, seed: Math.floor(Math.random() * 1e6) };
    const d = await f.run(() => postJSON(`${API}/sample`, body), { progress: "Sampling…" });
    if (!d) return;
    samples.replaceChildren(...d.names.map((n) => h("li", { text: n || "(empty)" })));
    samplesHead.textContent = `Sampled now from the model at step ${count(d.step)} (temperature ${fixed(d.temperature, 2)})`;
    f.hood(d);
  }

  drawSchedule();
}

async function speed(el) {
  const f = demoFrame(el, { title: "Scalar engine vs arrays: the same training step, timed now",
    sources: ["glasslm.engine.models.tiny.scalar_gpt:ScalarGPT.doc_loss", "glasslm.engine.autograd.tensor:attention"] });
  const bars = h("div", { class: "gpt-speed" });
  f.picture.append(bars);
  f.add(buttonRow(button("Measure", () => measure(), { primary: true })));
  f.setStatus("Press Measure: it takes a few seconds (the scalar engine is that slow).");
  async function measure() {
    const d = await f.run(() => postJSON(`${API}/speed`), { progress: "Timing both engines…" });
    if (!d) return;
    const rows = [["scalar Value engine", d.scalar_steps_per_s], ["vectorized (numpy arrays)", d.vectorized_steps_per_s]];
    const top = Math.max(...rows.map((r) => r[1]));
    bars.replaceChildren(...rows.map(([name, v]) => h("div", { class: "gpt-speed-row" },
      h("span", { text: name }),
      h("span", { class: "gpt-speed-track" }, h("span", { class: "gpt-speed-bar", style: `width:${Math.max(0.5, (100 * Math.log10(1 + v)) / Math.log10(1 + top))}%` })),
      h("span", { class: "num", text: `${fixed(v, v < 10 ? 2 : 0)} steps/s` }))));
    f.setReadout([
      { label: "arrays are faster by", value: `${count(d.ratio)}×` },
      { label: "graph nodes per scalar step", value: count(d.scalar_graph_nodes) },
      { label: "steps timed", value: `${d.scalar_steps} scalar, ${d.vectorized_steps} vectorized` },
    ]);
    f.setStatus("Bars on a log scale.");
    f.hood(d);
  }
}

// Open a model saved earlier (from this page or `glasslm train --out`) and sample from it.
function openModel(el) {
  const f = demoFrame(el, { title: "Open a saved model", sources: ["glasslm.engine.models.tiny.gpt:TinyGPT.from_checkpoint", "glasslm.engine.models.tiny.gpt:sample"] });
  const input = h("input", { type: "file", id: "gpt-file", accept: ".safetensors" });
  const fileControl = h("div", { class: "control", "data-field": "file" }, h("label", { for: "gpt-file", text: "Model file (.safetensors)" }), input);
  const temp = slider({ label: "Temperature", field: "temperature", min: 0, max: 2, step: 0.05, value: 0.5, format: (v) => v.toFixed(2) });
  const names = h("ol", { class: "gpt-samples mono", "aria-label": "names from the saved model" });
  f.picture.append(names);
  f.add(fileControl, temp.el, buttonRow(button("Sample", () => open(), { primary: true })));
  async function open() {
    const file = input.files[0];
    if (!file) { f.setError("Choose a .safetensors file first (Download model above saves one).", "file"); return; }
    const d = await f.run(async () => {
      const qs = new URLSearchParams({ n: 10, temperature: temp.value, seed: Math.floor(Math.random() * 1e6) });
      let r;
      try {
        r = await fetch(`${API}/inspect?${qs}`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
      } catch (e) { throw new ApiError("Could not reach the glasslm server. Is it still running?"); }
      const body = await r.json().catch(() => null);
      if (!r.ok) throw new ApiError((body && body.error) || `The server answered ${r.status}.`, body && body.field, r.status);
      return body;
    });
    if (!d) return;
    names.replaceChildren(...d.names.map((n) => h("li", { text: n || "(empty)" })));
    const c = d.config;
    f.setReadout([
      { label: "parameters", value: count(d.n_params) },
      { label: "size", value: `${c.n_layer} layer(s), width ${c.n_embd}, ${c.n_head} heads, context ${c.block_size}` },
      { label: "characters", value: String(d.chars.length) },
    ]);
    f.hood(d);
  }
}

// ---------------------------------------------------------------- before transformers: RNNs
const MODEL_NAMES = { gpt: "tiny GPT", rnn: "plain RNN", lstm: "LSTM" };

function recurrent(el) {
  const f = demoFrame(el, { title: "A GPT, an RNN and an LSTM on the same names",
    sources: ["glasslm.engine.training.recurrent:train_side_by_side", "glasslm.engine.models.tiny.rnn:CharRNN.step",
      "glasslm.engine.models.tiny.rnn:gradient_through_time"] });
  const steps = numberInput({ label: "Steps", field: "steps", value: 1000, min: 1, max: 3000, step: 1 });
  const batch = select({ label: "Names per step (batch)", field: "batch_size", value: "1", options: ["1", "2", "4", "8", "16"] });
  const lr = numberInput({ label: "Learning rate", field: "lr", value: 0.01, min: 0, max: 0.1, step: "any" });
  const jobs = jobButtons(f, "Train all three", () => run());
  f.add(steps.el, batch.el, lr.el, jobs.row,
    h("p", { class: "rnn-eta", text: "Three models, the same batches: the default 1,000 steps take a few seconds (about 10 on a busy machine)." }));

  const lossBox = h("div", { class: "rnn-loss" });
  const bpttBox = h("div", { class: "rnn-bptt" });
  const table = h("table", { class: "terms num rnn-table", "aria-label": "the three models compared" });
  f.picture.append(lossBox, h("div", { class: "scroll-x" }, table), bpttBox);
  const names = Object.keys(MODEL_NAMES);
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "held-out loss (nats per character)",
    title: "held-out loss of the three models", series: names.map((n) => ({ name: n, label: MODEL_NAMES[n], dots: true })) });
  const bptt = lineChart(bpttBox, { xLabel: "steps back from the last character", yScale: "log",
    yLabel: "gradient size, relative to the last step", title: "how much gradient reaches each earlier step",
    series: [{ name: "rnn-0", label: "plain RNN h, untrained", dashed: true }, { name: "rnn", label: "plain RNN h, trained" },
      { name: "lstm-c", label: "LSTM cell c, trained" }, { name: "lstm", label: "LSTM h, trained" }] });
  let info = {}, held = {}, speed = {}, samples = {};

  function drawTable() {
    const row = (label, fn) => h("tr", {}, h("th", { text: label }), ...names.map((n) => h("td", { "data-model": n, text: fn(n) })));
    table.replaceChildren(h("tr", {}, h("th", { text: "" }), ...names.map((n) => h("th", { text: MODEL_NAMES[n] }))),
      row("weights", (n) => (info[n] ? count(info[n].n_params) : "–")),
      row("held-out loss", (n) => fixed(held[n] ?? null, 3)),
      row("steps per second", (n) => (speed[n] ? count(Math.round(speed[n])) : "–")),
      row("operations in a row, 4 / 8 / 16 characters", (n) => (info[n] ? Object.values(info[n].chain).join(" / ") : "–")),
      row("samples", (n) => (samples[n] || []).join(", ") || "–"));
  }
  const points = (v) => v.map((x, k) => [k, x]);

  function onEvent(ev) {
    if (ev.type === "start") {
      info = ev.models; held = {}; speed = {}; samples = {};
      for (const n of names) loss.set(n, []);
      f.setStatus("Training…");
    } else if (ev.type === "step") {
      f.setStatus(`Training… step ${count(ev.step)}`);
    } else if (ev.type === "eval") {
      held = ev.heldout;
      for (const n of names) loss.append(n, [ev.step, ev.heldout[n]]);
    } else if (ev.type === "bptt") {
      if (ev.step === 0) { bptt.set("rnn-0", points(ev.models.rnn.h)); for (const s of ["rnn", "lstm", "lstm-c"]) bptt.set(s, []); }
      else {
        bptt.set("rnn", points(ev.models.rnn.h));
        bptt.set("lstm", points(ev.models.lstm.h));
        bptt.set("lstm-c", points(ev.models.lstm.c));
      }
    } else if (ev.type === "done") {
      speed = ev.steps_per_s; samples = ev.samples;
      if (ev.heldout) held = ev.heldout;
      f.setStatus(ev.diverged ? "" : `Done in ${fixed(ev.elapsed_s, 1)} s.`);
      if (ev.diverged) f.setError(ev.message, "lr");
      f.hood(ev);
    }
    drawTable();
  }
  async function run() {
    await jobs.follow(`${API}/recurrent`, { steps: steps.value, batch_size: Number(batch.value), lr: lr.value },
      { onEvent, keepStatus: true });
  }
  drawTable();
}

// ---------------------------------------------------------------- your model, for the later chapters
const ORIGINS = { trained: "trained here", uploaded: "uploaded", server: "given to glasslm serve --model" };

function yourModel(el) {
  const f = demoFrame(el, { title: "Your models", sources: ["glasslm.engine.models.tiny.gpt:TinyGPT.save",
    "glasslm.engine.models.tiny.gpt:TinyGPT.from_checkpoint"] });
  const input = h("input", { type: "file", id: "my-model-file", accept: ".safetensors" });
  const fileControl = h("div", { class: "control", "data-field": "file" },
    h("label", { for: "my-model-file", text: "Upload a model (.safetensors)" }), input);
  const name = textInput({ label: "Its name", field: "name", value: "uploaded model", maxlength: 60 });
  f.add(fileControl, name.el, buttonRow(button("Upload", () => upload(), { primary: true })));
  const table = h("table", { class: "terms my-models", "aria-label": "your models" });
  f.picture.append(h("div", { class: "scroll-x" }, table));

  async function refresh() {
    const d = await f.run(() => getJSON("/api/my-models"), { key: "list" });
    if (!d) return;
    const rows = d.models.map((m, i) => h("tr", { "data-model": m.id },
      h("td", { text: m.origin === "server" ? m.name : i === 0 ? `${m.name} (your model)` : m.name }),
      h("td", { text: `${count(m.n_params)} parameters, ${m.n_layer} × ${m.n_embd}, context ${m.block_size}` }),
      h("td", { text: m.names_vocab ? "names (a–z)" : `${m.chars.length} characters` }),
      h("td", { text: ORIGINS[m.origin] }),
      h("td", {}, h("a", { href: `/api/my-models/${m.id}/download`, download: "", text: "Download" }))));
    table.replaceChildren(h("tr", {}, ...["name", "size", "vocabulary", "from", ""].map((t) => h("th", { text: t }))),
      ...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 5, text: "None yet: train a model above, or upload one." }))]));
    f.setReadout([{ label: "kept", value: `up to ${d.limits.models_per_session} models, ${bytes(d.limits.model_bytes)} each, `
      + "while this server runs (download to keep one)" }]);
    f.hood(d);
  }
  async function upload() {
    const file = input.files[0];
    if (!file) { f.setError("Choose a .safetensors file first (Download saves one).", "file"); return; }
    const d = await f.run(async () => {
      const qs = new URLSearchParams({ name: name.value.trim() || "uploaded model" });
      let r;
      try {
        r = await fetch(`/api/my-models/upload?${qs}`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
      } catch (e) { throw new ApiError("Could not reach the glasslm server. Is it still running?"); }
      const body = await r.json().catch(() => null);
      if (!r.ok) throw new ApiError((body && body.error) || `The server answered ${r.status}.`, body && body.field, r.status);
      return body;
    });
    if (!d) return;
    f.setStatus(`Uploaded “${d.name}”: it is now your model in the later chapters.`);
    modelsChanged();
  }
  onModelsChanged(() => refresh());
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  refresh();
}

export const demos = { playground, speed, "open-model": openModel, recurrent, "your-model": yourModel };
