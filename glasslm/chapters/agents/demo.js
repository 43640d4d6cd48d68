// The agents chapter: the demos only draw what /api/agents/* returns.
// calculator: the tool alone; parser: how an action line is read; agent: the
// ReAct loop with SmolLM2, streamed step by step.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, debounce, latest, h } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { slider, textInput, select, button, buttonRow } from "/static/js/components/controls.js";
import { count, fixed, ms, seconds } from "/static/js/components/format.js";

// Durations: milliseconds below a second, else seconds.

const API = "/api/agents";
let defaultsPromise = null;
const defaults = () => (defaultsPromise ??= getJSON(`${API}/defaults`));

function calculator(el) {
  const f = demoFrame(el, { title: "The calculator tool",
    sources: ["glasslm.engine.applications.calculator:calculate", "glasslm.engine.applications.calculator:_walk"] });
  const expr = textInput({ label: "Arithmetic", field: "expression", value: "17 * (3 + 4) ** 2", maxlength: 200,
    onenter: () => run() });
  const tries = ["2^10 / 3", "-7 // 2", "1/0", "__import__('os')", "9**9**9"];
  f.add(expr.el, buttonRow(button("Calculate", () => run(), { primary: true }),
    ...tries.map((t) => button(t, () => { expr.value = t; run(); }, { label: `try ${t}` }))));
  const out = h("p", { class: "ag-value mono" });
  f.picture.append(out);

  async function run() {
    out.textContent = "";
    const d = await f.run(() => postJSON(`${API}/calculate`, { expression: expr.value }));
    if (!d) { out.textContent = "The agent would see this as its observation: Error: …"; return; }
    out.textContent = `Observation: ${d.observation}`;
    f.setReadout([{ label: "read as", value: d.read_as }, { label: "value", value: d.observation },
      { label: "kind", value: d.type === "int" ? "whole number" : "decimal (float)" }, { label: "computed in", value: ms(d.seconds) }]);
    f.hood(d);
  }
  run();
}

function parser(el) {
  const f = demoFrame(el, { title: "Read a step the way the loop does",
    sources: ["glasslm.engine.applications.react_agent:parse_step"] });
  const text = textInput({ label: "What the model wrote", field: "text", multiline: true, rows: 4, maxlength: 1000,
    value: "Thought: I need the ferry times.\nAction: search[last ferry]", oninput: debounce(() => run(), 200) });
  const samples = [["Well-formed", "Thought: I need the ferry times.\nAction: search[last ferry]"],
    ["Missing ]", "Thought: I can compute it.\nAction: calculate[17*23"],
    ["Unknown tool", "Thought: Let me look it up.\nAction: google[Quillmere mayor]"],
    ["No action", "Thought: The answer is 391."]];
  f.add(text.el, buttonRow(...samples.map(([name, s]) => button(name, () => { text.value = s; run(); }))));
  const table = h("table", { class: "terms ag-parse" });
  f.picture.append(table);
  const signal = latest();

  async function run() {
    const d = await f.run(() => postJSON(`${API}/parse`, { text: text.value }, { signal: signal() }), { key: "run" });
    if (!d) return;
    const row = (k, v, cls = "") => h("tr", {}, h("th", { text: k }), h("td", { class: `mono ${cls}`, text: v }));
    table.replaceChildren(row("thought", d.thought || "(none)"),
      ...(d.error ? [row("parse error", d.error, "ag-bad"), row("observation sent back", d.observation, "ag-bad")]
        : [row("tool", d.tool, "ag-good"), row("input", d.input)]));
    f.setReadout([{ label: "verdict", value: d.error ? "parse error: shown to the model" : `calls ${d.tool}` }]);
    f.hood(d);
  }
  run();
}

function stepCard(n) {
  const text = h("pre", { class: "ag-text" });
  const parsed = h("div", { class: "ag-parsed" });
  const obs = h("div", { class: "ag-obs" });
  const box = h("li", { class: "ag-step", "data-step": n }, h("div", { class: "ag-head", text: `Step ${n}` }), text, parsed, obs);
  return { box, text, parsed, obs };
}

