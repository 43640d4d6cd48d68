// The fine-tuning chapter: the demos only draw what /api/fine-tuning/* and the jobs'
// event streams (/api/jobs/{id}/events) send.

import { postJSON } from "/static/js/api.js";
import { demoFrame, h, debounce } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { numberInput, textInput, select, segmented, slider, button, buttonRow, progressBar } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { barChart } from "/static/js/components/barchart.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { fixed, count, pct, bytes, compact } from "/static/js/components/format.js";
import { modelPicker, DEFAULT_MODEL } from "/static/js/components/modelpicker.js";

const API = "/api/fine-tuning";
const TARGETS = [["attn_wq", "W_q"], ["attn_wk", "W_k"], ["attn_wv", "W_v"], ["attn_wo", "W_o"],
  ["mlp_fc1", "MLP fc1"], ["mlp_fc2", "MLP fc2"]];
const PRETRAIN_STEPS = 600;  // first names, about two seconds here
const MATRICES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

// A group of checkboxes with one data-field, so an API error about it shows beside it.
function checkboxes({ label, field, options, checked, onchange }) {
  const boxes = options.map(([value, text]) => {
    const input = h("input", { type: "checkbox", value, checked: checked.includes(value) });
    input.addEventListener("change", () => onchange?.());
    return { input, el: h("label", { class: "ft-check" }, input, h("span", { text })) };
  });
  const el = h("fieldset", { class: "control ft-checks", "data-field": field }, h("legend", { text: label }), ...boxes.map((b) => b.el));
  return { el, get value() { return boxes.filter((b) => b.input.checked).map((b) => b.input.value); } };
}


// A histogram as an SVG of vertical bars (edges and counts from the API).
function histogram(container, { title, color = "var(--s1)" }) {
  const d3 = window.d3;
  const W = 210, H = 140, M = { top: 20, right: 10, bottom: 24, left: 10 };
  const svg = d3.select(container).append("svg").attr("class", "chart ft-hist").attr("viewBox", `0 0 ${W} ${H}`)
    .attr("role", "img").attr("aria-label", title);
  svg.append("text").attr("x", W / 2).attr("y", 13).attr("text-anchor", "middle").attr("class", "ft-hist-title").text(title);
  const g = svg.append("g"), axis = svg.append("g").attr("class", "axis").attr("transform", `translate(0,${H - M.bottom})`);
  return {
    update({ edges, counts }) {
      const x = d3.scaleLinear().domain([edges[0], edges[edges.length - 1]]).range([M.left, W - M.right]);
      const y = d3.scaleLinear().domain([0, d3.max(counts) || 1]).range([H - M.bottom, M.top]);
      g.selectAll("rect").data(counts).join("rect")
        .attr("x", (c, i) => x(edges[i])).attr("width", (c, i) => Math.max(0.5, x(edges[i + 1]) - x(edges[i]) - 0.5))
        .attr("y", (c) => y(c)).attr("height", (c) => y(0) - y(c)).style("fill", color);
      axis.call(d3.axisBottom(x).ticks(3, "~g"));
    },
  };
}

// ---------------------------------------------------------------- LoRA vs full fine-tuning

