// The hallucination chapter: the demos only draw what /api/hallucination/* returns.
// The fact-set run started in the "reliability" demo is shared with the
// abstention demo below it; the retrieval demo starts its own run (closed-book
// answers already given come back from the server's memory at once).

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { slider, textInput, select, segmented, button, buttonRow, progressBar } from "/static/js/components/controls.js";
import { barChart } from "/static/js/components/barchart.js";
import { lineChart } from "/static/js/components/linechart.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { fitWidth, keepTicksInside } from "/static/js/components/chartsize.js";
import { pct, fixed, count, ms } from "/static/js/components/format.js";

const API = "/api/hallucination";
const MEASURES = [["first", "first-token probability"], ["likelihood", "answer likelihood"]];
const SIZES = [["8", "8 questions (about 10-30 s)"], ["16", "16 questions"], ["32", "all 32 (a minute or more)"]];

let factsPromise = null;
const facts = () => (factsPromise ??= getJSON(`${API}/facts`));

// A mix of easy and obscure questions: alternate the two levels.
function mixedIds(questions, n) {
  const easy = questions.filter((q) => q.level === "easy"), hard = questions.filter((q) => q.level !== "easy");
  const out = [];
  for (let i = 0; out.length < n && (i < easy.length || i < hard.length); i++) {
    if (easy[i]) out.push(easy[i].id);
    if (hard[i] && out.length < n) out.push(hard[i].id);
  }
  return out;
}

// The shared run of the reliability demo: {job, ids, measure}.
const shared = { job: null, measure: "first" };
const bus = new EventTarget();

// A reliability diagram: accuracy per bin as bars, the diagonal, and the gap to it. It draws one
// viewBox unit per CSS pixel of its box (fitWidth), so its labels keep their size at any width.
function reliabilityDiagram(container, label) {
  const d3 = window.d3;
  const M = { top: 14, right: 14, bottom: 44, left: 54 }, MAX_H = 340;
  const svg = d3.select(container).append("svg").attr("class", "chart hl-rel")
    .attr("role", "img").attr("aria-label", label);
  let bins = [];
  function draw(W) {
    const H = Math.min(MAX_H, Math.max(220, Math.round(W * 0.62)));
    const iw = W - M.left - M.right, ih = H - M.top - M.bottom;
    svg.attr("viewBox", `0 0 ${W} ${H}`).attr("height", H).selectAll("*").remove();
    const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
    const x = d3.scaleLinear().domain([0, 1]).range([0, iw]), y = d3.scaleLinear().domain([0, 1]).range([ih, 0]);
    const gx = g.append("g").attr("class", "axis").attr("transform", `translate(0,${ih})`).call(d3.axisBottom(x).ticks(iw > 320 ? 10 : 5, "%"));
    keepTicksInside(gx, x, M.left, M.right);  // the last "100%" ran 2 px past the right edge
    g.append("g").attr("class", "axis").call(d3.axisLeft(y).ticks(5, "%"));
    g.append("text").attr("class", "axis-label").attr("x", iw / 2).attr("y", ih + 36).attr("text-anchor", "middle").text("confidence");
    g.append("text").attr("class", "axis-label").attr("transform", "rotate(-90)").attr("x", -ih / 2).attr("y", -40)
      .attr("text-anchor", "middle").text("accuracy");
    for (const b of bins.filter((b) => b.count > 0)) {
      const s = g.append("g").attr("class", "hl-bin"), x0 = x(b.lo) + 1, w = Math.max(1, x(b.hi) - x(b.lo) - 2);
      s.append("rect").attr("class", "hl-acc").attr("x", x0).attr("width", w).attr("y", y(b.accuracy)).attr("height", ih - y(b.accuracy));
      const top = Math.max(b.accuracy, b.confidence), bottom = Math.min(b.accuracy, b.confidence);
      s.append("rect").attr("class", "hl-gap").attr("x", x0).attr("width", w).attr("y", y(top)).attr("height", y(bottom) - y(top));
      s.append("text").attr("class", "hl-count").attr("text-anchor", "middle").attr("x", x0 + w / 2)
        .attr("y", Math.max(10, y(Math.max(b.accuracy, b.confidence)) - 4)).text(`n=${b.count}`);
      s.append("title").text(`confidence ${pct(b.lo)}-${pct(b.hi)}: ${b.count} answers, mean confidence ${pct(b.confidence)}, accuracy ${pct(b.accuracy)}`);
    }
    g.append("line").attr("class", "hl-diag").attr("x1", 0).attr("y1", ih).attr("x2", iw).attr("y2", 0);
  }
  let width = 0;
  d3.select(container).append("p").attr("class", "hl-legend")
    .html('<span class="hl-key acc"></span> accuracy of the bin &nbsp; <span class="hl-key gap"></span> gap to its mean confidence &nbsp; dashed: perfect calibration');
  width = fitWidth(svg.node(), (w) => { width = w; draw(w); }, 360);
  return { update(next) { bins = next; draw(width); } };
}

