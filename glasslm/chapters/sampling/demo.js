// The sampling chapter: the demos only draw what /api/sampling/* returns.
// The settings chosen in the first demo (prompt, temperature, top-k, top-p,
// min-p) are shared with the draws and continuations demos below it.

import { postJSON } from "/static/js/api.js";
import { modelPicker, DEFAULT_MODEL } from "/static/js/components/modelpicker.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { slider, textInput, numberInput, select, button, buttonRow } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { pct, fixed, count, ms } from "/static/js/components/format.js";

const API = "/api/sampling";
const DEFAULTS = { text: "My favourite food is", temperature: 1, top_k: 0, top_p: 1, min_p: 0, model: DEFAULT_MODEL };

// One settings object for the chapter; demos listen for changes.
const settings = { ...DEFAULTS };
const bus = new EventTarget();
function setSettings(next) {
  Object.assign(settings, next);
  bus.dispatchEvent(new Event("change"));
}
function describe(s) {
  return [`T = ${fixed(s.temperature, 2)}`, s.top_k ? `top-k ${s.top_k}` : "top-k off",
    s.top_p < 1 ? `top-p ${fixed(s.top_p, 2)}` : "top-p off", s.min_p > 0 ? `min-p ${fixed(s.min_p, 2)}` : "min-p off"].join(", ");
}
const STAGE_NAMES = { model: "the model (T = 1)", temperature: "after temperature", "top-k": "after top-k",
  "top-p": "after top-p", "min-p": "after min-p" };

function bar(cls, share, label) {
  return h("span", { class: "sp-track" }, h("span", { class: `sp-bar ${cls}`, style: `width:${(100 * Math.min(1, share)).toFixed(2)}%`, title: label }));
}

function filters(el) {
  const f = demoFrame(el, { title: "Reshape SmolLM2's next-token distribution",
    sources: ["glasslm.engine.inference.sampling_lab:filter_stages", "glasslm.engine.basics.sampling:filter_distribution",
      "glasslm.engine.basics.sampling:entropy"] });
  const later = debounce(() => update(), 60);
  const text = textInput({ label: "Prompt", field: "text", value: settings.text, multiline: true, rows: 2, maxlength: 2000,
    oninput: debounce(() => update(), 300) });
  const temp = slider({ label: "Temperature", field: "temperature", min: 0, max: 2, step: 0.05, value: settings.temperature,
    format: (v) => (v === 0 ? "0 (greedy)" : fixed(v, 2)), oninput: later });
  const topK = slider({ label: "Top-k", field: "top_k", min: 0, max: 100, step: 1, value: settings.top_k,
    format: (v) => (v === 0 ? "off" : String(v)), oninput: later });
  const topP = slider({ label: "Top-p", field: "top_p", min: 0.05, max: 1, step: 0.01, value: settings.top_p,
    format: (v) => (v >= 1 ? "off" : fixed(v, 2)), oninput: later });
  const minP = slider({ label: "Min-p", field: "min_p", min: 0, max: 0.5, step: 0.01, value: settings.min_p,
    format: (v) => (v === 0 ? "off" : fixed(v, 2)), oninput: later });
  const reset = button("Reset to the model's own", () => {
    temp.value = 1; topK.value = 0; topP.value = 1; minP.value = 0; update();
  });
  // SmolLM2 or the learner's own tiny GPT (its next character after BOS and the prompt's characters).
  let smolText = settings.text;
  const picker = modelPicker({ defaultLabel: "SmolLM2", onchange: (id, entry) => {
    if (id === DEFAULT_MODEL) text.value = smolText;
    else {
      if (settings.model === DEFAULT_MODEL) smolText = text.value;
      const fits = [...text.value].every((c) => entry.chars.includes(c));
      if (!fits) text.value = entry.names_vocab ? "ma" : entry.chars.trim().slice(0, 1);
    }
    update();
  } });
  f.add(picker.el, text.el, temp.el, topK.el, topP.el, minP.el, buttonRow(reset));

  const stripBox = h("div", { class: "sp-strip" });
  const strip = tokenStrip(stripBox, { label: "Your prompt as tokens" });
  const rowsBox = h("div", { class: "sp-hist", role: "table", "aria-label": "the model's probabilities and those after your settings" });
  const table = h("table", { class: "terms num sp-stages" });
  f.picture.append(stripBox, rowsBox, table);
  const signal = latest();

  async function update() {
    const body = { text: text.value, temperature: temp.value, top_k: topK.value, top_p: topP.value, min_p: minP.value, show: 12,
      model: picker.value };
    const who = body.model === DEFAULT_MODEL ? "SmolLM2" : "Your model";
    const title = el.querySelector(".demo-title");
    if (title) title.textContent = body.model === DEFAULT_MODEL ? "Reshape SmolLM2's next-token distribution"
      : "Reshape your model's next-character distribution";
    const d = await f.run(() => postJSON(`${API}/distribution`, body, { signal: signal() }), { key: "update", progress: `${who} is reading your prompt…` });
    if (!d) return;
    if (body.model === DEFAULT_MODEL) smolText = body.text;
    setSettings({ text: body.text, temperature: body.temperature, top_k: body.top_k, top_p: body.top_p, min_p: body.min_p,
      model: body.model, smolText });
    strip.update(d.tokens.map((t) => ({ text: t.text, id: t.id })));
    const top = Math.max(...d.candidates.map((c) => Math.max(c.before, c.after)), 1e-12);
    rowsBox.replaceChildren(
      h("div", { class: "sp-legend" }, h("span", { class: "sp-key expected" }), " the model's own  ",
        h("span", { class: "sp-key drawn" }), " what sampling draws from"),
      ...d.candidates.map((c) => h("div", { class: `sp-row${c.after === 0 ? " sp-cut" : ""}`, role: "row" },
        h("span", { class: "mono sp-name", role: "cell", text: visible(c.text), title: `id ${c.id}, logit ${fixed(c.logit, 2)}` }),
        h("span", { class: "sp-bars", role: "cell" }, bar("expected", c.before / top, `model ${pct(c.before)}`),
          bar("drawn", c.after / top, `after ${pct(c.after)}`)),
        h("span", { class: "num sp-count", role: "cell", text: `${pct(c.before)} → ${c.after === 0 ? "cut" : pct(c.after)}` }))));
    table.replaceChildren(
      h("tr", {}, h("th", { text: "stage" }), h("th", { text: "tokens left" }), h("th", { text: "model mass kept" }),
        h("th", { text: "entropy" })),
      ...d.stages.map((s) => h("tr", { "data-stage": s.name }, h("td", { text: STAGE_NAMES[s.name] }), h("td", { text: count(s.survivors) }),
        h("td", { text: pct(s.kept_mass) }), h("td", { text: `${fixed(s.entropy_bits, 2)} bits` }))));
    f.setReadout([
      { label: "tokens that can be drawn", value: `${count(d.survivors)} of ${count(d.vocab_size)}` },
      { label: "entropy before", value: `${fixed(d.entropy_bits_before, 2)} bits` },
      { label: "entropy after", value: `${fixed(d.entropy_bits_after, 2)} bits` },
      { label: "model", value: d.cached ? "cached (not re-run)" : ms(d.model_seconds) },
      { label: "filtering", value: ms(d.filter_seconds) },
    ]);
    f.hood(d);
  }
  update(); // not awaited: the page is ready at once, the model answers when it can
  picker.refresh().catch(() => {});
}

