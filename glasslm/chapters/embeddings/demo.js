// The embeddings chapter: the demos only draw what /api/embeddings/* returns.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, debounce, h } from "/static/js/components/demo.js";
import { slider, textInput, segmented, button, buttonRow } from "/static/js/components/controls.js";
import { barChart } from "/static/js/components/barchart.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { series, diverging, onThemeChange } from "/static/js/components/color.js";
import { fixed, count, ms as fmtMs } from "/static/js/components/format.js";
import { scatter3d } from "/chapters/embeddings/scatter3d.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";

const API = "/api/embeddings";
const GROUPS = ["animals", "places", "verbs", "emotions"];

// Run fn once el is (nearly) on screen: for demos whose first answer needs a
// model file opened, so that readers who never scroll there do not pay for it.
function whenVisible(el, fn) {
  const io = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) { io.disconnect(); fn(); }
  }, { rootMargin: "300px" });
  io.observe(el);
}

const words = (s) => s.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);
const fmtCos = (v) => fixed(v, 3);

function space(el) {
  const f = demoFrame(el, { title: "Words in 3-D", stacked: true,
    sources: ["glasslm.engine.embeddings.glove:WordVectors.project_3d"] });
  const mine = textInput({ label: "Your words (comma or space separated)", field: "words", value: "pizza, guitar, doctor", maxlength: 600,
    onenter: () => update() });
  let chosen = [...GROUPS];
  const toggles = GROUPS.map((g) => {
    const b = h("button", { type: "button", "aria-pressed": "true", text: g });
    b.addEventListener("click", () => {
      chosen = chosen.includes(g) ? chosen.filter((x) => x !== g) : GROUPS.filter((x) => x === g || chosen.includes(x));
      b.setAttribute("aria-pressed", String(chosen.includes(g)));
      update();
    });
    return b;
  });
  const groupBox = h("div", { class: "control", "data-field": "groups" }, h("span", { class: "control-label", text: "Groups" }),
    h("div", { class: "segmented", role: "group", "aria-label": "Groups" }, ...toggles));
  f.add(mine.el, buttonRow(button("Show", () => update(), { primary: true })), groupBox);
  const legend = h("div", { class: "legend-row" });
  f.picture.append(legend);
  const view = scatter3d(f.picture, { label: "GloVe word vectors projected to 3-D by PCA" });
  async function update() {
    const d = await f.run(() => postJSON(`${API}/space`, { words: words(mine.value), groups: chosen }), { key: "update", progress: "Projecting…" });
    if (!d) return;
    const colour = (g) => series(["animals", "places", "verbs", "emotions", "yours"].indexOf(g));
    view.set(d.points.map((p) => ({ xyz: p.xyz, label: p.word, color: colour(p.group) })),
      d.explained.map((e, i) => `PC${i + 1} (${fixed(100 * e, 0)}%)`));
    legend.replaceChildren(...d.groups.map((g) => h("span", {}, h("span", { class: "swatch", style: `background:${colour(g)}` }), g)));
    f.setReadout([
      { label: "words shown", value: count(d.points.length) },
      { label: "variance kept by 3 axes", value: `${fixed(100 * d.explained.reduce((a, b) => a + b, 0), 1)}% of ${d.dims} dimensions` },
    ]);
    f.hood(d);
  }
  return update();
}

