// What every glasslm widget's front end shares: the root class that scopes the guide's CSS,
// setting a trait back in the kernel, and showing the kernel's refusal sentence (the `error` trait).

import { h } from "/static/js/components/demo.js";

export function widgetRoot(el) {
  el.classList.add("glasslm-widget");
  el.replaceChildren();
  return el;
}

// Set traits and send them to the kernel, which recomputes and answers with new state.
export function setTraits(model, values) {
  for (const [k, v] of Object.entries(values)) model.set(k, v);
  model.save_changes();
}

// The trait `error` as a sentence under the controls (hidden when empty).
export function errorLine(model) {
  const el = h("div", { class: "demo-error", role: "alert" });
  const show = () => { el.textContent = model.get("error"); el.hidden = !model.get("error"); };
  model.on("change:error", show);
  show();
  return { el, off: () => model.off("change:error", show) };
}

// Listen to traits; returns a function that stops listening (anywidget calls it when the view goes).
export function listen(model, handlers) {
  const pairs = Object.entries(handlers).map(([name, fn]) => [`change:${name}`, fn]);
  pairs.forEach(([e, fn]) => model.on(e, fn));
  return () => pairs.forEach(([e, fn]) => model.off(e, fn));
}

export function range(n) {
  return Array.from({ length: n }, (_, i) => [String(i), String(i)]);
}
