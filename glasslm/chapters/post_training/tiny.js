// The post-training chapter's tiny-GPT demos: loss masking, SFT, the learner's preferences and a
// reward model, DPO, and the RLHF pipeline. They only draw what /api/post-training/* returns.

import { postJSON, streamJob } from "/static/js/api.js";
import { demoFrame, h, debounce } from "/static/js/components/demo.js";
import { slider, textInput, segmented, select, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { pct, fixed, signed, count } from "/static/js/components/format.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { API } from "./smollm2.js";

const PROMPTS = [["f>", "f> a female first name"], ["m>", "m> a male first name"], ["l>", "l> a surname"]];

// ------------------------------------------------------------------ the shared base model

let basePromise = null;
const baseListeners = new Set();
// Resolve once the server's base model is pretrained; report progress to every waiting demo.
function baseReady(onProgress) {
  baseListeners.add(onProgress);
  if (!basePromise) {
    basePromise = postJSON(`${API}/base`).then((d) => (d.ready ? d : new Promise((resolve, reject) => {
      streamJob(d.job, {
        onEvent: (ev) => {
          if (ev.type === "progress") baseListeners.forEach((fn) => fn(ev));
          else if (ev.type === "ready") resolve(ev);
        },
        onEnd: (end) => { if (end.status !== "done") reject(new Error(end.error || "pretraining stopped")); },
      });
    }))).catch((e) => { basePromise = null; throw e; });
  }
  return basePromise;
}

async function waitForBase(f) {
  f.setStatus("Pretraining the base model on unlabelled names (once per server)…");
  try {
    const info = await baseReady((ev) => f.setStatus(`Pretraining the base model (once per server): step ${count(ev.step)} of ${count(ev.steps)}…`));
    f.setStatus("");
    return info;
  } catch (e) {
    f.setError(e.message);
    return null;
  }
}

// The learner's SFT run and preference pairs, shared between this chapter's demos.
const shared = { sftJob: null, pairs: [], listeners: new Set() };
function pairsChanged() { shared.listeners.forEach((fn) => fn()); }

// ------------------------------------------------------------------ loss masking

function masking(el) {
  const f = demoFrame(el, { title: "Which tokens the SFT loss counts",
    sources: ["glasslm.engine.post_training.sft:token_losses", "glasslm.engine.post_training.sft:masked_batch"] });
  const prompt = segmented({ label: "Prompt", field: "prompt", value: "f>", options: PROMPTS.map(([v]) => [v, v]), onchange: () => draw() });
  const name = textInput({ label: "Response (a name, letters a-z)", field: "response", value: "emma", maxlength: 19, oninput: debounce(() => draw(), 200) });
  f.add(prompt.el, name.el);
  const table = h("table", { class: "pt-table num" });
  f.picture.append(table);
  async function draw() {
    const d = await f.run(() => postJSON(`${API}/sft/example`, { prompt: prompt.value, response: name.value, job: shared.sftJob }), { key: "draw" });
    if (!d) return;
    const cols = d.sft ? ["base", "sft"] : ["base"];
    table.replaceChildren(h("tr", {}, h("th", { text: "context" }), h("th", { text: "target" }), h("th", { text: "counted?" }),
      ...cols.map((c) => h("th", { text: c === "base" ? "loss, base model" : "loss, after your SFT" }))),
    ...d.base.targets.map((r, i) => h("tr", { class: r.counted ? "pt-counted" : "pt-masked" },
      h("td", { class: "mono", text: r.context.replace("<BOS>", "⟨BOS⟩") }), h("td", { class: "mono", text: r.target === "<BOS>" ? "⟨BOS⟩ (end)" : r.target }),
      h("td", { text: r.counted ? "yes: response" : "no: prompt, masked" }),
      ...cols.map((c) => h("td", { text: `${fixed(d[c].targets[i].loss, 3)}` })))));
    const items = [{ label: "loss SFT trains on (response only)", value: `${fixed(d.base.masked_loss, 3)} nats/char` },
      { label: "loss over every target", value: `${fixed(d.base.unmasked_loss, 3)} nats/char` }];
    if (d.sft) items.push({ label: "response loss after your SFT", value: `${fixed(d.sft.masked_loss, 3)} nats/char` });
    f.setReadout(items);
    f.hood(d);
  }
  waitForBase(f).then((info) => { if (info) draw(); });
  shared.redrawMasking = () => draw();
}

// ------------------------------------------------------------------ SFT

function sft(el) {
  const f = demoFrame(el, { title: "Supervised fine-tuning, measured",
    sources: ["glasslm.engine.post_training.sft:sft", "glasslm.engine.post_training.sft:instruction_matrix", "glasslm.engine.post_training.sft:answers"] });
  const steps = slider({ label: "Steps", field: "steps", min: 10, max: 600, step: 10, value: 200, format: (v) => count(v) });
  const lr = slider({ label: "Learning rate", field: "lr", min: 0.0005, max: 0.02, step: 0.0005, value: 0.003, format: (v) => fixed(v, 4) });
  const mask = segmented({ label: "Loss counted on", field: "mask_prompt", value: "yes", options: [["yes", "the response only"], ["no", "every token"]] });
  const jobs = jobButtons(f, "Fine-tune", () => run());
  f.add(steps.el, lr.el, mask.el, jobs.row);
  jobs.go.disabled = true;  // until the base model is ready

  const chartBox = h("div");
  const chart = lineChart(chartBox, { xLabel: "step", yLabel: "loss (nats per response character)",
    series: [{ name: "training batch" }, { name: "held-out responses" }] });
  const gridBox = h("div", { class: "pt-matrix" });
  const grid = heatmap(gridBox, { scale: "diverging", cell: 50, format: (v) => signed(v, 2),
    label: "held-out loss minus its column's mean, before and after SFT: rows prompt, columns kind of name" });
  const samples = h("table", { class: "pt-table pt-samples" });
  const grids = h("div", { hidden: true }, h("h4", { text: "Does the prompt matter? Held-out loss by prompt (rows) and kind of name (columns)" }),
    h("p", { class: "pt-note", text: "Columns: held-out female (f), male (m) and surnames (l), before and after SFT. Each cell is the loss (nats per character) minus the mean of its column: blue means this prompt makes that kind of name likelier than the other prompts do. The raw losses are under the hood." }),
    gridBox,
    h("h4", { text: "Answers sampled from each prompt (same seed)" }), samples);
  f.picture.append(chartBox, grids);

  const kinds = PROMPTS.map(([p]) => p);
  const labels = ["female", "male", "surname"];
  // rows: prompts; columns: kinds of name before SFT, then after; each value minus its column's mean
  const centred = (m) => kinds.map((p) => kinds.map((k) => m[p][k] - kinds.reduce((a, q) => a + m[q][k], 0) / kinds.length));
  const cols = [...kinds.map((k) => `${k[0]} before`), ...kinds.map((k) => `${k[0]} after`)];
  function drawGrid() {
    const b = centred(got.before.matrix), a = got.after ? centred(got.after.matrix) : kinds.map(() => kinds.map(() => NaN));
    grid.update(kinds.map((_, i) => [...b[i], ...a[i]]), kinds, cols);
  }
  let got = {};
  function drawSamples() {
    samples.replaceChildren(h("tr", {}, h("th", { text: "prompt" }), h("th", { text: "base model" }), h("th", { text: "after SFT" })),
      ...PROMPTS.map(([p, label]) => h("tr", {}, h("td", { class: "mono", text: label }),
        h("td", { class: "mono", text: (got.before?.samples[p] || []).map((s) => s || "∅").join(" · ") }),
        h("td", { class: "mono", text: (got.after?.samples[p] || []).map((s) => s || "∅").join(" · ") }))));
  }
  function sftReadout() {
    f.setReadout([
      { label: "held-out response loss", value: `${fixed(got.start, 3)} → ${fixed(got.lastEval, 3)} nats/char` },
      { label: "kinds of name likeliest under their own prompt", value: `${diag(got.before.matrix)} → ${diag(got.after.matrix)} of 3` },
    ]);
  }
  function diag(m) { return kinds.filter((k) => kinds.every((p) => m[k][k] <= m[p][k])).length; }
  async function run() {
    const body = { steps: steps.value, lr: lr.value, mask_prompt: mask.value === "yes" };
    let job = null;
    await jobs.follow(`${API}/sft/train`, body, {
      keepStatus: true,
      onStarted: (d) => { job = d.job; chart.clear(); got = {}; drawSamples(); },
      onEvent: (ev) => {
        if (ev.type === "before") {
          got.before = ev;
          grids.hidden = false;
          drawGrid();
          drawSamples();
          f.setStatus(`Fine-tuning a copy of the base model for ${count(ev.steps)} steps…`);
        } else if (ev.type === "step") chart.append("training batch", [ev.step, ev.loss]);
        else if (ev.type === "eval") {
          chart.append("held-out responses", [ev.step, ev.heldout_loss]);
          if (ev.step === 0) got.start = ev.heldout_loss;
          got.lastEval = ev.heldout_loss;
          f.setReadout([{ label: "held-out response loss", value: `${fixed(got.start, 3)} → ${fixed(ev.heldout_loss, 3)} nats/char` }]);
        } else if (ev.type === "after") {
          got.after = ev;
          drawGrid();
          drawSamples();
          shared.sftJob = job;
          shared.redrawMasking?.();
          sftReadout();
          f.hood({ before: got.before, after: ev });
        }
      },
      onDone: (end) => {
        if (end.status === "stopped") f.setStatus("Stopped: the model was not kept (run it to the end to compare).");
        else if (end.status === "done") f.setStatus("Done. The table above now also shows the losses after your SFT.");
        else f.setStatus("");
      },
    });
  }
  waitForBase(f).then((info) => { if (info) { jobs.go.disabled = false; f.setStatus(`Base model ready: ${count(info.n_params)} parameters, held-out loss ${fixed(info.heldout_loss, 3)} nats/char.`); } });
}

// ------------------------------------------------------------------ preferences and the reward model

function prefs(el) {
  const f = demoFrame(el, { title: "Your preferences, and a reward model fitted to them",
    sources: ["glasslm.engine.post_training.preferences:fit", "glasslm.engine.post_training.preferences:bt_loss",
      "glasslm.engine.post_training.preferences:cross_validated_accuracy", "glasslm.engine.post_training.preferences:features"] });
  const pick1 = button("1", () => choose(1), { label: "Pick name 1" });
  const pick2 = button("2", () => choose(2), { label: "Pick name 2" });
  pick1.classList.add("pt-pick"); pick2.classList.add("pt-pick");
  const skip = button("Skip (no preference)", () => next());
  const judgeSel = select({ label: "Or let a script choose for you", field: "judge", value: "shorter",
    options: [["shorter", "prefers shorter names"], ["ends_in_vowel", "prefers names ending in a vowel"], ["real_name", "prefers real names"]] });
  const scripted = button("Add 20 scripted choices", () => script());
  const clear = button("Forget my choices", () => { shared.pairs = []; pairsChanged(); fitNow(); });
  const guess = h("p", { class: "pt-guess", "aria-live": "polite" });
  f.add(h("p", { class: "pt-note", text: "Which name do you like better? Click it, or press 1 or 2 while a name button has focus." }),
    h("div", { class: "pt-pair" }, pick1, pick2), guess, buttonRow(skip), judgeSel.el, buttonRow(scripted, clear));
  [pick1, pick2, skip, scripted, clear].forEach((b) => { b.disabled = true; });

  const weightsBox = h("div");
  const weights = heatmap(weightsBox, { scale: "diverging", cell: 58, format: (v) => signed(v, 2), label: "reward model weights" });
  const curveBox = h("div");
  const curve = lineChart(curveBox, { xLabel: "training step", yLabel: "Bradley–Terry loss", series: [{ name: "loss on your pairs" }], height: 200 });
  const ranked = h("ol", { class: "pt-ranked mono" });
  const history = h("p", { class: "pt-note mono" });
  const fitted = h("div", { hidden: true }, h("h4", { text: "What the reward model learned: weight per feature (orange: you like it, blue: you don't)" }),
    weightsBox, curveBox, h("h4", { text: "Fresh names from the base model, best reward first" }), ranked);
  f.picture.append(fitted, h("h4", { text: "Your latest choices (chosen ≻ rejected)" }), history);

  let pair = null, seed = 0;
  const asPairs = () => shared.pairs.map(([c, r]) => ({ chosen: c, rejected: r }));
  async function next() {
    const d = await f.run(() => postJSON(`${API}/pair`, { seed, pairs: asPairs() }), { progress: "Sampling two names…" });
    if (!d) return;
    pair = d; seed = d.next_seed;
    pick1.textContent = `1 · ${d.a}`; pick2.textContent = `2 · ${d.b}`;
    guess.textContent = d.p_a === null ? "The reward model guesses once you have made 2 choices."
      : `The reward model, fitted on your ${d.n_pairs} choices, gives ${pct(d.p_a)} that you pick 1.`;
  }
  async function choose(k) {
    if (!pair) return;
    shared.pairs.push(k === 1 ? [pair.a, pair.b] : [pair.b, pair.a]);
    pairsChanged();
    await fitNow();
    await next();
  }
  async function script() {
    const d = await f.run(() => postJSON(`${API}/judge`, { judge: judgeSel.value, n: 20, seed }), { progress: "The script is choosing…" });
    if (!d) return;
    seed = d.next_seed;
    shared.pairs.push(...d.pairs.map((p) => [p.chosen, p.rejected]));
    pairsChanged();
    await fitNow();
    await next();
  }
  async function fitNow() {
    history.textContent = shared.pairs.slice(-12).map(([c, r]) => `${c} ≻ ${r}`).join("   ");
    if (shared.pairs.length < 2) {
      f.setReadout([{ label: "your choices", value: count(shared.pairs.length) }]);
      fitted.hidden = true;
      return;
    }
    const d = await f.run(() => postJSON(`${API}/reward`, { pairs: asPairs(), seed: 1 }), { progress: "Fitting the reward model…" });
    if (!d) return;
    fitted.hidden = false;
    weights.update([d.features.map((x) => x.weight)], ["weight"], d.features.map((x) => x.name));
    curve.set("loss on your pairs", d.curve.map((y, i) => [i * Math.max(1, Math.floor(300 / d.curve.length)), y]));
    ranked.replaceChildren(...d.ranked.slice(0, 10).map((r) => h("li", { text: `${r.name}  (${signed(r.reward, 2)})` })));
    f.setReadout([
      { label: "your choices", value: count(d.n_pairs) },
      { label: "accuracy on them", value: pct(d.train_accuracy) },
      { label: `held-out accuracy (${d.folds}-fold)`, value: d.heldout_accuracy === null ? `needs ${d.folds} choices` : pct(d.heldout_accuracy) },
    ]);
    f.hood(d);
  }
  el.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select")) return;
    if (e.key === "1" || e.key === "2") { e.preventDefault(); choose(Number(e.key)); }
  });
  waitForBase(f).then((info) => {
    if (!info) return;
    [pick1, pick2, skip, scripted, clear].forEach((b) => { b.disabled = false; });
    next();
    fitNow();
  });
}

