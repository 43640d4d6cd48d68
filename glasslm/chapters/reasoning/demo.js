// The reasoning chapter: the demos only draw what /api/reasoning/* and the jobs'
// event streams (/api/jobs/{id}/events) send. The first training run's job id is
// shared with the later demos, which ask those two models questions.

import { postJSON } from "/static/js/api.js";
import { debounce, demoFrame, h } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { button, buttonRow, numberInput, progressBar, select, slider } from "/static/js/components/controls.js";
import { etaClock } from "/static/js/components/eta.js";
import { lineChart } from "/static/js/components/linechart.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { count, pct as percent } from "/static/js/components/format.js";

// Accuracies are fractions of at most a few hundred problems: whole percents say it all.
const pct = (p) => percent(p, 0);

const API = "/api/reasoning";
const NAMES = { direct: "direct (answer only)", scratchpad: "scratchpad (work, then answer)" };
const DIGIT_OPTIONS = [["2", "2 digits"], ["3", "3 digits"], ["4", "4 digits"], ["5", "5 digits"]];

// ---- the trained pair, shared by every demo on the page
const shared = { run: null, listeners: [] };
function setTrained(run) { shared.run = run; shared.listeners.forEach((fn) => fn(run)); }
function onTrained(fn) { shared.listeners.push(fn); }
const NEED_RUN = "Train the two models in the first demo above first (about half a minute), then come back here.";
const TRAINING = "The models above are training: this demo uses them once the run finishes or is stopped.";


function mark(ok) { return h("span", { class: ok ? "rs-ok" : "rs-bad", text: ok ? "✓" : "✗", "aria-label": ok ? "right" : "wrong" }); }

// One problem, both formats, as the characters (and ids) the models read.
function formats(el) {
  const f = demoFrame(el, { title: "One addition, two ways to write it",
    sources: ["glasslm.engine.data.arithmetic_data:scratchpad_steps", "glasslm.engine.data.arithmetic_data:completion"] });
  const a = numberInput({ label: "First number", field: "a", value: 37, min: 0, step: 1 });
  const b = numberInput({ label: "Second number", field: "b", value: 48, min: 0, step: 1 });
  const digits = select({ label: "Digits", field: "digits", value: "2", options: DIGIT_OPTIONS });
  f.add(a.el, b.el, digits.el);
  const boxes = {};
  for (const fmt of ["direct", "scratchpad"]) {
    const box = h("div", { class: "rs-format" }, h("h4", { text: NAMES[fmt] }));
    f.picture.append(box);
    boxes[fmt] = tokenStrip(box, { label: `${fmt} format, one character per token` });
  }
  const note = h("p", { class: "rs-note", text: "Shaded: the question, given to the model. Bright: what it must write." });
  f.picture.append(note);
  async function update() {
    const d = await f.run(() => postJSON(`${API}/format`, { a: a.value, b: b.value, digits: Number(digits.value) }), { key: "update" });
    if (!d) return;
    for (const [fmt, strip] of Object.entries(boxes)) {
      const F = d.formats[fmt];
      strip.update(F.tokens.map((t, i) => ({ text: t, id: F.ids[i], title: `id ${F.ids[i]}${i < F.prompt_len ? " (question)" : ""}` })));
      [...strip.el.children].forEach((span, i) => span.classList.toggle("rs-given", i < F.prompt_len));
    }
    f.setReadout([
      { label: "sum", value: count(d.sum) },
      { label: "direct: characters to write", value: String(d.formats.direct.tokens.length - d.formats.direct.prompt_len) },
      { label: "scratchpad: characters to write", value: String(d.formats.scratchpad.tokens.length - d.formats.scratchpad.prompt_len) },
      { label: "vocabulary", value: `${d.alphabet.length} characters + BOS` },
    ]);
    f.hood(d);
  }
  const later = debounce(update, 150);
  for (const c of [a, b]) c.input.addEventListener("input", later);
  digits.input.addEventListener("change", update);
  update();
}

