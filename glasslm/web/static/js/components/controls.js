// Labelled controls. Each carries data-field = the API field it sets, so an
// error about that field appears right beside it.

import { h } from "./demo.js";

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

// A slider with its live value. format(v) -> text shown beside the label.
export function slider({ label, field, min, max, step = "any", value, format = (v) => String(v), oninput, onchange }) {
  const id = nextId("slider");
  const out = h("output", { class: "value", for: id });
  const input = h("input", { type: "range", id, min, max, step, value, "aria-label": label });
  const wrap = h("div", { class: "control", "data-field": field || null },
    h("label", { for: id }, h("span", { text: label }), out), input);
  const show = () => { out.textContent = format(Number(input.value)); input.setAttribute("aria-valuetext", out.textContent); };
  input.addEventListener("input", () => { show(); oninput?.(Number(input.value)); });
  input.addEventListener("change", () => onchange?.(Number(input.value)));
  show();
  return {
    el: wrap, input,
    get value() { return Number(input.value); },
    set value(v) { input.value = v; show(); },
  };
}

export function numberInput({ label, field, value, min, max, step = "any", onchange }) {
  const id = nextId("num");
  const input = h("input", { type: "number", id, value, min, max, step, inputmode: "decimal" });
  const wrap = h("div", { class: "control", "data-field": field || null }, h("label", { for: id, text: label }), input);
  input.addEventListener("change", () => onchange?.(input.value === "" ? NaN : Number(input.value)));
  return { el: wrap, input, get value() { return input.value === "" ? NaN : Number(input.value); }, set value(v) { input.value = v; } };
}

export function textInput({ label, field, value = "", placeholder = "", multiline = false, rows = 3, maxlength = null, oninput, onenter }) {
  const id = nextId("text");
  const input = multiline
    ? h("textarea", { id, rows, placeholder, maxlength, spellcheck: "false" })
    : h("input", { type: "text", id, placeholder, maxlength, spellcheck: "false", autocomplete: "off" });
  input.value = value;
  const wrap = h("div", { class: "control", "data-field": field || null }, h("label", { for: id, text: label }), input);
  input.addEventListener("input", () => oninput?.(input.value));
  if (onenter) input.addEventListener("keydown", (e) => { if (e.key === "Enter" && (!multiline || e.ctrlKey || e.metaKey)) { e.preventDefault(); onenter(input.value); } });
  return { el: wrap, input, get value() { return input.value; }, set value(v) { input.value = v; } };
}

export function select({ label, field, options, value, onchange }) {
  const id = nextId("select");
  const input = h("select", { id }, ...options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    return h("option", { value: v, text });
  }));
  if (value !== undefined) input.value = value;
  const wrap = h("div", { class: "control", "data-field": field || null }, h("label", { for: id, text: label }), input);
  input.addEventListener("change", () => onchange?.(input.value));
  return { el: wrap, input, get value() { return input.value; }, set value(v) { input.value = v; } };
}

// A row of toggle buttons, one pressed at a time.
export function segmented({ label, field, options, value, onchange }) {
  const group = h("div", { class: "segmented", role: "group", "aria-label": label });
  const buttons = options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const b = h("button", { type: "button", "data-value": v, "aria-pressed": String(v === value), text });
    b.addEventListener("click", () => { set(v); onchange?.(v); });
    return b;
  });
  group.append(...buttons);
  function set(v) { value = v; buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.value === String(v)))); }
  const wrap = h("div", { class: "control", "data-field": field || null }, h("span", { class: "control-label", text: label }), group);
  return { el: wrap, get value() { return value; }, set value(v) { set(v); } };
}

export function button(text, onclick, { primary = false, label = null } = {}) {
  return h("button", { type: "button", class: primary ? "primary" : null, "aria-label": label, onclick, text });
}

export function buttonRow(...buttons) {
  return h("div", { class: "button-row" }, ...buttons);
}

// A determinate progress bar for a job that reports how far it got; `label` names it for screen readers.
// {el, set(done, total), reset(), show(on)}; `hidden` keeps it out of sight until show(true).
export function progressBar(label, { hidden = false } = {}) {
  const bar = h("progress", { class: "progress-bar", max: 1, value: 0, hidden, "aria-label": label });
  return {
    el: bar,
    set(done, total) { bar.max = total; bar.value = done; },
    reset() { bar.value = 0; },
    show(on) { bar.hidden = !on; },
  };
}
