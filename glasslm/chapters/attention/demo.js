// The attention chapter: the demos only draw what /api/attention/* returns.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { slider, textInput, select, segmented, button, buttonRow, numberInput } from "/static/js/components/controls.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { fitWidth } from "/static/js/components/chartsize.js";
import { lineChart } from "/static/js/components/linechart.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { sequential, textOn, onThemeChange } from "/static/js/components/color.js";
import { pct, fixed, signed, count, bytes } from "/static/js/components/format.js";

const API = "/api/attention";
const LAYERS = 30;  // slider range only; the API checks against the loaded model and says so
const HEADS = 9;

const layerSlider = (value, oninput) => slider({ label: "layer", field: "layer", min: 0, max: LAYERS - 1, step: 1, value,
  format: (v) => `${v} of 0–${LAYERS - 1}`, oninput });
const headSelect = (value, onchange) => select({ label: "head", field: "head", value: String(value),
  options: Array.from({ length: HEADS }, (_, i) => [String(i), `head ${i}`]), onchange });

// Tokens tinted by attention weights. weights[j] for j <= query; later tokens are the masked future.
// onPick(i) makes the tokens buttons (click, Enter, Space).
function attentionStrip(container, { onPick = null, label = "Tokens" } = {}) {
  const strip = h("div", { class: "tokens att-strip", role: onPick ? "listbox" : "list", "aria-label": label });
  container.append(strip);
  let last = null;
  function update(tokens, query, weights) {
    last = [tokens, query, weights];
    strip.replaceChildren(...tokens.map((t, i) => {
      const w = i <= query ? weights[i] : null;
      const span = h("span", { class: `token att-token${i === query ? " selected" : ""}${w === null ? " future" : ""}`,
        "data-index": i, role: onPick ? "option" : "listitem",
        title: w === null ? `${visible(t.text)}: in the future, masked` : `${visible(t.text)}: ${pct(w)}` },
      h("span", { class: "att-text", text: visible(t.text) }), h("span", { class: "att-pct", text: w === null ? "–" : pct(w, 0) }));
      if (w !== null) { const c = sequential(w); span.style.background = c; span.style.color = textOn(c); }
      if (onPick) {
        span.tabIndex = 0;
        span.setAttribute("aria-selected", String(i === query));
        span.addEventListener("click", () => onPick(i));
        span.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(i); }
          if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
            e.preventDefault(); e.stopPropagation();
            const next = Math.max(0, Math.min(tokens.length - 1, i + (e.key === "ArrowRight" ? 1 : -1)));
            onPick(next); strip.querySelector(`[data-index="${next}"]`)?.focus();
          }
        });
      }
      return span;
    }));
  }
  onThemeChange(() => last && update(...last));
  return { el: strip, update };
}

// The causal triangle padded to a square (null = masked future).
const square = (rows) => rows.map((r) => [...r, ...Array(rows.length - r.length).fill(null)]);
const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

