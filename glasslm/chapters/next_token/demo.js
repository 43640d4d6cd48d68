// The next-token chapter: the demos only draw what /api/next-token/* returns.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { textInput, button, buttonRow } from "/static/js/components/controls.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { barChart } from "/static/js/components/barchart.js";
import { sequential } from "/static/js/components/color.js";
import { pct, fixed, count } from "/static/js/components/format.js";

const API = "/api/next-token";

const tokenView = (t) => ({ text: t.text, id: t.id, title: `id ${t.id}${t.partial ? " (part of a character)" : ""}` });

function predict(el) {
  const f = demoFrame(el, { title: "SmolLM2's guesses for the next token", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.prefill", "glasslm.engine.models.llama.llama:Llama._forward",
      "glasslm.engine.basics.sampling:softmax"] });
  const text = textInput({ label: "Your text", field: "text", value: "The capital of France is", multiline: true, rows: 2,
    maxlength: 2000, oninput: debounce(() => update(), 250) });
  f.add(text.el, buttonRow(button("Add the top guess", () => pick(0), { primary: true })));
  const stripBox = h("div", { class: "nt-strip" });
  const strip = tokenStrip(stripBox, { label: "Your text as tokens" });
  const hint = h("p", { class: "nt-hint", text: "Click a candidate to append it." });
  const barsBox = h("div", { class: "nt-bars" });
  f.picture.append(stripBox, hint, barsBox);
  let last = null;
  const bars = barChart(barsBox, { label: "Next-token probabilities", onPick: (d) => pick(d.index) });
  const signal = latest();
  function pick(i) {
    if (!last || !last.candidates[i]) return;
    text.value = text.value + last.candidates[i].text;
    update();
  }
  async function update() {
    const d = await f.run(() => postJSON(`${API}/predict`, { text: text.value, k: 10 }, { signal: signal() }), { key: "update" });
    if (!d) return;
    last = d;
    strip.update(d.tokens.map(tokenView));
    bars.update(d.candidates.map((c, i) => ({ label: visible(c.text), value: c.prob, index: i })));
    const top = d.candidates[0];
    f.setReadout([
      { label: "tokens in your text", value: count(d.tokens.length) },
      { label: "top guess", value: `“${visible(top.text)}” ${pct(top.prob)}` },
      { label: "these 10 together", value: pct(d.top_mass) },
      { label: "entropy", value: `${fixed(d.entropy_bits, 2)} bits` },
    ]);
    f.hood(d);
  }
  return update();
}

function sentence(el) {
  const f = demoFrame(el, { title: "The probability of a whole sentence", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.score"] });
  const text = textInput({ label: "Sentence", field: "text", value: "The cat sat on the mat.", multiline: true, rows: 2,
    maxlength: 2000, oninput: debounce(() => update(), 250) });
  f.add(text.el);
  const stripBox = h("div", { class: "nt-strip" });
  const strip = tokenStrip(stripBox, { label: "Tokens shaded by their probability" });
  const table = h("table", { class: "terms num nt-table" });
  f.picture.append(stripBox, h("div", { class: "scroll-x" }, table));
  const signal = latest();
  // Shade on a log scale: p = 1 is full colour, p = 1e-6 is the background.
  const shade = (p) => (p === null ? null : sequential(Math.max(0, 1 + Math.log10(p) / 6)));
  async function update() {
    const d = await f.run(() => postJSON(`${API}/score`, { text: text.value }, { signal: signal() }), { key: "update" });
    if (!d) return;
    strip.update(d.tokens.map((t, i) => ({
      text: t.text, id: t.id, color: shade(t.prob),
      title: i === 0 ? `id ${t.id}: the first token has no context` : `id ${t.id}: p = ${pct(t.prob)}`,
    })));
    table.replaceChildren(
      h("tr", {}, h("th", { text: "token" }), h("th", { text: "p(token | before)" }), h("th", { text: "log p" }),
        h("th", { text: "rank" }), h("th", { text: "model's top guess" })),
      ...d.tokens.slice(1).map((t) => h("tr", {},
        h("td", { class: "mono", text: visible(t.text) }), h("td", { text: pct(t.prob) }), h("td", { text: fixed(t.logprob, 2) }),
        h("td", { text: count(t.rank) }), h("td", { class: "guess mono", text: `${visible(t.guess.text)} (${pct(t.guess.prob)})` }))));
    f.setReadout([
      { label: "P(text)", value: `10^${fixed(d.log10_probability, 1)}` },
      { label: "sum of log p", value: `${fixed(d.total_logprob, 2)} nats` },
      { label: "perplexity", value: fixed(d.perplexity, 1) },
      { label: "model's top guess was right", value: pct(d.top_guess_share) },
    ]);
    f.hood(d);
  }
  return update();
}

async function where(el) {
  const f = demoFrame(el, { title: "AI > machine learning > deep learning > transformers > LLMs", stacked: true });
  const d = await f.run(() => getJSON(`${API}/timeline`));
  if (!d) return;
  let box = f.picture;
  d.nesting.forEach((n) => {
    const inner = h("div", { class: "nt-nest" }, h("div", { class: "nt-name", text: n.name }), h("div", { class: "nt-what", text: n.what }));
    box.append(inner);
    box = inner;
  });
  f.picture.append(h("ol", { class: "nt-timeline" }, ...d.timeline.map((e) =>
    h("li", {}, h("span", { class: "nt-year num", text: String(e.year) }), h("strong", { text: e.name }), h("span", { text: ` — ${e.what}` })))));
  f.setReadout([{ label: "from the perceptron to ChatGPT", value: `${d.timeline.at(-1).year - d.timeline[0].year} years` }]);
  f.hood(d);
}

export const demos = { predict, sentence, where };