function agent(el) {
  const f = demoFrame(el, { title: "A ReAct agent: SmolLM2 with a calculator and a document search", stacked: true,
    sources: ["glasslm.engine.applications.react_agent:run_react", "glasslm.engine.applications.react_agent:parse_step",
      "glasslm.engine.applications.react_agent:smollm2_writer", "glasslm.engine.applications.react_agent:search_tool"] });
  const question = textInput({ label: "Question", field: "question", value: "What is 17 * 23?", maxlength: 300, onenter: () => run() });
  const examples = select({ label: "Example questions", field: null, options: [["", "choose one…"]], value: "",
    onchange: (v) => { if (v) question.value = v; } });
  const system = textInput({ label: "System prompt (edit it to help the model)", field: "system", multiline: true, rows: 7, maxlength: 2000 });
  const example = textInput({ label: "Worked examples shown to the model", field: "example", multiline: true, rows: 12, maxlength: 1500 });
  const steps = slider({ label: "Step limit", field: "max_steps", min: 1, max: 8, step: 1, value: 4, format: String });
  const stepTokens = slider({ label: "Tokens per step", field: "max_step_tokens", min: 10, max: 80, step: 5, value: 50, format: String });
  const total = slider({ label: "Tokens in all", field: "max_total_tokens", min: 20, max: 480, step: 10, value: 200, format: String });
  const jobs = jobButtons(f, "Run the agent", () => run());
  const reset = button("Restore the default prompt", async () => {
    const d = await defaults(); system.value = d.system; example.value = d.example;
  });
  f.add(question.el, examples.el, system.el, example.el, steps.el, stepTokens.el, total.el, buttonRow(jobs.go, jobs.stop, reset));
  const promptText = h("pre", { class: "ag-text" });
  const promptBox = h("details", { class: "ag-prompt" }, h("summary", { text: "The exact prompt SmolLM2 reads before step 1" }), promptText);
  const list = h("ol", { class: "ag-steps", "aria-label": "the agent's steps" });
  const final = h("div", { class: "ag-final", role: "status" });
  f.picture.append(promptBox, list, final);
  f.setStatus("Press Run: each step re-reads the prompt and writes a thought and an action (a few seconds per step here).");
  defaults().then((d) => {
    system.value = d.system; example.value = d.example;
    examples.input.append(...d.questions.map((x) => h("option", { value: x, text: x })));
  });

  let cards = {}, started = 0, tokens = 0;
  function onEvent(ev) {
    if (ev.type === "prompt") {
      f.setStatus(`SmolLM2 reads a ${count(ev.tokens)}-token prompt…`);
      promptText.textContent = ev.text;
      promptBox.querySelector("summary").textContent = `The exact prompt SmolLM2 reads before step 1 (${count(ev.tokens)} tokens; each step adds the transcript)`;
    } else if (ev.type === "step_start") {
      cards[ev.step] = stepCard(ev.step);
      cards[ev.step].text.textContent = "Thought:";
      list.append(cards[ev.step].box);
    } else if (ev.type === "token") {
      cards[ev.step].text.textContent += ev.text;
      tokens += 1;
      f.setStatus(`Step ${ev.step}: ${tokens} tokens written…`);
    } else if (ev.type === "step") {
      const c = cards[ev.step];
      c.text.textContent = ev.text;
      c.parsed.replaceChildren(ev.parse_error
        ? h("span", { class: "ag-bad", text: `Parse error: ${ev.parse_error}` })
        : h("span", { class: "ag-good mono", text: `→ ${ev.tool}[${ev.input}]` }));
      if (ev.ended === "observation") c.parsed.append(h("span", { class: "ag-note", text: " (the model began writing its own observation: cut off)" }));
      if (ev.ended === "model") c.parsed.append(h("span", { class: "ag-note", text: " (the model ended its turn)" }));
      if (ev.ended === "budget") c.parsed.append(h("span", { class: "ag-note", text: " (cut at the token limit)" }));
      if (ev.observation !== null) c.obs.replaceChildren(h("span", { class: "ag-label", text: "Observation: " }),
        h("span", { class: ev.tool_ok ? "mono" : "mono ag-bad", text: ev.observation }));
    } else if (ev.type === "final") {
      final.replaceChildren(ev.reason === "finished"
        ? h("p", {}, h("strong", { text: "Answer: " }), h("span", { class: "mono", text: ev.answer }))
        : h("p", { class: "ag-bad", text: `No answer: the run hit its ${ev.reason} (${ev.steps} steps, ${ev.tokens} tokens).` }));
      f.setReadout([
        { label: "outcome", value: ev.reason },
        { label: "steps", value: count(ev.steps) },
        { label: "tokens written", value: count(ev.tokens) },
        { label: "time", value: seconds(ev.seconds) },
      ]);
      f.hood(ev);
    }
  }
  async function run() {
    const body = { question: question.value, system: system.value, example: example.value, max_steps: steps.value,
      max_step_tokens: stepTokens.value, max_total_tokens: total.value };
    await jobs.follow(`${API}/run`, body, {
      onStarted: () => {
        list.replaceChildren();
        final.replaceChildren();
        cards = {};
        tokens = 0;
        started = performance.now();
      },
      onEvent,
      onDone: (end) => {
        if (end.status === "stopped") f.setStatus(`Stopped after ${seconds((performance.now() - started) / 1000)}.`);
      },
    });
  }
}

export const demos = { calculator, parser, agent };