// Train both models side by side; held-out accuracy streams in.
function race(el) {
  const f = demoFrame(el, { title: "Train both models on the same additions",
    sources: ["glasslm.engine.training.scratchpad_training:train_reasoning", "glasslm.engine.training.scratchpad_training:exact_match"] });
  const digits = select({ label: "Digits", field: "digits", value: "3", options: DIGIT_OPTIONS });
  const steps = numberInput({ label: "Steps", field: "steps", value: 300, min: 1, max: 3000, step: 1 });
  const width = select({ label: "Width (channels)", field: "n_embd", value: "32", options: ["16", "32", "48", "64"] });
  const jobs = jobButtons(f, "Train", () => train());
  f.add(digits.el, steps.el, width.el, jobs.row);

  const bar = progressBar("training progress");
  const accBox = h("div", { class: "rs-acc" });
  const lossBox = h("div", { class: "rs-loss" });
  const samples = h("div", { class: "rs-samples", "aria-live": "polite" });
  f.picture.append(bar.el, accBox, lossBox, h("h4", { text: "What each model writes for held-out problems" }), samples);
  const acc = lineChart(accBox, { xLabel: "step", yLabel: "held-out exact match", yDomain: [0, 1], title: "held-out accuracy while training",
    series: [{ name: NAMES.direct }, { name: NAMES.scratchpad }] });
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "loss (nats per written character)", height: 200, yScale: "log",
    title: "training loss", series: [{ name: NAMES.direct }, { name: NAMES.scratchpad }] });

  let job = null, digitsUsed = 3;
  const eta = etaClock();
  const n = { step: null, total: null, acc: {}, params: null, answer: null };
  function show() {
    f.setReadout([
      { label: "step", value: n.step === null ? "–" : `${count(n.step)} / ${count(n.total)}` },
      { label: "direct: held-out accuracy", value: n.acc.direct === undefined ? "–" : pct(n.acc.direct) },
      { label: "scratchpad: held-out accuracy", value: n.acc.scratchpad === undefined ? "–" : pct(n.acc.scratchpad) },
      { label: "parameters (each model)", value: n.params ? `${count(n.params.direct)} / ${count(n.params.scratchpad)}` : "–" },
    ]);
  }
  show();

  function drawSamples(rows) {
    samples.replaceChildren(...rows.map((r) => h("div", { class: "rs-sample mono" },
      h("div", { class: "rs-q", text: `${r.question} ?  (right: ${r.truth})` }),
      ...["direct", "scratchpad"].map((fmt) => h("div", { class: "rs-line" },
        mark(r[fmt].answer === r.truth), h("span", { class: "rs-who", text: fmt }),
        h("span", { class: "rs-text", text: r[fmt].text || "(nothing)" }))))));
  }

  function onEvent(ev) {
    if (ev.type === "start") {
      n.total = ev.steps; n.params = ev.n_params;
    } else if (ev.type === "step") {
      n.step = ev.step; bar.set(ev.step, n.total);
      f.setStatus(`Training both models on ${digitsUsed}-digit sums: ${eta.text(ev.step, n.total)}`);
      loss.append(NAMES.direct, [ev.step, ev.loss.direct]);
      loss.append(NAMES.scratchpad, [ev.step, ev.loss.scratchpad]);
    } else if (ev.type === "eval") {
      n.acc = ev.accuracy;
      acc.append(NAMES.direct, [ev.step, ev.accuracy.direct]);
      acc.append(NAMES.scratchpad, [ev.step, ev.accuracy.scratchpad]);
    } else if (ev.type === "samples") {
      drawSamples(ev.rows);
    } else if (ev.type === "done") {
      n.answer = ev.answer_accuracy;
      f.hood(ev);
      if (ev.diverged) f.setError(ev.message);
    }
    show();
  }

  async function train() {
    const body = { digits: Number(digits.value), steps: steps.value, n_embd: Number(width.value) };
    await jobs.follow(`${API}/train`, body, {
      progress: "Preparing…",
      keepStatus: true,
      onStarted: (d) => {
        eta.reset();
        acc.clear(); loss.clear(); samples.replaceChildren(); bar.reset();
        Object.assign(n, { step: null, total: null, acc: {}, params: null, answer: null });
        job = d.job; digitsUsed = body.digits;
        setTrained(null);  // the demos below wait for this run
        f.setStatus(`Training both models on ${digitsUsed}-digit sums…`);
      },
      onEvent,
      onDone: (end) => {
        if (end.status === "error") f.setStatus("");
        if (end.status === "done" && n.answer) {
          f.setStatus(`Done. Greedy answers right on held-out problems: direct ${pct(n.answer.direct)}, scratchpad ${pct(n.answer.scratchpad)}.`);
        } else if (end.status === "stopped") {
          f.setStatus(`Stopped at step ${count(n.step)}. The demos below use the models as they are now.`);
        }
        if (end.status === "done" || end.status === "stopped") setTrained({ job, digits: digitsUsed, step: n.step, answer: n.answer });
      },
    });
  }
}

