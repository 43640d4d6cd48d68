// The serving chapter: a streaming chat whose every stage is timed. The
// conversation lives here in the page; the server keeps nothing between turns.
// Numbers come from /api/serving/* and the reply job's event stream; the
// browser's own clock adds only what it alone can see (when text arrived).

import { getJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { numberInput, slider, textInput, button, buttonRow } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { lineChart } from "/static/js/components/linechart.js";
import { fitWidth, keepTicksInside, xTickCount } from "/static/js/components/chartsize.js";
import { fixed, count, bytes, sci } from "/static/js/components/format.js";
import { speculate } from "./speculate.js";
import { client } from "./client.js";

const API = "/api/serving";
const msText = (s) => (s === null || s === undefined || !Number.isFinite(s) ? "–" : `${fixed(1000 * s, s < 0.01 ? 2 : 1)} ms`);

async function chat(el) {
  const f = demoFrame(el, { title: "Chat with SmolLM2, every step timed",
    sources: ["glasslm.engine.inference.serving_trace:traced_reply", "glasslm.engine.tokenizers.chat_template:ChatTemplate.ids"] });
  const limits = await f.run(() => getJSON(`${API}/limits`));
  if (!limits) return;
  const maxTokens = numberInput({ label: `Max new tokens (limit ${limits.max_reply_tokens})`, field: "max_tokens",
    value: limits.default_reply_tokens, min: 1, max: limits.max_reply_tokens, step: 1 });
  const temperature = slider({ label: "Temperature", field: "temperature", min: 0, max: 1.5, step: 0.05, value: 0.7,
    format: (v) => fixed(v, 2) });
  const reset = button("New chat", () => { if (!busy) { messages = []; drawLog(); } });
  f.add(maxTokens.el, temperature.el, buttonRow(reset));

  const log = h("div", { class: "sv-log", "aria-live": "polite", "aria-label": "conversation" });
  const input = textInput({ label: "Your message (Enter sends)", field: "messages", value: "What is a KV cache, in one sentence?",
    maxlength: limits.max_message_chars, onenter: () => send() });
  const jobs = jobButtons(f, "Send", () => send());
  const stages = h("table", { class: "sv-stages num" });
  const chartBox = h("div");
  f.picture.append(log, h("div", { class: "sv-compose" }, input.el, jobs.row),
    h("div", { class: "sv-scroll" }, stages), chartBox);
  const chart = lineChart(chartBox, { xLabel: "reply token", yLabel: "ms per decode step", height: 220,
    series: [{ name: "decode step" }] });

  let messages = [], busy = false;
  function drawLog(pending = null) {
    const items = messages.map((m) => h("div", { class: `sv-msg ${m.role}`, text: m.content }));
    if (pending) items.push(pending);
    log.replaceChildren(...(items.length ? items : [h("p", { class: "sv-empty", text: "No messages yet: say something." })]));
    log.scrollTop = log.scrollHeight;
  }
  drawLog();

  function drawStages(trace) {
    const s = trace.summary || {};
    const tokens = trace.tokens;
    const transit = trace.transit.length ? trace.transit.reduce((a, b) => a + b, 0) / trace.transit.length : null;
    const rows = [
      ["Tokenize", trace.tokenized?.seconds, `chat template + BPE → ${count(trace.tokenized?.prompt_tokens)} tokens`],
      ["Prefill", trace.prefill?.seconds, trace.prefill ? `${count(trace.prefill.tokens)} tokens in one pass, cache ${bytes(trace.prefill.cache_bytes)}` : ""],
      ["Decode loop", s.decode_s ?? tokens.reduce((a, t) => a + (t.decode_s || 0), 0), `${count(tokens.length)} tokens, one pass each`],
      ["Sample", s.sample_s ?? tokens.reduce((a, t) => a + t.sample_s, 0), "choose each token from its distribution"],
      ["Detokenize", s.detokenize_s ?? tokens.reduce((a, t) => a + t.detokenize_s, 0), "token bytes → text"],
      ["Stream (per event)", transit, "server-sent event to this page: browser clock − server clock"],
    ];
    const longest = Math.max(1e-9, ...rows.map((r) => r[1] || 0));
    stages.replaceChildren(h("tr", {}, ...["stage", "time", "", "what happened"].map((t) => h("th", { text: t }))),
      ...rows.map(([name, sec, what]) => h("tr", { "data-stage": name }, h("td", { text: name }), h("td", { text: msText(sec) }),
        h("td", { class: "sv-bar-cell" }, h("div", { class: "sv-bar", style: `width:${(100 * (sec || 0)) / longest}%` })),
        h("td", { class: "sv-what", text: what }))));
  }

  function setBusy(on) { busy = on; reset.disabled = on; }

  async function send() {
    if (busy) return;
    const text = input.value;
    const body = { messages: [...messages, { role: "user", content: text }], max_tokens: maxTokens.value,
      temperature: temperature.value };
    const t0 = performance.now();
    const bubble = h("div", { class: "sv-msg assistant streaming" });
    const trace = { tokens: [], transit: [], tokenized: null, prefill: null, summary: null, browserTTFT: null };
    const journey = { events: [], arrivals: [], status: "running" };
    const publish = () => document.dispatchEvent(new CustomEvent("sv-journey", { detail: journey }));
    let reply = "";
    await jobs.follow(`${API}/chat`, body, {
      keepStatus: true,
      onStarted: () => {
        messages = body.messages;
        input.value = "";
        drawLog(bubble);
        setBusy(true);
        chart.clear();
        f.setStatus("Prefilling the prompt…");
      },
      onEvent: (e) => {
        const arrived = (performance.now() - t0) / 1000;
        journey.events.push(e);
        journey.arrivals.push(arrived);
        publish();
        if (e.type === "tokenized") trace.tokenized = e;
        else if (e.type === "prefill") { trace.prefill = e; f.setStatus("Decoding…"); }
        else if (e.type === "token") {
          if (trace.browserTTFT === null) trace.browserTTFT = arrived;
          trace.transit.push(Math.max(0, arrived - e.t));
          trace.tokens.push(e);
          reply += e.text;
          bubble.textContent = reply;
          log.scrollTop = log.scrollHeight;
          if (e.decode_s !== null) chart.append("decode step", [e.index + 1, 1000 * e.decode_s]);
        } else if (e.type === "done") trace.summary = { ...e.summary, reason: e.reason, ended_by: e.ended_by };
        drawStages(trace);
        show(trace);
      },
      onDone: (end) => {
        setBusy(false);
        journey.status = end.status;
        publish();
        bubble.classList.remove("streaming");
        if (end.status === "error") { f.setError(end.error, "messages"); messages.pop(); drawLog(); return; }
        messages = [...messages, { role: "assistant", content: reply }];
        drawLog();
        const s = trace.summary, n = trace.tokens.length;
        // The stop button ends the job between two events, before any summary: count what arrived.
        f.setStatus(end.status === "stopped" ? `Stopped by the stop button after ${count(n)} tokens.`
          : !s ? "" : s.reason === "stopped" ? `Stopped (${s.ended_by}) after ${count(n)} tokens.`
          : s.reason === "max-tokens" ? `Reached the limit of ${count(n)} new tokens.` : "The model ended its turn.");
        f.hood({ request: body, trace });
      },
    });
  }

  function show(trace) {
    const s = trace.summary;
    const firstServer = trace.tokens.length ? trace.tokens[0].elapsed_s : null;
    const decoded = trace.tokens.filter((t) => t.decode_s !== null);
    const tps = s ? s.decode_tokens_per_s : decoded.length ? decoded.length / decoded.reduce((a, t) => a + t.decode_s, 0) : null;
    f.setReadout([
      { label: "prompt", value: `${count(trace.tokenized?.prompt_tokens)} tokens` },
      { label: "time to first token (server)", value: msText(firstServer) },
      { label: "time to first token (your browser)", value: msText(trace.browserTTFT) },
      { label: "decode speed", value: tps ? `${fixed(tps, 1)} tokens/s` : "–" },
      { label: "reply", value: `${count(trace.tokens.length)} tokens` },
    ]);
  }
}

// The last request drawn on one time axis: what the server did (top lane) and
// when each piece of text reached this page (bottom lane, the browser's clock,
// counted from the moment it sent the request).
function journey(el) {
  const f = demoFrame(el, { title: "The last request's journey, on one time axis", stacked: true,
    sources: ["glasslm.engine.inference.serving_trace:traced_reply", "glasslm.engine.models.llama.llama:Llama.prefill", "glasslm.engine.models.llama.llama:Llama._forward"] });
  const box = h("div", { class: "sv-journey" });
  const legend = h("p", { class: "sv-what", text: "Send a message in the chat above: its journey appears here." });
  f.picture.append(legend, box);
  const d3 = window.d3;
  // Drawn one viewBox unit per CSS pixel of its box (fitWidth), the time axis spanning the
  // width, so its labels keep their 11 px on a phone (and are not blown up on a laptop).
  const H = 150, M = { left: 92, right: 12, top: 10, bottom: 34 };
  const svg = d3.select(box).append("svg").attr("class", "chart sv-timeline")
    .attr("role", "img").attr("aria-label", "timeline of the last request");
  const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
  let iw = 640 - M.left - M.right, shown = null;
  const lane = 40;
  const gx = g.append("g").attr("class", "axis").attr("transform", `translate(0,${2 * lane + 14})`);
  const xTitle = g.append("text").attr("y", 2 * lane + 44).attr("text-anchor", "middle").text("milliseconds since the request was sent");
  [["server", 0], ["your browser", lane]].forEach(([name, y]) =>
    g.append("text").attr("x", -8).attr("y", y + 22).attr("text-anchor", "end").text(name));
  const marks = g.append("g");
  fitWidth(svg.node(), (width) => {
    svg.attr("viewBox", `0 0 ${width} ${H}`);
    iw = width - M.left - M.right;
    xTitle.attr("x", width / 2 - M.left);  // centred on the whole picture: on a phone it is wider than the plot
    if (shown) draw(shown);
  });

  function draw(j) {
    shown = j;
    const ev = j.events;
    const at = (type) => ev.find((e) => e.type === type);
    const tok = at("tokenized"), pre = at("prefill"), done = at("done");
    const tokens = ev.filter((e) => e.type === "token");
    const arrivals = ev.map((e, i) => [e, j.arrivals[i]]).filter(([e]) => e.type === "token").map(([, a]) => a);
    const end = Math.max(0.001, ...ev.map((e) => e.t || 0), ...arrivals);
    const x = d3.scaleLinear().domain([0, 1000 * end]).range([0, iw]);
    gx.call(d3.axisBottom(x).ticks(xTickCount(iw)));
    keepTicksInside(gx, x, M.left, M.right);  // a long last label ("1,000") stays inside a narrow picture
    const bars = [];
    if (tok) bars.push({ name: "tokenize", a: tok.t - tok.seconds, b: tok.t, cls: "s3" });
    if (pre) bars.push({ name: "prefill", a: pre.t - pre.seconds, b: pre.t, cls: "s1" });
    tokens.forEach((e) => { if (e.decode_s !== null) bars.push({ name: `decode step for token ${e.index + 1}`, a: e.t - e.decode_s, b: e.t, cls: e.index % 2 ? "s2" : "s5" }); });
    const rects = marks.selectAll("rect").data(bars).join("rect")
      .attr("x", (d) => x(1000 * Math.max(0, d.a))).attr("width", (d) => Math.max(1, x(1000 * d.b) - x(1000 * Math.max(0, d.a))))
      .attr("y", 8).attr("height", 24).attr("fill", (d) => `var(--${d.cls})`);
    rects.selectAll("title").data((d) => [d]).join("title").text((d) => `${d.name}: ${msText(d.b - d.a)}`);
    marks.selectAll("line.arrive").data(arrivals).join("line").attr("class", "arrive")
      .attr("x1", (a) => x(1000 * a)).attr("x2", (a) => x(1000 * a)).attr("y1", lane + 8).attr("y2", lane + 32)
      .attr("stroke", "var(--accent)").attr("stroke-width", 1.5);
    legend.textContent = "Top: tokenize (green), prefill (blue), then one decode step per token (alternating colours). "
      + "Bottom: each token's text arriving in this page.";
    const firstArrival = arrivals.length ? arrivals[0] : null;
    f.setReadout([
      { label: "request status", value: j.status },
      { label: "prefill", value: pre ? msText(pre.seconds) : "–" },
      { label: "first text on screen", value: msText(firstArrival) },
      { label: "tokens arrived", value: count(arrivals.length) },
      { label: "last text on screen", value: arrivals.length ? msText(arrivals[arrivals.length - 1]) : "–" },
    ]);
    f.hood({ events: ev.map((e) => (e.type === "tokenized" ? { ...e, ids: `(${e.ids.length} ids)` } : e)), browser_arrivals_s: j.arrivals,
      summary: done ? done.summary : null });
  }
  document.addEventListener("sv-journey", (e) => draw(e.detail));
}

// N requests fired at once (their decode steps share the scheduler's passes), then the same
// N one at a time: one row per request, a tick per token, both runs on one time axis.
function batch(el) {
  const f = demoFrame(el, { title: "Continuous batching: N requests at once vs one at a time (measured now)", stacked: true,
    sources: ["glasslm.engine.inference.batch_timeline:fire", "glasslm.engine.models.llama.batching:Scheduler._loop",
      "glasslm.engine.models.llama.llama:Llama._forward_batch"] });
  const n = slider({ label: "Requests fired at once", field: "requests", min: 1, max: 16, step: 1, value: 8 });
  const jobs = jobButtons(f, "Fire", () => start());
  f.add(n.el, jobs.row);
  const box = h("div", { class: "sv-batch" });
  const note = h("p", { class: "sv-what", text: "Fire the requests: each row is one request, each tick one generated token." });
  f.picture.append(note, box);
  const d3 = window.d3;
  const M = { left: 92, right: 12, top: 6, bottom: 34 }, ROW = 9, GAP = 22;
  // hidden until the first tokens arrive: an empty timeline was a blank box with a cut axis title
  const svg = d3.select(box).append("svg").attr("class", "chart sv-batch-chart").attr("role", "img")
    .attr("aria-label", "timeline of the requests, together and one at a time").style("display", "none");
  const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
  const gx = g.append("g").attr("class", "axis");
  const xTitle = g.append("text").attr("text-anchor", "middle").text("seconds since the requests were fired");
  const labels = g.append("g"), marks = g.append("g");
  let width = 640, data = null;
  fitWidth(svg.node(), (w) => { width = w; if (data) draw(); });

  function draw() {
    const k = data.requests.length, lane = k * ROW;
    const H = M.top + 2 * lane + GAP + M.bottom + 8;
    svg.style("display", null).attr("viewBox", `0 0 ${width} ${H}`);
    const iw = width - M.left - M.right;
    const end = Math.max(0.001, ...data.tokens.map((e) => e.t), ...Object.values(data.modes).map((m) => m.seconds));
    const x = d3.scaleLinear().domain([0, end]).range([0, iw]);
    const y = (e) => (e.mode === "alone" ? lane + GAP : 0) + e.request * ROW;
    gx.attr("transform", `translate(0,${2 * lane + GAP + 4})`).call(d3.axisBottom(x).ticks(xTickCount(iw)));
    keepTicksInside(gx, x, M.left, M.right);
    xTitle.attr("x", width / 2 - M.left).attr("y", 2 * lane + GAP + 32);
    labels.selectAll("text").data([["together", 0], ["one at a time", lane + GAP]]).join("text")
      .attr("x", -8).attr("y", (d) => d[1] + lane / 2 + 4).attr("text-anchor", "end").text((d) => d[0]);
    marks.selectAll("rect").data(data.tokens).join("rect")
      .attr("x", (e) => x(e.t) - 1).attr("width", 2).attr("y", (e) => y(e) + 1).attr("height", ROW - 2)
      .attr("fill", (e) => (e.mode === "alone" ? "var(--s2)" : "var(--s1)"));
  }

  function readout() {
    const t = data.modes.together, a = data.modes.alone;
    const mean = (xs) => xs.reduce((p, q) => p + q, 0) / xs.length;
    f.setReadout([
      { label: "together: all requests", value: t ? `${fixed(t.tokens_per_s, 1)} tokens/s` : "…" },
      { label: "together: each request", value: t ? `${fixed(mean(t.per_request), 1)} tokens/s` : "…" },
      { label: "one at a time: all requests", value: a ? `${fixed(a.tokens_per_s, 1)} tokens/s` : "…" },
      { label: "speed-up from batching", value: t && a ? `${fixed(t.tokens_per_s / a.tokens_per_s, 1)}×` : "…" },
      { label: "rows per pass (mean)", value: t ? fixed(t.mean_batch, 1) : "…" },
    ]);
    f.hood(data.modes);
  }

  async function start() {
    await jobs.follow(`${API}/batch`, { requests: Number(n.value) }, {
      keepStatus: true,
      onStarted: (d) => {
        data = { requests: [], tokens: [], modes: {} };
        f.setStatus(`Firing ${d.requests} requests at once…`);
      },
      onEvent: (e) => {
        if (e.type === "start") data.requests = e.requests;
        else if (e.type === "token") { data.tokens.push(e); if (data.tokens.length % 8 === 0) draw(); }
        else if (e.type === "mode") {
          data.modes[e.mode] = e;
          draw(); readout();
          if (e.mode === "together") f.setStatus(`Now the same ${data.requests.length} requests one at a time…`);
        }
      },
      onDone: (end) => {
        if (data) draw();
        f.setStatus(end.status === "done" ? "Done." : end.status === "stopped" ? "Stopped." : "");
      },
    });
  }
}

// The roofline: measure this machine's peak FLOP/s and memory bandwidth, time SmolLM2, place both on it.
const flopsText = (v) => `${sci(v, 3)} FLOP/s`;
const gbs = (v) => `${fixed(v / 1e9, 1)} GB/s`;

function roofline(el) {
  const f = demoFrame(el, { title: "The roofline: why decoding waits for memory", stacked: true,
    sources: ["glasslm.engine.inference.roofline:measure_peak_flops", "glasslm.engine.inference.roofline:measure_bandwidth",
      "glasslm.engine.inference.roofline:measure_model", "glasslm.engine.inference.roofline:intensity"] });
  const jb = jobButtons(f, "Measure this machine", () => go());
  f.add(h("p", { class: "sv-hint", text: "About five seconds: a matrix product, a large copy, then SmolLM2 reads a prompt and writes 16 tokens." }), jb.row);
  const chartBox = h("div", {});
  f.picture.append(chartBox);
  const chart = lineChart(chartBox, { xScale: "log", yScale: "log", height: 340,
    xLabel: "arithmetic intensity (FLOPs per byte of weights read, log scale)", yLabel: "FLOP/s (log scale)",
    title: "Attainable FLOP/s against arithmetic intensity",
    series: [{ name: "roof", label: "this machine's roof" }, { name: "gpu", label: "H100 roof (published)", dashed: true },
      { name: "batches", label: "decode, batch b (predicted)", dots: true }, { name: "measured", label: "SmolLM2 measured", dots: true }] });
  const XS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

  function show(d) {
    const roof = (peak, bw) => XS.map((x) => [x, Math.min(peak, bw * x)]);
    chart.set("roof", roof(d.machine.peak_flops, d.machine.bandwidth));
    chart.set("gpu", roof(d.gpu.peak_flops, d.gpu.bandwidth));
    chart.set("batches", d.batches.map((b) => [b.intensity, b.attainable, { title: `batch ${b.batch}: at most ${flopsText(b.attainable)}` }]));
    // two separate measurements: a point with no y between them keeps the line from joining them
    chart.set("measured", [[d.decode.intensity, d.decode.flops, { title: `decode: ${flopsText(d.decode.flops)}` }],
      [Math.sqrt(d.decode.intensity * d.prefill.intensity), null],
      [d.prefill.intensity, d.prefill.flops, { title: `prefill of ${d.prefill.tokens} tokens: ${flopsText(d.prefill.flops)}` }]]);
    f.setReadout([
      { label: "this machine's peak (float32 matrix product)", value: flopsText(d.machine.peak_flops) },
      { label: "its memory bandwidth (large copy)", value: gbs(d.machine.bandwidth) },
      { label: "ridge point", value: `${fixed(d.machine.ridge, 1)} FLOP/byte (H100: ${fixed(d.gpu.ridge, 0)})` },
      { label: "weights read per decoded token", value: bytes(d.model.bytes_per_token) },
      { label: "decode, one sequence", value: `${fixed(d.decode.tok_s, 1)} tok/s = ${gbs(d.decode.bandwidth)} of weights, ${flopsText(d.decode.flops)}` },
      { label: `prefill of ${d.prefill.tokens} tokens`, value: `${flopsText(d.prefill.flops)} (${fixed(d.prefill.intensity, 0)} FLOP/byte)` },
      { label: "decode's share of the peak", value: `${fixed((100 * d.decode.flops) / d.machine.peak_flops, 1)}%` },
    ]);
    f.hood(d);
  }
  async function go() {
    await jb.follow(`${API}/roofline`, {}, { progress: "Measuring…",
      onEvent: (e) => { if (e.type === "progress") f.setStatus(`${e.step}/${e.steps}: ${e.message}…`); if (e.type === "result") show(e); } });
  }
}

export const demos = { chat, journey, speculate, client, batch, roofline };