function analogy(el) {
  const f = demoFrame(el, { title: "Arithmetic with meaning: a − b + c", sources: ["glasslm.engine.embeddings.glove:WordVectors.analogy"] });
  const a = textInput({ label: "a", field: "a", value: "king", maxlength: 40, onenter: () => update() });
  const b = textInput({ label: "− b", field: "b", value: "man", maxlength: 40, onenter: () => update() });
  const c = textInput({ label: "+ c", field: "c", value: "woman", maxlength: 40, onenter: () => update() });
  const presets = [["king", "man", "woman"], ["paris", "france", "italy"], ["tokyo", "japan", "france"], ["walking", "walk", "swim"], ["bigger", "big", "small"]];
  f.add(a.el, b.el, c.el, buttonRow(button("Compute", () => update(), { primary: true })),
    buttonRow(...presets.map((p) => button(`${p[0]} − ${p[1]} + ${p[2]}`, () => { [a.value, b.value, c.value] = p; update(); }))));
  const answer = h("div", { class: "answer-big", "aria-live": "polite" });
  f.picture.append(answer);
  const bars = barChart(f.picture, { format: fmtCos, label: "Nearest words to a − b + c" });
  async function update() {
    const d = await f.run(() => postJSON(`${API}/analogy`, { a: a.value, b: b.value, c: c.value }), { key: "update" });
    if (!d) return;
    answer.textContent = `${d.a} − ${d.b} + ${d.c} ≈ ${d.answer}`;
    bars.update(d.answers.map((x, i) => ({ label: x.word, value: x.cosine, highlight: i === 0 })));
    f.setReadout([
      { label: "answer", value: d.answer },
      { label: "cosine", value: fmtCos(d.cosine) },
      { label: "its rank if the inputs counted", value: `#${d.rank_with_inputs} (${d.nearest_overall.slice(0, 3).map((x) => x.word).join(", ")}…)` },
      { label: "searched", value: `${count(d.searched)} words in ${fmtMs(d.ms / 1000)}` },
    ]);
    f.hood(d);
  }
  return update();
}

function similarity(el) {
  const f = demoFrame(el, { title: "Cosine similarity of two words", sources: ["glasslm.engine.embeddings.glove:WordVectors.cosine"] });
  const a = textInput({ label: "First word", field: "a", value: "cat", maxlength: 40, oninput: debounce(() => update(), 250) });
  const b = textInput({ label: "Second word", field: "b", value: "dog", maxlength: 40, oninput: debounce(() => update(), 250) });
  f.add(a.el, b.el);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "-110 -110 220 130");
  svg.setAttribute("class", "angle-svg");
  svg.setAttribute("role", "img");
  const reading = h("p", { class: "cos-reading" });
  f.picture.append(svg, reading);
  async function update() {
    const d = await f.run(() => postJSON(`${API}/similarity`, { a: a.value, b: b.value }), { key: "update" });
    if (!d) return;
    const t = (d.angle_degrees * Math.PI) / 180, R = 95;
    const arrow = (x, y, colour, text) => `<line x1="0" y1="0" x2="${x}" y2="${y}" stroke="${colour}" stroke-width="3"/>` +
      `<text x="${x * 1.05}" y="${y * 1.05 - 4}" font-size="12" fill="currentColor" text-anchor="middle">${text}</text>`;
    const esc = (s) => s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
    svg.innerHTML = arrow(R, 0, "var(--s1)", esc(d.a)) + arrow(R * Math.cos(t), -R * Math.sin(t), "var(--s2)", esc(d.b)) +
      `<path d="M 30 0 A 30 30 0 0 0 ${30 * Math.cos(t)} ${-30 * Math.sin(t)}" fill="none" stroke="currentColor"/>`;
    svg.setAttribute("aria-label", `The two word vectors drawn ${fixed(d.angle_degrees, 0)} degrees apart`);
    reading.textContent = `${fixed(d.cosine, 3)}: ${d.reading}.`;
    f.setReadout([
      { label: "cosine", value: fmtCos(d.cosine) },
      { label: "angle", value: `${fixed(d.angle_degrees, 1)}°` },
      { label: "a · b", value: fixed(d.dot, 2) },
      { label: "|a|, |b|", value: `${fixed(d.norm_a, 2)}, ${fixed(d.norm_b, 2)}` },
    ]);
    f.hood(d);
  }
  return update();
}

function neighbours(el) {
  const f = demoFrame(el, { title: "Nearest neighbours among all of GloVe's words", sources: ["glasslm.engine.embeddings.glove:WordVectors.nearest_to_vector"] });
  const word = textInput({ label: "Word", field: "word", value: "frog", maxlength: 40, oninput: debounce(() => update(), 250) });
  const k = slider({ label: "How many", field: "k", min: 3, max: 30, step: 1, value: 10, oninput: debounce(() => update(), 100) });
  f.add(word.el, k.el);
  const bars = barChart(f.picture, { format: fmtCos, label: "Nearest words by cosine" });
  async function update() {
    const d = await f.run(() => postJSON(`${API}/neighbours`, { word: word.value, k: k.value }), { key: "update" });
    if (!d) return;
    bars.update(d.neighbours.map((x) => ({ label: x.word, value: x.cosine })));
    f.setReadout([{ label: "nearest", value: d.neighbours[0].word }, { label: "search time", value: `${fmtMs(d.ms / 1000)} for ${count(d.searched)} words` }]);
    f.hood(d);
  }
  return update();
}

