// The vision chapter: the demos only draw what /api/vision/* and the runs'
// event streams (/api/jobs/{id}/events) send.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h, debounce } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { numberInput, select, segmented, textInput, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { barChart } from "/static/js/components/barchart.js";
import { fixed, count, pct } from "/static/js/components/format.js";
import { etaClock } from "/static/js/components/eta.js";
import { drawGrid, inkStyle } from "/chapters/vision/drawgrid.js";
import { diverging } from "/static/js/components/color.js";

const API = "/api/vision";
// Steps for a first run of about 15 s on 2 cores, per patch size: a step's cost grows with the number of
// tokens (64, 16 or 4) and attention with its square. Timed with batch 64 against 2×2 in the same run:
// 1×1 is about 9 times slower per step, 4×4 about 5 times faster (1,500 steps of 1×1 took 49 s).
const STEPS_FOR_PATCH = { 1: 400, 2: 1500, 4: 1500 };
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

// A digit (64 pixels 0-16) drawn as tiles of patch x patch pixels with gaps between them,
// each tile tinted by the attention it received (att: g x g, or null).
function drawPatches(box, pixels, patch, att) {
  const g = 8 / patch;
  const top = att ? Math.max(...att.flat()) || 1 : 1;
  const tiles = [];
  for (let r = 0; r < g; r++) for (let c = 0; c < g; c++) {
    const cells = [];
    for (let y = 0; y < patch; y++) for (let x = 0; x < patch; x++) {
      cells.push(h("div", { class: "vi-px", style: `background:${inkStyle(pixels[(r * patch + y) * 8 + c * patch + x])}` }));
    }
    const a = att ? att[r][c] : null;
    tiles.push(h("div", { class: "vi-tile", style: `grid-template-columns:repeat(${patch},1fr)`,
      title: a === null ? `patch ${r * g + c + 1}` : `patch ${r * g + c + 1}: attention ${pct(a)}` },
      ...cells, a === null ? null : h("div", { class: "vi-att", style: `opacity:${(0.75 * a) / top}` })));
  }
  box.style.gridTemplateColumns = `repeat(${g}, 1fr)`;
  box.replaceChildren(...tiles);
}

// The held-out digits as buttons in `thumbs`: a click draws one in the grid and looks at it.
// Starts the grid on a held-out seven; false if the examples could not be fetched.
async function pickExamples(f, thumbs, grid, look) {
  const d = await f.run(() => getJSON(`${API}/examples`));
  if (!d) return false;
  thumbs.replaceChildren(...d.examples.map((ex) => {
    const b = h("button", { type: "button", class: "vi-thumb", "aria-label": `held-out digit ${ex.label}`, title: `a held-out ${ex.label}` },
      ...ex.pixels.map((v) => h("span", { style: `background:${inkStyle(v)}` })));
    b.addEventListener("click", () => { grid.set(ex.pixels); look(); });
    return b;
  }));
  grid.set(d.examples[d.examples.length - 1 - 3 * 2].pixels);
  return true;
}

