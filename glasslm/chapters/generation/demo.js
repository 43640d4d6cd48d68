// The generation chapter: the demos only draw what /api/generation/* returns.
// Step sends one turn of the loop; Run sends turns one after another until an
// end token, the step limit, or Stop.

import { postJSON, streamJob } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { slider, textInput, numberInput, segmented, button, buttonRow } from "/static/js/components/controls.js";
import { barChart } from "/static/js/components/barchart.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { pct, fixed, count, ms } from "/static/js/components/format.js";
import { modelPicker, DEFAULT_MODEL } from "/static/js/components/modelpicker.js";

const API = "/api/generation";

// A tiny state machine shared by both demos: idle | stepping | running.
function loopButtons(onStep, onRun) {
  const step = button("Step", () => onStep(), { primary: true });
  const run = button("Run", () => onRun());
  const stop = button("Stop", () => { state.stopRequested = true; });
  const state = { busy: false, stopRequested: false };
  stop.disabled = true;
  function set(busy, running = false) {
    state.busy = busy;
    step.disabled = busy;
    run.disabled = busy;
    stop.disabled = !running;
  }
  return { step, run, stop, state, set };
}

// Prompt tokens, generated tokens and the newest one get their own classes (style.css).
function mark(strip, classOf) {
  [...strip.el.children].forEach((span, i) => span.classList.add(classOf(i)));
}

function smollm2(el) {
  const f = demoFrame(el, { title: "SmolLM2 writes, one token per step",
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.prefill", "glasslm.engine.inference.autoregression:choose",
      "glasslm.engine.basics.sampling:filter_distribution"] });
  const text = textInput({ label: "Your text", field: "text", value: "Once upon a time, a little robot", multiline: true, rows: 2,
    maxlength: 2000, oninput: () => { ctx = null; } });
  const mode = segmented({ label: "The model", field: "mode", value: "continue",
    options: [["continue", "continues the text"], ["chat", "answers it (chat)"]], onchange: () => { ctx = null; restart(); } });
  const temp = slider({ label: "Temperature", field: "temperature", min: 0, max: 1.5, step: 0.05, value: 0.7,
    format: (v) => (v === 0 ? "0 (greedy)" : fixed(v, 2)) });
  const topP = slider({ label: "Top-p", field: "top_p", min: 0.05, max: 1, step: 0.01, value: 0.9,
    format: (v) => (v >= 1 ? "off" : fixed(v, 2)) });
  const seed = numberInput({ label: "Seed", field: "seed", value: 0, min: 0, step: 1 });
  const buttons = loopButtons(() => step(), () => run());
  const again = button("Start over", () => restart());
  f.add(text.el, mode.el, temp.el, topP.el, seed.el, buttonRow(buttons.step, buttons.run, buttons.stop, again));

  const flow = h("p", { class: "gen-flow", "aria-live": "polite" });
  const stripBox = h("div", { class: "gen-strip" });
  const strip = tokenStrip(stripBox, { label: "The context: prompt and generated tokens" });
  const barsHead = h("h4", { text: "The distribution for the next token" });
  const barsBox = h("div");
  const written = h("p", { class: "gen-written" });
  f.picture.append(flow, stripBox, barsHead, barsBox, h("h4", { text: "Text written so far" }), written);
  const bars = barChart(barsBox, { label: "next-token probabilities (the chosen token highlighted)", max: 1 });

  let ctx = null; // {ids, tokens, promptLength, ended, endTokens, maxSteps, steps}
  function drawContext(newIndex = -1) {
    strip.update(ctx.tokens.map((t, i) => ({
      text: t.text, id: t.id,
      title: `id ${t.id}${i >= ctx.promptLength ? ` · generated at step ${i - ctx.promptLength + 1}` : " · prompt"}`,
    })), newIndex >= 0 ? newIndex : null);
    mark(strip, (i) => (i === newIndex ? "gen-latest" : i >= ctx.promptLength ? "gen-new" : "gen-prompt"));
  }
  function readout(d) {
    f.setReadout([
      { label: "step", value: `${ctx.steps} of at most ${ctx.maxSteps}` },
      { label: "context", value: `${count(ctx.ids.length)} tokens` },
      { label: "chosen", value: d ? `“${visible(d.chosen.text)}” ${pct(d.chosen.prob)}` : "–" },
      { label: "tokens in the running", value: d ? count(d.survivors) : "–" },
      { label: "model time", value: d ? `${ms(d.model_seconds)} (${d.model_read})` : "–" },
    ]);
  }
  async function restart() {
    const d = await f.run(() => postJSON(`${API}/smollm2/start`, { text: text.value, mode: mode.value }), { progress: "Tokenizing…" });
    if (!d) return null;
    ctx = { ids: d.ids, tokens: d.tokens, promptLength: d.prompt_length, ended: false, endTokens: d.end_tokens,
      maxSteps: d.max_steps, steps: 0 };
    drawContext();
    bars.update([]);
    written.textContent = "";
    flow.textContent = `Prompt: ${d.prompt_length} tokens. Press Step: the model reads them all and gives a probability to every next token; one is chosen and appended. It stops at ${d.end_tokens.map((t) => t.text).join(" or ")}, or after ${d.max_steps} steps.`;
    readout(null);
    f.hood(d);
    return ctx;
  }
  async function step() {
    if (!ctx && !(await restart())) return false;
    if (ctx.ended) { f.setStatus("This text has ended: press Start over."); return false; }
    const body = { ids: ctx.ids, prompt_length: ctx.promptLength, temperature: temp.value, top_p: topP.value, seed: seed.value, show: 8 };
    const d = await f.run(() => postJSON(`${API}/smollm2/step`, body), { progress: "SmolLM2 is reading the context…" });
    if (!d) return false;
    ctx.ids = d.ids;
    ctx.tokens = [...ctx.tokens, d.chosen];
    ctx.steps = d.step;
    ctx.ended = d.end || d.limit_reached;
    drawContext(ctx.tokens.length - 1);
    bars.update(d.candidates.map((c) => ({ label: visible(c.text), value: c.prob, highlight: c.chosen, note: c.chosen ? "← chosen" : "" })));
    barsHead.textContent = `Step ${d.step}: the distribution after ${count(d.context_tokens)} tokens`;
    written.textContent = d.generated_text;
    flow.textContent = d.end ? `Step ${d.step}: the model chose ${d.chosen.text}, an end token. The text is finished.`
      : d.limit_reached ? `Step ${d.step}: the limit of ${d.max_steps} steps is reached.`
        : `Step ${d.step}: context (${count(d.context_tokens)} tokens) → model → distribution → “${visible(d.chosen.text)}” appended.`;
    readout(d);
    f.hood(d);
    return !ctx.ended;
  }
  async function run() {
    buttons.set(true, true);
    buttons.state.stopRequested = false;
    try {
      while (!buttons.state.stopRequested && (await step())) { /* one request per step */ }
    } finally {
      buttons.set(false);
    }
  }
  restart(); // not awaited: loading SmolLM2 must not hold up the page
}