function vectorStrip(el) {
  const f = demoFrame(el, { title: "A word is 50 numbers", stacked: true, sources: ["glasslm.engine.embeddings.glove:WordVectors.vector"] });
  const input = textInput({ label: "Words (up to 4)", field: "words", value: "king queen man apple", maxlength: 200, oninput: debounce(() => update(), 300) });
  f.add(input.el);
  const map = heatmap(f.picture, { scale: "diverging", cell: 16, showValues: false, label: "Word vectors, one row per word" });
  async function update() {
    const d = await f.run(() => postJSON(`${API}/vector`, { words: words(input.value).slice(0, 5) }), { key: "update" });
    if (!d) return;
    map.update(d.vectors, d.words, d.vectors[0].map((_, i) => (i % 5 === 0 ? String(i) : "")));
    f.setReadout(d.words.map((w, i) => ({ label: `${w} (frequency rank)`, value: `#${count(d.rank[i])}` })));
    f.hood(d);
  }
  return update();
}

const CONTEXT_DEFAULT = {
  word: "bank",
  sentences: ["She sat on the bank of the river and watched the water.", "He fished from the muddy bank of the stream.",
    "She went to the bank to deposit her money."],
};

function contextual(el) {
  const f = demoFrame(el, { title: "The same word in different sentences (SmolLM2)", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.trace", "glasslm.engine.embeddings.contextual:compare_in_context"] });
  const word = textInput({ label: "Word", field: "word", value: CONTEXT_DEFAULT.word, maxlength: 40 });
  const boxes = CONTEXT_DEFAULT.sentences.map((s, i) => textInput({ label: `Sentence ${i + 1}${i === 2 ? " (optional)" : ""}`, field: "sentences", value: s, maxlength: 300 }));
  const mode = segmented({ label: "Compare", options: [["centred", "centred (shared part removed)"], ["raw", "raw hidden states"]], value: "centred",
    onchange: () => draw() });
  f.add(word.el, ...boxes.map((b) => b.el), mode.el, buttonRow(button("Compare", () => update(), { primary: true })));
  const used = h("div");
  f.picture.append(used);
  const chart = lineChart(f.picture, { xLabel: "layer (0 = token embedding)", yLabel: "cosine", series: [
    { name: "1 vs 2" }, { name: "1 vs 3" }, { name: "2 vs 3", dashed: true }], height: 280 });
  let data = null;
  function draw() {
    if (!data) return;
    const curves = data[mode.value];
    ["1 vs 2", "1 vs 3", "2 vs 3"].forEach((n) => chart.set(n, []));
    curves.forEach((c) => chart.set(`${c.pair[0] + 1} vs ${c.pair[1] + 1}`, c.cosine.map((v, l) => [l, v])));
    f.setReadout(curves.map((c) => ({ label: `sentences ${c.pair[0] + 1} and ${c.pair[1] + 1}, last layer`, value: fmtCos(c.cosine[c.cosine.length - 1]) })));
  }
  async function update() {
    const sentences = boxes.map((b) => b.value).filter((s) => s.trim());
    const d = await f.run(() => postJSON(`${API}/contextual`, { word: word.value, sentences }),
      { key: "update", progress: "Running SmolLM2 (the first time loads the model, a few seconds)…" });
    if (!d) return;
    data = d;
    used.replaceChildren(...d.sentences.map((s, i) => h("p", { class: "used-tokens" }, `${i + 1}. token ${s.position}: `,
      h("code", { text: s.tokens.map((t) => JSON.stringify(t)).join(" + ") }))));
    draw();
    f.hood(d);
  }
  // The first run loads SmolLM2: only when the demo comes into view.
  whenVisible(el, update);
}

// A signed (rows x cols) matrix as one pixel per cell, stretched to the box's full width without
// gaps (an SVG rect per cell drew 8,000+ nodes per slider move and read as a dotted grid).
// Hovering names the cell under the pointer.
function pixelMap(box, { rowName, colName, label }) {
  const canvas = h("canvas", { class: "emb-pixelmap", role: "img", "aria-label": label });
  const note = h("p", { class: "emb-pixelnote", "aria-live": "polite", text: "Hover the map to read a cell." });
  box.append(canvas, note);
  let data = null;
  function paint() {
    if (!data) return;
    const rows = data.length, cols = data[0].length;
    canvas.width = cols; canvas.height = rows;
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(cols, rows);
    const palette = new Map();  // values are rounded to 1/50: at most 101 colours to parse
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const v = Math.round(data[r][c] * 50) / 50;
      if (!palette.has(v)) palette.set(v, window.d3.rgb(diverging(v, 1)));
      const rgb = palette.get(v), i = 4 * (r * cols + c);
      img.data[i] = rgb.r; img.data[i + 1] = rgb.g; img.data[i + 2] = rgb.b; img.data[i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    canvas.style.height = `${Math.min(420, Math.max(160, rows * 6))}px`;  // rows of about 6 px, stretched across
  }
  canvas.addEventListener("pointermove", (e) => {
    if (!data) return;
    const b = canvas.getBoundingClientRect();
    const r = Math.floor(((e.clientY - b.top) / b.height) * data.length), c = Math.floor(((e.clientX - b.left) / b.width) * data[0].length);
    if (data[r] && data[r][c] !== undefined) note.textContent = `${rowName} ${r}, ${colName} ${c}: ${fixed(data[r][c], 3)}`;
  });
  onThemeChange(paint);
  return { update(next) { data = next; paint(); } };
}

function sinusoidal(el) {
  const f = demoFrame(el, { title: "Sinusoidal position encodings", stacked: true, sources: ["glasslm.engine.basics.sinusoid:sinusoidal"] });
  const n = slider({ label: "Positions", field: "positions", min: 8, max: 128, step: 8, value: 48, oninput: debounce(() => update(), 60) });
  const c = slider({ label: "Channels", field: "channels", min: 8, max: 128, step: 8, value: 64, oninput: debounce(() => update(), 60) });
  f.add(n.el, c.el);
  const mapBox = h("div", { class: "emb-pixelbox" });
  const axes = h("p", { class: "emb-pixelaxes", text: "Rows: positions 0 (top) to the last (bottom). Columns: channels 0 (left, fastest) to the last (right, slowest). Orange +1, blue −1." });
  f.picture.append(axes, mapBox);
  const map = pixelMap(mapBox, { rowName: "position", colName: "channel", label: "Encoding: rows are positions, columns channels" });
  const chart = lineChart(f.picture, { xLabel: "position q", yLabel: "PE[p] · PE[q]", series: [{ name: "p = 0" }, { name: "p = middle" }], height: 240 });
  async function update() {
    const d = await f.run(() => postJSON(`${API}/sinusoidal`, { positions: n.value, channels: c.value }), { key: "update" });
    if (!d) return;
    map.update(d.pe);
    chart.set("p = 0", d.similarity_from_0.map((v, i) => [i, v]));
    chart.set("p = middle", d.similarity_from_mid.map((v, i) => [i, v]));
    f.setReadout([
      { label: "map", value: `${count(d.pe.length)} positions × ${count(d.pe[0].length)} channels` },
      { label: "fastest channel pair", value: `one turn every ${fixed(d.wavelengths[0], 2)} positions` },
      { label: "slowest", value: `every ${count(d.wavelengths[d.wavelengths.length - 1])} positions` },
    ]);
    f.hood(d);
  }
  return update();
}

function rope(el) {
  const f = demoFrame(el, { title: "RoPE: position as rotation, with SmolLM2's theta", stacked: true,
    sources: ["glasslm.engine.basics.rope:rope_angles", "glasslm.engine.embeddings.positions:rope_scores_by_offset"] });
  const pair = slider({ label: "Dimension pair i", field: "pair", min: 0, max: 31, step: 1, value: 0, oninput: debounce(() => update(), 80) });
  f.add(pair.el);
  const wrap = h("div", { class: "rope-grid" });
  const circle = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  circle.setAttribute("viewBox", "-120 -120 240 240");
  circle.setAttribute("class", "angle-svg");
  circle.setAttribute("role", "img");
  const scoreBox = h("div");
  wrap.append(circle, scoreBox);
  f.picture.append(wrap);
  const chart = lineChart(scoreBox, { xLabel: "distance between query and key (tokens)", yLabel: "q · k after RoPE",
    series: [{ name: "key at 0" }, { name: "key at 100", dashed: true }, { name: "key at 1000", dashed: true }], height: 240 });
  async function update() {
    const d = await f.run(() => getJSON(`${API}/rope`, { pair: pair.value }), { key: "update" });
    if (!d) return;
    const R = 90;
    circle.innerHTML = `<circle r="${R}" fill="none" stroke="currentColor" stroke-opacity=".3"/>` + d.angles.map((a, p) => {
      const x = R * Math.cos(a), y = -R * Math.sin(a);
      return `<circle cx="${x}" cy="${y}" r="${p === 0 ? 5 : 3}" fill="var(--s${p === 0 ? 2 : 1})" fill-opacity="${0.35 + (0.65 * p) / 32}"/>` +
        (p <= 4 ? `<text x="${x * 1.18}" y="${y * 1.18 + 4}" font-size="10" text-anchor="middle" fill="currentColor">${p}</text>` : "");
    }).join("");
    circle.setAttribute("aria-label", `Pair ${d.pair}: positions 0 to 32 as angles on a circle`);
    d.offsets.forEach((o, i) => chart.set(`key at ${o}`, d.distances.map((r, j) => [r, d.scores[i][j]])));
    f.setReadout([
      { label: "theta (from SmolLM2's file)", value: count(d.theta) },
      { label: `pair ${d.pair} turns once every`, value: `${count(d.wavelengths[d.pair])} tokens` },
      { label: "angle per token", value: `${fixed((d.angles[1] * 180) / Math.PI, 4)}°` },
      { label: "largest difference between the curves", value: fixed(d.max_row_difference, 5) },
    ]);
    f.hood(d);
  }
  whenVisible(el, update); // reads theta from SmolLM2's file: a couple of seconds the first time
}

// ---- word2vec trained live on Python's documentation and this guide, beside GloVe's neighbours
function word2vec(el) {
  const f = demoFrame(el, { title: "Train word vectors: word2vec on a small real corpus", stacked: true,
    sources: ["glasslm.engine.embeddings.word2vec:train_word2vec", "glasslm.engine.embeddings.word2vec:sgns_loss_and_grads"] });
  const words = textInput({ label: "Words to watch (comma-separated)", field: "watch", value: "string, function, error, file, list" });
  const epochs = segmented({ label: "Passes over the corpus", field: "epochs", value: "3", options: ["1", "2", "3", "5"].map((v) => [v, v]) });
  const jb = jobButtons(f, "Train", () => go());
  f.add(words.el, epochs.el, jb.row);
  const chartBox = h("div", {});
  const table = h("table", { class: "emb-w2v-table" });
  f.picture.append(chartBox, h("div", { class: "scroll-x" }, table));
  const chart = lineChart(chartBox, { xLabel: "training step", yLabel: "loss (mean over pairs)", height: 220,
    series: [{ name: "loss", label: "skip-gram loss" }], title: "word2vec's loss as it trains" });
  let glove = {}, start = null, points = [];

  function drawTable(ev) {
    const names = Object.keys(ev.words);
    const list = (ns) => ns.map(([w, c]) => `${w} ${fixed(c, 2)}`).join(", ");
    table.replaceChildren(h("thead", {}, h("tr", {}, ...["word", `word2vec after step ${count(ev.step)}`, "GloVe (6 billion tokens)"].map((t) => h("th", { text: t })))),
      h("tbody", {}, ...names.map((w) => h("tr", {}, h("td", { class: "mono", text: w }),
        h("td", { class: "emb-w2v-ours", text: list(ev.words[w]) }), h("td", { class: "emb-w2v-glove", text: list(glove[w] || []) })))));
  }

  async function go() {
    points = [];
    chart.set("loss", []);
    const watch = words.value.split(",").map((w) => w.trim()).filter(Boolean);
    await jb.follow(`${API}/word2vec`, { watch, epochs: Number(epochs.value) }, { progress: "Reading the corpus…",
      onEvent: (e) => {
        if (e.type === "start") {
          start = e; glove = e.glove;
          f.setReadout([{ label: "corpus", value: `${count(e.tokens)} words, ${count(e.vocab)} distinct words seen 5+ times` },
            { label: "pairs per pass", value: count(e.pairs_per_epoch) }]);
        } else if (e.type === "step") {
          points.push([e.step, e.loss]); chart.set("loss", points);
          f.setStatus(`Step ${count(e.step)} of about ${count(e.steps)}…`);
        } else if (e.type === "neighbours") {
          drawTable(e);
        } else if (e.type === "done") {
          f.setReadout([{ label: "corpus", value: `${count(start.tokens)} words (GloVe: 6 billion)` },
            { label: "final loss", value: points.length ? fixed(points[points.length - 1][1], 3) : "–" },
            { label: "training time", value: `${fixed(e.seconds, 1)} s` }]);
          f.hood(e);
        }
      } });
  }
}

// ---- approximate nearest neighbours over 400,000 words: an IVF index against the exact scan
function ann(el) {
  const f = demoFrame(el, { title: "Search 400,000 vectors fast: an approximate index", stacked: true,
    sources: ["glasslm.engine.applications.vector_search:build_ivf", "glasslm.engine.applications.vector_search:measure",
      "glasslm.engine.applications.vector_search:exact_top_k"] });
  const nlist = segmented({ label: "Clusters (nlist): set when the index is built", field: "nlist", value: "256",
    options: [["64", "64"], ["256", "256"], ["1024", "1024"]], onchange: () => build() });
  const nprobe = slider({ label: "Clusters opened per query (nprobe)", field: "nprobe", min: 1, max: 64, step: 1, value: 4,
    format: (v) => `${v}`, oninput: debounce(() => search(), 150) });
  const word = textInput({ label: "Word", field: "word", value: "river", maxlength: 40, oninput: debounce(() => search(), 300) });
  const jb = jobButtons(f, "Build the index", () => build());
  f.add(nlist.el, jb.row, nprobe.el, word.el);
  const table = h("table", { class: "emb-w2v-table" });
  f.picture.append(h("div", { class: "scroll-x" }, table));
  let built = new Set();

  async function build() {
    if (built.has(nlist.value)) return search();
    await jb.follow(`${API}/ann/build`, { nlist: Number(nlist.value) }, { progress: "Building…",
      onEvent: (e) => {
        if (e.type === "progress") f.setStatus(`${e.message}…`);
        if (e.type === "built") { built.add(String(e.nlist)); f.setStatus(`Index built in ${fixed(e.seconds, 1)} s.`); search(); }
      } });
  }

  async function search() {
    if (!built.has(nlist.value)) return;
    const d = await f.run(() => postJSON(`${API}/ann/search`, { nlist: Number(nlist.value), nprobe: nprobe.value, word: word.value }), { key: "search" });
    if (!d) return;
    const exact = new Set(d.neighbours.exact);
    table.replaceChildren(h("thead", {}, h("tr", {}, ...["rank", "exact scan", `index (nprobe ${d.nprobe})`].map((x) => h("th", { text: x })))),
      h("tbody", {}, ...d.neighbours.exact.map((w, i) => h("tr", {}, h("td", { text: String(i + 1) }), h("td", { text: w }),
        h("td", { class: exact.has(d.neighbours.ivf[i]) ? "" : "emb-ann-miss", text: d.neighbours.ivf[i] ?? "–" })))));
    f.setReadout([
      { label: `recall@10 over ${d.queries} words`, value: `${fixed(100 * d.recall_at_10, 1)}%` },
      { label: "vectors compared per query", value: `${fixed(100 * d.share_scanned, 1)}% of ${count(d.vectors)} (about)` },
      { label: "time per query: index vs exact", value: `${fmtMs(d.ivf_ms_per_query / 1000)} vs ${fmtMs(d.exact_ms_per_query / 1000)}` },
    ]);
    f.hood(d);
  }
}

export const demos = { word2vec, ann, "space-3d": space, analogy, similarity, neighbours, "vector-strip": vectorStrip, contextual, sinusoidal, rope };