function answerCell(r) {
  return h("td", { class: r.correct ? "hl-right" : "hl-wrong" },
    h("span", { class: "hl-mark", text: r.correct ? "✓ " : "✗ ", "aria-label": r.correct ? "right" : "wrong" }),
    h("span", { class: "mono", text: r.answer || "(nothing)" }));
}

function ask(el) {
  const f = demoFrame(el, { title: "Ask SmolLM2 a question",
    sources: ["glasslm.engine.evaluation.fact_qa:answer", "glasslm.engine.evaluation.fact_qa:prompt_text", "glasslm.engine.evaluation.fact_qa:is_correct"] });
  const pick = select({ label: "Question", field: "id", options: [["", "loading…"]] });
  const own = textInput({ label: "…or your own question", field: "question", maxlength: 300, placeholder: "What is the capital of Peru?",
    onenter: () => run() });
  const book = segmented({ label: "Prompt", field: "book", value: "closed", options: [["closed", "closed book"], ["fact", "with the fact"]] });
  const fact = textInput({ label: "Fact placed before the question", field: "fact", maxlength: 400 });
  f.add(pick.el, own.el, book.el, fact.el, buttonRow(button("Ask", () => run(), { primary: true })));
  const out = h("div", { class: "hl-answer" });
  const alts = h("div");
  const chart = barChart(alts, { label: "The likeliest first tokens of the answer" });
  f.picture.append(out, h("p", { class: "hl-caption", text: "The first answer token: SmolLM2's five likeliest choices (T = 1)" }), alts);
  let questions = [];
  facts().then((d) => {
    questions = d.questions;
    pick.input.replaceChildren(...questions.map((q) => h("option", { value: q.id, text: `${q.question} (${q.level})` })));
    pick.value = "canberra";
    fact.value = questions.find((q) => q.id === pick.value).fact;
    run();
  });
  pick.input.addEventListener("change", () => { own.value = ""; fact.value = questions.find((q) => q.id === pick.value)?.fact ?? ""; });
  own.input.addEventListener("input", () => { if (own.value.trim()) fact.value = ""; });

  async function run() {
    const mine = own.value.trim() !== "";
    const body = mine ? { id: null, question: own.value } : { id: pick.value };
    body.fact = book.value === "fact" ? fact.value : "";
    const d = await f.run(() => postJSON(`${API}/ask`, body), { progress: "SmolLM2 is answering (a second or two)…" });
    if (!d) return;
    out.replaceChildren(h("p", {}, h("strong", { text: "Q: " }), d.question),
      h("p", { class: "hl-said" }, h("strong", { text: "A: " }), h("span", { class: "mono", text: d.answer || "(nothing)" }),
        d.correct === null ? "" : h("span", { class: d.correct ? "hl-right" : "hl-wrong",
          text: d.correct ? "  ✓ right" : `  ✗ wrong (accepted: ${d.answers.join(" / ")})` })),
      d.contradicts ? h("p", { class: "hl-finding", text: `Finding: the model contradicts the fact it was given. ` +
        `The fact says “${d.fact}”, and still it answered “${d.answer}”. Run the retrieval demo below to see how often ` +
        `this happens over the whole set.` }) : "");
    chart.update(d.alternatives.map((a, i) => ({ label: visible(a.text), value: a.prob, highlight: i === 0 })));
    f.setReadout([
      { label: "first-token probability", value: pct(d.first) },
      { label: "answer likelihood", value: pct(d.likelihood) },
      { label: "marked", value: d.correct === null ? "no answer key (your question)" : d.correct ? "right" : "wrong" },
      { label: "prompt", value: `${count(d.prompt_tokens)} tokens, answered in ${ms(d.seconds)}` },
    ]);
    f.hood(d);
  }
}

