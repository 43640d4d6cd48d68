// Text as a strip of tokens, each on a soft tint (or a given colour), with
// its id on hover and focus. Spaces and newlines are made visible.
// tokenStrip(container, {onPick}) -> {update(tokens, selected)}; tokens = [{text, id?, title?, color?}]

import { tokenClass, textOn } from "./color.js";

export function visible(text) {
  return text.replace(/ /g, "·").replace(/\n/g, "↵").replace(/\t/g, "→");
}

export function tokenStrip(container, { onPick = null, label = "Tokens" } = {}) {
  const strip = document.createElement("div");
  strip.className = "tokens";
  strip.setAttribute("role", onPick ? "listbox" : "list");
  strip.setAttribute("aria-label", label);
  container.append(strip);
  function update(tokens, selected = null) {
    strip.replaceChildren(...tokens.map((t, i) => {
      const span = document.createElement("span");
      span.className = `token ${t.color ? "" : tokenClass(i)}${i === selected ? " selected" : ""}`;
      span.textContent = visible(t.text);
      span.title = t.title ?? (t.id !== undefined ? `id ${t.id}` : "");
      span.dataset.index = i;
      if (t.id !== undefined) span.dataset.id = t.id;
      if (t.color) { span.style.background = t.color; span.style.color = textOn(t.color); }
      span.setAttribute("role", onPick ? "option" : "listitem");
      if (onPick) {
        span.tabIndex = 0;
        span.setAttribute("aria-selected", String(i === selected));
        span.addEventListener("click", () => onPick(i, t));
        span.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(i, t); } });
      }
      return span;
    }));
  }
  return { el: strip, update };
}