// A job-driven study demo (votes or budget): waits for a trained run, then streams.
function studyFrame(el, title, sources) {
  const f = demoFrame(el, { title, sources });
  let onRun = () => {};
  const jobs = jobButtons(f, "Run", () => onRun());
  jobs.go.disabled = true;
  const bar = progressBar(`${title}: progress`);
  f.setStatus(NEED_RUN);
  onTrained((run) => {
    jobs.go.disabled = !run || !jobs.stop.disabled;
    f.setStatus(run ? `Ready: the models trained on ${run.digits}-digit sums (step ${count(run.step)}).` : TRAINING);
  });
  async function start(url, body, onEvent, onDone) {
    let started = null;
    await jobs.follow(url, { job: shared.run.job, ...body }, {
      keepStatus: true,
      onStarted: (d) => { started = d; bar.reset(); },
      onEvent: (ev) => onEvent(ev, started),
      onDone: (end) => { jobs.go.disabled = !shared.run; onDone(end); },
    });
  }
  // onRun(fn): what the Run button does (the study checks for a trained run, then calls start).
  return { f, row: jobs.row, bar, start, onRun: (fn) => { onRun = fn; } };
}

// Self-consistency: sample N answers per problem, keep the most common one.
function votes(el) {
  const s = studyFrame(el, "Majority vote over N samples",
    ["glasslm.engine.inference.thinking_budget:vote_study", "glasslm.engine.inference.thinking_budget:majority_vote"]);
  const { f } = s;
  const temp = slider({ label: "Temperature", field: "temperature", min: 0, max: 2, step: 0.05, value: 1, format: (v) => v.toFixed(2) });
  const nVotes = numberInput({ label: "Samples per problem (N)", field: "n_votes", value: 9, min: 1, max: 25, step: 1 });
  const problems = select({ label: "Held-out problems", field: "n_problems", value: "50", options: ["20", "50", "100"] });
  f.add(temp.el, nVotes.el, problems.el, s.row);
  const chartBox = h("div", { class: "rs-acc" });
  const example = h("div", { class: "rs-samples" });
  f.picture.append(s.bar.el, chartBox, example);
  const chart = lineChart(chartBox, { xLabel: "N (samples voted on)", yLabel: "held-out accuracy", yDomain: [0, 1],
    title: "accuracy of the majority vote against the number of samples", series: [{ name: NAMES.direct }, { name: NAMES.scratchpad }] });
  let last = null;
  function onEvent(ev) {
    if (ev.type !== "votes") return;
    last = ev;
    s.bar.set(ev.done, ev.of);
    for (const fmt of ["direct", "scratchpad"]) chart.set(NAMES[fmt], ev.ns.map((k, i) => [k, ev.curves[fmt][i]]));
    const N = ev.ns.length;
    f.setReadout([
      { label: "problems so far", value: `${ev.done} / ${ev.of}` },
      { label: "direct: 1 sample → vote of N", value: `${pct(ev.curves.direct[0])} → ${pct(ev.curves.direct[N - 1])}` },
      { label: "scratchpad: 1 sample → vote of N", value: `${pct(ev.curves.scratchpad[0])} → ${pct(ev.curves.scratchpad[N - 1])}` },
    ]);
    example.replaceChildren(...["direct", "scratchpad"].map((fmt) => {
      const e = ev.example[fmt];
      return h("div", { class: "rs-sample mono" },
        h("div", { class: "rs-q", text: `${NAMES[fmt]}: ${e.question} ?  (right: ${e.truth}); the vote: ${e.vote ?? "no answer"} (${e.votes} of ${e.samples.length} votes)` }),
        ...e.samples.map((t, i) => h("div", { class: "rs-line" }, mark(e.answers[i] === e.truth), h("span", { class: "rs-text", text: t || "(nothing)" }))));
    }));
  }
  s.onRun(() => {
    if (!shared.run) { f.setError(NEED_RUN); return; }
    chart.clear(); example.replaceChildren();
    f.setStatus("Sampling…");
    s.start(`${API}/votes`, { temperature: temp.value, n_votes: nVotes.value, n_problems: Number(problems.value) }, onEvent,
      (end) => { if (last) f.hood(last); f.setStatus(end.status === "stopped" ? "Stopped." : end.status === "done" ? "Done." : ""); });
  });
}

