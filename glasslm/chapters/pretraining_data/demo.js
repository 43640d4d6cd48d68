// The pretraining-data chapter: the demos only draw what /api/pretraining-data/* returns.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h, debounce } from "/static/js/components/demo.js";
import { numberInput, textInput, segmented, button, buttonRow } from "/static/js/components/controls.js";
import { barChart } from "/static/js/components/barchart.js";
import { fixed, count, compact, pct, sci } from "/static/js/components/format.js";

const API = "/api/pretraining-data";
const STATUS = {
  kept: "kept",
  exact: "exact duplicate",
  near: "near duplicate",
  quality: "failed a quality rule",
};

// ---- two documents, their shingles, Jaccard exactly and by MinHash
function minhash(el) {
  const f = demoFrame(el, { title: "How similar are two documents? Exactly, and by MinHash",
    sources: ["glasslm.engine.pretraining.dedup:MinHasher.signature", "glasslm.engine.pretraining.dedup:estimate_jaccard", "glasslm.engine.pretraining.dedup:jaccard"] });
  const a = textInput({ label: "Document A", field: "a", multiline: true, rows: 4,
    value: "Bread is made from flour, water, salt and yeast. The yeast eats sugars in the dough and gives off carbon dioxide, which is trapped by the gluten and makes the loaf rise while it rests in a warm place." });
  const b = textInput({ label: "Document B", field: "b", multiline: true, rows: 4,
    value: "Bread is made from flour, water, salt and yeast. The yeast eats sugars in the dough and gives off carbon dioxide, which is trapped by the gluten and makes the dough rise while it rests in a warm place." });
  const k = segmented({ label: "Words per shingle", field: "shingle", value: "3",
    options: ["1", "2", "3", "4", "5"].map((v) => [v, v]), onchange: () => go() });
  f.add(a.el, b.el, k.el);
  const barsBox = h("div", { class: "pd-bars" });
  const shared = h("p", { class: "pd-shingles mono" });
  f.picture.append(h("h4", { text: "MinHash estimate of J with K hash functions (its error in brackets)" }), barsBox, shared);
  const bars = barChart(barsBox, { format: (v) => fixed(v, 3), max: 1, label: "MinHash estimates by number of hash functions" });
  const go = debounce(async () => {
    const d = await f.run(() => postJSON(`${API}/similarity`, { a: a.value, b: b.value, shingle: Number(k.value) }), { key: "go" });
    if (!d) return;
    bars.update(d.estimates.map((e) => ({ label: `K = ${e.k}`, value: e.estimate,
      note: `(${e.estimate - d.exact >= 0 ? "+" : "−"}${fixed(Math.abs(e.estimate - d.exact), 3)})` })));
    shared.textContent = d.shared ? `Shared shingles, e.g.: ${d.shared_examples.map((s) => `“${s}”`).join(", ")}` : "No shingle is shared.";
    f.setReadout([
      { label: "exact Jaccard", value: `${fixed(d.exact, 3)} (${count(d.shared)} shared / ${count(d.union)} distinct shingles)` },
      { label: "MinHash, K = 512", value: `${fixed(d.estimates[d.estimates.length - 1].estimate, 3)} (standard error ${fixed(d.estimates[d.estimates.length - 1].std_error, 3)})` },
      { label: "shingles", value: `A ${count(d.shingles_a)}, B ${count(d.shingles_b)}` },
    ]);
    f.hood(d);
  }, 150);
  a.input.addEventListener("input", go);
  b.input.addEventListener("input", go);
  go();
}