// ------------------------------------------------------------------ DPO

function dpo(el) {
  const f = demoFrame(el, { title: "DPO: the tiny GPT moved toward your choices",
    sources: ["glasslm.engine.post_training.dpo:dpo", "glasslm.engine.post_training.dpo:dpo_loss", "glasslm.engine.post_training.dpo:sequence_logprob", "glasslm.engine.post_training.dpo:kl_estimate"] });
  const beta = slider({ label: "β (how far from the reference)", field: "beta", min: 0.02, max: 1, step: 0.02, value: 0.1, format: (v) => fixed(v, 2) });
  const steps = slider({ label: "Steps", field: "steps", min: 5, max: 100, step: 5, value: 25, format: (v) => count(v) });
  const jobs = jobButtons(f, "Run DPO", () => run());
  const have = h("p", { class: "pt-note", "data-field": "pairs" });
  f.add(have, beta.el, steps.el, jobs.row);
  const showHave = () => {
    have.textContent = `Your preference pairs so far: ${shared.pairs.length} (make them in the demo above).`;
    jobs.go.disabled = shared.pairs.length < 2 || jobs.stop.disabled === false;
  };
  shared.listeners.add(showHave);
  showHave();

  const chartBox = h("div");
  const chart = lineChart(chartBox, { xLabel: "step", yLabel: "value", series: [{ name: "DPO loss" }, { name: "implicit reward margin" }], height: 240 });
  const table = h("table", { class: "pt-table pt-measure num" });
  const names = h("table", { class: "pt-table pt-samples" });
  f.picture.append(chartBox, h("h4", { text: "200 names sampled before and after (same seed)" }), table, names);

  async function run() {
    const body = { pairs: shared.pairs.map(([c, r]) => ({ chosen: c, rejected: r })), beta: beta.value, steps: steps.value };
    let before = null, d = null;
    await jobs.follow(`${API}/dpo`, body, {
      onStarted: (answer) => { d = answer; chart.clear(); table.replaceChildren(); names.replaceChildren(); },
      onEvent: (ev) => {
        if (ev.type === "before") { before = ev; f.setStatus(`DPO on your ${ev.n_pairs} pairs…`); }
        else if (ev.type === "step") {
          chart.append("DPO loss", [ev.step, ev.loss]);
          chart.append("implicit reward margin", [ev.step, ev.margin]);
          f.setReadout([{ label: "step", value: `${ev.step} of ${d.steps}` }, { label: "DPO loss", value: fixed(ev.loss, 3) },
            { label: "pairs ranked right by the implicit reward", value: pct(ev.accuracy) }]);
        } else if (ev.type === "after") {
          const rate = (k, r) => (r.rates[k] === null ? "–" : k === "length" ? `${fixed(r.rates[k] * 10, 2)} letters (mean)` : pct(r.rates[k]));
          table.replaceChildren(h("tr", {}, h("th", { text: "in the samples" }), h("th", { text: "before (reference)" }), h("th", { text: "after DPO" })),
            h("tr", {}, h("td", { text: "mean reward (your reward model)" }), h("td", { text: signed(before.mean_reward, 2) }), h("td", { text: signed(ev.mean_reward, 2) })),
            ...Object.keys(before.rates).map((k) => h("tr", {}, h("td", { text: before.labels[k] }), h("td", { text: rate(k, before) }), h("td", { text: rate(k, ev) }))),
            h("tr", {}, h("td", { text: "empty names (BOS at once)" }), h("td", { text: count(before.empty) }), h("td", { text: count(ev.empty) })));
          names.replaceChildren(h("tr", {}, h("th", { text: "before" }), h("td", { class: "mono", text: before.names.map((s) => s || "∅").join(" · ") })),
            h("tr", {}, h("th", { text: "after" }), h("td", { class: "mono", text: ev.names.map((s) => s || "∅").join(" · ") })));
          f.setReadout([{ label: "mean reward", value: `${signed(before.mean_reward, 2)} → ${signed(ev.mean_reward, 2)}` },
            { label: "KL from the reference", value: `${fixed(ev.kl, 3)} nats per name` }]);
          f.hood({ before, after: ev });
        }
      },
      onDone: () => showHave(),
    });
  }
}