function names(el) {
  const f = demoFrame(el, { title: "The tiny GPT invents a name, one character per step",
    sources: ["glasslm.engine.inference.autoregression:tiny_gpt_next_logits", "glasslm.engine.inference.autoregression:choose",
      "glasslm.engine.training.train:train_default_tiny_gpt"] });
  const temp = slider({ label: "Temperature", field: "temperature", min: 0, max: 2, step: 0.05, value: 1,
    format: (v) => (v === 0 ? "0 (greedy)" : fixed(v, 2)) });
  const seed = numberInput({ label: "Seed", field: "seed", value: 0, min: 0, step: 1 });
  const buttons = loopButtons(() => step(), () => run());
  const fresh = button("New name", () => { seed.value = seed.value + 1; reset(); });
  const picker = modelPicker({ onchange: () => { buttons.state.stopRequested = true; prepare(); } });
  f.add(picker.el, temp.el, seed.el, buttonRow(buttons.step, buttons.run, buttons.stop, fresh));
  buttons.set(true);

  const flow = h("p", { class: "gen-flow", "aria-live": "polite" });
  const stripBox = h("div", { class: "gen-strip" });
  const strip = tokenStrip(stripBox, { label: "The name so far, from BOS" });
  const barsHead = h("h4", { text: "The distribution for the next character" });
  const barsBox = h("div");
  const made = h("ol", { class: "gen-names mono", "aria-label": "names invented" });
  f.picture.append(flow, stripBox, barsHead, barsBox, h("h4", { text: "Names invented so far" }), made);
  const bars = barChart(barsBox, { label: "next-character probabilities (the chosen one highlighted)", max: 1 });

  let info = null, ids = null, ended = false, steps = 0;
  const label = (i) => (i === info.bos ? "BOS" : info.vocab[i]);
  function draw(newIndex = -1) {
    strip.update(ids.map((i) => ({ text: label(i), id: i })), newIndex >= 0 ? newIndex : null);
    mark(strip, (k) => (k === newIndex ? "gen-latest" : k === 0 ? "gen-prompt" : "gen-new"));
  }
  function reset() {
    ids = [info.bos]; ended = false; steps = 0;
    draw();
    bars.update([]);
    flow.textContent = `Start: the context is just BOS (id ${info.bos}). Each step the model gives a probability to all ${info.vocab.length} tokens; BOS again means “the name ends here”.`;
    f.setReadout(info.name ? [{ label: "model", value: info.name }, { label: "parameters", value: count(info.n_params) },
      { label: "context", value: `${info.block_size} characters` }]
      : [{ label: "parameters", value: count(info.n_params) }, { label: "held-out loss", value: `${fixed(info.heldout_loss, 3)} nats/char` },
        { label: "bigram baseline", value: `${fixed(info.bigram_heldout_loss, 3)} nats/char` }]);
  }
  async function step() {
    if (ended) reset();
    const body = { ids, temperature: temp.value, seed: seed.value, show: 10, model: picker.value };
    const d = await f.run(() => postJSON(`${API}/tiny/step`, body), { key: "step" });
    if (!d) return false;
    ids = d.ids; steps = d.step;
    ended = d.end || d.limit_reached;
    draw(ids.length - 1);
    bars.update(d.candidates.map((c) => ({ label: c.text, value: c.prob, highlight: c.chosen, note: c.chosen ? "← chosen" : "" })));
    barsHead.textContent = `Step ${d.step}: the distribution after “${d.name ? d.name : "BOS"}”`;
    flow.textContent = d.end ? `Step ${d.step}: BOS came out: the name “${d.name}” is finished.`
      : d.limit_reached ? `Step ${d.step}: the limit of ${d.max_steps} characters is reached.`
        : `Step ${d.step}: chose “${d.chosen.text}” (${pct(d.chosen.prob)}) and appended it.`;
    if (ended) made.append(h("li", { text: d.name || "(empty)" }));
    f.setReadout([
      { label: "step", value: `${steps} of at most ${d.max_steps}` },
      { label: "chosen", value: `“${d.chosen.text}” ${pct(d.chosen.prob)}` },
      { label: "name", value: d.name || "–" },
    ]);
    f.hood(d);
    return !ended;
  }
  async function run() {
    if (ended) reset();
    buttons.set(true, true);
    buttons.state.stopRequested = false;
    try {
      while (!buttons.state.stopRequested && (await step())) { /* one request per character */ }
    } finally {
      buttons.set(false);
    }
  }
  function ready(d) {
    if (picker.value !== DEFAULT_MODEL) return;  // the default finished training while the learner's model is picked
    info = d;
    f.setStatus(`Ready: a tiny GPT trained for ${count(d.steps)} steps of one name each${d.train_seconds ? `, in ${fixed(d.train_seconds, 1)} s on this machine` : ""}.`);
    buttons.set(false);
    reset();
  }
  async function prepare() {
    if (picker.value !== DEFAULT_MODEL) {
      const d = await f.run(() => postJSON(`${API}/tiny/info`, { model: picker.value }), { key: "info" });
      if (!d || d.model !== picker.value) return;
      info = d;
      made.replaceChildren();
      f.setStatus(`Your model “${d.name}”: its own characters and numbers (up to ${d.max_steps} characters per text).`);
      buttons.set(false);
      reset();
      return;
    }
    made.replaceChildren();
    const d = await f.run(() => postJSON(`${API}/tiny/train`), { progress: "Training the tiny GPT…", key: "info" });
    if (!d) return;
    if (d.ready) { ready(d); return; }
    f.setStatus(`Training the tiny GPT on first names (once per server): step 0 of ${count(d.steps)}…`);
    streamJob(d.job, {
      onEvent: (ev) => {
        if (ev.type === "progress") f.setStatus(`Training the tiny GPT on first names (once per server): step ${count(ev.step)} of ${count(ev.steps)}…`);
        else if (ev.type === "ready") ready(ev);
      },
      onEnd: (end) => { if (end.status === "error") f.setError(end.error); },
    });
  }
  prepare(); // not awaited: training streams its progress into the status line
  picker.refresh().catch(() => {});
}

export const demos = { smollm2, names };