// ---- the whole pipeline on an editable corpus
function pipeline(el) {
  const f = demoFrame(el, { title: "Clean a corpus", stacked: true,
    sources: ["glasslm.engine.pretraining.corpus_cleaning:clean_corpus", "glasslm.engine.pretraining.dedup:near_duplicates",
      "glasslm.engine.pretraining.quality_filters:judge", "glasslm.engine.pretraining.quality_filters:measure"] });
  const text = textInput({ label: "Corpus (documents separated by a line holding only ---)", field: "text", multiline: true, rows: 10 });
  const num = (label, field, value, min, max, step) => numberInput({ label, field, value, min, max, step, onchange: () => go() });
  const settings = [
    num("Near-copy threshold (Jaccard)", "threshold", 0.5, 0.05, 1, 0.05),
    num("Words per shingle", "shingle", 3, 1, 8, 1),
    num("Hash functions (K)", "num_perm", 128, 4, 512, 4),
    num("Minimum words", "min_words", 12, 0, 1000, 1),
    num("Minimum stop words", "min_stop_words", 2, 0, 8, 1),
    num("Max. # and … per word", "max_symbol_ratio", 0.1, 0, 10, 0.05),
    num("Min. share of words with a letter", "min_alpha_words", 0.8, 0, 1, 0.05),
    num("Max. share of repeated lines", "max_duplicate_lines", 0.3, 0, 1, 0.05),
    num("Max. share of the top word pair", "max_top_bigram", 0.2, 0, 1, 0.05),
    num("Min. mean word length", "min_mean_word_len", 3, 0, 50, 0.5),
    num("Max. mean word length", "max_mean_word_len", 10, 0, 50, 0.5),
  ];
  const grid = h("div", { class: "pd-settings" }, ...settings.map((s) => s.el));
  const reset = button("Default corpus", () => loadDefault());
  f.add(text.el, h("details", { class: "pd-thresholds", open: true }, h("summary", { text: "Thresholds (defaults: Gopher's rules, but 12 words minimum)" }), grid),
    buttonRow(button("Clean", () => go(), { primary: true }), reset));
  const barsBox = h("div", { class: "pd-bars" });
  const list = h("ol", { class: "pd-docs", "aria-label": "documents and what happened to them" });
  f.picture.append(h("h4", { text: "What each step removed (documents; one may fail several rules)" }), barsBox, h("h4", { text: "Every document" }), list);
  const bars = barChart(barsBox, { format: (v) => count(v), label: "documents removed by each step" });
  text.input.addEventListener("input", debounce(() => go(), 400));

  async function loadDefault() {
    const d = await f.run(() => getJSON(`${API}/corpus`));
    if (!d) return;
    text.value = d.text;
    go();
  }

  async function go() {
    const body = { text: text.value };
    for (const s of settings) body[s.el.dataset.field] = s.value;
    const d = await f.run(() => postJSON(`${API}/clean`, body), { key: "go", progress: "Cleaning (the tokenizers load the first time)…" });
    if (!d) return;
    const rules = Object.entries(d.rule_counts).sort((x, y) => y[1] - x[1]);
    bars.update([
      { label: "exact duplicate", value: d.removed_by.exact },
      { label: "near duplicate", value: d.removed_by.near },
      ...rules.map(([r, n]) => ({ label: `rule: ${r.replace(/_/g, " ")}`, value: n })),
      { label: "kept", value: d.kept, highlight: true },
    ]);
    list.replaceChildren(...d.docs.map((doc) => {
      let why = "";
      if (doc.status === "exact") why = `the same text as #${doc.duplicate_of + 1} once case, spacing and punctuation are ignored`;
      else if (doc.status === "near") {
        const p = d.pairs.filter((q) => q.j === doc.index).sort((x, y) => y.estimated - x.estimated)[0];
        why = `nearly copies #${doc.duplicate_of + 1}` + (p ? `: MinHash estimates Jaccard ${fixed(p.estimated, 2)} with #${p.i + 1} (exact ${fixed(p.exact, 2)})` : "");
      } else if (doc.status === "quality") why = doc.reasons.join("; ");
      const tokens = Object.entries(doc.tokens).map(([n, c]) => `${c} ${n}`).join(", ");
      return h("li", { class: `pd-doc pd-${doc.status}`, "data-status": doc.status },
        h("div", { class: "pd-doc-head" }, h("span", { class: "pd-badge", text: `#${doc.index + 1} ${STATUS[doc.status]}` }),
          h("span", { class: "pd-meta num", text: `${count(doc.words)} words; ${tokens} tokens` })),
        h("div", { class: "pd-text", text: doc.text.length > 220 ? doc.text.slice(0, 220) + "…" : doc.text }),
        why ? h("div", { class: "pd-why", text: why }) : null);
    }));
    const t = d.tokens;
    const arrow = (x) => `${count(x.before)} → ${count(x.after)} (${pct(x.before ? 1 - x.after / x.before : 0, 0)} fewer)`;
    f.setReadout([
      { label: "documents kept", value: `${count(d.kept)} of ${count(d.n_docs)}` },
      { label: "words", value: arrow(d.words) },
      { label: "cl100k_base tokens (GPT-4)", value: arrow(t.cl100k_base) },
      { label: "SmolLM2 tokens", value: arrow(t.SmolLM2) },
    ]);
    f.hood(d);
  }
  loadDefault();
}