// Stream one run through the demo's Run/Stop buttons (jobButtons), calling onRow for each answer.
function runner(f, jobs, { bar, onStart, onRow, onDone }) {
  return async function start(body) {
    let job = null, started = 0;
    await jobs.follow(`${API}/run`, body, {
      onStarted: (d) => {
        job = d.job;
        started = performance.now();
        bar.set(0, d.total); bar.show(true);
        onStart(d);
      },
      onEvent: (ev) => {
        if (ev.type !== "answer") return;
        bar.set(ev.index, ev.total);
        const left = (performance.now() - started) / 1000 / ev.index * (ev.total - ev.index);
        f.setStatus(`${ev.index} of ${ev.total} answered${ev.cached ? " (remembered)" : ""}; about ${ms(left)} left…`);
        onRow(ev.row, job);
      },
      onDone: (end) => {
        bar.show(false);
        if (end.status === "stopped") f.setStatus("Stopped: the answers so far are measured.");
        onDone(job, end.status);
      },
    });
  };
}

function reliabilityDemo(el) {
  const f = demoFrame(el, { title: "Confidence against accuracy on the fact set", stacked: true,
    sources: ["glasslm.engine.evaluation.calibration:reliability", "glasslm.engine.evaluation.fact_qa:answer", "glasslm.engine.evaluation.fact_qa:is_correct"] });
  const size = select({ label: "Questions", field: "ids", value: "8", options: SIZES });
  const measure = segmented({ label: "Confidence", field: "measure", value: "first", options: MEASURES, onchange: () => measured() });
  const bins = select({ label: "Bins", field: "bins", value: "5", options: [["3", "3"], ["5", "5"], ["10", "10"]], onchange: () => measured() });
  const jobs = jobButtons(f, "Run the questions", () => start());
  const bar = progressBar("questions answered", { hidden: true });
  f.add(size.el, measure.el, bins.el, jobs.row, bar.el);
  const diagramBox = h("div", { class: "hl-diagram" });
  const diagram = reliabilityDiagram(diagramBox, "Reliability diagram: accuracy per confidence bin against the diagonal");
  const table = h("table", { class: "terms hl-table" });
  const wrongBox = h("div", { class: "hl-wrong-list" });
  f.picture.append(diagramBox, wrongBox, h("div", { class: "scroll-x" }, table));
  f.setStatus("Press Run: SmolLM2 answers each question greedily (at most a few tokens each).");
  let job = null;

  const run = runner(f, jobs, {
    bar,
    onStart: () => { table.replaceChildren(h("tr", {}, ...["question", "level", "SmolLM2's answer", "confidence"].map((t) => h("th", { text: t })))); },
    onRow: (r, id) => {
      job = id;
      table.append(h("tr", { "data-id": r.id }, h("td", { text: r.question }), h("td", { text: r.level }), answerCell(r),
        h("td", { class: "num", text: `${pct(r.first)} / ${pct(r.likelihood)}` })));
    },
    onDone: (id) => { job = id; measured(); },
  });
  function start() {
    facts().then((d) => run({ ids: mixedIds(d.questions, Number(size.value)), modes: ["closed"] }));
  }

  async function measured() {
    if (!job) return;
    const d = await f.run(() => postJSON(`${API}/calibration`, { job, mode: "closed", measure: measure.value, bins: Number(bins.value) }), { key: "measured" });
    if (!d) return;
    diagram.update(d.bins);
    wrongBox.replaceChildren(h("h4", { text: `Confidently wrong (confidence at least 50%)` }),
      d.confident_wrong.length
        ? h("ul", {}, ...d.confident_wrong.map((w) => h("li", {}, `${w.question} `, h("span", { class: "mono hl-wrong", text: w.answer }),
          ` at ${pct(w.confidence)} (right: ${w.answers[0]})`)))
        : h("p", { text: "None in this run." }));
    f.setReadout([
      { label: "accuracy", value: `${pct(d.accuracy)} of ${d.n}` },
      { label: "mean confidence", value: pct(d.mean_confidence) },
      { label: "expected calibration error", value: pct(d.ece) },
      { label: "confidently wrong", value: count(d.confident_wrong.length) },
    ]);
    f.hood(d);
    Object.assign(shared, { job, measure: measure.value });
    bus.dispatchEvent(new Event("run"));
  }
}

