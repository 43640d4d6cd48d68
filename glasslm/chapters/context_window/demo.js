// The context-window chapter: the demos only draw what /api/context-window/*
// and its jobs' event streams send.

import { postJSON, getJSON } from "/static/js/api.js";
import { demoFrame, h, debounce, latest } from "/static/js/components/demo.js";
import { slider, segmented, textInput, button, buttonRow, progressBar } from "/static/js/components/controls.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { lineChart } from "/static/js/components/linechart.js";
import { heatmap } from "/static/js/components/heatmap.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { fixed, count, pct, compact, bytes, seconds } from "/static/js/components/format.js";

const API = "/api/context-window";
const msText = (s) => (s === null || s === undefined ? "–" : `${fixed(1000 * s, s < 0.01 ? 2 : 1)} ms`);
// What is said between the fact (first turn) and the question (last turn); the server adds those two.
const CONVERSATION = `user: I am planning a trip to Lisbon next spring.
assistant: Lisbon is beautiful in spring: mild weather, trams and pastries.
user: Should I pack an umbrella?
assistant: A small one is wise; spring showers are common there.
user: What should I eat there?
assistant: Try pastel de nata, grilled sardines and bacalhau.`;

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
  const f = demoFrame(el, { title: "What a small window keeps, and what the model can still recall", stacked: true,
    sources: ["glasslm.engine.inference.context_window:recall_trials", "glasslm.engine.inference.context_window:fit_conversation",
      "glasslm.engine.inference.context_window:with_fact"] });
  const conv = textInput({ label: "Your conversation between the fact and the question (one “role: text” per line)",
    field: "messages", multiline: true, rows: 6, value: CONVERSATION, oninput: debounce(() => update(), 300) });
  const win = slider({ label: "Window (tokens)", field: "window", min: 16, max: 512, step: 8, value: 256,
    format: (v) => `${v} tokens`, oninput: debounce(() => update(), 200) });
  const policy = segmented({ label: "When it does not fit, drop", field: "policy", value: "turns",
    options: [["turns", "oldest whole turns"], ["tokens", "all but the last tokens"]], onchange: () => update() });
  const jb = jobButtons(f, "Test recall of 8 door codes", () => recall());
  const own = h("p", { class: "cw-note", text: "SmolLM2's own context: (loading the model…)" });
  f.add(own, conv.el, win.el, policy.el, jb.row);
  const msgs = h("div", { class: "cw-msgs" });
  const stripBox = h("div", { class: "cw-strip" });
  const trials = h("table", { class: "cw-table cw-trials" });
  const verdict = h("p", { class: "cw-verdict", "aria-live": "polite",
    text: "Press “Test recall” to ask for each door's code with only the window in view." });
  f.picture.append(msgs, stripBox, verdict, h("div", { class: "scroll-x" }, trials));
  const strip = tokenStrip(stripBox, { label: "The conversation's tokens; dropped ones struck out" });
  const signal = latest();
  const body = () => ({ messages: parse(conv.value), window: win.value, policy: policy.value });
  let fitted = null;

  async function update() {
    const d = await f.run(() => postJSON(`${API}/fit`, { ...body(), with_fact: true }, { signal: signal() }), { key: "update" });
    if (!d) return;
    fitted = d;
    msgs.replaceChildren(...d.messages.map((m, i) => h("div", { class: `cw-msg ${m.status}`, "data-status": m.status },
      h("span", { class: "cw-count", text: `${m.kept_tokens}/${m.end - m.start} tokens ${m.status}` }),
      h("span", { class: "cw-role", text: m.role === "next" ? "(reply starts)" : m.role }),
      h("span", { text: m.content }),
      isFact(d, i) ? h("span", { class: "cw-tag", text: "the fact" }) : null)));
    strip.update(d.tokens.map((t) => ({ text: t.text, id: t.id, title: `id ${t.id}${t.kept ? "" : " (dropped)"}` })));
    stripBox.querySelectorAll(".token").forEach((s, i) => s.classList.toggle("cw-dropped", !d.tokens[i].kept));
    f.setReadout([
      { label: "conversation", value: `${count(d.total_tokens)} tokens` },
      { label: "window", value: `${count(d.window)} tokens` },
      { label: "kept", value: `${count(d.kept_tokens)} tokens` },
      { label: "dropped", value: `${count(d.dropped_tokens)} tokens, ${d.messages.filter((m) => m.status === "dropped").length} messages` },
      { label: "the fact", value: factStatus(d) },
    ]);
    f.hood(d);
  }
  // The fact is the first message after the (default) system prompt.
  const factIndex = (d) => (d.messages[0].role === "system" ? 1 : 0);
  const isFact = (d, i) => i === factIndex(d);
  const factStatus = (d) => ({ kept: "in the window", cut: "partly cut", dropped: "fell out" })[d.messages[factIndex(d)].status];

  async function recall() {
    const rows = [];
    trials.replaceChildren(h("tr", {}, ...["door", "code said first", "the fact", "the model's reply", "recalled"]
      .map((t) => h("th", { text: t }))));
    verdict.textContent = "Asking…";
    await jb.follow(`${API}/recall`, body(), {
      progress: "The model is reading the window…",
      keepStatus: true,
      onEvent: (e) => {
        if (e.type !== "trial") return;
        rows.push(e);
        trials.append(h("tr", { class: e.recalled ? "cw-right" : "cw-wrong" }, h("td", { text: e.door }),
          h("td", { text: e.code }), h("td", { text: { kept: "in the window", cut: "partly cut", dropped: "fell out" }[e.fact] }),
          h("td", { class: "cw-replytext", text: e.reply || "(an empty reply)" }),
          h("td", { text: e.recalled ? "✓ yes" : "✗ no" })));
        const right = rows.filter((r) => r.recalled).length;
        verdict.textContent = `Recalled ${right} of ${rows.length} codes with a ${count(e.seen_tokens)}-token view ` +
          `of a ${count(e.total_tokens)}-token conversation.`;
        f.setStatus(`Asked ${rows.length} of 8 doors…`);
        f.hood(rows, ["glasslm.engine.inference.context_window:recall_trials", "glasslm.engine.models.llama.smollm2:SmolLM2.generate"]);
      },
      onDone: (end) => {
        if (end.status !== "done") return;
        const right = rows.filter((r) => r.recalled).length, kept = rows.filter((r) => r.fact === "kept").length;
        f.setStatus(kept === rows.length
          ? `The fact was in the window every time: ${right} of ${rows.length} recalled.`
          : kept === 0 ? `The fact fell out every time: ${right} of ${rows.length} recalled (any code it gives is invented).`
          : `The fact was in the window ${kept} of ${rows.length} times; ${right} recalled.`);
      },
    });
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
    sources: ["glasslm.engine.inference.context_window:needle_probe", "glasslm.engine.inference.context_window:needle_plan",
      "glasslm.engine.inference.context_window:needle_ids"] });
  const maxLen = segmented({ label: "Longest prompt (tokens)", field: "max_length", value: "1024",
    options: [["512", "512"], ["1024", "1,024"], ["2048", "2,048"], ["4096", "4,096"], ["8192", "8,192 (all of it; minutes)"]] });
  const depths = segmented({ label: "Needle positions", field: "depths", value: "3", options: ["2", "3", "4", "5"] });
  const jb = jobButtons(f, "Run the probe", () => start());
  f.add(maxLen.el, depths.el, jb.row);
  const about = h("p", { class: "cw-note" });
  const bar = progressBar("tokens read");
  const gridBox = h("div", { class: "scroll-x cw-grid" });
  f.picture.append(about, bar.el, gridBox);
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
    cells = []; base = {};
    bar.reset();
    await jb.follow(`${API}/needle`, { max_length: Number(maxLen.value), depths: Number(depths.value) }, {
      progress: "Starting…",
      keepStatus: true,
      onStarted: (d) => { plan = d; draw(); },
      onEvent: (e) => {
        if (e.type === "start") about.textContent = `Needle: “${e.needle}” Question at the end: “${e.question}” Right answer: “${e.answer}”.`;
        else if (e.type === "progress") {
          // FLOPs, not tokens, predict the time left: late tokens of a long prompt cost more (attention).
          bar.set(e.flops_done, e.flops_total);
          const left = e.flops_done ? (e.seconds * (e.flops_total - e.flops_done)) / e.flops_done : null;
          f.setStatus(`Reading the ${count(e.length)}-token prompts: ${count(e.tokens_done)} of ${count(e.tokens_total)} tokens, ` +
            `${seconds(e.seconds)} so far${left === null ? "" : `, about ${seconds(left)} left`}…`);
        } else if (e.type === "baseline") base[e.length] = e;
        else if (e.type === "cell") cells.push(e);
        if (e.type === "cell" || e.type === "baseline") { draw(); f.hood({ plan, baseline: base, cells }); }
      },
      onDone: (end) => { if (end.status === "done") { bar.set(1, 1); f.setStatus("Done."); } },
    });
  }
}

export const demos = { window: windowDemo, cost, needle };
