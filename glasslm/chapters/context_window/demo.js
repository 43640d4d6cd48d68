// The context-window chapter: the demos only draw what /api/context-window/*
// and its jobs' event streams send.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, h, debounce, latest } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { slider, segmented, textInput, button, buttonRow } from "/static/js/components/controls.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { fixed, count, pct, compact, bytes } from "/static/js/components/format.js";

const API = "/api/context-window";
const msText = (s) => (s === null || s === undefined ? "–" : `${fixed(1000 * s, s < 0.01 ? 2 : 1)} ms`);
const CONVERSATION = `user: Hi! My name is Ada and my favourite colour is green.
assistant: Nice to meet you, Ada! Green is a lovely colour.
user: I am planning a trip to Lisbon next spring.
assistant: Lisbon is beautiful in spring: mild weather, trams and pastries.
user: Should I pack an umbrella?
assistant: A small one is wise; spring showers are common there.
user: What is my name?`;

// "role: text" lines -> messages; a line without a role continues the previous message.
function parse(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*(system|user|assistant)\s*:\s?(.*)$/i);
    if (m) out.push({ role: m[1].toLowerCase(), content: m[2] });
    else if (out.length) out[out.length - 1].content += "\n" + line;
    else if (line.trim()) out.push({ role: "user", content: line });
  }
  return out;
}

function windowDemo(el) {
  const f = demoFrame(el, { title: "What a small window keeps", stacked: true,
    sources: ["glasslm.engine.inference.context_window:fit_conversation", "glasslm.engine.inference.context_window:message_spans"] });
  const conv = textInput({ label: "Conversation (one “role: text” per line)", field: "messages", multiline: true, rows: 7,
    value: CONVERSATION, oninput: debounce(() => update(), 300) });
  const win = slider({ label: "Window (tokens)", field: "window", min: 16, max: 512, step: 8, value: 120,
    format: (v) => `${v} tokens`, oninput: debounce(() => update(), 200) });
  const policy = segmented({ label: "When it does not fit, drop", field: "policy", value: "turns",
    options: [["turns", "oldest whole turns"], ["tokens", "all but the last tokens"]], onchange: () => update() });
  const ask = button("Ask the model (it sees only the window)", () => answer(), { primary: true });
  const own = h("p", { class: "cw-note", text: "SmolLM2's own context: (loading the model…)" });
  f.add(own, conv.el, win.el, policy.el, buttonRow(ask));
  const msgs = h("div", { class: "cw-msgs" });
  const stripBox = h("div", { class: "cw-strip" });
  const reply = h("div", { class: "cw-reply", "aria-live": "polite", text: "(ask the model to see its reply)" });
  f.picture.append(msgs, stripBox, h("p", { class: "cw-note", text: "The model's reply:" }), reply);
  const strip = tokenStrip(stripBox, { label: "The conversation's tokens; dropped ones struck out" });
  const signal = latest();
  const body = () => ({ messages: parse(conv.value), window: win.value, policy: policy.value });

  async function update() {
    const d = await f.run(() => postJSON(`${API}/fit`, body(), { signal: signal() }));
    if (!d) return;
    msgs.replaceChildren(...d.messages.map((m) => h("div", { class: `cw-msg ${m.status}`, "data-status": m.status },
      h("span", { class: "cw-count", text: `${m.kept_tokens}/${m.end - m.start} tokens ${m.status}` }),
      h("span", { class: "cw-role", text: m.role === "next" ? "(reply starts)" : m.role }),
      h("span", { text: m.content }))));
    strip.update(d.tokens.map((t) => ({ text: t.text, id: t.id, title: `id ${t.id}${t.kept ? "" : " (dropped)"}` })));
    stripBox.querySelectorAll(".token").forEach((s, i) => s.classList.toggle("cw-dropped", !d.tokens[i].kept));
    f.setReadout([
      { label: "conversation", value: `${count(d.total_tokens)} tokens` },
      { label: "window", value: `${count(d.window)} tokens` },
      { label: "kept", value: `${count(d.kept_tokens)} tokens` },
      { label: "dropped", value: `${count(d.dropped_tokens)} tokens, ${d.messages.filter((m) => m.status === "dropped").length} messages` },
    ]);
    f.hood(d);
  }

  async function answer() {
    reply.textContent = "…";
    const d = await f.run(() => postJSON(`${API}/answer`, body()), { progress: "The model is reading the window…" });
    if (!d) { reply.textContent = "(no reply)"; return; }
    reply.textContent = d.reply || "(an empty reply)";
    f.setStatus(`The model saw ${count(d.seen_tokens)} tokens and wrote ${count(d.reply_tokens)} (greedy, at most ${d.max_tokens}).`);
    f.hood(d, ["glasslm.engine.inference.context_window:fit_conversation", "glasslm.engine.models.llama.smollm2:SmolLM2.generate"]);
  }
  // Not awaited: loading SmolLM2 must not hold up the page.
  f.run(() => getJSON(`${API}/config`)).then((cfg) => {
    if (cfg) own.textContent = `SmolLM2's own context: ${count(cfg.context_length)} tokens (${cfg.source}).`;
  }).then(() => update());
}