function draws(el) {
  const f = demoFrame(el, { title: "Draw many tokens and count them",
    sources: ["glasslm.engine.inference.sampling_lab:draw_many", "glasslm.engine.inference.sampling_lab:histogram"] });
  const n = select({ label: "Draws", field: "n", value: "1000", options: [["100", "100"], ["1000", "1,000"], ["10000", "10,000"]] });
  const seed = numberInput({ label: "Seed", field: "seed", value: 0, min: 0, step: 1 });
  const using = h("p", { class: "sp-using" });
  f.add(n.el, seed.el, buttonRow(button("Draw", () => run(), { primary: true }),
    button("New seed", () => { seed.value = Math.floor(Math.random() * 100000); run(); })), using);
  const rowsBox = h("div", { class: "sp-hist", role: "table", "aria-label": "drawn counts against expected counts" });
  const first = h("p", { class: "sp-first mono" });
  f.picture.append(rowsBox, first);
  const showUsing = () => { using.textContent = `Using the settings above: ${describe(settings)}.`; };
  showUsing();
  bus.addEventListener("change", showUsing);

  async function run() {
    const body = { ...settings, n: Number(n.value), seed: seed.value, show: 10 };
    const d = await f.run(() => postJSON(`${API}/draws`, body), { progress: "Drawing…" });
    if (!d) return;
    const top = Math.max(...d.rows.map((r) => Math.max(r.count, r.expected)), d.other.count, d.other.expected, 1);
    const row = (name, c, e, prob) => h("div", { class: "sp-row", role: "row" },
      // "every other token" is words about tokens, not a token: it wraps instead of being cut
      h("span", { class: prob === null ? "sp-name sp-other" : "mono sp-name", role: "cell", text: name }),
      h("span", { class: "sp-bars", role: "cell" }, bar("expected", e / top, `expected ${fixed(e, 1)}`), bar("drawn", c / top, `drawn ${c}`)),
      h("span", { class: "num sp-count", role: "cell", text: `${count(c)} drawn · ${fixed(e, 1)} expected${prob === null ? "" : ` (${pct(prob)})`}` }));
    rowsBox.replaceChildren(
      h("div", { class: "sp-legend" }, h("span", { class: "sp-key expected" }), " expected = draws × p  ", h("span", { class: "sp-key drawn" }), " drawn"),
      ...d.rows.map((r) => row(visible(r.text), r.count, r.expected, r.prob)),
      ...(d.other.expected > 0 || d.other.count > 0 ? [row("every other token", d.other.count, d.other.expected, null)] : []));
    first.textContent = `First draws: ${d.first.map((t) => visible(t.text)).join(" | ")}`;
    f.setReadout([
      { label: "draws", value: count(d.n) },
      { label: "different tokens drawn", value: count(d.distinct_drawn) },
      { label: "chi-square", value: `${fixed(d.chi_square, 1)} (about ${d.dof} expected by chance)` },
      { label: "total variation", value: pct(d.total_variation) },
    ]);
    f.hood(d);
  }
  // The first draw waits for the first demo's distribution, so the model runs once.
  f.setStatus("Waiting for SmolLM2's distribution above…");
  bus.addEventListener("change", () => { f.setStatus(""); run(); }, { once: true });
}