// A thinking budget: stop the scratchpad after k steps and make the model answer.
function budget(el) {
  const s = studyFrame(el, "A thinking budget",
    ["glasslm.engine.inference.thinking_budget:budget_study", "glasslm.engine.inference.thinking_budget:complete"]);
  const { f } = s;
  const problems = select({ label: "Held-out problems", field: "n_problems", value: "100", options: ["20", "50", "100"] });
  f.add(problems.el, s.row);
  const chartBox = h("div", { class: "rs-acc" });
  const example = h("ol", { class: "rs-budget mono", start: 0 });
  f.picture.append(s.bar.el, chartBox, h("h4", { text: "One problem under each budget" }), example);
  const chart = lineChart(chartBox, { xLabel: "thinking budget (scratchpad characters)", yLabel: "held-out accuracy", yDomain: [0, 1],
    title: "accuracy against the thinking budget", series: [{ name: "scratchpad model, work capped" }] });
  const points = [];
  function onEvent(ev, started) {
    if (ev.type !== "budget") return;
    points.push(ev);
    s.bar.set(points.length, started.digits + 1);
    chart.append("scratchpad model, work capped", [ev.think_tokens, ev.accuracy]);
    const e = ev.example;
    example.append(h("li", { class: "rs-line" }, mark(e.answer === e.truth),
      h("span", { class: "rs-text", text: `${e.question}${e.text}` }), h("span", { class: "rs-who", text: `(${ev.think_tokens} characters allowed)` })));
    f.setReadout(points.map((p) => ({ label: `${p.think_steps} of ${started.digits} steps`, value: pct(p.accuracy) })));
  }
  s.onRun(() => {
    if (!shared.run) { f.setError(NEED_RUN); return; }
    points.length = 0; chart.clear(); example.replaceChildren();
    if (shared.run.answer) chart.hline("direct", shared.run.answer.direct, `direct model ${pct(shared.run.answer.direct)}`);
    f.setStatus("Decoding with each budget…");
    s.start(`${API}/budget`, { n_problems: Number(problems.value) }, onEvent,
      (end) => { f.hood(points); f.setStatus(end.status === "stopped" ? "Stopped." : end.status === "done" ? "Done." : ""); });
  });
}

// The learner's own problem, put to both trained models.
function ask(el) {
  const f = demoFrame(el, { title: "Ask the trained models", sources: ["glasslm.engine.inference.thinking_budget:complete"] });
  const a = numberInput({ label: "First number", field: "a", value: 1234, min: 0, step: 1 });
  const b = numberInput({ label: "Second number", field: "b", value: 5678, min: 0, step: 1 });
  const askBtn = button("Ask", () => go(), { primary: true });
  askBtn.disabled = true;
  f.add(a.el, b.el, buttonRow(askBtn));
  const out = h("div", { class: "rs-samples", "aria-live": "polite" });
  f.picture.append(out);
  f.setStatus(NEED_RUN);
  onTrained((run) => { askBtn.disabled = !run; f.setStatus(run ? `Numbers of up to ${run.digits} digits.` : TRAINING); });
  async function go() {
    const d = await f.run(() => postJSON(`${API}/ask`, { job: shared.run.job, a: a.value, b: b.value }));
    if (!d) return;
    out.replaceChildren(h("div", { class: "rs-sample mono" },
      h("div", { class: "rs-q", text: `${d.question} ?  (right: ${d.sum})` }),
      ...["direct", "scratchpad"].map((fmt) => h("div", { class: "rs-line" }, mark(d[fmt].answer === d.sum),
        h("span", { class: "rs-who", text: fmt }), h("span", { class: "rs-text", text: d[fmt].text || "(nothing)" })))));
    f.setReadout([
      { label: "direct answers", value: d.direct.answer === null ? "no answer" : count(d.direct.answer) },
      { label: "scratchpad answers", value: d.scratchpad.answer === null ? "no answer" : count(d.scratchpad.answer) },
      { label: "this problem was", value: d.heldout ? "held out (never trained on)" : "allowed in training" },
    ]);
    f.hood(d);
  }
}

export const demos = { formats, race, votes, budget, ask };
