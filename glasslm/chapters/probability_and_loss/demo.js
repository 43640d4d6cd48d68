// The probability-and-loss chapter: the demos only draw what /api/probability-and-loss/* returns.

import { postJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { slider, textInput, button, buttonRow } from "/static/js/components/controls.js";
import { barChart } from "/static/js/components/barchart.js";
import { lineChart } from "/static/js/components/linechart.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { sequential } from "/static/js/components/color.js";
import { pct, fixed, count, signed } from "/static/js/components/format.js";

const API = "/api/probability-and-loss";

function softmaxDemo(el) {
  const f = demoFrame(el, { title: "Softmax: logits in, probabilities out", stacked: true,
    sources: ["glasslm.engine.basics.sampling:softmax_steps", "glasslm.engine.basics.sampling:log_softmax"] });
  let labels = ["·Paris", "·the", "·a", "·Lyon", "·France"];
  const start = [16.0, 13.5, 12.5, 11.5, 11.0];
  const sliders = start.map((v, i) => slider({ label: `logit of “${labels[i]}”`, field: "logits", min: -10, max: 25, step: 0.1, value: v,
    format: (x) => fixed(x, 1), oninput: debounce(() => update(), 40) }));
  const temp = slider({ label: "temperature T", field: "temperature", min: 0.1, max: 3, step: 0.05, value: 1,
    format: (x) => fixed(x, 2), oninput: debounce(() => update(), 40) });
  const prompt = textInput({ label: "Real logits from SmolLM2 after", field: "text", value: "The capital of France is", maxlength: 2000,
    onenter: () => loadReal() });
  f.add(...sliders.map((s) => s.el), temp.el, prompt.el, buttonRow(button("Load SmolLM2's top 5", () => loadReal())));
  const table = h("table", { class: "terms num pl-table" });
  const barsBox = h("div");
  f.picture.append(barsBox, table);
  const bars = barChart(barsBox, { label: "Probabilities after softmax", max: 1 });
  async function loadReal() {
    const d = await f.run(() => postJSON(`${API}/top-logits`, { text: prompt.value, k: 5 }));
    if (!d) return;
    labels = d.tokens.map(visible);
    d.logits.forEach((z, i) => {
      sliders[i].value = Math.round(z * 10) / 10;
      sliders[i].el.querySelector("label span").textContent = `logit of “${labels[i]}”`;
      sliders[i].input.setAttribute("aria-label", `logit of “${labels[i]}”`);
    });
    await update();
  }
  async function update() {
    const shownLabels = [...labels];  // the labels of the logits sent, whatever loads meanwhile
    const d = await f.run(() => postJSON(`${API}/softmax`, { logits: sliders.map((s) => s.value), temperature: temp.value }),
      { key: "softmax" });
    if (!d) return;
    bars.update(d.probs.map((p, i) => ({ label: shownLabels[i], value: p })));
    table.replaceChildren(
      h("tr", {}, h("th", { text: "token" }), h("th", { text: "logit z" }), h("th", { text: "z/T − max" }), h("th", { text: "e^(z/T − max)" }),
        h("th", { text: "÷ sum = p" })),
      ...d.probs.map((p, i) => h("tr", {}, h("td", { class: "mono", text: shownLabels[i] }), h("td", { text: fixed(d.logits[i], 2) }),
        h("td", { text: signed(d.shifted[i], 2) }), h("td", { text: fixed(d.exps[i], 4) }), h("td", { text: pct(p) }))));
    f.setReadout([
      { label: "sum of exponentials", value: fixed(d.sum_exps, 4) },
      { label: "sum of probabilities", value: pct(d.probs.reduce((a, b) => a + b, 0)) },
      { label: "entropy", value: `${fixed(d.entropy_bits, 2)} bits` },
    ]);
    f.hood(d);
  }
  return update();
}

function crossEntropy(el) {
  const f = demoFrame(el, { title: "Cross-entropy: −log p(correct)", stacked: true });
  const p = slider({ label: "probability given to the right token", field: "p", min: 0.01, max: 1, step: 0.01, value: 0.5,
    format: (x) => pct(x), oninput: debounce(() => update(), 30) });
  f.add(p.el);
  const chart = lineChart(f.picture, { xLabel: "p(correct token)", yLabel: "loss = −ln p (nats)", xDomain: [0, 1], yDomain: [0, 5.5],
    series: [{ name: "−ln p" }, { name: "you", dashed: true }], height: 260 });
  let curveShown = false;
  async function update() {
    const d = await f.run(() => postJSON(`${API}/cross-entropy`, { p: p.value }), { key: "update" });
    if (!d) return;
    if (!curveShown) { chart.set("−ln p", d.curve); curveShown = true; }
    chart.set("you", [[d.p, 0], [d.p, d.loss_nats]]);
    f.setReadout([
      { label: "loss", value: `${fixed(d.loss_nats, 3)} nats` },
      { label: "in bits", value: `${fixed(d.loss_bits, 3)} bits` },
      { label: "as likely as", value: `1 in ${fixed(1 / d.p, 1)}` },
    ]);
    f.hood(d);
  }
  return update();
}

function entropyDemo(el) {
  const f = demoFrame(el, { title: "Entropy and perplexity of a distribution", stacked: true,
    sources: ["glasslm.engine.basics.sampling:entropy"] });
  const names = ["A", "B", "C", "D", "E", "F"];
  const start = [8, 4, 2, 1, 1, 0.5];
  const sliders = start.map((v, i) => slider({ label: `weight of ${names[i]}`, field: "weights", min: 0, max: 10, step: 0.1, value: v,
    format: (x) => fixed(x, 1), oninput: debounce(() => update(), 40) }));
  const preset = (vals) => () => { vals.forEach((v, i) => (sliders[i].value = v)); update(); };
  f.add(...sliders.map((s) => s.el), buttonRow(button("Uniform", preset([5, 5, 5, 5, 5, 5])), button("Certain", preset([10, 0, 0, 0, 0, 0])),
    button("Coin flip", preset([5, 5, 0, 0, 0, 0]))));
  const bars = barChart(f.picture, { label: "The distribution", max: 1 });
  async function update() {
    const d = await f.run(() => postJSON(`${API}/entropy`, { weights: sliders.map((s) => s.value) }), { key: "update" });
    if (!d) return;
    bars.update(d.probs.map((q, i) => ({ label: names[i], value: q })));
    f.setReadout([
      { label: "entropy", value: `${fixed(d.entropy_bits, 3)} bits` },
      { label: "in nats", value: `${fixed(d.entropy_nats, 3)} nats` },
      { label: "perplexity", value: fixed(d.perplexity, 2) },
      { label: "most possible", value: `${fixed(d.max_bits, 3)} bits (uniform)` },
    ]);
    f.hood(d);
  }
  return update();
}

function textLoss(el) {
  const f = demoFrame(el, { title: "SmolLM2's loss on your text, token by token", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.score", "glasslm.engine.basics.sampling:perplexity"] });
  const text = textInput({ label: "Your text", field: "text", multiline: true, rows: 3, maxlength: 2000,
    value: "Water boils at one hundred degrees Celsius at sea level. My cat Zorblax prefers quantum lasagna.",
    oninput: debounce(() => update(), 300) });
  f.add(text.el);
  const stripBox = h("div", { class: "pl-strip" });
  const strip = tokenStrip(stripBox, { label: "Tokens shaded by their loss" });
  const barsBox = h("div");
  f.picture.append(stripBox, barsBox);
  const bars = barChart(barsBox, { label: "Loss per token", format: (v) => `${fixed(v, 2)} nats` });
  const signal = latest();
  async function update() {
    const d = await f.run(() => postJSON(`${API}/text-loss`, { text: text.value }, { signal: signal() }), { key: "update" });
    if (!d) return;
    strip.update(d.tokens.map((t, i) => ({ text: t.text, id: t.id,
      color: t.loss === null ? null : sequential(Math.min(1, t.loss / 10)),
      title: i === 0 ? "the first token has no context" : `loss ${fixed(t.loss, 2)} nats (p = ${pct(t.prob)}); top guess “${visible(t.guess)}”` })));
    bars.update(d.tokens.slice(1).map((t) => ({ label: visible(t.text), value: t.loss })));
    f.setReadout([
      { label: "mean loss", value: `${fixed(d.mean_loss, 3)} nats/token` },
      { label: "perplexity", value: fixed(d.perplexity, 1) },
      { label: "uniform guessing", value: `${fixed(d.uniform_loss, 2)} nats, perplexity ${count(d.uniform_perplexity)}` },
      { label: "most surprising", value: `“${visible(d.worst.text)}” ${fixed(d.worst.loss, 2)} nats` },
    ]);
    f.hood(d);
  }
  return update();
}

export const demos = { softmax: softmaxDemo, "cross-entropy": crossEntropy, entropy: entropyDemo, "text-loss": textLoss };
