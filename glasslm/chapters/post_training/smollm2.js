// The post-training chapter's SmolLM2 demos: the chat template as tokens, one question with and without
// it, and a critique-and-revise loop. They only draw what /api/post-training/* returns.

import { postJSON } from "/static/js/api.js";
import { demoFrame, h, debounce } from "/static/js/components/demo.js";
import { textInput, numberInput, select, button, buttonRow } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { count, fixed } from "/static/js/components/format.js";

export const API = "/api/post-training";
const MAX_MESSAGES = 6;

// Colour each token by the message it belongs to; special tokens get an outline (style.css).
function paint(strip, tokens) {
  strip.update(tokens.map((t) => ({ text: t.text, id: t.id, title: `id ${t.id}${t.special ? " · special token" : ""}${t.role ? ` · ${t.role}` : ""}` })));
  [...strip.el.children].forEach((span, i) => {
    const t = tokens[i];
    span.className = `token pt-msg-${(t.message ?? 0) % 6}${t.special ? " pt-special" : ""}`;
  });
}

function template(el) {
  const f = demoFrame(el, { title: "A conversation, as the model reads it", stacked: true,
    sources: ["glasslm.engine.tokenizers.chat_template:ChatTemplate.segments", "glasslm.engine.tokenizers.chat_template:ChatTemplate.ids"] });
  const list = h("div", { class: "pt-messages", "data-field": "messages" });
  const rows = [];
  const update = debounce(() => draw(), 200);
  function addRow(role, content) {
    if (rows.length >= MAX_MESSAGES) return;
    const roleSel = select({ label: `Message ${rows.length + 1}: role`, field: "role", value: role,
      options: ["system", "user", "assistant"], onchange: update });
    const text = textInput({ label: "content", field: "content", value: content, multiline: true, rows: 2, maxlength: 1000, oninput: update });
    const remove = button("Remove", () => { if (rows.length > 1) { rows.splice(rows.indexOf(row), 1); row.el.remove(); update(); } },
      { label: "Remove this message" });
    const row = { el: h("div", { class: "pt-message" }, roleSel.el, text.el, remove), role: roleSel, text };
    rows.push(row);
    list.append(row.el);
  }
  addRow("user", "What is the capital of France?");
  addRow("assistant", "The capital of France is Paris.");
  addRow("user", "And of Italy?");
  const genPrompt = h("input", { type: "checkbox", id: "pt-genprompt", checked: true });
  genPrompt.addEventListener("change", update);
  const add = button("Add a message", () => { addRow(rows.length % 2 ? "assistant" : "user", ""); update(); });
  f.add(list, buttonRow(add), h("div", { class: "control pt-check" },
    h("label", { for: "pt-genprompt" }, genPrompt, h("span", { text: " end with the assistant's turn opened (add_generation_prompt)" }))));

  const stripBox = h("div", { class: "pt-strip" });
  const strip = tokenStrip(stripBox, { label: "the conversation's tokens, coloured by message" });
  const rendered = h("pre", { class: "pt-rendered" });
  f.picture.append(h("h4", { text: "The tokens (special tokens outlined; hover for ids)" }), stripBox,
    h("details", {}, h("summary", { text: "The same as text (the rendered template)" }), rendered));

  async function draw() {
    const body = { messages: rows.map((r) => ({ role: r.role.value, content: r.text.value })), add_generation_prompt: genPrompt.checked };
    const d = await f.run(() => postJSON(`${API}/template`, body), { key: "draw", progress: "Tokenizing…" });
    if (!d) return;
    paint(strip, d.tokens);
    rendered.textContent = d.text;
    f.setReadout([
      { label: "tokens", value: count(d.n_tokens) },
      { label: "special tokens", value: count(d.n_special) },
      { label: "tokens of your text alone", value: count(d.content_tokens) },
      { label: "added by the template", value: count(d.n_tokens - d.content_tokens) },
    ]);
    f.setStatus(d.added_default_system ? "No system message given: the template put in its default one (message 0)." : "");
    f.hood(d);
  }
  draw();
}

