// The serving chapter: speculative decoding, live. The learner's prompt is answered
// greedily twice on this server, plainly and with a prompt-lookup draft; each verify
// pass arrives as one event: the drafted tokens the model kept (green), the ones it
// rejected (struck through) and the model's own token. Every number comes from the job.

import { getJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { numberInput, slider, textInput, segmented } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { fixed, count, bytes, pct } from "/static/js/components/format.js";

const API = "/api/serving";
const PRESETS = {
  quote: "Repeat the following paragraph exactly, word for word:\n\nThe old lighthouse keeper climbed the spiral stairs "
    + "every evening to light the great lamp. Every morning he wrote the weather in a small blue notebook: the wind, "
    + "the clouds and the ships that passed. After forty years the notebooks filled a whole shelf.",
  free: "Write a short story about a robot who learns to paint.",
};
const secs = (s) => (Number.isFinite(s) ? `${fixed(s, 2)} s` : "–");

export async function speculate(el) {
  const f = demoFrame(el, { title: "The same answer, with and without speculation",
    sources: ["glasslm.engine.inference.speculative:prompt_lookup_draft", "glasslm.engine.inference.speculative:verify",
      "glasslm.engine.inference.speculative:speculative_generate", "glasslm.engine.inference.speculative:SpeculationGovernor"] });
  const limits = await f.run(() => getJSON(`${API}/speculate/limits`));
  if (!limits) return;
  const text = textInput({ label: "Prompt (sent as a chat message)", field: "text", value: PRESETS.quote, multiline: true,
    rows: 4, maxlength: limits.max_chars });
  const preset = segmented({ label: "Preset", options: [["quote", "Quotes itself"], ["free", "Open-ended"]], value: "quote",
    onchange: (v) => { text.value = PRESETS[v]; } });
  const k = slider({ label: "Draft length k", field: "k", min: 1, max: limits.max_k, step: 1, value: limits.default_k,
    format: (v) => `${v} tokens` });
  const maxTokens = numberInput({ label: `New tokens (limit ${limits.max_tokens})`, field: "max_tokens",
    value: limits.default_tokens, min: 1, max: limits.max_tokens, step: 1 });
  const jb = jobButtons(f, "Race", () => run());
  f.add(preset.el, text.el, k.el, maxTokens.el, jb.row);

  const plainBox = h("div", { class: "sp-text", "aria-live": "off", "aria-label": "plain decoding's reply" });
  const specBox = h("div", { class: "sp-text", "aria-live": "off", "aria-label": "speculative decoding's reply" });
  const plainHead = h("h4", { text: "Plain decoding: one pass per token" });
  const specHead = h("h4", { text: "Speculative decoding: one pass per group" });
  const legend = h("p", { class: "sv-what" }, h("span", { class: "sp-acc", text: "drafted and kept" }), " ",
    h("span", { class: "sp-rej", text: "drafted and rejected" }), " ", h("span", { class: "sp-own", text: "the model's own token" }),
    "; a thin line separates forward passes.");
  f.picture.append(h("div", { class: "sp-pair" }, h("div", {}, plainHead, plainBox), h("div", {}, specHead, specBox)), legend);

  let state = null;
  function readout() {
    const s = state;
    f.setReadout([
      { label: "plain: wall time", value: secs(s.plain?.seconds) },
      { label: "speculative: wall time", value: secs(s.spec?.seconds) },
      { label: "speed-up", value: s.summary ? `${fixed(s.summary.speedup, 2)}×` : "–" },
      { label: "acceptance rate", value: s.spec ? (s.spec.drafted ? pct(s.spec.accepted / s.spec.drafted, 0) : "no drafts") : "–" },
      { label: "tokens per forward pass", value: s.passes ? fixed(s.tokens / s.passes, 2) : "–" },
      { label: "weights read per token", value: s.summary ? `${bytes(s.summary.bytes_per_token_plain)} → ${bytes(s.summary.bytes_per_token_spec)}` : "–" },
      { label: "plain decode bandwidth", value: s.summary?.plain_gb_s ? `${fixed(s.summary.plain_gb_s, 1)} GB/s` : "–" },
      { label: "plain decode speed", value: s.plain?.decode_tokens_per_s ? `${fixed(s.plain.decode_tokens_per_s, 1)} tokens/s` : "–" },
    ]);
  }

  async function run() {
    const body = { text: text.value, k: k.value, max_tokens: maxTokens.value };
    state = { plain: null, spec: null, summary: null, passes: 0, tokens: 0, events: [] };
    plainBox.replaceChildren(); specBox.replaceChildren();
    readout();
    await jb.follow(`${API}/speculate`, body, {
      progress: "Prefilling…", keepStatus: true,
      onStarted: () => f.setStatus("Plain decoding…"),
      onEvent: (e) => {
        if (e.type === "plain") plainBox.append(h("span", { class: "sp-tok", text: e.text }));
        else if (e.type === "plain-done") { state.plain = e; f.setStatus("Speculative decoding…"); }
        else if (e.type === "step") {
          state.passes += 1; state.tokens += e.tokens.length;
          const pass = h("span", { class: "sp-pass", "data-accepted": String(e.accepted) });
          e.texts.slice(0, e.accepted).forEach((t) => pass.append(h("span", { class: "sp-acc", text: t })));
          const rejected = e.drafted_texts.slice(e.accepted).join("");  // thrown away from the first rejection on
          if (rejected) pass.append(h("span", { class: "sp-rej", text: rejected, title: "rejected draft" }));
          e.texts.slice(e.accepted).forEach((t) => pass.append(h("span", { class: "sp-own", text: t })));
          specBox.append(pass);
        } else if (e.type === "spec-done") state.spec = e;
        else if (e.type === "summary") state.summary = e;
        if (e.type !== "plain") readout();
      },
      onDone: (end) => {
        if (end.status !== "done") return;
        const s = state;
        f.setStatus(!s.spec ? "" : s.spec.identical ? "Identical text both ways, token for token."
          : "The two replies differ: please report this, it is a bug.");
        f.hood({ request: body, plain: s.plain, speculative: s.spec, summary: s.summary });
      },
    });
  }
}