function vit(el) {
  const f = demoFrame(el, { title: "A vision transformer, trained now",
    sources: ["glasslm.engine.models.vision.vit:TinyViT.forward", "glasslm.engine.data.digits:patchify", "glasslm.engine.autograd.tensor:attention"] });
  const steps = numberInput({ label: "Steps", field: "steps", value: STEPS_FOR_PATCH[2], min: 1, max: 5000, step: 1 });
  const batch = select({ label: "Images per step", field: "batch_size", value: "64", options: ["16", "32", "64", "128"] });
  // A new patch size brings its own step count, unless the learner has chosen one.
  let patchNow = "2";
  const patch = segmented({ label: "Patch size (pixels)", field: "patch", value: "2",
    options: [["1", "1×1 (64 tokens)"], ["2", "2×2 (16)"], ["4", "4×4 (4)"]], onchange: (v) => {
      if (steps.value === STEPS_FOR_PATCH[patchNow]) steps.value = STEPS_FOR_PATCH[v];
      patchNow = v;
    } });
  const pool = segmented({ label: "Read the class from", field: "pool", value: "cls", options: [["cls", "[CLS] token"], ["mean", "mean of patches"]] });
  const width = numberInput({ label: "Width (channels)", field: "width", value: 32, min: 4, max: 64, step: 4 });
  const heads = numberInput({ label: "Heads", field: "n_head", value: 4, min: 1, max: 8, step: 1 });
  const layers = numberInput({ label: "Blocks", field: "n_layer", value: 1, min: 1, max: 3, step: 1 });
  const lr = numberInput({ label: "Learning rate", field: "lr", value: 0.003, min: 0, max: 0.1, step: "any" });
  const size = h("details", { class: "vi-size" }, h("summary", { text: "Model size" }), width.el, heads.el, layers.el, lr.el);
  const jobs = jobButtons(f, "Train", () => train());
  f.add(steps.el, batch.el, patch.el, pool.el, size, jobs.row);

  const curveBox = h("div", { class: "vi-curve" });
  const thumbs = h("div", { class: "vi-thumbs", role: "group", "aria-label": "held-out digits to pick" });
  const gridBox = h("div", { class: "vi-draw" });
  const patchBox = h("div", { class: "vi-patches", "aria-label": "the image cut into patches, tinted by attention" });
  const probBox = h("div", { class: "vi-probs" });
  const headBox = h("div", { class: "vi-heads" });
  const clear = button("Clear", () => grid.clear());
  f.picture.append(curveBox,
    h("h4", { text: "Pick a held-out digit, or draw one (mouse, finger, or arrows and Space)" }), thumbs,
    h("div", { class: "vi-look" },
      h("figure", {}, gridBox, buttonRow(clear), h("figcaption", { text: "the image (8×8)" })),
      h("figure", {}, patchBox, h("figcaption", { class: "vi-patch-cap", text: "its patches: the tokens" })),
      h("figure", { class: "vi-prob-fig" }, probBox, h("figcaption", { text: "class probabilities" }))),
    h("h4", { text: "Attention from the pooled token to each patch, per head (last block)" }), headBox);
  const curve = lineChart(curveBox, { xLabel: "step", yLabel: "loss / accuracy", title: "training loss and held-out accuracy",
    series: [{ name: "train loss" }, { name: "held-out accuracy" }] });
  const probs = barChart(probBox, { max: 1, label: "class probabilities" });
  const grid = drawGrid(gridBox, { label: "Digit", onchange: debounce(() => look(), 60) });

  let job = null, numbers = {}, maps = [];
  const eta = etaClock();
  function readout() {
    f.setReadout([
      { label: "step", value: numbers.step == null ? "–" : `${count(numbers.step)} / ${count(numbers.steps)}` },
      { label: "train loss", value: fixed(numbers.loss, 3) },
      { label: "held-out accuracy", value: numbers.acc == null ? "–" : pct(numbers.acc) },
      { label: "parameters", value: count(numbers.params) },
      { label: "prediction", value: numbers.pred == null ? "–" : `${numbers.pred} (${pct(numbers.predP)})` },
    ]);
  }
  readout();
  drawPatches(patchBox, grid.pixels, Number(patch.value), null);

  async function look() {
    if (!job) { drawPatches(patchBox, grid.pixels, Number(patch.value), null); return; }
    const d = await f.run(() => postJSON(`${API}/predict`, { job, pixels: grid.pixels }), { key: "look" });
    if (!d) return;
    drawPatches(patchBox, grid.pixels, d.patch, d.attention);
    el.querySelector(".vi-patch-cap").textContent = `${d.grid * d.grid} patches of ${d.patch}×${d.patch} pixels, tinted by attention` +
      (d.pool === "cls" ? ` ([CLS] keeps ${pct(d.attention_on_cls)} on itself)` : "");
    probs.update(d.probs.map((p, i) => ({ label: `${i}`, value: p, highlight: i === d.prediction })));
    const flat = d.attention_heads[d.attention_heads.length - 1];
    if (maps.length !== flat.length) {
      headBox.replaceChildren();
      maps = flat.map((_, i) => {
        const fig = h("figure", { class: "vi-head" }, h("figcaption", { text: `head ${i + 1}` }));
        headBox.append(fig);
        return heatmap(fig, { cell: d.grid > 4 ? 14 : 26, showValues: d.grid <= 4, format: (v) => pct(v, 0), label: `attention of head ${i + 1}` });
      });
    }
    flat.forEach((m, i) => maps[i].update(m));
    numbers.pred = d.prediction; numbers.predP = d.probs[d.prediction];
    readout();
    f.hood(d);
  }

  async function loadExamples() {
    if (await pickExamples(f, thumbs, grid, look)) drawPatches(patchBox, grid.pixels, Number(patch.value), null);
  }

  async function train() {
    const body = { steps: steps.value, batch_size: Number(batch.value), patch: Number(patch.value), pool: pool.value,
      width: width.value, n_head: heads.value, n_layer: layers.value, lr: lr.value };
    await jobs.follow(`${API}/train`, body, {
      keepStatus: true,
      onStarted: (d) => {
        eta.reset();
        curve.clear(); maps = []; headBox.replaceChildren();
        job = d.job;
        numbers = { params: d.n_params, steps: body.steps };
        f.setStatus("Training…");
      },
      onEvent: (ev) => {
        if (ev.type === "step") {
          numbers.step = ev.step; numbers.loss = ev.loss;
          curve.append("train loss", [ev.step, ev.loss]);
          f.setStatus(`Training: ${eta.text(ev.step, numbers.steps)}`);
        } else if (ev.type === "eval") {
          numbers.acc = ev.test_accuracy;
          curve.append("held-out accuracy", [ev.step, ev.test_accuracy]);
          look();
        } else if (ev.type === "done") {
          f.hood(ev, null);
        }
        readout();
      },
      onDone: async (end) => {
        await look();  // first: its progress message would replace the status below
        if (end.status === "error") f.setError(end.error);
        f.setStatus(end.status === "stopped" ? `Stopped at step ${count(numbers.step)}: the model keeps what it learned.`
          : end.status === "done" ? `Done: ${pct(numbers.acc)} of the held-out digits right.` : "");
      },
    });
  }
  loadExamples();
}

