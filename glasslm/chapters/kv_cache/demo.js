// The kv-cache chapter: the demos only draw what /api/kv-cache/* and the timing
// job's event stream send.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { segmented, select, button, buttonRow, textInput } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { lineChart } from "/static/js/components/linechart.js";
import { barChart } from "/static/js/components/barchart.js";
import { fixed, count, pct, compact } from "/static/js/components/format.js";

const API = "/api/kv-cache";
// Bytes in binary units; from 100 of a unit upward without decimals (no "1.01e+3 GiB").
function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n >= 100 ? n.toFixed(0) : n.toPrecision(3)} ${units[i]}`;
}
const msText = (s) => (s === null || s === undefined ? "–" : `${fixed(1000 * s, s < 0.01 ? 2 : 1)} ms`);

function timing(el) {
  const f = demoFrame(el, { title: "Time per generated token, with and without the cache (measured now)",
    sources: ["glasslm.engine.inference.kv_cache_timing:measure_length", "glasslm.engine.models.llama.llama:Llama._attention"] });
  const maxLen = segmented({ label: "Longest sequence (tokens)", field: "max_length", value: "256",
    options: ["64", "128", "256", "512"] });
  const repeats = select({ label: "Repeats per point (median)", field: "repeats", value: "1", options: ["1", "2", "3"] });
  const jobs = jobButtons(f, "Measure", () => start());
  f.add(maxLen.el, repeats.el, jobs.row);
  const chartBox = h("div");
  const table = h("table", { class: "kv-table num" });
  f.picture.append(chartBox, h("div", { class: "scroll-x" }, table));
  const chart = lineChart(chartBox, { xLabel: "tokens already in the sequence", yLabel: "ms per token", series: [
    { name: "without cache" }, { name: "with cache" }, { name: "prefill (per token)", dashed: true }] });
  let points = [], lengths = 0;
  const header = h("tr", {}, ...["tokens", "with cache", "without", "speed-up", "prefill", "decode", "max |Δ logit|", "cache size"]
    .map((t) => h("th", { text: t })));
  table.append(header);

  function show(p) {
    points.push(p);
    chart.append("without cache", [p.length, 1000 * p.without_cache_s]);
    chart.append("with cache", [p.length, 1000 * p.with_cache_s]);
    chart.append("prefill (per token)", [p.length, 1000 * p.prefill_s / p.length]);
    table.append(h("tr", {}, h("td", { text: count(p.length) }), h("td", { text: msText(p.with_cache_s) }),
      h("td", { text: msText(p.without_cache_s) }), h("td", { text: `${fixed(p.speedup, 1)}×` }),
      h("td", { text: `${count(p.prefill_tokens_per_s)} tok/s` }), h("td", { text: `${fixed(p.decode_tokens_per_s, 1)} tok/s` }),
      h("td", { text: p.max_logit_diff.toExponential(1) }), h("td", { text: bytes(p.cache_bytes) })));
    f.setReadout([
      { label: "at tokens", value: count(p.length) },
      { label: "speed-up from the cache", value: `${fixed(p.speedup, 1)}×` },
      { label: "decode with cache", value: `${fixed(p.decode_tokens_per_s, 1)} tokens/s` },
      { label: "prefill", value: `${count(p.prefill_tokens_per_s)} tokens/s` },
      { label: "same prediction? max |Δ logit|", value: p.max_logit_diff.toExponential(1) },
    ]);
    f.hood(points);
  }

  async function start() {
    await jobs.follow(`${API}/timing`, { max_length: Number(maxLen.value), repeats: Number(repeats.value) }, {
      keepStatus: true,
      onStarted: (d) => {
        points = [];
        lengths = d.lengths.length;
        chart.clear();
        table.replaceChildren(header);
        f.setStatus(`Measuring ${lengths} lengths…`);
      },
      onEvent: (e) => {
        if (e.type === "point") { show(e); f.setStatus(`Measured ${points.length} of ${lengths} lengths…`); }
      },
      onDone: (end) => {
        if (end.status === "stopped") f.setStatus(`Stopped after ${points.length} lengths.`);
        else f.setStatus(end.status === "done" ? "Done." : "");
      },
    });
  }
}

function memory(el) {
  const f = demoFrame(el, { title: "KV-cache memory from its formula", stacked: true,
    sources: ["glasslm.engine.models.llama.kv_cache:kv_cache_bytes", "glasslm.engine.inference.kv_cache_timing:memory_rows",
      "glasslm.engine.models.llama.kv_cache:KVCache"] });
  const dtype = segmented({ label: "Numbers stored as", field: "dtype", value: "float16",
    options: [["float32", "float32 (4 B)"], ["float16", "float16 (2 B)"], ["int8", "int8 (1 B)"]], onchange: () => update() });
  const context = select({ label: "Context (tokens)", field: "context", value: "", onchange: () => update(),
    options: [["", "each model's own"], ["1024", "1,024"], ["8192", "8,192"], ["32768", "32,768"], ["131072", "131,072"]] });
  f.add(dtype.el, context.el);
  const check = h("p", { class: "kv-check" });
  const table = h("table", { class: "kv-table num kv-models" });
  f.picture.append(check, h("div", { class: "scroll-x" }, table));
  async function update() {
    const params = { dtype: dtype.value };
    if (context.value) params.context = context.value;
    const d = await f.run(() => getJSON(`${API}/memory`, params), { key: "update" });
    if (!d) return;
    const c = d.check;
    const ok = c.real_cache_bytes_float32 === c.formula_bytes_float32;
    check.className = `kv-check ${ok ? "ok" : "bad"}`;
    check.textContent = `A real float32 KVCache for SmolLM2 at ${count(c.context)} tokens holds ${count(c.real_cache_bytes_float32)} bytes; `
      + `the formula gives ${count(c.formula_bytes_float32)}.`;
    // each model's source on its own full-width line under its numbers: as an 11th column the long
    // citations made every row about eight lines tall and pushed the numbers off the side
    const columns = ["model", "layers", "kv heads / heads", "head dim", "context", "per token", "cache", "without GQA", "GQA saves", "weights"];
    table.replaceChildren(
      h("tr", {}, ...columns.map((t) => h("th", { text: t }))),
      ...d.rows.flatMap((r) => [h("tr", { class: "kv-model" }, h("td", { text: r.name }), h("td", { text: count(r.layers) }),
        h("td", { text: `${r.kv_heads} / ${r.heads}` }), h("td", { text: count(r.head_dim) }), h("td", { text: count(r.context) }),
        h("td", { text: bytes(r.per_token_bytes) }), h("td", { class: "kv-cache", text: bytes(r.cache_bytes) }),
        h("td", { text: bytes(r.cache_bytes_without_gqa) }), h("td", { text: pct(r.gqa_saving, 0) }),
        h("td", { text: bytes(r.weights_bytes) })),
      h("tr", { class: "kv-source-row" }, h("td", { class: "kv-source", colspan: columns.length }, h("div", { text: `source: ${r.source}` })))]));
    const big = d.rows[d.rows.length - 1];
    f.setReadout([
      { label: "SmolLM2 per token", value: bytes(d.rows[0].per_token_bytes) },
      { label: "SmolLM2 full context", value: bytes(d.rows[0].cache_bytes) },
      { label: `${big.name} at ${compact(big.context)} tokens`, value: bytes(big.cache_bytes) },
    ]);
    f.hood(d);
    document.dispatchEvent(new CustomEvent("kv-memory", { detail: d }));
  }
  update(); // not awaited: loading SmolLM2 must not hold up the page
}

function gqa(el) {
  const f = demoFrame(el, { title: "SmolLM2's cache with 1, 3 or 9 key/value heads", stacked: true,
    sources: ["glasslm.engine.inference.kv_cache_timing:memory_row"] });
  f.add(h("p", { class: "kv-note", text: "Same layers, head size and context as the table above (change them there)." }));
  const box = h("div");
  f.picture.append(box);
  const bars = barChart(box, { format: (v) => bytes(v), label: "cache size by number of key/value heads" });
  const draw = (d) => {
    bars.update(d.variants.map((v) => ({ label: `${v.kv_heads} kv head${v.kv_heads > 1 ? "s" : ""} (${v.kind})`,
      value: v.cache_bytes, highlight: v.actual, note: v.actual ? "← SmolLM2" : "" })));
    const actual = d.variants.find((v) => v.actual), full = d.variants[d.variants.length - 1];
    f.setReadout([
      { label: "context", value: `${count(actual.context)} tokens` },
      { label: "SmolLM2 (GQA)", value: bytes(actual.cache_bytes) },
      { label: "every head its own (MHA)", value: bytes(full.cache_bytes) },
      { label: "saved by GQA", value: pct(actual.gqa_saving, 0) },
    ]);
    f.hood(d.variants);
  };
  document.addEventListener("kv-memory", (e) => draw(e.detail));
  f.run(() => getJSON(`${API}/memory`)).then((d) => { if (d) draw(d); }); // not awaited, as above
}

const PREFIX_TEXT = "A lighthouse keeper lived alone on a rocky island far from the coast. Every evening he climbed "
  + "the hundred and twelve steps of the tower, trimmed the wick, polished the great glass lens and lit the lamp. "
  + "Ships that passed in the night never saw him, but they saw his light, and they knew where the rocks were. "
  + "In winter the storms came in from the west and the waves broke over the lower windows; in summer the "
  + "island was covered in sea pinks and the birds nested in every crack of the cliffs. He kept a logbook of the "
  + "weather, the ships and the birds, and on the last page he wrote";
const MORE_WORDS = [" that", " the", " sea", " was", " calm", " and", " the", " light", " was", " steady", "."];

function prefix(el) {
  const f = demoFrame(el, { title: "Edit a long text: which tokens the prefix cache reuses (measured now)", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.prefill", "glasslm.engine.models.llama.prefix_cache:PrefixCache.match",
      "glasslm.engine.models.llama.kv_cache:KVCache.copy_prefix"] });
  const text = textInput({ label: "Your text (type at the end, or change a word in the middle)", field: "text",
    value: PREFIX_TEXT, multiline: true, rows: 5, maxlength: 4000, oninput: debounce(() => update(), 250) });
  let added = 0;
  const addWord = button("Add a word at the end", () => { text.value += MORE_WORDS[added++ % MORE_WORDS.length]; update(); },
    { primary: true });
  const editMiddle = button("Change a word in the middle", () => {
    const v = text.value, mid = v.indexOf(" ", Math.floor(v.length / 2));
    const end = v.indexOf(" ", mid + 1);
    if (mid < 0 || end < 0) return;
    const word = v.slice(mid, end) === " bright" ? " quiet" : " bright";
    text.value = v.slice(0, mid) + word + v.slice(end);
    update();
  });
  f.add(text.el, buttonRow(addWord, editMiddle));
  const legend = h("p", { class: "kv-note" }, h("span", { class: "kv-legend kv-reused", text: "reused" }), " from the cache, ",
    h("span", { class: "kv-legend kv-new", text: "computed" }), " by this request.");
  const stripBox = h("div", { class: "kv-prefix-strip" });
  const strip = tokenStrip(stripBox, { label: "Your text as tokens, reused or computed" });
  const table = h("table", { class: "kv-table num kv-requests" });
  const header = h("tr", {}, ...["request", "tokens", "reused", "computed", "time"].map((t) => h("th", { text: t })));
  table.append(header);
  f.picture.append(legend, stripBox, h("div", { class: "scroll-x" }, table));
  const signal = latest();
  let n = 0;
  async function update() {
    const d = await f.run(() => postJSON(`${API}/prefix`, { text: text.value }, { signal: signal() }), { key: "update" });
    if (!d) return;
    n += 1;
    strip.update(d.tokens.map((t) => ({ text: t.text, id: t.id, title: `id ${t.id}: ${t.reused ? "reused" : "computed"}` })));
    [...strip.el.children].forEach((span, i) => span.classList.add(d.tokens[i].reused ? "kv-reused" : "kv-new"));
    table.insertBefore(h("tr", {}, h("td", { text: count(n) }), h("td", { text: count(d.tokens.length) }),
      h("td", { text: count(d.reused) }), h("td", { text: count(d.computed) }), h("td", { text: msText(d.seconds) })),
    header.nextSibling);
    while (table.rows.length > 9) table.deleteRow(table.rows.length - 1);
    f.setReadout([
      { label: "reused", value: `${count(d.reused)} of ${count(d.tokens.length)} tokens` },
      { label: "computed", value: count(d.computed) },
      { label: "this request", value: msText(d.seconds) },
      { label: "next token", value: `“${d.next.text}” ${pct(d.next.prob)}` },
      { label: "cache memory", value: `${bytes(d.cache.mb * 2 ** 20)} of ${bytes(d.cache.budget_mb * 2 ** 20)}` },
      { label: "texts kept", value: count(d.cache.entries) },
    ]);
    f.hood(d);
  }
  update(); // not awaited: loading SmolLM2 must not hold up the page
}

export const demos = { timing, memory, gqa, prefix };