function compare(el) {
  const f = demoFrame(el, { title: "One question, with and without the template", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.generate", "glasslm.engine.tokenizers.chat_template:ChatTemplate.ids"] });
  const q = textInput({ label: "Your question", field: "question", value: "What is the capital of France?", maxlength: 300 });
  const jobs = jobButtons(f, "Ask both ways", () => run());
  f.add(q.el, jobs.row, h("p", { class: "pt-note", text: "Greedy decoding, at most 40 tokens per answer: about 5 to 20 seconds in all." }));
  const panels = {};
  for (const [mode, title] of [["raw", "Raw text: the question alone"], ["chat", "Chat template: the question as a user turn"]]) {
    const box = h("div", { class: "pt-answer-strip" });
    const head = h("h4", { text: title });
    const meta = h("p", { class: "pt-note" });
    const panel = h("div", { class: "pt-panel", "data-mode": mode }, head, meta, box);
    panels[mode] = { strip: tokenStrip(box, { label: `${title}: generated tokens` }), tokens: [], meta, panel };
  }
  f.picture.append(h("div", { class: "pt-two" }, panels.raw.panel, panels.chat.panel));

  async function run() {
    const results = {};
    await jobs.follow(`${API}/compare`, { question: q.value }, {
      progress: "Loading SmolLM2…",
      onStarted: () => {
        for (const p of Object.values(panels)) { p.tokens = []; paint(p.strip, []); p.meta.textContent = ""; }
      },
      onEvent: (ev) => {
        const p = panels[ev.mode];
        if (ev.type === "start") {
          p.meta.textContent = `prompt: ${count(ev.prompt_tokens)} tokens · stops at ${ev.stops.map((s) => s.text).join(" or ")} · writing…`;
          f.setStatus(`SmolLM2 is answering (${ev.mode === "raw" ? "raw text" : "chat template"})…`);
        } else if (ev.type === "token") {
          p.tokens.push({ ...ev, message: ev.special ? 1 : 2 });
          paint(p.strip, p.tokens);
        } else if (ev.type === "answer") {
          results[ev.mode] = ev;
          p.meta.textContent = `${count(ev.tokens)} tokens in ${fixed(ev.seconds, 1)} s, ${ev.specials} of them special · ${ev.ended ? "it ended its turn itself" : "stopped at the limit"}`;
          f.setReadout(Object.entries(results).map(([m, r]) => ({ label: m === "raw" ? "raw: tokens (special)" : "chat: tokens (special)", value: `${r.tokens} (${r.specials})` })));
          f.hood(results);
        }
      },
    });
  }
}

const PRINCIPLE = "Be honest: do not state things as facts unless you are sure, and say when you are unsure.";

function critique(el) {
  const f = demoFrame(el, { title: "Draft, critique against a principle, revise", stacked: true,
    sources: ["glasslm.engine.post_training.critique:critique_loop", "glasslm.engine.post_training.critique:stage_messages"] });
  const q = textInput({ label: "Question", field: "question", value: "Who was the first person to walk on Mars?", maxlength: 500 });
  const p = textInput({ label: "Principle (edit it)", field: "principle", value: PRINCIPLE, multiline: true, rows: 2, maxlength: 300 });
  const seed = numberInput({ label: "Seed (sampling at temperature 0.7)", field: "seed", value: 0, min: 0, step: 1 });
  const jobs = jobButtons(f, "Run the loop", () => run());
  f.add(q.el, p.el, seed.el, jobs.row, h("p", { class: "pt-note", text: "Three generations of at most 60 tokens each: up to a minute on a busy machine." }));
  const stages = {};
  const grid = h("div", { class: "pt-stages" });
  for (const [stage, title] of [["draft", "1. Draft"], ["critique", "2. Critique"], ["revision", "3. Revision"]]) {
    const text = h("p", { class: "pt-stage-text" });
    const meta = h("p", { class: "pt-note" });
    grid.append(h("div", { class: "pt-stage", "data-stage": stage }, h("h4", { text: title }), meta, text));
    stages[stage] = { text, meta };
  }
  f.picture.append(grid);

  async function run() {
    const done = [];
    await jobs.follow(`${API}/critique`, { question: q.value, principle: p.value, seed: seed.value }, {
      progress: "Loading SmolLM2…",
      onStarted: () => {
        for (const s of Object.values(stages)) { s.text.textContent = ""; s.meta.textContent = ""; }
      },
      onEvent: (ev) => {
        const s = stages[ev.stage];
        if (ev.type === "stage") { s.meta.textContent = `prompt: ${count(ev.prompt_tokens)} tokens · writing…`; f.setStatus(`SmolLM2: ${ev.stage}…`); }
        else if (ev.type === "token") s.text.textContent += ev.text;
        else if (ev.type === "stage_done") {
          s.text.textContent = ev.text;
          s.meta.textContent = `${count(ev.tokens)} tokens · ${ev.ended ? "ended by the model" : "cut at the limit"}`;
          done.push(ev);
          f.setReadout(done.map((e) => ({ label: e.stage, value: `${e.tokens} tokens` })));
          f.hood(done);
        }
      },
    });
  }
}

export { visible };
export const smollm2Demos = { template, compare, critique };
