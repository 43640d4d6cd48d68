// The prompting chapter: the demos only draw what /api/prompting/* returns.
// "techniques" runs the task set as a job, item by item; "own" runs the
// learner's prompt with every template, token by token.

import { getJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { slider, textInput, select } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { pct, fixed, count, seconds } from "/static/js/components/format.js";

// 95 % Wilson interval of k right out of n, while a technique is still running (the server sends its own at the end;
// glasslm.engine.evaluation.intervals:wilson is the same formula).
function wilson(k, n, z = 1.959963984540054) {
  if (!n) return [0, 1];
  const p = k / n, d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d, half = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const API = "/api/prompting";
const NAMES = { "zero-shot": "Zero-shot", "few-shot": "Few-shot", "chain-of-thought": "Chain-of-thought",
  "self-consistency": "Self-consistency" };
let setup = null; // GET /tasks, fetched once
const loadSetup = () => (setup ??= getJSON(`${API}/tasks`));

function mark(right) {
  if (right === null || right === undefined) return h("span", { class: "pr-mark", text: "–" });
  return h("span", { class: `pr-mark ${right ? "pr-right" : "pr-wrong"}`, text: right ? "✓ right" : "✗ wrong" });
}

function techniques(el) {
  const f = demoFrame(el, { title: "Four techniques, one task set, measured",
    sources: ["glasslm.engine.applications.prompting:run_item", "glasslm.engine.applications.prompting:messages_for",
      "glasslm.engine.applications.prompting:extract", "glasslm.engine.applications.prompting:majority"] });
  const which = select({ label: "Technique", field: "techniques", value: "zero-shot", options: [
    ["zero-shot", "Zero-shot"], ["few-shot", "Few-shot (3 examples)"], ["chain-of-thought", "Chain-of-thought"],
    ["self-consistency", "Self-consistency"], ["all", "All four, one after another"]], onchange: () => estimate() });
  // The kinds and their sizes come from the task set; capitals first: few-shot's clearest case.
  const kind = select({ label: "Items", field: "kind", value: "capital", options: [["capital", "Capital cities"]],
    onchange: () => estimate() });
  const paths = slider({ label: "Self-consistency paths", field: "paths", min: 2, max: 5, step: 1, value: 3,
    format: (v) => `${v} samples`, oninput: () => estimate() });
  const temp = slider({ label: "Sampling temperature", field: "temperature", min: 0.1, max: 1.5, step: 0.1, value: 0.7,
    format: (v) => fixed(v, 1) });
  const eta = h("p", { class: "pr-eta" });
  const jobs = jobButtons(f, "Run", () => run());
  f.add(which.el, kind.el, paths.el, temp.el, jobs.row, eta);

  const summary = h("table", { class: "terms num pr-summary", "aria-label": "accuracy per technique" });
  const rows = h("div", { class: "pr-items" });
  const findings = h("div", { class: "pr-findings" });
  f.picture.append(summary, findings, rows);
  const scores = {}; // technique -> {right, items, kind}

  const chosen = () => (which.value === "all" ? Object.keys(NAMES) : [which.value]);
  async function estimate() {
    const s = await loadSetup();
    const share = kind.value === "all" ? 1 : s.items.filter((i) => i.kind === kind.value).length / s.items.length;
    const tokens = chosen().reduce((a, t) => a + s.worst_tokens[t] * (t === "self-consistency" ? paths.value / s.settings.paths : 1), 0) * share;
    eta.textContent = `At most ${count(Math.round(tokens))} tokens to write: up to about ${Math.ceil(tokens / s.tokens_per_second / 10) * 10} s at ${s.tokens_per_second} tokens/s (replies that end early are faster).`;
  }
  function drawSummary() {
    summary.hidden = !Object.keys(scores).length;
    summary.replaceChildren(h("tr", {}, h("th", { text: "technique" }), h("th", { text: "items" }), h("th", { text: "right" }),
      h("th", { text: "accuracy" }), h("th", { text: "95 % interval" })),
      ...Object.keys(NAMES).filter((t) => scores[t]).map((t) => {
        const s = scores[t];
        const [lo, hi] = s.interval ?? wilson(s.right, s.items);
        // The bar is the accuracy; the thin band around its end is where the true rate plausibly lies (95 %).
        return h("tr", { "data-technique": t }, h("td", { text: NAMES[t] + (s.running ? " (running)" : "") }),
          h("td", { text: `${s.items} ${s.kind === "all" ? "" : `(${s.kind})`}` }), h("td", { text: String(s.right) }),
          h("td", { class: "pr-acc" }, h("span", { class: "pr-track" },
            h("span", { class: "pr-bar", style: `width:${(100 * (s.items ? s.right / s.items : 0)).toFixed(1)}%` }),
            s.items ? h("span", { class: "pr-ci", style: `left:${(100 * lo).toFixed(1)}%;width:${(100 * (hi - lo)).toFixed(1)}%` }) : null),
          ` ${s.items ? pct(s.right / s.items, 0) : "–"}`),
          h("td", { class: "pr-interval", text: s.items ? `${pct(lo, 0)} – ${pct(hi, 0)}` : "–" }));
      }));
  }

  let tokens = 0, started = 0, items = [];
  function onEvent(ev) {
    if (ev.type === "start") {
      items = ev.items; tokens = 0; started = performance.now();
      rows.replaceChildren();
    } else if (ev.type === "item_start") {
      if (ev.index === 0) {
        scores[ev.technique] = { right: 0, items: 0, kind: kind.value, running: true };
        rows.append(h("h4", { class: "pr-tech", text: NAMES[ev.technique] }));
        drawSummary();
      }
      f.setStatus(`${NAMES[ev.technique]}: item ${ev.index + 1} of ${items.length}, ${count(tokens)} tokens written so far…`);
    } else if (ev.type === "item") {
      tokens += ev.tokens;
      const s = scores[ev.technique];
      s.items += 1; s.right += ev.right ? 1 : 0;
      drawSummary();
      const reply = ev.replies.length > 1 ? ev.replies.map((r, i) => `path ${i + 1} → ${ev.answers[i] || "(none)"}: ${r}`).join("\n") : ev.replies[0];
      rows.append(h("div", { class: "pr-item", "data-technique": ev.technique, "data-right": String(ev.right) },
        h("div", { class: "pr-q", text: ev.question }),
        h("div", { class: "pr-reply mono", text: reply || "(an empty reply)" }),
        h("div", { class: "pr-verdict" }, h("span", { text: "answer read: " }),
          h("strong", { class: "mono", text: ev.answer || "(none)" }),
          ev.votes > 1 || ev.replies.length > 1 ? h("span", { text: ` (${ev.votes} of ${ev.replies.length} votes)` }) : null,
          h("span", { text: ` · expected ${ev.expected} ` }), mark(ev.right))));
    } else if (ev.type === "technique_done") {
      scores[ev.technique].running = false;
      scores[ev.technique].interval = ev.interval;
      drawSummary();
    } else if (ev.type === "done") {
      f.setReadout([
        ...Object.entries(ev.summary).map(([t, s]) => ({ label: NAMES[t],
          value: `${s.right} of ${s.items} (${pct(s.accuracy, 0)}; 95 %: ${pct(s.interval[0], 0)}–${pct(s.interval[1], 0)})` })),
        { label: "tokens written", value: count(ev.tokens) },
        { label: "time", value: `${seconds(ev.seconds)} (${fixed(ev.tokens / Math.max(ev.seconds, 1e-9), 1)} tokens/s)` },
      ]);
      f.hood(ev);
    }
  }
  async function run() {
    const body = { techniques: chosen(), kind: kind.value, paths: paths.value, temperature: temp.value };
    const d = await jobs.follow(`${API}/run`, body, { onEvent });
    if (d) f.setStatus(`SmolLM2 is starting on ${d.items} items…`);
  }
  loadSetup().then((s) => {
    const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
    kind.input.replaceChildren(...Object.entries(s.kinds).map(([k, d]) => h("option", { value: k, text: `${d.title} (${s.counts[k]})` })),
      h("option", { value: "all", text: `All ${total} items` }));
    kind.value = "capital";
    // What was measured when the task set was built: the honest note beside the live numbers.
    findings.replaceChildren(h("h4", { text: "Measured on SmolLM2-135M-Instruct when this task set was built" }),
      h("ul", {}, ...s.findings.map((x) => h("li", { "data-kind": x.kind, text: x.text }))));
    estimate();
  }).catch((e) => f.setError(e.message));
  drawSummary();
  f.setStatus("Pick a technique and press Run: each item's reply appears as soon as SmolLM2 has written it.");
}

function own(el) {
  const f = demoFrame(el, { title: "Your prompt with every template",
    sources: ["glasslm.engine.applications.prompting:messages_for", "glasslm.engine.applications.prompting:prompt_steps",
      "glasslm.engine.tokenizers.chat_template:ChatTemplate.ids"] });
  const text = textInput({ label: "Your question", field: "text", value: "What is the capital city of Austria?",
    multiline: true, rows: 2, maxlength: 600 });
  const expected = textInput({ label: "The right answer (optional: one word or number)", field: "expected", value: "Vienna", maxlength: 40 });
  const shots = select({ label: "Few-shot examples from", field: "shots_kind", value: "capital", options: [
    ["capital", "Capital cities"], ["opposite", "Opposites"], ["sentiment", "Sentiment"], ["arithmetic", "Small sums"]] });
  const jobs = jobButtons(f, "Run all four", () => run());
  f.add(text.el, expected.el, shots.el, jobs.row,
    h("p", { class: "pr-eta", text: "Writes up to 16 + 16 + 48 + 3 × 48 = 224 tokens: about 10-20 s." }));
  const out = h("div", { class: "pr-cards" });
  f.picture.append(out);
  const cards = {};

  function card(t, tokens, messages) {
    const box = h("div", { class: "pr-card", "data-technique": t }, h("h4", { text: NAMES[t] }));
    const prompt = h("details", { class: "pr-prompt" }, h("summary", { text: `The prompt: ${count(tokens.length)} tokens (${messages.length} message${messages.length > 1 ? "s" : ""})` }));
    tokenStrip(prompt, { label: `${NAMES[t]} prompt tokens` }).update(tokens.map((x) => ({ text: x.text, id: x.id, title: x.special ? `special token ${x.text}, id ${x.id}` : `id ${x.id}` })));
    const replies = h("div", { class: "pr-replies" });
    const verdict = h("p", { class: "pr-verdict" }, h("span", { text: "writing…" }));
    box.append(prompt, replies, verdict);
    return { box, replies, verdict, strips: [], tokens: [] };
  }
  function onEvent(ev) {
    if (ev.type === "start") {
      out.replaceChildren();
    } else if (ev.type === "prompt") {
      cards[ev.technique] = card(ev.technique, ev.tokens, ev.messages);
      out.append(cards[ev.technique].box);
      f.setStatus(`${NAMES[ev.technique]}: SmolLM2 is reading ${count(ev.tokens.length)} prompt tokens…`);
    } else if (ev.type === "token") {
      const c = cards[ev.technique];
      while (c.strips.length <= ev.path) {
        const line = h("div", { class: "pr-path" }, ev.technique === "self-consistency" ? h("span", { class: "pr-path-label", text: `path ${c.strips.length + 1}` }) : null);
        c.replies.append(line);
        c.strips.push(tokenStrip(line, { label: `${NAMES[ev.technique]} reply` }));
        c.tokens.push([]);
      }
      c.tokens[ev.path].push({ text: ev.token.text, id: ev.token.id });
      c.strips[ev.path].update(c.tokens[ev.path]);
      f.setStatus(`${NAMES[ev.technique]}: writing…`);
    } else if (ev.type === "reply") {
      const c = cards[ev.technique];
      c.verdict.replaceChildren(h("span", { text: "answer read: " }), h("strong", { class: "mono", text: ev.answer || "(none)" }),
        ev.answers.length > 1 ? h("span", { text: ` (${ev.votes} of ${ev.answers.length} paths: ${ev.answers.map((a) => a || "none").join(", ")}) ` }) : h("span", { text: " " }),
        mark(ev.right));
    } else if (ev.type === "done") {
      f.setReadout([{ label: "time", value: seconds(ev.seconds) },
        { label: "right", value: Object.values(cards).filter((c) => c.verdict.querySelector(".pr-right")).length + " of " + Object.keys(cards).length }]);
      f.hood(ev);
    }
  }
  async function run() {
    await jobs.follow(`${API}/own`, { text: text.value, expected: expected.value, shots_kind: shots.value }, { onEvent });
  }
  f.setStatus("Press “Run all four”: you see each prompt exactly as the model reads it, then its reply.");
}

export const demos = { techniques, own };
