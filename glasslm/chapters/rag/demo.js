// The rag chapter: the demos only draw what /api/rag/* returns.
// One state object: the documents and chunking set in the first demo are
// searched in the second and read by SmolLM2 in the third.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { slider, textInput, select, button, buttonRow } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { fixed, count, ms, seconds, pct } from "/static/js/components/format.js";

// Durations: milliseconds below a second, else seconds.

const API = "/api/rag";
const EMBEDDING_NAMES = { tfidf: "TF-IDF", glove: "GloVe mean (50-d)", minilm: "MiniLM sentence encoder (384-d)" };

const state = { documents: null, size: 40, overlap: 10, question: "When does the last ferry return?", k: 3 };
const bus = new EventTarget();
function changed(what) { bus.dispatchEvent(new CustomEvent("change", { detail: what })); }
let defaultsPromise = null;
function defaults() {
  defaultsPromise ??= getJSON(`${API}/defaults`).then((d) => { state.documents ??= d.documents; return d; });
  return defaultsPromise;
}
const docBody = () => ({ documents: state.documents, size: state.size, overlap: state.overlap });

// A chunk's text with the words it shares with the previous chunk marked.
function chunkText(c, prev) {
  const shared = prev && prev.doc === c.doc && prev.end > c.start ? prev.end - c.start : 0;
  if (!shared) return h("p", { class: "rag-text", text: c.text });
  return h("p", { class: "rag-text" }, h("mark", { class: "rag-overlap", title: "shared with the chunk before", text: c.text.slice(0, shared) }),
    c.text.slice(shared));
}

function chunks(el) {
  const f = demoFrame(el, { title: "Cut your documents into chunks",
    sources: ["glasslm.engine.applications.chunking:chunk_document", "glasslm.engine.applications.chunking:parse_documents"] });
  const docs = textInput({ label: "Your documents (a line “# Title” starts each one)", field: "documents", multiline: true, rows: 9,
    maxlength: 22000, oninput: debounce(() => { state.documents = docs.value; update(); }, 400) });
  const size = slider({ label: "Chunk size", field: "size", min: 5, max: 200, step: 1, value: state.size, format: (v) => `${v} words`,
    oninput: debounce(() => { state.size = size.value; update(); }, 120) });
  const overlap = slider({ label: "Overlap", field: "overlap", min: 0, max: 100, step: 1, value: state.overlap, format: (v) => `${v} words`,
    oninput: debounce(() => { state.overlap = overlap.value; update(); }, 120) });
  const reset = button("Back to the Quillmere handbook", async () => {
    state.documents = docs.value = (await defaults()).documents; update();
  });
  f.add(docs.el, size.el, overlap.el, buttonRow(reset));
  const list = h("ol", { class: "rag-chunks", "aria-label": "the chunks" });
  f.picture.append(list);
  const signal = latest();

  async function update() {
    const d = await f.run(() => postJSON(`${API}/chunks`, docBody(), { signal: signal() }), { key: "update" });
    if (!d) return;
    list.replaceChildren(...d.chunks.map((c, i) => h("li", { class: "rag-chunk" },
      h("div", { class: "rag-meta mono", text: `chunk ${c.n} · ${c.title} · ${c.words} words` }), chunkText(c, d.chunks[i - 1]))));
    f.setReadout([
      { label: "documents", value: count(d.documents.length) },
      { label: "chunks", value: count(d.chunks.length) },
      { label: "words per chunk", value: fixed(d.mean_words, 1) },
      { label: "a new chunk every", value: `${d.step} words` },
    ]);
    f.hood(d);
    changed("chunks");
  }
  defaults().then(() => { docs.value = state.documents; update(); });
}

function hitList(r, embedding) {
  const col = h("div", { class: "rag-col", "data-embedding": embedding },
    h("h4", { text: `${EMBEDDING_NAMES[embedding]} · ${r.dimensions.toLocaleString()} dimensions` }));
  col.append(h("ol", { class: "rag-hits" }, ...r.hits.map((x) => h("li", { class: "rag-hit" },
    h("div", { class: "rag-meta" }, h("span", { class: "mono rag-score", text: `cos ${fixed(x.score, 3)}` }),
      h("span", { class: "rag-bar" }, h("span", { style: `width:${(100 * Math.max(0, x.score)).toFixed(1)}%`, title: "cosine on a scale from 0 to 1" })),
      h("span", { class: "mono", text: `#${x.rank} · chunk ${x.n} · ${x.title}` })),
    h("p", { class: "rag-text", text: x.text })))));
  if (r.query.pieces) {  // the sentence encoder reads word pieces, every one of them
    col.append(h("p", { class: "rag-words" }, h("strong", { text: "The word pieces it reads: " }), r.query.pieces.join(" ")));
  } else {
    const known = r.query.known.map((w) => w.weight ? `${w.word} (idf ${fixed(w.weight, 2)})` : w.word).join(", ");
    col.append(h("p", { class: "rag-words" }, h("strong", { text: "Question words it can read: " }), known || "none",
      h("br"), h("strong", { text: "Words it cannot: " }), r.query.unknown.join(", ") || "none"));
  }
  return col;
}

