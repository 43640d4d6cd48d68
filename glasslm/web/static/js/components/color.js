// The guide's colour scales, read from the CSS custom properties so they
// follow the light/dark theme. Signed values: blue - neutral - orange.
// Probabilities/attention: background to full accent. Tokens: soft tints.

// The current value of a CSS custom property ("--accent") in the theme shown. Read once per theme: a heat map colours thousands of cells, and getComputedStyle per cell
// took seconds. Keyed by the theme the page shows, so a theme change reads them afresh.
const varCache = new Map();
export function cssVar(name) {
  const key = `${document.documentElement.dataset.theme}|${name}`;
  if (!varCache.has(key)) varCache.set(key, getComputedStyle(document.documentElement).getPropertyValue(name).trim());
  return varCache.get(key);
}

const mixers = new Map();
function mix(a, b, t) {
  const key = `${a}|${b}`;
  if (!mixers.has(key)) mixers.set(key, window.d3.interpolateRgb(a, b));
  return mixers.get(key)(Math.max(0, Math.min(1, t)));
}

export function diverging(value, maxAbs) {
  const m = maxAbs > 0 ? maxAbs : 1;
  const t = Math.max(-1, Math.min(1, value / m));
  return t < 0 ? mix(cssVar("--zero"), cssVar("--neg"), -t) : mix(cssVar("--zero"), cssVar("--pos"), t);
}

export function sequential(p) {
  return mix(cssVar("--seq-0"), cssVar("--seq-1"), p);
}

export function series(i) {
  return cssVar(`--s${(i % 6) + 1}`);
}

export const TOKEN_TINTS = 6;
export function tokenClass(i) {
  return `token-${(i % TOKEN_TINTS) + 1}`;
}

// Text colour readable on a given background (WCAG relative luminance).
export function textOn(background) {
  const c = window.d3.rgb(background);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const L = 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  return L > 0.4 ? "#111" : "#fff";
}

// Redraw callbacks when the theme changes, so canvases repaint in new colours.
const listeners = new Set();
export function onThemeChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function themeChanged() { varCache.clear(); listeners.forEach((fn) => fn()); }