function clip(el) {
  const f = demoFrame(el, { title: "Images and names in one space (CLIP), then zero-shot",
    sources: ["glasslm.engine.models.vision.clip_digits:clip_loss", "glasslm.engine.models.vision.clip_digits:ClipDigits.encode_names", "glasslm.engine.models.vision.clip_digits:zero_shot"] });
  const steps = numberInput({ label: "Steps", field: "steps", value: 600, min: 1, max: 3000, step: 1 });
  const groups = select({ label: "Groups of ten per step", field: "groups", value: "8", options: ["1", "4", "8", "16", "32"] });
  const jobs = jobButtons(f, "Train", () => train());
  const nameInputs = NAMES.map((n, i) => {
    const t = textInput({ label: `${i}`, field: `names.${i}`, value: n, maxlength: 12, oninput: debounce(() => similarity(), 150) });
    t.el.classList.add("vi-name");
    return t;
  });
  f.add(steps.el, groups.el, jobs.row,
    h("fieldset", { class: "vi-names" }, h("legend", { text: "Candidate names (edit one: misspell it, try another word)" }), ...nameInputs.map((t) => t.el)));
  const curveBox = h("div", { class: "vi-curve" });
  const simBox = h("div", { class: "vi-sim" });
  const imgs = h("div", { class: "vi-sim-images", "aria-hidden": "true" });
  f.picture.append(curveBox, h("h4", { text: "Cosine similarity: these ten held-out images (rows, in this order) × the candidate names (columns)" }),
    h("div", { class: "vi-sim-wrap" }, imgs, simBox));
  const curve = lineChart(curveBox, { xLabel: "step", yLabel: "loss / accuracy", title: "contrastive loss and zero-shot accuracy",
    series: [{ name: "contrastive loss" }, { name: "zero-shot accuracy" }] });
  const sim = heatmap(simBox, { scale: "diverging", cell: 34, format: (v) => fixed(v, 2), label: "cosine similarity of images and names" });
  let job = null, numbers = {};
  function readout() {
    f.setReadout([
      { label: "step", value: numbers.step == null ? "–" : `${count(numbers.step)} / ${count(numbers.steps)}` },
      { label: "contrastive loss", value: fixed(numbers.loss, 3) },
      { label: "temperature", value: fixed(numbers.temp, 3) },
      { label: "zero-shot accuracy (these names)", value: numbers.acc == null ? "–" : pct(numbers.acc) },
    ]);
  }
  readout();

  async function similarity() {
    if (!job) return;
    const d = await f.run(() => postJSON(`${API}/clip/similarity`, { job, names: nameInputs.map((t) => t.value) }), { key: "similarity" });
    if (!d) return;
    imgs.replaceChildren(...d.images.map((px) => h("span", { class: "vi-mini" }, ...px.map((v) => h("span", { style: `background:${inkStyle(v)}` })))));
    sim.update(d.cosine, d.images.map((_, i) => `image of ${i}`), d.names);
    numbers.acc = d.zero_shot_accuracy;
    readout();
    f.hood(d);
  }

  async function train() {
    await jobs.follow(`${API}/clip/train`, { steps: steps.value, groups: Number(groups.value) }, {
      keepStatus: true,
      onStarted: (d) => {
        curve.clear();
        job = d.job;
        numbers = { steps: steps.value };
        f.setStatus("Training…");
      },
      onEvent: (ev) => {
        if (ev.type === "step") {
          numbers.step = ev.step; numbers.loss = ev.loss; numbers.temp = ev.temperature;
          curve.append("contrastive loss", [ev.step, ev.loss]);
        } else if (ev.type === "eval") {
          curve.append("zero-shot accuracy", [ev.step, ev.zero_shot_accuracy]);
          similarity();
        }
        readout();
      },
      onDone: async (end) => {
        await similarity();  // first: its progress message would replace the status below
        if (end.status === "error") f.setError(end.error);
        f.setStatus(end.status === "done" ? "Done: edit a name and watch the similarities and the accuracy move." :
          end.status === "stopped" ? "Stopped: the encoders keep what they learned." : "");
      },
    });
  }
}