function abstainDemo(el) {
  const f = demoFrame(el, { title: "Abstain below a threshold",
    sources: ["glasslm.engine.evaluation.calibration:abstain", "glasslm.engine.evaluation.calibration:coverage_curve"] });
  const threshold = slider({ label: "Answer only when confidence is at least", field: "threshold", min: 0, max: 1, step: 0.01, value: 0.5,
    format: (v) => pct(v), oninput: () => update() });
  const using = h("p", { class: "hl-using", text: "Run the questions in the demo above first; this one re-reads that run." });
  f.add(threshold.el, using);
  const box = h("div");
  const chart = lineChart(box, { xLabel: "coverage (share of questions answered)", yLabel: "accuracy on the answered",
    series: [{ name: "every threshold" }, { name: "your threshold", color: "var(--s2)" }], xDomain: [0, 1], yDomain: [0, 1] });
  f.picture.append(box);
  let busy = false, again = false;
  async function update() {
    if (!shared.job) return;
    if (busy) { again = true; return; }
    busy = true;
    const d = await f.run(() => postJSON(`${API}/calibration`, { job: shared.job, mode: "closed", measure: shared.measure, bins: 5, threshold: threshold.value }), { key: "update" });
    busy = false;
    if (again) { again = false; update(); }
    if (!d) return;
    using.textContent = `Using the ${d.n} answers of the run above, confidence = ${MEASURES.find((m) => m[0] === d.measure)[1]}.`;
    chart.set("every threshold", d.curve.filter((p) => p.answered > 0).map((p) => [p.coverage, p.accuracy]));
    const a = d.abstain;
    chart.set("your threshold", a.answered ? [[a.coverage, 0], [a.coverage, a.accuracy]] : []);  // a marker line at your coverage
    chart.hline("all", d.accuracy, `answer everything: ${pct(d.accuracy)}`);
    f.setReadout([
      { label: "answered", value: `${a.answered} of ${a.total} (${pct(a.coverage)})` },
      { label: "accuracy when answering", value: a.accuracy === null ? "nothing answered" : pct(a.accuracy) },
      { label: "wrong answers given", value: `${a.wrong} (of ${d.n - Math.round(d.accuracy * d.n)} without abstaining)` },
      { label: "said \"I don't know\"", value: count(a.abstained) },
    ]);
    f.hood(d);
  }
  bus.addEventListener("run", () => update());
}

