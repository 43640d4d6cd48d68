// "Model: [default] [your model: NAME]": which tiny GPT a demo runs. The learner's models
// (trained in Train a GPT, uploaded there, or given to `glasslm serve --model`) come from
// /api/my-models (glasslm/web/my_models.py); the demo sends the picked id as its `model`
// field ("default" for the chapter's own). With no model yet, the picker says how to get one.
// `needsNames`: the demo only makes sense with the names vocabulary (26 lowercase letters),
// so a model trained on other text is shown but cannot be picked, and the note says why.

import { getJSON } from "../api.js";
import { h } from "./demo.js";
import { count } from "./format.js";

export const DEFAULT_MODEL = "default";
const CHANGED = "glasslm:my-models";

// Tell every picker on the page that the learner's models changed (a run ended, an upload).
export function modelsChanged() { document.dispatchEvent(new CustomEvent(CHANGED)); }
export function onModelsChanged(fn) { document.addEventListener(CHANGED, fn); }

export function modelPicker({ label = "Model", field = "model", defaultLabel = "default", needsNames = false, onchange } = {}) {
  const group = h("div", { class: "segmented model-picker", role: "group", "aria-label": label });
  const note = h("p", { class: "model-note" });
  const el = h("div", { class: "control", "data-field": field },
    h("span", { class: "control-label", text: label }), group, note);
  let value = DEFAULT_MODEL, models = [];

  function pressed() {
    for (const b of group.children) b.setAttribute("aria-pressed", String(b.dataset.value === value));
  }
  function choose(v) {
    if (v === value) return;
    value = v; pressed(); onchange?.(v, picker.entry);
  }
  function option(v, text, { disabled = false, title = null } = {}) {
    const b = h("button", { type: "button", "data-value": v, text, disabled, title });
    b.addEventListener("click", () => choose(v));
    return b;
  }
  function draw() {
    const buttons = [option(DEFAULT_MODEL, defaultLabel)];
    models.forEach((m, i) => {
      const unusable = needsNames && !m.names_vocab;
      const who = m.origin === "server" ? "served model" : i === 0 ? "your model" : "yours";
      buttons.push(option(m.id, `${who}: ${m.name}`, {
        disabled: unusable,
        title: unusable ? "This demo needs a model trained on names" : `${count(m.n_params)} parameters`,
      }));
    });
    group.replaceChildren(...buttons);
    pressed();
    const link = h("a", { href: "/chapters/train-a-gpt#your-model", text: "Train a GPT" });
    if (!models.length) {
      note.replaceChildren("No model of yours yet: train one (or upload one) in ", link,
        ", and it appears here. It is kept while this server runs.");
    } else if (needsNames && models.some((m) => !m.names_vocab)) {
      note.replaceChildren("This demo needs a model trained on names (26 lowercase letters); a model trained "
        + "on other text works in the demos that accept any characters.");
    } else {
      note.replaceChildren("Your models are kept while this server runs; download one in ", link, " to keep it.");
    }
  }
  async function refresh() {
    const d = await getJSON("/api/my-models");
    models = d.models;
    if (value !== DEFAULT_MODEL && !models.some((m) => m.id === value && !(needsNames && !m.names_vocab))) {
      value = DEFAULT_MODEL;  // gone (replaced, or the server restarted): back to the default
      onchange?.(value, null);
    }
    draw();
    return models;
  }
  // A learner who trains in another tab and comes back finds the new model offered.
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh().catch(() => {}); });
  onModelsChanged(() => refresh().catch(() => {}));
  draw();

  const picker = {
    el, refresh,
    get value() { return value; },
    set value(v) { value = v; pressed(); },
    get entry() { return models.find((m) => m.id === value) || null; },
    get models() { return models; },
  };
  return picker;
}