// ---- C = 6ND, and what it would take on this machine
function compute(el) {
  const f = demoFrame(el, { title: "Training compute: C ≈ 6 × N × D", stacked: true,
    sources: ["glasslm.engine.pretraining.training_compute:training_flops", "glasslm.engine.pretraining.training_compute:measure_flop_rate"] });
  const params = numberInput({ label: "Parameters N", field: "params", value: 135e6, min: 1, step: "any", onchange: () => go() });
  const tokens = numberInput({ label: "Training tokens D", field: "tokens", value: 2.7e9, min: 1, step: "any", onchange: () => go() });
  const measure = button("Measure this machine again", () => measureRate());
  f.add(params.el, tokens.el, h("p", { class: "pd-hint", text: "Type numbers like 7e9 (seven billion). The default: a model of SmolLM2-135M's size on 20 tokens per parameter." }), buttonRow(button("Compute", () => go(), { primary: true }), measure));
  const table = h("table", { class: "pd-table" });
  const notes = h("ol", { class: "pd-sources" });
  f.picture.append(h("div", { class: "scroll-x" }, table), h("h4", { text: "Sources" }), notes);
  let rate = null;

  async function measureRate() {
    const d = await f.run(() => postJSON(`${API}/flop-rate`), { progress: "Timing a matrix product…" });
    if (d) { rate = d; go(); }
  }

  async function go() {
    const d = await f.run(() => postJSON(`${API}/compute`, { params: params.value, tokens: tokens.value, flops_per_s: rate ? rate.flops_per_s : null }), { key: "go" });
    if (!d) return;
    const head = h("tr", {}, ...["model", "N (parameters)", "D (tokens)", "tokens per parameter", "6ND (FLOPs)", "reported (FLOPs)", "on this machine*"].map((t) => h("th", { text: t })));
    const row = (r, mine, i) => h("tr", { class: mine ? "pd-mine" : null },
      h("td", {}, r.name, mine ? null : h("sup", { text: ` ${i + 1}` })),
      h("td", { class: "num", text: compact(r.params) }), h("td", { class: "num", text: compact(r.tokens) }),
      h("td", { class: "num", text: fixed(r.tokens_per_param, 1) }), h("td", { class: "num", text: sci(r.flops) }),
      h("td", { class: "num", text: r.reported_flops ? sci(r.reported_flops) : "–" }),
      h("td", { class: "num", text: r.time_here || "–" }));
    table.replaceChildren(h("thead", {}, head), h("tbody", {}, row(d.yours, true, -1), ...d.published.map((r, i) => row(r, false, i))));
    notes.replaceChildren(...d.published.map((r) => h("li", { text: `${r.name}: N and D from ${r.source}` + (r.reported_source ? `; reported compute from ${r.reported_source}` : "") + "." })));
    f.setReadout([
      { label: "training compute", value: `${sci(d.yours.flops)} FLOPs` },
      { label: "on this machine (estimate)", value: d.yours.time_here || "–" },
      { label: "measured rate", value: rate ? `${fixed(rate.flops_per_s / 1e9, 1)} GFLOP/s (${rate.size}×${rate.size} matmul, ${(1000 * rate.seconds).toFixed(1)} ms)` : "–" },
    ]);
    f.setStatus("* Estimate: C divided by the rate one numpy matrix product reached just now on this machine. Real training runs well below that rate, and big models train on thousands of accelerators at once.");
    f.hood({ compute: d, flop_rate: rate });
  }
  measureRate();
}

