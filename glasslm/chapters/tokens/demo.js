// The tokens chapter: the demos only draw what /api/tokens/* returns.

import { postJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { slider, textInput, button, buttonRow } from "/static/js/components/controls.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { lineChart } from "/static/js/components/linechart.js";
import { barChart } from "/static/js/components/barchart.js";
import { count, fixed, seconds } from "/static/js/components/format.js";
import { cssVar } from "/static/js/components/color.js";

const API = "/api/tokens";

const DEFAULT_TEXT = "Tokenizers don't see letters: they see pieces. In 2024, “strawberry” cost GPT-4 3 tokens. 日本語も🎉!";

// Original text for the training demo: short, repetitive enough to merge.
const TRAINING_TEXT = `The tokenizer reads the text as bytes. It counts every pair of neighbouring tokens, \
finds the pair that occurs most often, and gives that pair a new token of its own. Then it counts again. \
The new token can pair with its neighbours too, so the tokens grow: first pairs of letters, then \
syllables, then whole common words such as "the" and "and". The more often a piece of text occurs, \
the sooner it becomes a single token. Rare words stay split into smaller pieces, and any text at all \
can still be written with the 256 byte tokens it started with. Training stops when the vocabulary \
reaches the size we asked for, or sooner if no pair occurs twice any more. Then the tokenizer is ready: to encode new text, it repeats the same \
merges in the same order. Try your own text here, in any language, and watch which pieces appear first.`;

// Play steps through all merges in about this long, one step at most every 250 ms.
const PLAY_SECONDS = 12, PLAY_MIN_MS = 40, PLAY_MAX_MS = 250;

// The learner's own BPE is trained on the text of the replay demo; the
// comparison demo uses the same text and vocabulary size.
const shared = { corpus: TRAINING_TEXT, vocab: 350, listeners: [] };
function shareTraining(corpus, vocab) {
  shared.corpus = corpus; shared.vocab = vocab;
  shared.listeners.forEach((fn) => fn());
}

function tokenView(t) {
  return { text: t.text, id: t.id, title: `id ${t.id}${t.partial ? " (part of a character: raw bytes)" : ""}` };
}

function compare(el) {
  const f = demoFrame(el, { title: "Your text, four tokenizers", stacked: true,
    sources: ["glasslm.engine.tokenizers.bpe_regex:Tokenizer._encode_ordinary", "glasslm.engine.tokenizers.bpe:BytePairEncoding.merge_ids"] });
  const text = textInput({ label: "Text", field: "text", value: DEFAULT_TEXT, multiline: true, rows: 3, maxlength: 4000,
    oninput: debounce(() => update(), 150) });
  f.add(text.el);
  const rows = [];
  const signal = latest();
  async function update() {
    const d = await f.run(() => postJSON(`${API}/compare`, { text: text.value, corpus: shared.corpus, vocab_size: shared.vocab }, { signal: signal() }), { key: "update" });
    if (!d) return;
    d.rows.forEach((r, i) => {
      if (!rows[i]) {
        const head = h("div", { class: "tok-row-head" });
        const box = h("div", { class: "tok-row", "data-tokenizer": String(i) }, head);
        f.picture.append(box);
        rows[i] = { head, strip: tokenStrip(box, { label: r.name }) };
      }
      rows[i].head.replaceChildren(h("strong", { text: r.name }), h("span", { class: "tok-count num", text: ` ${count(r.count)} tokens` }),
        h("span", { class: "muted", text: ` · ${r.how}` }));
      rows[i].strip.update(r.tokens.map(tokenView));
    });
    f.setReadout(d.rows.map((r) => ({ label: r.name, value: `${count(r.count)} tokens, ${fixed(r.chars_per_token, 2)} chars/token` })));
    f.hood(d);
  }
  shared.listeners.push(update);
  return update();
}

function spelling(el) {
  const f = demoFrame(el, { title: "How many r's in strawberry?", sources: ["glasslm.engine.tokenizers.bpe_regex:Tokenizer.encode_pieces"] });
  const word = textInput({ label: "Word", field: "word", value: "strawberry", maxlength: 40, oninput: debounce(() => update(), 150) });
  const letter = textInput({ label: "Letter", field: "letter", value: "r", maxlength: 1, oninput: debounce(() => update(), 150) });
  f.add(word.el, letter.el);
  const out = h("div", { class: "spelling" });
  f.picture.append(out);
  async function update() {
    const d = await f.run(() => postJSON(`${API}/spelling`, { word: word.value, letter: letter.value }), { key: "update" });
    if (!d) return;
    out.replaceChildren(...d.rows.map((r) => {
      const box = h("div", { class: "tok-row" }, h("div", { class: "tok-row-head" }, h("strong", { text: r.name }),
        h("span", { class: "num", text: ` ${r.tokens.length} tokens: ids ${r.tokens.map((t) => t.id).join(", ")}` })));
      tokenStrip(box, { label: r.name }).update(r.tokens.map((t) => ({ ...tokenView(t), title: `id ${t.id}: contains ${t.letter_count} “${d.letter}”` })));
      box.append(h("p", { class: "muted num", text: `“${d.letter}” per token: ${r.tokens.map((t) => t.letter_count).join(" + ")} = ${d.count}` +
        ` · after a space, as inside a sentence: ${r.with_space.map((t) => JSON.stringify(t)).join(" + ")}` }));
      return box;
    }));
    f.setReadout([
      { label: "letters", value: count(d.letters) },
      { label: `“${d.letter}” in the word`, value: count(d.count) },
      ...d.rows.map((r) => ({ label: `${r.name} sees`, value: `${r.tokens.length} ids` })),
    ]);
    f.hood(d);
  }
  return update();
}

function numbers(el) {
  const f = demoFrame(el, { title: "How numbers split", stacked: true, sources: ["glasslm.engine.tokenizers.bpe_regex:Tokenizer.chunks"] });
  const text = textInput({ label: "Numbers", field: "text", value: "7 42 123 1234 12345 1000000 3.14159 2024 99.99", maxlength: 400,
    oninput: debounce(() => update(), 150) });
  f.add(text.el);
  const boxes = [0, 1].map(() => { const b = h("div", { class: "tok-row" }, h("div", { class: "tok-row-head" })); f.picture.append(b); return b; });
  const strips = boxes.map((b) => tokenStrip(b));
  async function update() {
    const d = await f.run(() => postJSON(`${API}/compare`, { text: text.value }), { key: "update" });
    if (!d) return;
    [1, 2].forEach((k, i) => {
      const r = d.rows[k];
      boxes[i].firstChild.replaceChildren(h("strong", { text: r.name }), h("span", { class: "num", text: ` ${count(r.count)} tokens` }));
      strips[i].update(r.tokens.map(tokenView));
    });
    f.setReadout([{ label: "cl100k_base", value: `${d.rows[1].count} tokens` }, { label: "SmolLM2", value: `${d.rows[2].count} tokens` }]);
    f.hood(d);
  }
  return update();
}

function languages(el) {
  const f = demoFrame(el, { title: "Characters per token, by language", stacked: true,
    sources: ["glasslm.engine.tokenizers.bpe_regex:Tokenizer._encode_ordinary"] });
  const extra = textInput({ label: "Add your own sentence", field: "extra", value: "", maxlength: 400, placeholder: "any language",
    onenter: () => update() });
  f.add(extra.el, buttonRow(button("Measure", () => update(), { primary: true })));
  const table = h("table", { class: "terms num lang-table" });
  f.picture.append(h("div", { class: "table-scroll" }, table));
  async function update() {
    const d = await f.run(() => postJSON(`${API}/languages`, { extra: extra.value }), { key: "update" });
    if (!d) return;
    const max = Math.max(...d.rows.map((r) => r.cl100k_chars_per_token));
    const bar = (v, cls) => h("span", { class: `lang-bar ${cls}`, style: `width:${(80 * v) / max}%` });
    table.replaceChildren(
      h("tr", {}, h("th", { text: "language" }), h("th", { text: "characters" }), h("th", { text: "cl100k tokens" }),
        h("th", { text: "SmolLM2 tokens" }), h("th", { text: "× English (cl100k)" }),
        h("th", { text: "characters per token (cl100k / SmolLM2)" })),
      ...d.rows.map((r) => h("tr", { title: r.sentence }, h("td", { text: r.language }), h("td", { text: count(r.chars) }),
        h("td", { text: count(r.cl100k) }), h("td", { text: count(r.smollm2) }), h("td", { text: `${fixed(r.cl100k / d.rows[0].cl100k, 1)}×` }),
        h("td", { class: "lang-bars" }, h("div", {}, bar(r.cl100k_chars_per_token, "a"), h("span", { text: ` ${fixed(r.cl100k_chars_per_token, 2)}` })),
          h("div", {}, bar(r.smollm2_chars_per_token, "b"), h("span", { text: ` ${fixed(r.smollm2_chars_per_token, 2)}` }))))));
    const en = d.rows[0], worst = d.rows.reduce((a, b) => (b.cl100k > a.cl100k ? b : a));
    f.setReadout([
      { label: "English, cl100k", value: `${count(en.cl100k)} tokens, ${fixed(en.cl100k_chars_per_token, 2)} chars/token` },
      { label: `most tokens (${worst.language})`, value: `${count(worst.cl100k)} tokens, ${fixed(worst.cl100k / en.cl100k, 1)}× English` },
    ]);
    f.hood(d);
  }
  return update();
}

function replay(el) {
  const f = demoFrame(el, { title: "Train a BPE on your text, merge by merge", stacked: true,
    sources: ["glasslm.engine.tokenizers.bpe:train", "glasslm.engine.tokenizers.bpe_regex:train_tokenizer"] });
  const text = textInput({ label: "Training text", field: "text", value: TRAINING_TEXT, multiline: true, rows: 6, maxlength: 20000 });
  const vocab = slider({ label: "Vocabulary size", field: "vocab_size", min: 256, max: 1024, step: 1, value: 350, format: (v) => `${v} tokens` });
  const step = slider({ label: "Merges applied", field: "step", min: 0, max: 0, step: 1, value: 0, format: (v) => `${v}`,
    oninput: debounce(() => show(), 40) });
  const play = button("Play", () => toggle());
  f.add(text.el, vocab.el, buttonRow(button("Train", () => train(), { primary: true }), play), step.el);
  const info = h("div", { class: "replay-info", "aria-live": "polite" });
  // Why training ended short of the asked size stays on screen (the status line is rewritten by every step).
  const stopped = h("p", { class: "replay-stopped", role: "note", hidden: true });
  const stripBox = h("div", { class: "tok-row replay-strip" });
  const strip = tokenStrip(stripBox, { label: "The training text as tokens" });
  const charts = h("div", { class: "replay-charts" });
  const pairsBox = h("div", { class: "replay-pairs" }, h("h4", { text: "Most frequent pairs now" }));
  const curveBox = h("div", { class: "replay-curve" }, h("h4", { text: "Compression vs vocabulary size" }));
  charts.append(pairsBox, curveBox);
  f.picture.append(stopped, info, stripBox, charts);
  const pairs = barChart(pairsBox, { format: (v) => `${count(v)}×`, label: "Pair counts" });
  const curve = lineChart(curveBox, { xLabel: "vocabulary size (tokens)", yLabel: "bytes per token", series: [{ name: "compression" }], height: 260 });
  let trace = null, timer = null, trainedText = "", trainedVocab = 0;

  async function train() {
    stop();
    const d = await f.run(() => postJSON(`${API}/train`, { text: text.value, vocab_size: vocab.value }), { progress: "Training…" });
    if (!d) return;
    trace = d; trainedText = text.value; trainedVocab = vocab.value;
    step.input.max = String(d.merges.length);
    step.value = 0;
    curve.set("compression", [[256, 1], ...d.merges.map((m) => [m.vocab_size, m.compression])]);
    stopped.textContent = d.stopped ?? "";
    stopped.hidden = !d.stopped;
    f.setStatus(d.stopped ? "" : `Learned ${d.merges.length} merges.`);
    f.hood(d);
    shareTraining(trainedText, trainedVocab);
    await show();
  }
  async function show() {
    if (!trace) return;
    const k = step.value;
    const d = await f.run(() => postJSON(`${API}/replay`, { text: trainedText, vocab_size: trainedVocab, step: k }), { key: "show" });
    if (!d) return;
    const highlight = cssVar("--s2");
    strip.update(d.tokens.map((t) => ({ ...tokenView(t), color: t.new ? highlight : undefined })));
    const m = k ? trace.merges[k - 1] : null;
    info.replaceChildren(m
      ? h("p", {}, `Merge ${k}: `, h("code", { text: `“${m.left}” + “${m.right}”` }), ` → `, h("code", { class: "new-token", text: `“${m.token}”` }),
        ` (id ${m.id}), seen ${count(m.count)} times; now ${count(d.new_count)} highlighted in the text.`)
      : h("p", { text: "Before any merge: one token per byte." }));
    pairs.update(d.top_pairs.map((p, i) => ({ label: `“${p.left}” + “${p.right}”`, value: p.count, highlight: i === 0 })));
    f.setReadout([
      { label: "merges", value: `${k} of ${trace.merges.length}` },
      { label: "vocabulary", value: `${count(256 + k)} tokens` },
      { label: "text", value: `${count(d.count)} tokens` },
      { label: "compression", value: `${fixed(d.compression, 2)} bytes/token` },
    ]);
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; }
  // Play paces itself so the whole replay takes about PLAY_SECONDS, and says how long is left.
  function toggle() {
    if (timer) return stop();
    if (!trace) return;
    if (step.value >= trace.merges.length) step.value = 0;
    play.textContent = "Pause";
    const every = Math.max(PLAY_MIN_MS, Math.min(PLAY_MAX_MS, (PLAY_SECONDS * 1000) / trace.merges.length));
    let busy = false;
    timer = setInterval(async () => {
      if (busy) return;
      const n = trace.merges.length;
      if (step.value >= n) {
        stop();
        return f.setStatus(trace.stopped ? "" : `Played all ${n} merges.`);
      }
      busy = true;
      step.value = step.value + 1;
      await show();
      const left = Math.max(0, n - step.value);
      if (timer) f.setStatus(`Playing merge ${step.value} of ${n}, about ${seconds((left * every) / 1000)} left.`);
      busy = false;
    }, every);
  }
  return train();
}

// ---- the Unigram language model (SentencePiece) on the learner's training text, beside their BPE
function unigram(el) {
  const f = demoFrame(el, { title: "Another way to cut: the Unigram model", stacked: true,
    sources: ["glasslm.engine.tokenizers.unigram:viterbi", "glasslm.engine.tokenizers.unigram:all_segmentations",
      "glasslm.engine.tokenizers.unigram:log_partition", "glasslm.engine.tokenizers.unigram:train_unigram"] });
  const sentence = textInput({ label: "Sentence to cut both ways", field: "sentence", maxlength: 400,
    value: "The tokenizer splits unbelievably rare words ☃ into pieces.", oninput: debounce(() => go(), 250) });
  const word = textInput({ label: "One word: every way to cut it", field: "word", value: "tokens", maxlength: 23,
    oninput: debounce(() => go(), 250) });
  const note = h("p", { class: "demo-note" });
  f.add(sentence.el, word.el, note);
  const uniBox = h("div", {}), bpeBox = h("div", {}), barsBox = h("div", {});
  f.picture.append(h("h4", { text: "Unigram (sentencepiece)" }), uniBox, h("h4", { text: "Your BPE" }), bpeBox,
    h("h4", { text: "Every way the Unigram model can cut the word, with its probability" }), barsBox);
  const uni = tokenStrip(uniBox, { label: "Unigram pieces" });
  const bpe = tokenStrip(bpeBox, { label: "BPE pieces" });
  const bars = barChart(barsBox, { format: (v) => `${fixed(100 * v, 1)}%`, max: 1, label: "probability of each segmentation" });
  const signal = latest();

  async function go() {
    note.textContent = `Both trained on the text of the BPE demo above (${count(shared.corpus.length)} characters), asking for ${shared.vocab} tokens.`;
    const body = { corpus: shared.corpus, vocab_size: shared.vocab, sentence: sentence.value, word: word.value };
    const d = await f.run(() => postJSON(`${API}/unigram`, body, { signal: signal() }), { key: "go" });
    if (!d) return;
    uni.update(d.unigram.pieces.map((p) => ({ text: p, title: p.startsWith("<0x") ? "a byte: this character is not in the vocabulary" : p })));
    bpe.update(d.bpe.pieces.map((p) => ({ text: p })));
    bars.update(d.segmentations.slice(0, 12).map((s, i) => ({ label: s.pieces.join(" | "), value: s.probability, highlight: i === 0,
      note: i === 0 ? "← the tokenizer's choice" : "" })));
    f.setReadout([
      { label: "Unigram pieces", value: `${count(d.unigram.pieces.length)} (vocabulary ${count(d.vocab_size)})` },
      { label: "BPE pieces", value: `${count(d.bpe.pieces.length)} (vocabulary ${count(d.bpe.vocab_size)})` },
      { label: "bytes used for unseen characters", value: count(d.unigram.byte_pieces) },
      { label: `ways to cut “${d.word}”`, value: count(d.ways) },
      { label: "same cut as sentencepiece's own", value: d.unigram.library_agrees ? "yes" : "no" },
    ]);
    f.hood(d);
  }
  shared.listeners.push(go);
  go();
}

export const demos = { compare, spelling, numbers, languages, "bpe-replay": replay, unigram };