function search(el) {
  const f = demoFrame(el, { title: "Search the chunks by cosine similarity", stacked: true,
    sources: ["glasslm.engine.applications.retrieval:Index.search", "glasslm.engine.applications.retrieval:Tfidf", "glasslm.engine.applications.retrieval:MeanGlove"] });
  const q = textInput({ label: "Question", field: "question", value: state.question, maxlength: 300,
    oninput: debounce(() => { state.question = q.value; update(); changed("question"); }, 300) });
  const examples = select({ label: "Example questions", field: null, options: [["", "choose one…"]], value: "",
    onchange: (v) => { if (v) { q.value = state.question = v; update(); changed("question"); } } });
  const k = slider({ label: "Chunks to retrieve (k)", field: "k", min: 1, max: 10, step: 1, value: state.k, format: String,
    oninput: debounce(() => { state.k = k.value; update(); }, 120) });
  f.add(q.el, examples.el, k.el);
  const cols = h("div", { class: "rag-cols" });
  f.picture.append(cols);
  const signal = latest();
  defaults().then((d) => examples.input.append(...d.questions.map((x) => h("option", { value: x, text: x }))));

  async function update() {
    if (state.documents === null) return;
    const body = { ...docBody(), question: q.value, k: k.value, embeddings: ["tfidf", "glove", "minilm"] };
    const d = await f.run(() => postJSON(`${API}/search`, body, { signal: signal() }), { key: "update", progress: "Embedding the chunks…" });
    if (!d) return;
    cols.replaceChildren(...Object.entries(d.results).map(([e, r]) => hitList(r, e)));
    const rs = Object.values(d.results);
    const tops = Object.entries(d.results).map(([e, r]) => `${EMBEDDING_NAMES[e].split(" (")[0]} ${r.hits[0].n}`);
    const allSame = rs.every((r) => r.hits[0].n === rs[0].hits[0].n);
    f.setReadout([
      { label: "chunks searched", value: count(d.chunks_total) },
      { label: "best chunk", value: allSame ? `all chose chunk ${rs[0].hits[0].n}` : tops.join(", ") },
      { label: "search time", value: rs.map((r) => ms(r.search_seconds)).join(" + ") },
      { label: "index", value: rs.every((r) => r.index_cached) ? "cached" : `built in ${seconds(rs.reduce((a, r) => a + r.index_seconds, 0))}` },
    ]);
    f.hood(d);
  }
  bus.addEventListener("change", (e) => { if (e.detail === "chunks") update(); });
}