// ---- personal data found and masked, and the scrubber's own mistakes on a labelled sample
const PII_TEXT = "Thanks for your order! Questions go to orders@shop.example.com or +1 (555) 010-2231. "
  + "We charged the card ending 1111 (4111 1111 1111 1111). Your download link works from 198.51.100.23 only. "
  + "Version 2.4.1.7 of the app was released on 2024-03-18; ask Priya at priya dot n at example dot org.";
const PII_KIND = { email: "e-mail", phone: "phone", ip: "IP address", card: "card" };
const PII_KINDS = { email: "e-mail addresses", phone: "phone numbers", ip: "IP addresses", card: "card numbers" };

function pii(el) {
  const f = demoFrame(el, { title: "Find and mask personal data", stacked: true,
    sources: ["glasslm.engine.pretraining.pii:find_pii", "glasslm.engine.pretraining.pii:luhn_ok", "glasslm.engine.pretraining.pii:evaluate"] });
  const text = textInput({ label: "Text (paste your own)", field: "text", multiline: true, rows: 5, value: PII_TEXT, maxlength: 20000 });
  f.add(text.el, buttonRow(button("Scrub", () => go(), { primary: true })));
  const marked = h("p", { class: "pd-pii-text" });
  const masked = h("p", { class: "pd-pii-text mono" });
  const scores = h("table", { class: "pd-table" });
  const mistakes = h("ul", { class: "pd-pii-mistakes" });
  f.picture.append(h("h4", { text: "What was found" }), marked, h("h4", { text: "What a model would train on" }), masked,
    h("h4", { text: "How well the patterns do on glasslm's hand-labelled sample" }), h("div", { class: "scroll-x" }, scores), mistakes);
  const go = debounce(async () => {
    const d = await f.run(() => postJSON(`${API}/pii`, { text: text.value }), { key: "go" });
    if (!d) return;
    const parts = [];
    let at = 0;
    for (const s of d.spans) {
      parts.push(text.value.slice(at, s.start), h("mark", { class: `pd-pii pd-pii-${s.kind}`, title: PII_KIND[s.kind], text: s.text }));
      at = s.end;
    }
    parts.push(text.value.slice(at));
    marked.replaceChildren(...parts);
    masked.textContent = d.scrubbed;
    const p = (v) => (v === null ? "–" : pct(v, 0));
    scores.replaceChildren(h("thead", {}, h("tr", {}, ...["kind", "found right", "found wrongly", "missed", "precision", "recall"].map((t) => h("th", { text: t })))),
      h("tbody", {}, ...d.sample.scores.map((s) => h("tr", {}, h("td", { text: PII_KIND[s.kind] }),
        h("td", { class: "num", text: count(s.true_positives) }), h("td", { class: "num", text: count(s.false_positives) }),
        h("td", { class: "num", text: count(s.false_negatives) }), h("td", { class: "num", text: p(s.precision) }), h("td", { class: "num", text: p(s.recall) })))));
    mistakes.replaceChildren(...d.sample.mistakes.map((m) => h("li", {},
      `${m.error === "missed" ? "Missed" : "Wrongly masked as " + PII_KIND[m.kind]}: `, h("code", { text: m.text }))));
    f.setReadout([
      ...Object.entries(d.counts).map(([k, n]) => ({ label: `${PII_KINDS[k]} masked`, value: count(n) })),
      { label: "labelled sample", value: `${d.sample.examples} sentences` },
    ]);
    f.hood(d);
  }, 200);
  text.input.addEventListener("input", go);
  go();
}

export const demos = { minhash, pipeline, compute, pii };