function continuations(el) {
  const f = demoFrame(el, { title: "Greedy vs sampled continuations",
    sources: ["glasslm.engine.inference.autoregression:continuation_steps", "glasslm.engine.basics.sampling:sample"] });
  const tokens = slider({ label: "Tokens to write", field: "max_tokens", min: 1, max: 16, step: 1, value: 8, format: (v) => String(v) });
  const samples = slider({ label: "Sampled continuations", field: "samples", min: 1, max: 4, step: 1, value: 3, format: (v) => String(v) });
  const seed = numberInput({ label: "First seed", field: "seed", value: 0, min: 0, step: 1 });
  const using = h("p", { class: "sp-using" });
  const jobs = jobButtons(f, "Generate", () => run());
  f.add(tokens.el, samples.el, seed.el, jobs.row, using);
  const out = h("div", { class: "sp-conts" });
  f.picture.append(out);
  const showUsing = () => { using.textContent = `Prompt and settings from the first demo: ${describe(settings)}.`; };
  showUsing();
  bus.addEventListener("change", showUsing);
  f.setStatus("Press Generate: SmolLM2 writes each continuation token by token.");

  let cards = [], written = 0, started = 0;
  function card(title) {
    const box = h("div", { class: "sp-cont" }, h("h4", { text: title }));
    const strip = tokenStrip(box, { label: title });
    const note = h("p", { class: "sp-note" });
    box.append(note);
    return { box, strip, note, tokens: [] };
  }
  function onEvent(ev) {
    if (ev.type === "start") {
      cards = [card("Greedy (always the top token)"), ...ev.seeds.map((s) => card(`Sampled, seed ${s}`))];
      out.replaceChildren(...cards.map((c) => c.box));
      cards[0].note.textContent = "writing…";
    } else if (ev.type === "token") {
      const c = cards[ev.run];
      c.tokens.push({ text: ev.token.text, id: ev.token.id });
      c.strip.update(c.tokens);
      written += 1;
      f.setStatus(`${written} tokens written, ${fixed(written / ((performance.now() - started) / 1000), 1)} tokens/s…`);
    } else if (ev.type === "run_end") {
      cards[ev.run].note.textContent = ev.ended ? "(the model ended its text here)" : "";
      if (cards[ev.run + 1]) cards[ev.run + 1].note.textContent = "writing…";
    } else if (ev.type === "done") {
      f.setReadout([
        { label: "different sampled texts", value: `${ev.distinct_sampled} of ${ev.sampled.length}` },
        { label: "tokens written", value: count(ev.tokens_generated) },
        { label: "time", value: `${ms(ev.seconds)} (${fixed(ev.tokens_generated / ev.seconds, 1)} tokens/s)` },
      ]);
      f.hood(ev);
    }
  }
  async function run() {
    // SmolLM2 writes these, from the last prompt it was given (even while the first demo shows your model).
    const { model, smolText, ...chosen } = settings;
    const body = { ...chosen, text: smolText ?? chosen.text, max_tokens: tokens.value, samples: samples.value, seed: seed.value };
    await jobs.follow(`${API}/continuations`, body, {
      onEvent,
      onStarted: () => {
        written = 0;
        started = performance.now();
        f.setStatus("SmolLM2 is reading the prompt…");
      },
    });
  }
}

export const demos = { filters, draws, continuations };