// ------------------------------------------------------------------ the RLHF pipeline (a diagram, no numbers)

function pipeline(el) {
  const f = demoFrame(el, { title: "From pretraining to an assistant: the stages and what each one does", stacked: true,
    sources: ["glasslm.engine.post_training.sft:sft", "glasslm.engine.post_training.preferences:fit", "glasslm.engine.post_training.dpo:dpo"] });
  const stages = [
    ["Pretraining", "next-token loss on a large text corpus", "a base model: continues any text"],
    ["SFT", "next-token loss on demonstrations, prompt masked", "follows the format: answers instructions"],
    ["Reward model", "Bradley–Terry loss on human preference pairs", "a score for any answer"],
    ["RL (PPO)", "maximise reward − β·KL from the SFT model", "answers people prefer, still fluent"],
  ];
  const W = 790, bw = 170, gap = 30, H = 270;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart pt-pipeline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "The RLHF pipeline: pretraining, then SFT, then a reward model, then PPO; DPO replaces the last two with one step on the preference pairs");
  const el2 = (tag, attrs, text) => { const n = document.createElementNS(ns, tag); Object.entries(attrs).forEach(([k, v]) => n.setAttribute(k, v)); if (text) n.textContent = text; svg.append(n); return n; };
  const defs = document.createElementNS(ns, "defs");
  defs.innerHTML = '<marker id="pt-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker>';
  svg.append(defs);
  stages.forEach(([name, loss, gives], i) => {
    const x = 10 + i * (bw + gap);
    el2("rect", { x, y: 20, width: bw, height: 150, rx: 8, class: `pt-box pt-box-${i}` });
    el2("text", { x: x + bw / 2, y: 44, "text-anchor": "middle", class: "pt-box-title" }, name);
    wrap(loss, x + bw / 2, 66, "pt-box-text");
    wrap(`→ ${gives}`, x + bw / 2, 126, "pt-box-gives");
    if (i < stages.length - 1) el2("line", { x1: x + bw, y1: 95, x2: x + bw + gap - 2, y2: 95, class: "pt-arrow", "marker-end": "url(#pt-arrow)" });
  });
  function wrap(text, x, y, cls) {
    const words = text.split(" "), lines = [""];
    for (const w of words) { if ((lines.at(-1) + " " + w).trim().length > 22) lines.push(w); else lines[lines.length - 1] = (lines.at(-1) + " " + w).trim(); }
    lines.forEach((line, k) => el2("text", { x, y: y + k * 15, "text-anchor": "middle", class: cls }, line));
  }
  const x3 = 10 + 3 * (bw + gap) + bw;
  el2("path", { d: `M ${10 + bw + gap + bw / 2} 170 C ${10 + bw + gap + bw / 2} 240, ${x3 - 40} 240, ${x3 - 40} 172`, class: "pt-arrow pt-dpo", "marker-end": "url(#pt-arrow)" });
  el2("text", { x: (10 + bw + gap + bw / 2 + x3 - 40) / 2, y: 258, "text-anchor": "middle", class: "pt-box-gives" }, "DPO: one loss on the preference pairs, no separate reward model, no RL");
  // Four boxes of wrapped text side by side cannot reflow: on a narrow screen the picture keeps
  // a minimum width (style.css) and scrolls sideways inside this box instead of shrinking its text.
  f.picture.append(h("div", { class: "scroll-x pt-pipeline-box", tabindex: "0", role: "group", "aria-label": "the pipeline picture (scrolls sideways on a narrow screen)" }, svg));
  f.setReadout([{ label: "this chapter ran", value: "SFT, a reward model, DPO (not PPO)" }]);
}

export const tinyDemos = { masking, sft, prefs, dpo, pipeline };