function where(el) {
  const f = demoFrame(el, { title: "Click a token: where does it look?", stacked: true,
    sources: ["glasslm.engine.models.llama.llama:Llama._attention", "glasslm.engine.models.llama.llama:Llama._forward", "glasslm.engine.models.llama.smollm2:SmolLM2.trace"] });
  const text = textInput({ label: "Your text", field: "text", value: "The cat sat on the mat because it was tired.", multiline: true,
    rows: 2, maxlength: 400, oninput: debounce(() => { query = null; load(); }, 500) });
  const layer = layerSlider(13, debounce(() => load(), 150));
  const head = headSelect(8, () => draw());
  const view = segmented({ label: "show", field: "view", options: [["one", "one head"], ["all", `all ${HEADS} heads`]], value: "one",
    onchange: () => draw() });
  f.add(text.el, layer.el, view.el, head.el);
  const strip = attentionStrip(f.picture, { onPick: (i) => { query = i; draw(); }, label: "Tokens: pick one to see where it looks" });
  const single = h("div", { class: "att-single" });
  const grid = h("div", { class: "att-grid", hidden: true });
  f.picture.append(single, grid);
  const big = heatmap(single, { cell: 26, format: (v) => pct(v, 0), label: "Attention weights of the chosen head: rows look at columns",
    onCell: (d) => { query = d.i; draw(); } });
  let data = null, query = 7;  // "it" in the first sentence shown
  const nextSignal = latest();
  async function load() {
    const signal = nextSignal();
    const d = await f.run(() => postJSON(`${API}/maps`, { text: text.value, layer: layer.value }, { signal }),
      { key: "load", progress: "Running SmolLM2 and recording every head…" });
    if (!d) return;
    data = d;
    if (query === null || query >= d.tokens.length) query = d.tokens.length - 1;
    draw();
  }
  function draw() {
    if (!data) return;
    const hd = Number(head.value), labels = data.tokens.map((t) => visible(t.text));
    const row = data.maps[hd][query];
    strip.update(data.tokens, query, row);
    const all = view.value === "all";
    single.hidden = all; grid.hidden = !all;
    if (!all) {
      big.update(square(data.maps[hd]), labels, labels);
      single.querySelectorAll("text.row-label").forEach((t, i) => t.classList.toggle("att-row-on", i === query));
    }
    else {
      grid.replaceChildren(...data.maps.map((m, i) => {
        const cellBox = h("button", { type: "button", class: `att-small${i === hd ? " chosen" : ""}`, "data-head": i,
          "aria-label": `head ${i} (key/value head ${data.kv_head_of[i]}): study this head` },
        h("span", { class: "att-small-title", text: `head ${i} · kv ${data.kv_head_of[i]}` }));
        const map = heatmap(cellBox, { cell: 8, showValues: false, label: `head ${i}` });
        map.update(square(m), labels, labels);  // rows: the token that looks; columns: the token looked at
        cellBox.addEventListener("click", () => { head.value = String(i); view.value = "one"; draw(); });
        return cellBox;
      }));
    }
    const top = argmax(row);
    f.setReadout([
      { label: "token", value: `“${labels[query]}” (position ${query})` },
      { label: "looks most at", value: `“${labels[top]}” (${pct(row[top])})` },
      { label: "weight on the first token", value: pct(row[0]) },
      { label: "layer, head", value: `${data.layer}, ${hd} (key/value head ${data.kv_head_of[hd]})` },
    ]);
    f.hood(data);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

function bank(el) {
  const f = demoFrame(el, { title: "“bank” beside a river, and beside money", stacked: true,
    sources: ["glasslm.engine.interpretability.attention_view:strongest_link", "glasslm.engine.models.llama.smollm2:SmolLM2.trace",
      "glasslm.engine.models.llama.llama:Llama._attention"] });
  const word = textInput({ label: "Word to follow", field: "word", value: "bank", maxlength: 40, onenter: () => load() });
  const s1 = textInput({ label: "Sentence 1", field: "sentences", value: "The fisherman sat on the river bank", maxlength: 400, onenter: () => load() });
  const c1 = textInput({ label: "its context word", field: "context", value: "river", maxlength: 40, onenter: () => load() });
  const s2 = textInput({ label: "Sentence 2", value: "I need to deposit money at the bank", maxlength: 400, onenter: () => load() });
  const c2 = textInput({ label: "its context word", value: "money", maxlength: 40, onenter: () => load() });
  const layer = layerSlider(16, () => draw());
  const head = headSelect(0, () => draw());
  f.add(word.el, s1.el, c1.el, s2.el, c2.el, buttonRow(button("Compare", () => load(), { primary: true })), layer.el, head.el);
  const pick = (l, hd) => { layer.value = l; head.value = String(hd); draw(); };
  const row = h("div", { class: "att-compare-row" });
  f.picture.append(row);
  const panels = [0, 1].map((n) => {
    const box = h("div", { class: "att-compare", "data-sentence": n });
    const caption = h("p", { class: "att-caption" });
    const gridTitle = h("p", { class: "att-caption" });
    const jump = button("Show that head", () => {
      const s = data.sentences[n], best = s.link ?? s.strongest;
      pick(best.layer, best.head);
    });
    box.append(h("h4", { text: `Sentence ${n + 1}` }));
    const strip = attentionStrip(box, { label: `Sentence ${n + 1}: where the word looks in the chosen head` });
    box.append(caption, buttonRow(jump), gridTitle);
    const gridBox = h("div", { class: "att-link-grid" });
    box.append(gridBox);
    // Coloured by the square root of the weight over the grid's strongest: most weights are a few %,
    // and on the sequential scale they sat on its dark-mode background. Hover titles give the real weight.
    let strongest = 1;
    const grid = heatmap(gridBox, { cell: 16, showValues: false, format: (v) => pct(v * v * strongest, 1),
      label: `Sentence ${n + 1}: how much the word looks at its context word, in every layer (rows) and head (columns)`,
      onCell: (d) => pick(d.i, d.j) });
    row.append(box);
    return { strip, caption, gridTitle, gridBox, grid, setStrongest: (v) => { strongest = v > 0 ? v : 1; } };
  });
  let data = null;
  async function load() {
    const d = await f.run(() => postJSON(`${API}/compare`, { word: word.value, sentences: [s1.value, s2.value], context: [c1.value, c2.value] }),
      { progress: "Running SmolLM2 on both sentences…" });
    if (!d) return;
    data = d;
    const s = d.sentences[0].link ?? d.sentences[0].strongest;
    pick(s.layer, s.head);
  }
  function draw() {
    if (!data) return;
    const l = layer.value, hd = Number(head.value), w = visible(data.word);
    const items = [];
    data.sentences.forEach((s, n) => {
      const row = s.rows[l][hd], p = panels[n];
      p.strip.update(s.tokens, s.position, row);
      if (s.link) {
        const c = visible(s.link.word);
        p.caption.textContent = `“${w}” looks at “${c}” most in layer ${s.link.layer}, head ${s.link.head}: ${pct(s.link.weight)}.`;
        p.gridTitle.textContent = `“${w}” → “${c}” in every layer (rows, 0 at the top) and head (columns); click a cell to see that head.`;
        p.gridBox.hidden = false;
        p.setStrongest(Math.max(...s.link.grid.flat()));
        p.gridTitle.textContent += ` The strongest cell, in full colour, is ${pct(Math.max(...s.link.grid.flat()), 1)} (colour: its square root, so weak links show too).`;
        p.grid.update(s.link.grid.map((r) => r.map((v) => Math.sqrt(v / Math.max(...s.link.grid.flat())))),
          s.link.grid.map((_, i) => (i % 5 === 0 ? `layer ${i}` : "")),
          Array.from({ length: data.heads }, (_, i) => `h${i}`));
        items.push({ label: `sentence ${n + 1}: “${w}” → “${c}” here`, value: pct(row[s.link.token]) });
      } else {
        const st = s.strongest;
        p.caption.textContent = `Strongest link to another word: layer ${st.layer}, head ${st.head}: “${w}” looks at “${visible(st.text)}” with ${pct(st.weight)}.`;
        p.gridTitle.textContent = "";
        p.gridBox.hidden = true;
        const others = row.map((v, j) => (j === 0 || j === s.position ? -1 : v));
        const top = argmax(others);
        items.push({ label: `sentence ${n + 1}: most-watched word here`, value: others[top] >= 0 ? `“${visible(s.tokens[top].text)}” ${pct(row[top])}` : "–" });
      }
    });
    items.push({ label: "layer, head", value: `${l}, ${hd}` });
    f.setReadout(items);
    f.hood(data);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

function vectorRow(container, label) {
  const box = h("div", { class: "att-vector" });
  container.append(box);
  const map = heatmap(box, { scale: "diverging", cell: 9, showValues: false, label });
  return (values, rowLabels = []) => map.update(values, rowLabels, []);
}

function qkvSteps(el) {
  const f = demoFrame(el, { title: "One head, step by step", stacked: true,
    sources: ["glasslm.engine.interpretability.attention_view:head_steps", "glasslm.engine.interpretability.attention_view:head_qkv"] });
  const text = textInput({ label: "Your text", field: "text", value: "The cat sat on the mat because it was tired.", maxlength: 400,
    oninput: debounce(() => { query = -1; load(); }, 500) });
  const layer = layerSlider(12, debounce(() => load(), 150));
  const head = headSelect(1, () => load());
  f.add(text.el, layer.el, head.el);
  const picker = h("div", { class: "control", "data-field": "token" }, h("span", { class: "control-label", text: "query token (click one)" }));
  f.add(picker);
  const strip = attentionStrip(picker, { onPick: (i) => { query = i; load(); }, label: "Query token" });
  const step = (n, title) => { const s = h("section", { class: "att-step" }, h("h4", { text: `${n}. ${title}` })); f.picture.append(s); return s; };
  const s1 = step(1, "the query of the chosen token and every token's key (64 numbers each, after RoPE)");
  const drawQ = vectorRow(s1, "query vector");
  const drawK = vectorRow(s1, "key vectors");
  const s2 = step(2, "scores q·k / √d, the causal mask, softmax");
  const table = h("table", { class: "terms num att-table" });
  s2.append(h("div", { class: "scroll-x" }, table));
  const s3 = step(3, "the weighted sum of the values");
  const drawV = vectorRow(s3, "value vectors");
  const outLabel = h("p", { class: "att-caption" });
  s3.append(outLabel);
  const drawOut = vectorRow(s3, "output vector");
  let query = -1;
  const nextSignal = latest();
  async function load() {
    const signal = nextSignal();
    const d = await f.run(() => postJSON(`${API}/steps`, { text: text.value, layer: layer.value, head: Number(head.value), token: query }, { signal }),
      { key: "load", progress: "Running SmolLM2…" });
    if (!d) return;
    query = d.query;
    s1.querySelector("h4").textContent = `1. the query of the chosen token and every token's key (${d.head_dim} numbers each, after RoPE)`;
    const labels = d.tokens.map((t) => visible(t.text));
    strip.update(d.tokens, d.query, d.weights);
    drawQ([d.q], [`q  “${labels[d.query]}”`]);
    drawK(d.k, labels.map((t) => `k  “${t}”`));
    const th = (t) => h("th", { text: t });
    table.replaceChildren(h("tr", {}, th("key token"), th("q·k"), th(`÷ √${d.head_dim}`), th("mask"), th("softmax")),
      ...d.tokens.map((t, j) => h("tr", { class: d.visible[j] ? "" : "future" },
        h("td", { class: "mono", text: labels[j] }), h("td", { text: fixed(d.dots[j], 2) }), h("td", { text: signed(d.scores[j], 3) }),
        h("td", { text: d.visible[j] ? "visible" : "−∞ (future)" }), h("td", { text: d.visible[j] ? pct(d.weights[j]) : "0%" }))));
    drawV(d.v, labels.map((t, j) => `${pct(d.weights[j], 0)} × v “${t}”`));
    outLabel.textContent = `= output of head ${d.head} for “${labels[d.query]}”, 64 numbers passed on to the rest of the layer:`;
    drawOut([d.output], ["output"]);
    const sum = d.weights.reduce((a, b) => a + b, 0);
    f.setReadout([
      { label: "query token", value: `“${labels[d.query]}” (position ${d.query})` },
      { label: "query head → key/value head", value: `${d.head} → ${d.kv_head}` },
      { label: "scale 1/√d", value: `1/√${d.head_dim} = ${fixed(d.scale, 4)}` },
      { label: "sum of weights", value: pct(sum, 1) },
      { label: "differs from the model's own forward pass by", value: d.max_difference_from_forward_pass.toExponential(1) },
    ]);
    f.hood(d);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

function gqa(el) {
  const f = demoFrame(el, { title: "9 query heads, 3 key/value heads", stacked: true,
    sources: ["glasslm.engine.interpretability.attention_view:gqa_groups", "glasslm.engine.interpretability.attention_view:gqa_memory", "glasslm.engine.models.llama.kv_cache:kv_cache_bytes"] });
  const ctx = numberInput({ label: "tokens in the cache", field: "context", value: 8192, min: 1, max: 8192, step: 1, onchange: () => load() });
  f.add(ctx.el);
  // The heads picture draws one viewBox unit per CSS pixel of its box (fitWidth), the heads
  // spread over the width and their boxes narrowed to fit, so its labels keep their size on a phone.
  const diagram = h("div", { class: "att-gqa" });
  const svgNode = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svgNode.setAttribute("class", "chart");
  svgNode.setAttribute("role", "img");
  diagram.append(svgNode);
  let shown = null, W = 540;
  fitWidth(svgNode, (width) => { W = width; if (shown) drawHeads(shown); }, W);
  const table = h("table", { class: "terms num att-table" });
  const pub = h("table", { class: "terms num att-table" });
  f.picture.append(diagram, h("div", { class: "scroll-x" }, table), h("h4", { text: "Published models (16-bit cache, from their papers)" }), h("div", { class: "scroll-x" }, pub));
  function drawHeads(d) {
    shown = d;
    const qy = 24, ky = 130, step = (W - 60) / (d.heads - 1), qx = (i) => 30 + i * step;
    const qw = Math.min(44, step - 6);  // a query head's box, narrower when the heads are close
    const kx = (k) => d.groups[k].reduce((a, q) => a + qx(q), 0) / d.groups[k].length;  // under its group
    const rule = `query head h reads key/value head h ÷ ${d.group_size} (rounded down)`;
    const lines = W < 420 ? [rule.slice(0, rule.indexOf(" h ÷")), rule.slice(rule.indexOf(" h ÷") + 1)] : [rule];  // two lines on a phone
    const H = 150 + 16 * lines.length;
    svgNode.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svgNode.setAttribute("aria-label", `${d.heads} query heads joined to the ${d.kv_heads} key/value heads they share`);
    const svg = [];
    d.groups.forEach((qs, k) => qs.forEach((q) => svg.push(`<line x1="${qx(q)}" y1="${qy + 14}" x2="${kx(k)}" y2="${ky - 14}" stroke="var(--s${k + 1})" stroke-width="2"/>`)));
    for (let i = 0; i < d.heads; i++) svg.push(`<rect x="${qx(i) - qw / 2}" y="${qy - 14}" width="${qw}" height="28" rx="5" fill="var(--surface-2)" stroke="var(--border)"/><text x="${qx(i)}" y="${qy + 5}" text-anchor="middle" font-size="12" fill="currentColor">q${i}</text>`);
    d.groups.forEach((_, k) => svg.push(`<rect x="${kx(k) - 34}" y="${ky - 14}" width="68" height="28" rx="5" fill="var(--surface-2)" stroke="var(--s${k + 1})" stroke-width="3"/><text x="${kx(k)}" y="${ky + 5}" text-anchor="middle" font-size="12" fill="currentColor">k${k}, v${k}</text>`));
    lines.forEach((line, i) => svg.push(`<text x="${W / 2}" y="${164 + 16 * i}" text-anchor="middle" font-size="11" fill="currentColor">${line}</text>`));
    svgNode.innerHTML = svg.join("");
  }

  async function load() {
    const d = await f.run(() => getJSON(`${API}/gqa`, { context: Number.isFinite(ctx.value) ? ctx.value : "" }), { key: "load" });
    if (!d) return;
    drawHeads(d);
    const m = d.memory;
    const tr = (a, b, c) => h("tr", {}, h("td", { text: a }), h("td", { text: b }), h("td", { text: c }));
    table.replaceChildren(
      h("tr", {}, h("th", { text: "" }), h("th", { text: `GQA (${d.kv_heads} kv heads)` }), h("th", { text: `one per query head (${d.heads})` })),
      tr("KV cache per token (float32)", bytes(m.per_token_bytes), bytes(m.per_token_bytes_mha)),
      tr(`KV cache for ${count(m.context)} tokens`, bytes(m.context_bytes), bytes(m.context_bytes_mha)),
      tr("key + value weights (all layers)", count(m.kv_params), count(m.kv_params_mha)));
    pub.replaceChildren(h("tr", {}, ...["model", "query heads", "kv heads", "KV per token", "source"].map((t) => h("th", { text: t }))),
      ...d.published.map((p) => h("tr", {}, h("td", { text: p.name }), h("td", { text: count(p.heads) }), h("td", { text: count(p.kv_heads) }),
        h("td", { text: bytes(p.kv_bytes_per_token_16bit) }), h("td", { class: "att-source", text: p.source }))));
    f.setReadout([
      { label: "query heads sharing one kv head", value: `${d.group_size}` },
      { label: "cache saved", value: pct(m.saving, 0) },
      { label: "cache at this length", value: `${bytes(m.context_bytes)} instead of ${bytes(m.context_bytes_mha)}` },
    ]);
    f.hood(d);
  }
  load();  // not awaited: the page is usable while SmolLM2 runs (progress shows in the demo)
}

const FLASH_TEXT = "Attention compares every token with every token before it. For a short sentence that is "
  + "a small table of scores, but the table grows with the square of the length: a book chapter of eight thousand "
  + "tokens would need sixty-four million scores for every head of every layer. FlashAttention computes exactly the "
  + "same result without ever writing that table down. It walks along each row of scores in tiles, keeps a running "
  + "maximum and a running sum, and corrects what it has summed so far whenever a larger score turns up. The "
  + "arithmetic is the same; what changes is how much has to be held in memory at once. On a graphics card the "
  + "difference is dramatic. The card has a few gigabytes of large, slow memory and a few megabytes of small, fast "
  + "memory beside its arithmetic units. Reading and writing the big table in slow memory takes longer than the "
  + "arithmetic itself, so a method that keeps each tile in fast memory and never stores the table runs several "
  + "times faster, even though it does a little extra work to correct its running sums. It also lets the context "
  + "grow: the memory it needs grows with the length of the text, not with its square, which is one of the reasons "
  + "models could move from a few thousand tokens of context to hundreds of thousands.";

// One head of SmolLM2 on the learner's text: ordinary attention against the tiled, online-softmax version.
function flash(el) {
  const f = demoFrame(el, { title: "FlashAttention: the same attention, one tile at a time", stacked: true,
    sources: ["glasslm.engine.inference.flash_attention:flash_attention", "glasslm.engine.inference.flash_attention:ordinary_attention"] });
  const text = textInput({ label: "Text", field: "text", value: FLASH_TEXT, multiline: true, rows: 4, maxlength: 4000 });
  const length = slider({ label: "sequence length (tokens of the text)", field: "length", min: 8, max: 512, step: 8, value: 512,
    format: (v) => `${v}`, onchange: () => go() });
  const tile = segmented({ label: "tile size", field: "tile", value: "32", options: [["16", "16"], ["32", "32"], ["64", "64"], ["128", "128"]],
    onchange: () => go() });
  const layer = layerSlider(0, debounce(() => go(), 250));
  const head = headSelect(0, () => go());
  f.add(text.el, length.el, tile.el, layer.el, head.el, buttonRow(button("Compute", () => go(), { primary: true })));
  const gridBox = h("div", { class: "att-flash-grid", role: "img" });
  const chartBox = h("div", { class: "att-flash-chart" });
  f.picture.append(h("p", { class: "att-caption", text: "The score matrix in tiles: filled tiles are computed, empty ones (after the diagonal) skipped by the causal mask; the outlined row holds the query followed below." }),
    gridBox, chartBox);
  const maxChart = lineChart(chartBox, { xLabel: "key tiles seen", yLabel: "running maximum m", height: 200,
    series: [{ name: "max", label: "running maximum of the scores", dots: true }],
    title: "The watched query's running maximum, tile by tile" });
  const normChart = lineChart(chartBox, { xLabel: "key tiles seen", yLabel: "normaliser l", height: 200,
    series: [{ name: "norm", label: "running sum of exp(score − m)", dots: true }],
    title: "The watched query's running normaliser, tile by tile" });
  const fresh = latest();

  function drawGrid(d) {
    const n = d.grid.length, row = Math.floor(d.watch / d.tile);
    gridBox.setAttribute("aria-label", `${n} by ${n} tiles of ${d.tile} by ${d.tile} scores`);
    gridBox.style.gridTemplateColumns = `repeat(${n}, 1fr)`;
    gridBox.replaceChildren(...d.grid.flatMap((cells, i) => cells.map((state) =>
      h("div", { class: `att-flash-tile ${state}${i === row ? " watched" : ""}` }))));
  }

  async function go() {
    const body = { text: text.value, tile: Number(tile.value), layer: layer.value, head: Number(head.value), length: length.value };
    const signal = fresh();
    const d = await f.run(() => postJSON(`${API}/flash`, body, { signal }), { key: "go", progress: "Running SmolLM2 up to the layer…" });
    if (!d) return;
    drawGrid(d);
    maxChart.set("max", d.history.map((s, i) => [i + 1, s.max]));
    normChart.set("norm", d.history.map((s, i) => [i + 1, s.normaliser]));
    f.setReadout([
      { label: "tokens", value: `${d.tokens.length} (${d.grid.length} × ${d.grid.length} tiles of ${d.tile})` },
      { label: "largest array: ordinary vs tiled", value: `${bytes(d.largest_bytes.ordinary)} vs ${bytes(d.largest_bytes.flash)}` },
      { label: "largest difference between the two outputs", value: d.max_abs_difference.toExponential(1) },
      { label: "tiles computed / skipped", value: `${d.tiles.computed} / ${d.tiles.skipped}` },
      { label: "multiply-adds: tiled vs ordinary's full matrix", value: `${count(d.flops.flash / 2)} vs ${count(d.flops.ordinary_full_matrix / 2)}` },
      { label: `at ${count(d.at_full_context.tokens)} tokens, per head (formula)`, value: `${bytes(d.at_full_context.ordinary_bytes)} vs ${bytes(d.at_full_context.flash_bytes)}` },
    ]);
    f.hood(d);
  }
  text.el.querySelector("textarea")?.addEventListener("change", () => go());
  go();
}

export const demos = { where, bank, "qkv-steps": qkvSteps, gqa, flash };