// ---------------------------------------------------------------- a CNN beside the ViT
const CNN_MODELS = { cnn: "CNN", vit: "ViT" };

// A small square of cells: a filter (signed, diverging colours) or a feature map (ink scaled to its largest value).
function tiles(values, { signed = false, top = null, label = "" } = {}) {
  const n = values.length;
  const flat = values.flat();
  const max = top ?? (Math.max(...flat.map(Math.abs)) || 1);
  return h("figure", { class: "cnn-tile" },
    h("div", { class: "cnn-cells", style: `grid-template-columns:repeat(${n},1fr)`, role: "img", "aria-label": label },
      ...flat.map((v) => h("span", { title: fixed(v, 3),
        style: `background:${signed ? diverging(v, max) : inkStyle((16 * v) / max)}` }))),
    h("figcaption", { text: label }));
}

function cnn(el) {
  const f = demoFrame(el, { title: "A convolutional network beside the ViT",
    sources: ["glasslm.engine.models.vision.cnn:conv2d", "glasslm.engine.models.vision.cnn:max_pool2d",
      "glasslm.engine.models.vision.cnn:TinyCNN.forward", "glasslm.engine.models.vision.cnn:train_cnn_and_vit"] });
  const steps = numberInput({ label: "Steps", field: "steps", value: 500, min: 1, max: 2000, step: 1 });
  const batch = select({ label: "Images per step", field: "batch_size", value: "64", options: ["16", "32", "64", "128"] });
  const lr = numberInput({ label: "Learning rate", field: "lr", value: 0.003, min: 0, max: 0.1, step: "any" });
  const jobs = jobButtons(f, "Train both", () => run());
  f.add(steps.el, batch.el, lr.el, jobs.row,
    h("p", { class: "cnn-eta", text: "Both models, the same batches: the default 500 steps take a few seconds (about 10 on a busy machine)." }));

  const curveBox = h("div", { class: "cnn-curve" });
  const table = h("table", { class: "terms num cnn-table", "aria-label": "the CNN and the ViT compared" });
  const thumbs = h("div", { class: "vi-thumbs", role: "group", "aria-label": "held-out digits to pick" });
  const gridBox = h("div", { class: "vi-draw" });
  const probBox = h("div", { class: "vi-probs" });
  const filters = h("div", { class: "cnn-row cnn-filters" });
  const maps1 = h("div", { class: "cnn-row cnn-maps1" });
  const maps2 = h("div", { class: "cnn-row cnn-maps2" });
  f.picture.append(curveBox, h("div", { class: "scroll-x" }, table),
    h("h4", { text: "Pick a held-out digit, or draw one: the trained CNN's view of it" }), thumbs,
    h("div", { class: "vi-look" },
      h("figure", {}, gridBox, buttonRow(button("Clear", () => grid.clear())), h("figcaption", { text: "the image (8×8)" })),
      h("figure", { class: "vi-prob-fig" }, probBox, h("figcaption", { text: "the CNN's class probabilities" }))),
    h("h4", { text: "Layer 1's eight 3×3 filters (blue negative, orange positive)" }), filters,
    h("h4", { text: "Layer 1's feature maps for this image: where each filter fires (8×8)" }), maps1,
    h("h4", { text: "Layer 2's sixteen feature maps, after pooling and a second convolution (4×4)" }), maps2);
  const curve = lineChart(curveBox, { xLabel: "step", yLabel: "held-out accuracy", title: "held-out accuracy, same batches",
    series: Object.keys(CNN_MODELS).map((n) => ({ name: n, label: CNN_MODELS[n], dots: true })) });
  const probs = barChart(probBox, { max: 1, label: "class probabilities" });
  const grid = drawGrid(gridBox, { label: "Digit for the CNN", onchange: debounce(() => look(), 60) });

  let job = null, info = {}, acc = {}, speed = {};
  function drawTable() {
    const names = Object.keys(CNN_MODELS);
    const row = (label, fn) => h("tr", {}, h("th", { text: label }), ...names.map((n) => h("td", { "data-model": n, text: fn(n) })));
    table.replaceChildren(h("tr", {}, h("th", { text: "" }), ...names.map((n) => h("th", { text: CNN_MODELS[n] }))),
      row("weights", (n) => (info[n] ? count(info[n].n_params) : "–")),
      row("held-out accuracy", (n) => (acc[n] == null ? "–" : pct(acc[n]))),
      row("images per second", (n) => (speed[n] ? count(Math.round(speed[n])) : "–")));
  }
  drawTable();

  async function look() {
    if (!job) return;
    const d = await f.run(() => postJSON(`${API}/cnn/look`, { job, pixels: grid.pixels }), { key: "look" });
    if (!d) return;
    probs.update(d.probs.map((p, i) => ({ label: `${i}`, value: p, highlight: i === d.prediction })));
    const fmax = Math.max(...d.filters1.flat(2).map(Math.abs)) || 1;
    filters.replaceChildren(...d.filters1.map((w, i) => tiles(w, { signed: true, top: fmax, label: `filter ${i + 1}` })));
    const top1 = Math.max(...d.maps1.flat(2)) || 1, top2 = Math.max(...d.maps2.flat(2)) || 1;
    maps1.replaceChildren(...d.maps1.map((m, i) => tiles(m, { top: top1, label: `map ${i + 1}` })));
    maps2.replaceChildren(...d.maps2.map((m, i) => tiles(m, { top: top2, label: `map ${i + 1}` })));
    f.setReadout([{ label: "CNN's prediction", value: `${d.prediction} (${pct(d.probs[d.prediction])})` }]);
    f.hood(d);
  }

  function onEvent(ev) {
    if (ev.type === "start") {
      info = ev.models; acc = {}; speed = {};
      for (const n of Object.keys(CNN_MODELS)) curve.set(n, []);
    } else if (ev.type === "step") {
      f.setStatus(`Training… step ${count(ev.step)}`);
    } else if (ev.type === "eval") {
      acc = ev.test_accuracy;
      for (const n of Object.keys(CNN_MODELS)) curve.append(n, [ev.step, ev.test_accuracy[n]]);
      if (ev.step > 0) look();
    } else if (ev.type === "done") {
      speed = ev.images_per_s; acc = ev.test_accuracy;
      f.setStatus(`Done in ${fixed(ev.elapsed_s, 1)} s.`);
      look();
    }
    drawTable();
  }
  async function run() {
    const d = await jobs.follow(`${API}/cnn/train`, { steps: steps.value, batch_size: Number(batch.value), lr: lr.value },
      { onEvent, keepStatus: true });
    if (d) job = d.job;
  }

  pickExamples(f, thumbs, grid, look);
  f.setStatus("Press “Train both”, then draw a digit to see what the CNN's filters find in it.");
}

export const demos = { vit, clip, cnn };