// The answers that say something other than the fact placed before the question, as a finding.
function contradictions(r) {
  const n = r.contradicted.length;
  const head = h("p", { class: "hl-finding", text: n
    ? `Finding: in ${n} of ${r.n} answers (${pct(n / r.n)}) SmolLM2 contradicted the fact it had just been given:`
    : `Finding: no answer contradicted the fact it was given (0 of ${r.n}).` });
  if (!n) return h("div", {}, head);
  return h("div", {}, head, h("ul", { class: "hl-contradicted" }, ...r.contradicted.map((x) => h("li", {},
    `${x.question} The fact said “${x.fact}”; it answered `, h("span", { class: "mono hl-wrong", text: x.answer || "(nothing)" }), "."))));
}

function retrievalDemo(el) {
  const f = demoFrame(el, { title: "Give the model the fact: retrieval", stacked: true,
    sources: ["glasslm.engine.evaluation.fact_qa:prompt_text", "glasslm.engine.evaluation.calibration:reliability"] });
  const size = select({ label: "Questions", field: "ids", value: "8", options: SIZES });
  const measure = segmented({ label: "Confidence", field: "measure", value: "first", options: MEASURES, onchange: () => compare() });
  const jobs = jobButtons(f, "Run closed-book and with facts", () => start());
  const bar = progressBar("answers given", { hidden: true });
  f.add(size.el, measure.el, jobs.row, bar.el);
  const left = h("div", { class: "hl-diagram" }, h("h4", { text: "Closed book" }));
  const right = h("div", { class: "hl-diagram" }, h("h4", { text: "With the fact in the prompt" }));
  const dl = reliabilityDiagram(left, "Reliability diagram without the facts");
  const dr = reliabilityDiagram(right, "Reliability diagram with the facts");
  const changed = h("div", { class: "hl-changed" });
  f.picture.append(h("div", { class: "hl-pair" }, left, right), changed);
  f.setStatus("Press Run: each question is asked twice, once with its fact placed before it.");
  let job = null;
  const run = runner(f, jobs, { bar, onStart: () => {}, onRow: (r, id) => { job = id; }, onDone: (id) => { job = id; compare(); } });
  function start() {
    facts().then((d) => run({ ids: mixedIds(d.questions, Number(size.value)), modes: ["closed", "retrieval"] }));
  }
  async function compare() {
    if (!job) return;
    const ask = (mode) => postJSON(`${API}/calibration`, { job, mode, measure: measure.value, bins: 5 });
    const both = await f.run(() => Promise.all([ask("closed"), ask("retrieval")]), { key: "compare" });
    if (!both) return;
    const [c, r] = both;
    dl.update(c.bins); dr.update(r.bins);
    const closed = new Map(c.points.map((p) => [p.id, p.correct]));
    const fixedIds = r.points.filter((p) => p.correct && closed.get(p.id) === false).length;
    const broken = r.points.filter((p) => !p.correct && closed.get(p.id) === true).length;
    const answers = (n) => `${n} ${n === 1 ? "answer" : "answers"}`;
    changed.replaceChildren(h("p", { text: `With the fact, ${answers(fixedIds)} went from wrong to right and ${answers(broken)} from right to wrong.` }),
      contradictions(r));
    f.setReadout([
      { label: "accuracy", value: `${pct(c.accuracy)} → ${pct(r.accuracy)}` },
      { label: "mean confidence", value: `${pct(c.mean_confidence)} → ${pct(r.mean_confidence)}` },
      { label: "expected calibration error", value: `${pct(c.ece)} → ${pct(r.ece)}` },
      { label: "confidently wrong", value: `${c.confident_wrong.length} → ${r.confident_wrong.length}` },
      { label: "contradicted the given fact", value: `${r.contradicted.length} of ${r.n} (${pct(r.contradicted.length / r.n)})` },
    ]);
    f.hood({ closed: c, retrieval: r });
  }
}

export const demos = { ask, reliability: reliabilityDemo, abstain: abstainDemo, retrieval: retrievalDemo };
