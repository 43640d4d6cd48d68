// The evaluation chapter: the demos only draw what /api/evaluation/* returns.
// "choice" scores one question's options; "formats" runs the question set in
// several prompt formats as a job; "contamination" reads a passage twice;
// "arena" turns the learner's votes into Elo and Bradley-Terry ratings.

import { getJSON, postJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { slider, textInput, select, segmented, button, buttonRow } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { lineChart } from "/static/js/components/linechart.js";
import { sequential, textOn } from "/static/js/components/color.js";
import { pct, fixed, count, seconds, signed } from "/static/js/components/format.js";

const API = "/api/evaluation";
const LETTERS = "ABCD";
const DEFAULT_QUESTION = 3; // the plants question: the right option, " carbon dioxide", is the only two-token one
const FORMAT_NAMES = { cloze: "Cloze (score the option's words)", letters: "Letters A-D (score the letter)",
  chat: "Chat template + letter" };
const OWN = "own", NO_ANSWER = "none";
let questionsP = null;
const loadQuestions = () => (questionsP ??= getJSON(`${API}/questions`));

// ---------------------------------------------------------------- one question
function choice(el) {
  const f = demoFrame(el, { title: "Score the options by their likelihood",
    sources: ["glasslm.engine.evaluation.choice_scoring:continuation_logprobs", "glasslm.engine.evaluation.choice_scoring:prompt_for",
      "glasslm.engine.evaluation.choice_scoring:ChoiceScores.pick"] });
  const pick = select({ label: "Question", field: "pick", value: "0", options: [["0", "…"]], onchange: () => fill() });
  // Editing the question or an option makes it the learner's own: the preset's right option no longer applies.
  const own = () => {
    if (pick.value === OWN) return;
    pick.input.querySelector(`option[value="${OWN}"]`).hidden = false;
    pick.value = OWN;
    answer.value = NO_ANSWER;
    // The preset's scores, marked against its right option, must not stand beside the learner's question.
    table.replaceChildren();
    ctx.update([]);
    f.setReadout([]);
    f.setStatus("Your own question: say which option is right if you know it, then press Score.");
  };
  const question = textInput({ label: "Question text", field: "question", value: "", maxlength: 300, oninput: own });
  const opts = [0, 1, 2, 3].map((k) => textInput({ label: `Option ${LETTERS[k]}`, field: k === 0 ? "options" : null, value: "",
    maxlength: 60, oninput: own }));
  const answer = select({ label: "The right option", field: "answer", value: NO_ANSWER,
    options: [[NO_ANSWER, "not said"], ...[0, 1, 2, 3].map((k) => [String(k), LETTERS[k]])] });
  const fmt = segmented({ label: "Prompt format", field: "format", value: "cloze",
    options: [["cloze", "Cloze"], ["letters", "Letters"], ["chat", "Chat"]], onchange: () => score() });
  f.add(pick.el, question.el, ...opts.map((o) => o.el), answer.el, fmt.el, buttonRow(button("Score", () => score(), { primary: true })));
  const ctxBox = h("div", { class: "ev-context" });
  const ctx = tokenStrip(ctxBox, { label: "The context the model reads" });
  const table = h("table", { class: "terms num ev-options", "aria-label": "each option's log-probability" });
  f.picture.append(h("p", { class: "ev-caption", text: "The context (the model reads this, then each option in turn):" }), ctxBox, h("div", { class: "scroll-x" }, table));

  let qs = [];
  function fill() {
    const q = qs[Number(pick.value)];
    if (!q) return;
    pick.input.querySelector(`option[value="${OWN}"]`).hidden = true;
    question.value = q.question;
    opts.forEach((o, k) => { o.value = q.options[k] ?? ""; });
    answer.value = String(q.answer);
    score();
  }
  // a token's chip: its probability as the background, and a text colour readable on it (the page's
  // text colour was light on a chip coloured while the page was light, after a switch to dark)
  const chip = (p) => { const bg = sequential(p); return `background:${bg};color:${textOn(bg)}`; };
  async function score() {
    const options = opts.map((o) => o.value).filter((v, k) => k < 2 || v.trim() !== "");
    const body = { question: question.value, options, format: fmt.value,
      answer: answer.value === NO_ANSWER ? null : Number(answer.value) };
    const d = await f.run(() => postJSON(`${API}/score`, body), { key: "score", progress: "SmolLM2 is reading the question and each option…" });
    if (!d) return;
    ctx.update(d.context.map((t) => ({ text: t.text, id: t.id })));
    table.replaceChildren(h("tr", {}, h("th", { text: "option" }), h("th", { text: "scored tokens (log p each)" }),
      h("th", { text: "sum" }), h("th", { text: "mean per token" }), h("th", { text: "share (by sum)" })),
      ...d.options.map((o, k) => h("tr", { "data-option": LETTERS[k], class: k === d.answer ? "ev-answer" : "" },
        h("td", { text: `${LETTERS[k]}${k === d.answer ? " ✓" : ""}` }),
        h("td", { class: "mono ev-toks" }, ...o.tokens.map((t, i) => h("span", { class: "ev-tok", style: chip(Math.exp(o.logprobs[i])),
          title: `p = ${pct(Math.exp(o.logprobs[i]))}`, text: `${t.text.replace(/ /g, "·")} ${fixed(o.logprobs[i], 2)}` }))),
        h("td", { class: k === d.pick_sum ? "ev-pick" : "", text: fixed(o.sum, 3) }),
        h("td", { class: k === d.pick_mean ? "ev-pick" : "", text: fixed(o.mean, 3) }),
        h("td", { text: pct(d.probs_sum[k]) }))));
    // Right or wrong only against a right option someone said: the learner's, or the preset's.
    const verdict = (p) => d.answer === null ? `${LETTERS[p]}: ${options[p]}` : `${LETTERS[p]} (${p === d.answer ? "right" : "wrong"})`;
    f.setReadout([
      { label: "pick by sum", value: verdict(d.pick_sum) },
      { label: "pick by mean", value: verdict(d.pick_mean) },
      { label: "right option", value: d.answer === null ? "not said: no pick is marked right or wrong" : LETTERS[d.answer] },
      { label: "time", value: seconds(d.seconds) },
    ]);
    f.hood(d);
  }
  loadQuestions().then((d) => {
    qs = d.questions;
    pick.input.replaceChildren(...qs.map((q, i) => h("option", { value: String(i), text: `${i + 1}. ${q.question}` })),
      h("option", { value: OWN, text: "Your own question", hidden: true }));
    pick.value = String(DEFAULT_QUESTION); // options of different lengths: sum and mean can disagree
    fill();
  }).catch((e) => f.setError(e.message));
}

// ---------------------------------------------------------------- formats
function formats(el) {
  const f = demoFrame(el, { title: "The same questions in three formats",
    sources: ["glasslm.engine.evaluation.choice_scoring:score_question", "glasslm.engine.evaluation.choice_scoring:accuracy"] });
  const which = select({ label: "Formats", field: "formats", value: "all", options: [["all", "All three"],
    ["cloze", "Cloze only"], ["letters", "Letters only"], ["chat", "Chat only"]] });
  const jobs = jobButtons(f, "Run the benchmark", () => run());
  f.add(which.el, jobs.row, h("p", { class: "ev-eta", text: "12 questions × 4 options per format: about 5-20 s for all three." }));
  const summary = h("table", { class: "terms num ev-summary", "aria-label": "accuracy per format" });
  const grid = h("div", { class: "ev-grid" });
  f.picture.append(summary, grid);
  let acc = {}, chance = 0.25;

  function drawSummary() {
    summary.hidden = !Object.keys(acc).length;
    summary.replaceChildren(h("tr", {}, h("th", { text: "format" }), h("th", { text: "questions" }),
      h("th", { text: "accuracy by sum" }), h("th", { text: "accuracy by mean" })),
      ...Object.entries(acc).map(([fm, a]) => h("tr", { "data-format": fm }, h("td", { text: FORMAT_NAMES[fm] }),
        h("td", { text: String(a.n) }), h("td", { text: `${a.sum} of ${a.n} (${pct(a.n ? a.sum / a.n : 0, 0)})` }),
        h("td", { text: `${a.mean} of ${a.n} (${pct(a.n ? a.mean / a.n : 0, 0)})` }))));
  }
  function onEvent(ev) {
    if (ev.type === "start") {
      acc = {}; grid.replaceChildren(); drawSummary();
    } else if (ev.type === "question") {
      if (!acc[ev.format]) {
        acc[ev.format] = { n: 0, sum: 0, mean: 0 };
        grid.append(h("h4", { text: FORMAT_NAMES[ev.format] }));
      }
      const a = acc[ev.format];
      a.n += 1; a.sum += ev.pick_sum === ev.answer ? 1 : 0; a.mean += ev.pick_mean === ev.answer ? 1 : 0;
      drawSummary();
      grid.append(h("div", { class: "ev-q", "data-format": ev.format },
        h("span", { class: "ev-qtext", text: `${ev.index + 1}. ${ev.question}` }),
        h("span", { class: `ev-mark ${ev.pick_sum === ev.answer ? "ev-right" : "ev-wrong"}`,
          text: `${LETTERS[ev.pick_sum]}: ${ev.options[ev.pick_sum]} ${ev.pick_sum === ev.answer ? "✓" : `✗ (right: ${LETTERS[ev.answer]})`}` })));
      f.setStatus(`${FORMAT_NAMES[ev.format]}: question ${ev.index + 1} of 12…`);
    } else if (ev.type === "done") {
      chance = ev.chance;
      f.setStatus("");
      f.setReadout([...Object.entries(ev.summary).map(([fm, s]) => ({ label: fm, value: `${pct(s.accuracy_sum, 0)} by sum, ${pct(s.accuracy_mean, 0)} by mean` })),
        { label: "chance", value: pct(chance, 0) }, { label: "time", value: seconds(ev.seconds) }]);
      f.hood(ev);
    }
  }
  async function run() {
    const body = { formats: which.value === "all" ? ["cloze", "letters", "chat"] : [which.value] };
    await jobs.follow(`${API}/benchmark`, body, { onEvent, keepStatus: true });
  }
  drawSummary();
  f.setStatus("Press “Run the benchmark”: each question's pick appears as it is scored.");
}

// ---------------------------------------------------------------- contamination
const PASSAGES = {
  famous: "We hold these truths to be self-evident, that all men are created equal, that they are endowed by their Creator with certain unalienable Rights, that among these are Life, Liberty and the pursuit of Happiness.",
  fresh: "The lighthouse keeper painted her boat green every April, because the gulls on Marrow Island seemed to avoid anything that colour.",
};

function contamination(el) {
  const f = demoFrame(el, { title: "A text the model has seen is easy to predict",
    sources: ["glasslm.engine.evaluation.choice_scoring:seen_twice", "glasslm.engine.evaluation.choice_scoring:continuation_logprobs"] });
  const text = textInput({ label: "Passage", field: "text", value: PASSAGES.fresh, multiline: true, rows: 4, maxlength: 1200 });
  f.add(text.el, buttonRow(button("Measure", () => measure(), { primary: true }),
    button("A famous text", () => { text.value = PASSAGES.famous; measure(); }),
    button("A new text", () => { text.value = PASSAGES.fresh; measure(); })));
  const rows = h("div", { class: "ev-seen" });
  f.picture.append(rows);

  function strip(title, tokens, lps) {
    const box = h("div", { class: "ev-strip" }, h("h4", { text: title }));
    tokenStrip(box, { label: title }).update(tokens.map((t, i) => ({ text: t.text, id: t.id,
      color: sequential(Math.min(1, -lps[i] / 8)), title: `loss ${fixed(-lps[i], 2)} nats (p = ${pct(Math.exp(lps[i]))})` })));
    return box;
  }
  async function measure() {
    const d = await f.run(() => postJSON(`${API}/contamination`, { text: text.value }), { progress: "SmolLM2 is reading the passage twice…" });
    if (!d) return;
    rows.replaceChildren(
      h("p", { class: "ev-caption", text: "Darker = higher loss (less expected). Hover a token for its loss." }),
      strip(`Read fresh: ${fixed(d.fresh_loss, 2)} nats per token`, d.tokens, d.fresh),
      strip(`Read again, right after itself: ${fixed(d.seen_loss, 2)} nats per token`, d.tokens, d.seen));
    f.setReadout([
      { label: "loss fresh", value: `${fixed(d.fresh_loss, 2)} nats/token` },
      { label: "loss seen", value: `${fixed(d.seen_loss, 2)} nats/token` },
      { label: "seen / fresh", value: pct(d.ratio, 0) },
      { label: "tokens", value: count(d.tokens.length) },
    ]);
    f.hood(d);
  }
  measure();
}

// ---------------------------------------------------------------- arena
function arena(el) {
  const f = demoFrame(el, { title: "Vote, and watch the ratings move",
    sources: ["glasslm.engine.evaluation.elo:update", "glasslm.engine.evaluation.elo:elo_history", "glasslm.engine.evaluation.elo:bradley_terry"] });
  const prompt = textInput({ label: "Prompt for both", field: "prompt", value: "Why is the sky blue?", multiline: true, rows: 2, maxlength: 300 });
  const k = slider({ label: "Elo K", field: "k", min: 4, max: 64, step: 4, value: 32, format: (v) => `${v} points`, onchange: () => rate() });
  const jobs = jobButtons(f, "New match", () => match());
  const voteA = button("A is better", () => vote("a"));
  const voteB = button("B is better", () => vote("b"));
  const tie = button("Tie", () => vote("tie"));
  const voteRow = buttonRow(voteA, tie, voteB);
  [voteA, voteB, tie].forEach((b) => { b.disabled = true; });
  const another = button("Another prompt", () => {
    const ps = players?.prompts ?? [];
    prompt.value = ps[(ps.indexOf(prompt.value) + 1) % ps.length] ?? prompt.value;
  });
  f.add(prompt.el, buttonRow(another), jobs.row, k.el);
  const sides = h("div", { class: "ev-sides" });
  const boxes = {};
  for (const s of ["a", "b"]) {
    const box = h("div", { class: "ev-side", "data-side": s }, h("h4", { text: `Answer ${s.toUpperCase()}` }));
    const who = h("p", { class: "ev-who", text: "" });
    const text = h("p", { class: "ev-answer-text", "aria-label": `Answer ${s.toUpperCase()}` });
    const cut = h("p", { class: "ev-cut", hidden: true });
    box.append(who, text, cut);
    boxes[s] = { box, who, text, cut };
    sides.append(box);
  }
  const board = h("table", { class: "terms num ev-board", "aria-label": "ratings" });
  const chartBox = h("div", { class: "ev-chart" });
  f.picture.append(sides, voteRow, h("div", { class: "scroll-x" }, board), chartBox);  // on a phone the table scrolls, not the page
  const chart = lineChart(chartBox, { xLabel: "vote", yLabel: "Elo rating", height: 200, xIntegers: true,
    series: ["greedy", "warm", "hot", "terse"].map((n) => ({ name: n })) });

  let players = null, current = null, votes = [], seed = 1, maxTokens = 0;
  function onEvent(ev) {
    if (ev.type === "start") {
      maxTokens = ev.max_tokens;
      for (const s of ["a", "b"]) {
        Object.assign(boxes[s], { n: 0 });
        boxes[s].text.textContent = ""; boxes[s].cut.hidden = true; boxes[s].who.textContent = "(hidden until you vote)";
      }
    } else if (ev.type === "token") {
      // Plain text as it is written (a byte-piece token shows for a moment; the finished answer replaces it).
      const b = boxes[ev.side];
      if (!ev.token.special) b.text.textContent += ev.token.text;
      b.n += 1;
      f.setStatus(`Writing answer ${ev.side.toUpperCase()}: ${b.n} tokens (it stops at its end, or at ${maxTokens})…`);
    } else if (ev.type === "answer_end") {
      const b = boxes[ev.side];
      b.text.textContent = ev.text;
      b.cut.hidden = ev.ended;
      b.cut.textContent = `(cut here: the answer reached the ${maxTokens}-token limit without ending)`;
    } else if (ev.type === "done") {
      f.setStatus("Which answer is better? Vote: the players' names appear after.");
      [voteA, voteB, tie].forEach((b) => { b.disabled = false; });
    }
  }
  async function match() {
    players ??= await loadPlayersSafe();
    if (!players) return;
    const names = Object.keys(players.players);
    const i = Math.floor(Math.random() * names.length);
    let j = Math.floor(Math.random() * (names.length - 1));
    if (j >= i) j += 1;
    current = { a: names[i], b: names[j] };
    [voteA, voteB, tie].forEach((b) => { b.disabled = true; });
    seed += 1;
    await jobs.follow(`${API}/arena/answers`, { prompt: prompt.value, a: current.a, b: current.b, seed }, { onEvent, keepStatus: true });
  }
  async function loadPlayersSafe() {
    return f.run(() => getJSON(`${API}/arena/players`));
  }
  async function vote(outcome) {
    if (!current) return;
    votes.push({ ...current, outcome });
    for (const s of ["a", "b"]) boxes[s].who.textContent = `${current[s]}: ${players.players[current[s]].about}`;
    [voteA, voteB, tie].forEach((b) => { b.disabled = true; });
    current = null;
    await rate();
    f.setStatus("Press “New match” for two more answers.");
  }
  async function rate() {
    const d = await f.run(() => postJSON(`${API}/arena/ratings`, { votes, k: k.value }), { key: "rate" });
    if (!d) return;
    const order = [...d.players].sort((x, y) => d.elo[y] - d.elo[x]);
    board.replaceChildren(h("tr", {}, h("th", { text: "player" }), h("th", { text: "Elo (your order)" }),
      h("th", { text: "Elo (votes reversed)" }), h("th", { text: "Bradley-Terry" }), h("th", { text: "won" })),
      ...order.map((p) => h("tr", { "data-player": p }, h("td", { text: p }), h("td", { text: fixed(d.elo[p], 0) }),
        h("td", { text: fixed(d.elo_reversed[p], 0) }), h("td", { text: fixed(d.bradley_terry[p], 0) }),
        h("td", { text: `${fixed(d.wins[p].wins, 1)} of ${d.wins[p].games}` }))));
    chartBox.hidden = d.votes === 0;
    d.players.forEach((p) => chart.set(p, d.history.map((r, n) => [n, r[p]])));
    f.setReadout([{ label: "votes", value: count(d.votes) }, { label: "K", value: `${d.k} points` },
      { label: "leader", value: d.votes ? `${order[0]} (${signed(d.elo[order[0]] - 1000, 0)})` : "none yet" }]);
    f.hood(d);
  }
  rate();
  f.setStatus("Press “New match”: two hidden SmolLM2 settings answer the prompt, each to its end or to 160 tokens "
    + "(up to about 20 s on a laptop).");
}

export const demos = { choice, formats, contamination, arena };