function lora(el) {
  const f = demoFrame(el, { title: "LoRA vs full fine-tuning: first names → last names",
    sources: ["glasslm.engine.training.lora:lora_linear", "glasslm.engine.training.lora:LoRAGPT.forward",
      "glasslm.engine.training.finetune:compare_finetuning", "glasslm.engine.training.lora:merge"] });
  const rank = slider({ label: "Rank r", field: "rank", min: 1, max: 16, step: 1, value: 4, oninput: () => recount() });
  const alpha = numberInput({ label: "alpha (scale = alpha / r)", field: "alpha", value: 8, min: 0.1, max: 256, step: "any" });
  const targets = checkboxes({ label: "Matrices with an adapter", field: "targets", options: TARGETS,
    checked: ["attn_wq", "attn_wv"], onchange: () => recount() });
  const width = select({ label: "Model width", field: "n_embd", value: "32", options: ["16", "32", "64"], onchange: () => recount() });
  const steps = numberInput({ label: "Fine-tuning steps", field: "steps", value: 400, min: 1, max: 2000, step: 1 });
  const lrLora = numberInput({ label: "Learning rate, LoRA", field: "lr_lora", value: 0.01, min: 0, max: 0.1, step: "any" });
  const lrFull = numberInput({ label: "Learning rate, full", field: "lr_full", value: 0.003, min: 0, max: 0.1, step: "any" });
  const jobs = jobButtons(f, "Train both", () => train());
  const mergeBtn = button("Merge the adapter", () => doMerge());
  mergeBtn.disabled = true;
  // The base: a tiny GPT pretrained here on first names, or the learner's own (trained on names).
  const picker = modelPicker({ label: "Base model", defaultLabel: "pretrained here", needsNames: true, onchange: () => {
    width.input.disabled = picker.value !== DEFAULT_MODEL;
    recount();
  } });
  f.add(picker.el, rank.el, alpha.el, targets.el, width.el, steps.el, lrLora.el, lrFull.el, buttonRow(jobs.go, jobs.stop, mergeBtn));

  const bar = progressBar("training progress");
  const chartBox = h("div", { class: "ft-loss" });
  const specBox = h("div", { class: "ft-spectrum" });
  const lists = h("div", { class: "ft-samples" });
  const mergeBox = h("div", { class: "ft-merge", "aria-live": "polite" });
  f.picture.append(bar.el, chartBox, specBox, lists, mergeBox);
  const chart = lineChart(chartBox, { xLabel: "fine-tuning step", yLabel: "held-out loss on last names (nats/char)",
    title: "held-out loss: LoRA and full fine-tuning", series: [{ name: "full fine-tuning" }, { name: "LoRA" }] });
  const spec = lineChart(specBox, { xLabel: "singular value number (largest first)", yLabel: "relative to the largest", height: 200,
    title: "singular values of each run's change to one matrix", series: [{ name: "full fine-tuning" }, { name: "LoRA" }] });
  const specHead = h("h4", { class: "ft-spec-head", text: "" });
  specBox.prepend(specHead);

  let job = null;
  const n = { share: null, lora: null, full: null, heldFull: null, heldLora: null, base: null, firstFull: null, firstLora: null, step: null };
  function show() {
    f.setReadout([
      { label: "LoRA trains", value: n.lora === null ? "–" : `${count(n.lora)} of ${count(n.full)} (${pct(n.share)})` },
      { label: "held-out loss, full", value: fixed(n.heldFull, 3) },
      { label: "held-out loss, LoRA", value: fixed(n.heldLora, 3) },
      { label: "first names after (full / LoRA)", value: n.firstFull === null ? "–" : `${fixed(n.firstFull, 3)} / ${fixed(n.firstLora, 3)}` },
    ]);
  }
  show();

  async function recountNow() {
    const body = { rank: rank.value, targets: targets.value, n_embd: Number(width.value), model: picker.value };
    const d = await f.run(() => postJSON(`${API}/count`, body), { key: "recountNow" });
    if (!d) return;
    n.lora = d.lora_trainable; n.full = d.full_trainable; n.share = d.lora_share;
    show();
  }
  const recount = debounce(recountNow, 120);

  function samplesList(title, names, cls) {
    return h("div", { class: `ft-list ${cls}` }, h("h4", { text: title }),
      h("ol", { class: "mono" }, ...names.map((s) => h("li", { text: s || "(empty)" }))));
  }

  function onEvent(ev) {
    if (ev.phase === "pretrain") {
      if (ev.type === "eval") { bar.set(ev.step, 2 * (n.pretrain || 1)); f.setStatus(`Pretraining on first names: step ${count(ev.step)}, held-out loss ${fixed(ev.heldout_loss, 3)}`); }
      return;
    }
    if (ev.type === "start") {
      n.lora = ev.lora_trainable; n.full = ev.full_trainable; n.share = ev.lora_share; n.base = ev.base_heldout; n.total = ev.steps;
      chart.hline("base", ev.base_heldout, `before fine-tuning ${fixed(ev.base_heldout, 3)}`);
      lists.replaceChildren(samplesList(n.pretrain ? "Before (pretrained on first names)" : "Before (your model)", ev.base_samples, "ft-before"));
      f.hood(ev);
    } else if (ev.type === "step") {
      n.step = ev.step;
      if (n.pretrain) bar.set(n.pretrain + ev.step * n.pretrain / n.total, 2 * n.pretrain);
      else bar.set(ev.step, n.total);  // the learner's own base: nothing was pretrained
      f.setStatus(`Fine-tuning: step ${count(ev.step)} of ${count(n.total)}`);
    } else if (ev.type === "eval") {
      n.heldFull = ev.full; n.heldLora = ev.lora;
      chart.append("full fine-tuning", [ev.step, ev.full]);
      chart.append("LoRA", [ev.step, ev.lora]);
    } else if (ev.type === "done") {
      if (ev.diverged) f.setError(ev.message, "lr_lora");
      if (ev.samples) {
        lists.append(samplesList("After full fine-tuning", ev.samples.full, "ft-full"),
          samplesList(`After LoRA (r = ${rank.value})`, ev.samples.lora, "ft-lora"));
        n.firstFull = ev.first_names.full; n.firstLora = ev.first_names.lora;
        const sp = ev.spectrum, label = TARGETS.find(([v]) => v === sp.target)[1];
        spec.set("full fine-tuning", sp.full.map((v, i) => [i + 1, v / sp.full[0]]));
        spec.set("LoRA", sp.lora.map((v, i) => [i + 1, v / sp.lora[0]]));
        specHead.textContent = `Singular values of the change to ${label} (layer ${sp.layer + 1}), each run's divided by its largest ` +
          `(${fixed(sp.full[0], 2)} full, ${fixed(sp.lora[0], 2)} LoRA): LoRA's has at most r = ${rank.value} above zero`;
      }
      f.hood(ev);
    }
    show();
  }

  async function train() {
    const body = { rank: rank.value, alpha: alpha.value, targets: targets.value, n_embd: Number(width.value),
      steps: steps.value, lr_lora: lrLora.value, lr_full: lrFull.value, pretrain_steps: PRETRAIN_STEPS, model: picker.value };
    await jobs.follow(`${API}/lora`, body, {
      keepStatus: true,
      onStarted: (d) => {
        job = d.job; n.pretrain = picker.value === DEFAULT_MODEL ? PRETRAIN_STEPS : 0;
        chart.clear(); spec.clear(); specHead.textContent = ""; lists.replaceChildren(); mergeBox.replaceChildren(); bar.reset();
        Object.assign(n, { heldFull: null, heldLora: null, firstFull: null, firstLora: null });
        mergeBtn.disabled = true;
      },
      onEvent,
      onDone: (end) => {
        mergeBtn.disabled = end.status === "error";
        f.setStatus(end.status === "stopped" ? `Stopped at step ${count(n.step)}: the adapters so far can still be merged.`
          : end.status === "done" ? "Done: press “Merge the adapter” to fold B·A into the weights." : "");
        if (end.status === "done") bar.set(1, 1);
      },
    });
  }

  async function doMerge() {
    const d = await f.run(() => postJSON(`${API}/merge`, { job }), { progress: "Merging…" });
    if (!d) return;
    mergeBox.replaceChildren(
      h("h4", { text: "Merged: W′ = W + (alpha/r)·B·A, adapters removed" }),
      h("div", { class: "ft-samples" },
        samplesList("With the adapter", d.adapter_samples, "ft-lora"),
        samplesList("Merged model, same seed", d.merged_samples, "ft-merged")),
      h("p", { class: "ft-verdict", text: `${d.identical ? "Identical names" : "Different names"}; largest logit difference over ${count(d.positions_compared)} positions: ${d.max_logit_difference.toExponential(1)}. The merged model has ${count(d.merged_params)} weights, as many as the base: no adapter is left.` }));
    f.hood(d);
  }

  recountNow();
  picker.refresh().catch(() => {});
}