function answer(el) {
  const f = demoFrame(el, { title: "Answer with and without the retrieved chunks", stacked: true,
    sources: ["glasslm.engine.applications.rag:rag_messages", "glasslm.engine.applications.rag:answer", "glasslm.engine.applications.retrieval:Index.search"] });
  const using = h("p", { class: "rag-using" });
  const embedding = select({ label: "Embedding for retrieval", field: "embedding", value: "tfidf",
    options: [["tfidf", "TF-IDF"], ["glove", "GloVe mean"], ["minilm", "MiniLM sentence encoder"]] });
  const k = slider({ label: "Chunks in the prompt", field: "k", min: 1, max: 5, step: 1, value: 2, format: String });
  const maxNew = slider({ label: "Longest answer", field: "max_new_tokens", min: 8, max: 64, step: 1, value: 40, format: (v) => `${v} tokens` });
  const jobs = jobButtons(f, "Ask SmolLM2", () => run());
  f.add(using, embedding.el, k.el, maxNew.el, jobs.row);
  const showUsing = () => { using.textContent = `Question (from the search above): “${state.question}”`; };
  showUsing();
  bus.addEventListener("change", showUsing);

  const promptBox = h("details", { class: "rag-prompt" }, h("summary", { text: "The exact prompt SmolLM2 reads, as tokens" }));
  const promptStrip = tokenStrip(promptBox, { label: "the prompt with retrieval" });
  const promptText = h("pre", { class: "rag-prompt-text", "aria-label": "the prompt with retrieval as text" });
  promptBox.append(h("p", { class: "rag-note", text: "The same prompt as text:" }), promptText);
  const cards = {};
  for (const [mode, title] of [["with", "With retrieval"], ["without", "Without retrieval (the model alone)"]]) {
    const text = h("p", { class: "rag-answer" });
    const note = h("p", { class: "rag-note" });
    cards[mode] = { text, note, box: h("div", { class: "rag-card", "data-mode": mode }, h("h4", { text: title }), text, note) };
  }
  const used = h("p", { class: "rag-note rag-used" });
  f.picture.append(used, promptBox, h("div", { class: "rag-cols" }, cards.with.box, cards.without.box));
  f.setStatus("Press Ask: SmolLM2 answers twice, about 5–30 seconds on a busy machine.");

  let prompts = { with: 0, without: 0 };
  const texts = { with: "", without: "" };
  function onEvent(ev) {
    if (ev.type === "prompts") {
      promptStrip.update(ev.with.tokens.map((t) => ({ text: t.text, id: t.id })));
      promptText.textContent = ev.with.text;
      used.textContent = `Retrieved by ${EMBEDDING_NAMES[ev.embedding]}: ` +
        ev.hits.map((x) => `chunk ${x.n} (${x.title}, cos ${fixed(x.score, 3)})`).join("; ");
      promptBox.querySelector("summary").textContent =
        `The exact prompt SmolLM2 reads, as tokens (${count(ev.with.length)} with retrieval, ${count(ev.without.length)} without)`;
      cards.with.note.textContent = "reading the prompt…";
    } else if (ev.type === "token") {
      texts[ev.mode] += ev.token.text;
      cards[ev.mode].text.textContent = texts[ev.mode];
    } else if (ev.type === "answer_end") {
      cards[ev.mode].note.textContent = `${ev.tokens} tokens in ${seconds(ev.seconds)}${ev.ended ? " (the model ended its answer)" : " (cut at the limit)"}`;
      if (ev.mode === "with") cards.without.note.textContent = "reading the prompt…";
    } else if (ev.type === "done") {
      f.setReadout([
        { label: "prompt", value: `${count(prompts.with)} tokens with retrieval, ${count(prompts.without)} without` },
        { label: "answers", value: `${count(ev.with.tokens)} + ${count(ev.without.tokens)} tokens` },
        { label: "time", value: seconds(ev.seconds) },
      ]);
      f.hood(ev);
    }
  }
  async function run() {
    const body = { ...docBody(), question: state.question, k: k.value, embedding: embedding.value, max_new_tokens: maxNew.value };
    await jobs.follow(`${API}/answer`, body, {
      onEvent,
      progress: "Retrieving…",
      onStarted: (d) => {
        prompts = d.prompt_tokens;
        texts.with = texts.without = "";
        for (const c of Object.values(cards)) { c.text.textContent = ""; c.note.textContent = ""; }
        f.setStatus("SmolLM2 is answering…");
      },
    });
  }
}

// ---- which retriever finds the right document, over hand-labelled questions
function quality(el) {
  const f = demoFrame(el, { title: "Which retriever finds the answer?", stacked: true,
    sources: ["glasslm.engine.applications.retrieval:document_hit_rates", "glasslm.engine.embeddings.sentence_encoder:SentenceEncoder.hidden",
      "glasslm.engine.applications.retrieval:Tfidf.embed"] });
  const table = h("table", { class: "rag-quality" });
  f.picture.append(h("div", { class: "scroll-x" }, table));
  const go = button("Measure all three", () => run(), { primary: true });
  f.add(buttonRow(go));
  async function run() {
    const d = await f.run(() => getJSON(`${API}/quality`), { progress: "Embedding the handbook three ways…" });
    if (!d) return;
    const names = Object.keys(d.results);
    const rank = (r) => (r === null ? "–" : String(r));
    // the numbers had no name: say what a cell is
    table.replaceChildren(h("caption", { class: "rag-caption",
      text: "Each number: where that retriever ranked the document that answers the question (1 = first; – = not found)." }),
    h("thead", {}, h("tr", {}, h("th", { text: "question (the document that answers it)" }),
      ...names.map((e) => h("th", { text: EMBEDDING_NAMES[e].split(" (")[0] })))),
      h("tbody", {}, ...d.questions.map((q, i) => h("tr", {}, h("td", {}, q.question, h("span", { class: "rag-doc", text: ` (${q.document})` })),
        ...names.map((e) => h("td", { class: `num ${d.results[e].ranks[i] === 1 ? "rag-first" : ""}`, text: rank(d.results[e].ranks[i]) }))))),
      h("tfoot", {}, h("tr", {}, h("th", { text: "right document first / in the top 3" }),
        ...names.map((e) => h("th", { class: "num", text: `${pct(d.results[e].hit_at[1], 0)} / ${pct(d.results[e].hit_at[3], 0)}` })))));
    f.setReadout(names.map((e) => ({ label: EMBEDDING_NAMES[e], value: `first ${pct(d.results[e].hit_at[1], 0)}, top 3 ${pct(d.results[e].hit_at[3], 0)}` })));
    f.hood(d);
  }
}

export const demos = { quality, chunks, search, answer };