function cost(el) {
  const f = demoFrame(el, { title: "A forward pass vs attention alone, as the text grows (measured now)",
    sources: ["glasslm.engine.inference.context_window:time_attention", "glasslm.engine.inference.context_window:attention_arithmetic"] });
  const maxLen = segmented({ label: "Longest text (tokens)", field: "max_length", value: "512", options: ["256", "512", "1024"] });
  const jobs = jobButtons(f, "Measure", () => start());
  f.add(maxLen.el, jobs.row);
  const chartBox = h("div");
  const table = h("table", { class: "cw-table num" });
  f.picture.append(chartBox, h("div", { class: "scroll-x" }, table));
  const chart = lineChart(chartBox, { xLabel: "tokens T", yLabel: "ms per token", series: [
    { name: "whole forward pass" }, { name: "attention arithmetic" }] });
  const header = h("tr", {}, ...["T", "forward", "attention", "measured share", "attention FLOPs", "weight FLOPs", "scores per layer"]
    .map((t) => h("th", { text: t })));
  let points = [];

  async function start() {
    let d = null;
    await jobs.follow(`${API}/attention-cost`, { max_length: Number(maxLen.value) }, {
      keepStatus: true,
      onStarted: (answer) => {
        d = answer;
        points = [];
        chart.clear();
        table.replaceChildren(header);
        f.setStatus("Measuring…");
      },
      onEvent: (e) => {
        if (e.type !== "point") return;
        points.push(e);
        chart.append("whole forward pass", [e.length, (1000 * e.forward_s) / e.length]);
        chart.append("attention arithmetic", [e.length, (1000 * e.attention_s) / e.length]);
        table.append(h("tr", {}, h("td", { text: count(e.length) }), h("td", { text: msText(e.forward_s) }),
          h("td", { text: msText(e.attention_s) }), h("td", { text: pct(e.attention_share) }),
          h("td", { text: compact(e.attention_flops) }), h("td", { text: compact(e.weight_flops) }),
          h("td", { text: bytes(e.score_bytes_per_layer) })));
        const first = points[0];
        f.setReadout([
          { label: "longest measured", value: `${count(e.length)} tokens` },
          { label: "attention's share (measured)", value: pct(e.attention_share) },
          { label: "attention's share of FLOPs", value: pct(e.attention_flops / (e.attention_flops + e.weight_flops)) },
          { label: `length ×${fixed(e.length / first.length, 0)} → attention time`, value: `×${fixed(e.attention_s / first.attention_s, 1)}` },
        ]);
        f.hood(points);
        f.setStatus(`Measured ${points.length} of ${d.lengths.length} lengths…`);
      },
      onDone: (end) => {
        f.setStatus(end.status === "stopped" ? "Stopped." : end.status === "done" ? "Done." : "");
      },
    });
  }
}

function needle(el) {
  const f = demoFrame(el, { title: "Needle in a haystack: p(right answer) by length and depth", stacked: true,
    sources: ["glasslm.engine.inference.context_window:needle_probe", "glasslm.engine.inference.context_window:haystack",
      "glasslm.engine.inference.context_window:answer_probability"] });
  const maxLen = segmented({ label: "Longest haystack (tokens)", field: "max_length", value: "256",
    options: ["128", "256", "512", "1024"] });
  const depths = segmented({ label: "Needle positions", field: "depths", value: "3", options: ["2", "3", "4", "5"] });
  const jobs = jobButtons(f, "Run the probe", () => start());
  f.add(maxLen.el, depths.el, jobs.row);
  const about = h("p", { class: "cw-note" });
  const gridBox = h("div", { class: "scroll-x cw-grid" });
  f.picture.append(about, gridBox);
  const grid = heatmap(gridBox, { format: (v) => pct(v, 0), cell: 44, label: "probability of the right answer" });
  let cells = [], base = {}, plan = null;

  function draw() {
    const cols = [...plan.depths.map((d) => `needle at ${pct(d, 0)}`), "no needle"];
    const values = plan.lengths.map((L) => [...plan.depths.map((dp) => {
      const c = cells.find((x) => x.length === L && x.depth === dp);
      return c ? c.prob : NaN;
    }), base[L] ? base[L].prob : NaN]);
    grid.update(values, plan.lengths.map((L) => `${count(L)} tokens`), cols);
    const found = cells.filter((c) => c.greedy).length;
    const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    f.setReadout([
      { label: "cells done", value: `${count(cells.length)} of ${count(plan.lengths.length * plan.depths.length)}` },
      { label: "greedy answer right", value: `${count(found)} of ${count(cells.length)}` },
      { label: "mean p with the needle", value: pct(mean(cells.map((c) => c.prob))) },
      { label: "mean p without (chance)", value: pct(mean(Object.values(base).map((b) => b.prob))) },
    ]);
  }

  async function start() {
    let d = null;
    await jobs.follow(`${API}/needle`, { max_length: Number(maxLen.value), depths: Number(depths.value) }, {
      keepStatus: true,
      onStarted: (answer) => {
        d = answer;
        cells = []; base = {}; plan = d;
        draw();
        f.setStatus("Reading haystacks…");
      },
      onEvent: (e) => {
        if (e.type === "start") about.textContent = `Needle: “${e.needle}” Question at the end: “${e.question}” Right answer: “${e.answer}”.`;
        else if (e.type === "baseline") base[e.length] = e;
        else if (e.type === "cell") cells.push(e);
        if (e.type !== "start") { draw(); f.hood({ plan: d, baseline: base, cells }); }
      },
      onDone: (end) => {
        f.setStatus(end.status === "stopped" ? "Stopped." : end.status === "done" ? "Done." : "");
      },
    });
  }
}

export const demos = { window: windowDemo, cost, needle };