// ---------------------------------------------------------------- quantizing one matrix

function quantizeDemo(el) {
  const f = demoFrame(el, { title: "One of SmolLM2's matrices at 8 and 4 bits",
    sources: ["glasslm.engine.models.llama.quantize:quantize", "glasslm.engine.models.llama.quantize:Quantized.dequantize",
      "glasslm.engine.models.llama.quantize:error_stats", "glasslm.engine.models.llama.quantize:read_tensor_types"] });
  const layer = numberInput({ label: "Layer (0–29)", field: "layer", value: 3, min: 0, max: 29, step: 1, onchange: () => go() });
  const matrix = select({ label: "Matrix", field: "matrix", value: "q_proj", options: MATRICES, onchange: () => go() });
  const block = select({ label: "Block size", field: "block", value: "32", options: ["16", "32", "64", "192"], onchange: () => go() });
  f.add(layer.el, matrix.el, block.el);
  const hists = h("div", { class: "ft-hists" });
  const table = h("div", { class: "scroll-x" });
  const fileBox = h("div", { class: "ft-file" });
  f.picture.append(hists, table, fileBox);
  const hw = histogram(hists, { title: "the weights" });
  const h8 = histogram(hists, { title: "error at 8 bits", color: "var(--s2)" });
  const h4 = histogram(hists, { title: "error at 4 bits", color: "var(--s3)" });

  async function go() {
    const body = { layer: layer.value, matrix: matrix.value, block: Number(block.value) };
    const d = await f.run(() => postJSON(`${API}/quantize`, body), { key: "go", progress: "Reading and quantizing the matrix…" });
    if (!d) return;
    const f8 = d.formats["8"], f4 = d.formats["4"];
    hw.update(d.weights); h8.update(f8.errors); h4.update(f4.errors);
    const row = (name, formula, actual, bpw, rmse, max) => h("tr", {},
      h("th", { scope: "row", text: name }), h("td", { class: "num formula", text: formula }), h("td", { class: "num", text: actual }),
      h("td", { class: "num", text: bpw }), h("td", { class: "num", text: rmse }), h("td", { class: "num", text: max }));
    const n = d.n;
    table.replaceChildren(h("table", { class: "ft-sizes" },
      h("caption", { text: `${d.matrix} of layer ${d.layer}: ${count(d.shape[0])} × ${count(d.shape[1])} = ${count(n)} weights, blocks of ${d.block}` }),
      h("thead", {}, h("tr", {}, ...["format", "bytes by formula", "bytes stored", "bits per weight", "RMSE", "max error"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {},
        row("float32", `${count(n)} × 4 = ${count(n * 4)}`, count(d.float32_bytes), "32", "0", "0"),
        row("8-bit", `${count(n)}×8/8 + 2×${count(n / d.block)} = ${count(f8.formula_bytes)}`, count(f8.actual_bytes), fixed(f8.bits_per_weight, 2), f8.rmse.toExponential(2), f8.max_abs.toExponential(2)),
        row("4-bit", `${count(n)}×4/8 + 2×${count(n / d.block)} = ${count(f4.formula_bytes)}`, count(f4.actual_bytes), fixed(f4.bits_per_weight, 2), f4.rmse.toExponential(2), f4.max_abs.toExponential(2)),
        row(`in the GGUF file (${d.gguf.type})`, "–", count(d.gguf.bytes), fixed(8 * d.gguf.bytes / n, 2), "–", "–"))));
    fileBox.replaceChildren(h("p", { text: "The shipped GGUF file, read now: " + d.file_types.map((t) =>
      `${count(t.tensors)} ${t.tensors === 1 ? "tensor" : "tensors"} in ${t.type} (${fixed(t.bits_per_weight, 2)} bits per weight, ${bytes(t.bytes)})`).join("; ") + "." }));
    f.setReadout([
      { label: "8-bit: size vs float32", value: pct(f8.actual_bytes / d.float32_bytes, 1) },
      { label: "4-bit: size vs float32", value: pct(f4.actual_bytes / d.float32_bytes, 1) },
      { label: "error vs weight RMS, 8 / 4 bits", value: `${pct(f8.relative_rmse)} / ${pct(f4.relative_rmse)}` },
      { label: "this tensor in the file", value: d.gguf.type },
    ]);
    f.hood(d);
  }
  go();
}

// ---------------------------------------------------------------- effect on the next token

function effect(el) {
  const f = demoFrame(el, { title: "What quantization does to SmolLM2's next-token prediction",
    sources: ["glasslm.engine.models.llama.quantize:quantized_next_logits", "glasslm.engine.models.llama.quantize:quantized_weights",
      "glasslm.engine.models.llama.quantize:compare_next_token", "glasslm.engine.models.llama.quantize:kl_divergence"] });
  const text = textInput({ label: "Your prompt", field: "text", value: "The capital of France is" });
  const bits = segmented({ label: "Bits", field: "bits", value: "4", options: [["8", "8 bits"], ["4", "4 bits"]] });
  const scope = segmented({ label: "Quantize", field: "scope", value: "layer",
    options: [["matrix", "one matrix"], ["layer", "one layer (7)"], ["all", "all 210 matrices"]] });
  const layer = numberInput({ label: "Layer (0–29)", field: "layer", value: 3, min: 0, max: 29, step: 1 });
  const matrix = select({ label: "Matrix", field: "matrix", value: "q_proj", options: MATRICES });
  const block = select({ label: "Block size", field: "block", value: "32", options: ["16", "32", "64", "192"] });
  const jobs = jobButtons(f, "Quantize and predict", () => go());
  f.add(text.el, bits.el, scope.el, layer.el, matrix.el, block.el, jobs.row);
  const bar = progressBar("quantizing progress");
  const cols = h("div", { class: "ft-effect" });
  const left = h("div", {}, h("h4", { text: "Shipped weights" })), right = h("div", {}, h("h4", { text: "Quantized copy" }));
  cols.append(left, right);
  f.picture.append(bar.el, cols);
  const refBars = barChart(left, { label: "next-token probabilities, shipped weights" });
  const qBars = barChart(right, { label: "next-token probabilities, quantized" });

  async function go() {
    const body = { text: text.value, bits: Number(bits.value), scope: scope.value, layer: layer.value,
      matrix: matrix.value, block: Number(block.value) };
    await jobs.follow(`${API}/effect`, body, {
      keepStatus: true,
      onStarted: (d) => {
        bar.reset();
        f.setStatus(`Quantizing ${count(d.matrices)} matrices of a copy of SmolLM2…`);
      },
      onEvent: (ev) => {
        if (ev.type === "progress") { bar.set(ev.done, ev.total); f.setStatus(`Quantized ${count(ev.done)} of ${count(ev.total)} matrices…`); }
        if (ev.type === "result") {
          const tok = (t) => visible(t.token);  // a space token was a blank label: spaces as ·, newlines as ↵
          refBars.update(ev.reference_top.map((t) => ({ label: tok(t), value: t.p, highlight: t.id === ev.quantized_top[0].id })));
          qBars.update(ev.quantized_top.map((t) => ({ label: tok(t), value: t.p_quantized, highlight: t.id === ev.reference_top[0].id })));
          f.setReadout([
            { label: "KL(shipped ‖ quantized)", value: `${ev.kl.toPrecision(3)} nats` },
            { label: "top token", value: ev.top_same ? `unchanged (${tok(ev.reference_top[0])})` : `changed: ${tok(ev.reference_top[0])} → ${tok(ev.quantized_top[0])}` },
            { label: "top-10 in common", value: `${ev.top_overlap} of 10` },
            { label: "weights quantized", value: `${compact(ev.weights_quantized)} in ${count(ev.matrices)} matrices` },
          ]);
          f.hood(ev);
        }
      },
      onDone: (end) => {
        f.setStatus(end.status === "stopped" ? "Stopped." : end.status === "done" ? "Done." : "");
      },
    });
  }
}

// ---------------------------------------------------------------- QLoRA memory

function qloraMemory(el) {
  const f = demoFrame(el, { title: "Memory to fine-tune: full, LoRA, QLoRA",
    sources: ["glasslm.engine.models.llama.quantize:finetune_memory", "glasslm.engine.models.llama.quantize:adapter_params"] });
  const rank = slider({ label: "LoRA rank r (on W_q, W_k, W_v, W_o)", field: "rank", min: 1, max: 256, step: 1, value: 16,
    oninput: debounce(() => go(), 80) });
  f.add(rank.el);
  const box = h("div", { class: "ft-memory" });
  f.picture.append(box);

  async function go() {
    const d = await f.run(() => postJSON(`${API}/memory`, { rank: rank.value }), { key: "go" });
    if (!d) return;
    box.replaceChildren(...d.rows.map((r) => {
      const top = r.bytes.full;
      const line = (name, v) => h("div", { class: "ft-mem-row" }, h("span", { text: name }),
        h("span", { class: "ft-mem-track" }, h("span", { class: "ft-mem-bar", style: `width:${Math.max(0.4, 100 * v / top)}%` })),
        h("span", { class: "num", text: bytes(v) }));
      return h("figure", { class: "ft-mem" },
        h("figcaption", { text: `${r.model}: ${compact(r.params)} weights, ${compact(r.adapter_params)} in adapters (${pct(r.adapter_share)})` }),
        line("full fine-tuning (16 B per weight)", r.bytes.full), line("LoRA, 16-bit base", r.bytes.lora),
        line("QLoRA, 4-bit base", r.bytes.qlora), h("p", { class: "ft-source", text: r.source }));
    }));
    const big = d.rows[1];
    f.setReadout([
      { label: `${big.model}: full → QLoRA`, value: `${bytes(big.bytes.full)} → ${bytes(big.bytes.qlora)}` },
      { label: "QLoRA saves", value: `${fixed(big.bytes.full / big.bytes.qlora, 1)}×` },
    ]);
    f.hood(d);
  }
  go();
}

export const demos = { lora, quantize: quantizeDemo, effect, "qlora-memory": qloraMemory };
