// An 8x8 grid of pixels (ink 0-16, as scikit-learn's digits) that a learner can
// draw on with a mouse, a finger or the keyboard, and that can show a digit.
// drawGrid(container, {onchange, label}) -> {el, pixels, set(pixels), clear()}
// Keyboard: arrows move the cursor, Space or Enter inks, Delete or Backspace erases, C clears.

import { h } from "/static/js/components/demo.js";

const SIDE = 8, FULL = 16, SOFT = 6;  // a stroke inks its cell fully and its 4 neighbours a little

export function inkStyle(v) {
  const p = Math.round((100 * Math.max(0, Math.min(FULL, v))) / FULL);
  return `color-mix(in srgb, var(--text) ${p}%, var(--surface))`;
}

export function drawGrid(container, { onchange = () => {}, label = "Drawing grid" } = {}) {
  let pixels = new Array(SIDE * SIDE).fill(0);
  let cursor = 27, erasing = false, down = false;
  const cells = pixels.map((_, i) => h("div", { class: "dg-cell", "data-i": i }));
  const el = h("div", { class: "dg", tabindex: 0, role: "application",
    "aria-label": `${label}: 8 by 8 pixels. Arrow keys move, Space inks, Delete erases, C clears.` }, ...cells);
  container.append(el);

  function paint() {
    cells.forEach((c, i) => {
      c.style.background = inkStyle(pixels[i]);
      c.classList.toggle("dg-cursor", i === cursor && el.matches(":focus-visible"));
    });
  }
  function ink(i, erase) {
    const r = Math.floor(i / SIDE), c = i % SIDE;
    if (erase) { pixels[i] = 0; return; }
    pixels[i] = FULL;
    for (const [dr, dc] of [[0, 1], [0, -1], [1, 0], [-1, 0]]) {
      const rr = r + dr, cc = c + dc;
      if (rr >= 0 && rr < SIDE && cc >= 0 && cc < SIDE) pixels[rr * SIDE + cc] = Math.min(FULL, pixels[rr * SIDE + cc] + SOFT);
    }
  }
  function cellAt(e) {
    const t = document.elementFromPoint(e.clientX, e.clientY);
    return t && t.classList.contains("dg-cell") && el.contains(t) ? Number(t.dataset.i) : null;
  }
  function stroke(e) {
    const i = cellAt(e);
    if (i === null) return;
    cursor = i;
    ink(i, erasing);
    paint();
    onchange(pixels.slice());
  }
  el.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    el.focus({ preventScroll: true });
    down = true;
    erasing = e.button === 2 || e.shiftKey;
    stroke(e);
  });
  el.addEventListener("pointermove", (e) => { if (down) stroke(e); });
  for (const end of ["pointerup", "pointercancel", "pointerleave"]) el.addEventListener(end, () => { down = false; });
  el.addEventListener("contextmenu", (e) => e.preventDefault());
  el.addEventListener("keydown", (e) => {
    const r = Math.floor(cursor / SIDE), c = cursor % SIDE;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      const [dr, dc] = moves[e.key];
      cursor = Math.max(0, Math.min(SIDE - 1, r + dr)) * SIDE + Math.max(0, Math.min(SIDE - 1, c + dc));
      e.preventDefault();
      e.stopPropagation();  // arrows draw here, they do not turn the page
      paint();
      return;
    }
    if (e.key === " " || e.key === "Enter" || e.key === "Delete" || e.key === "Backspace") {
      ink(cursor, e.key === "Delete" || e.key === "Backspace");
    } else if (e.key === "c" || e.key === "C") {
      pixels.fill(0);
    } else return;
    e.preventDefault();
    paint();
    onchange(pixels.slice());
  });
  el.addEventListener("focus", paint);
  el.addEventListener("blur", paint);
  paint();
  return {
    el,
    get pixels() { return pixels.slice(); },
    set(p) { pixels = p.slice(); paint(); },
    clear() { pixels.fill(0); paint(); onchange(pixels.slice()); },
  };
}
