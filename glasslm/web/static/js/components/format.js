// Numbers as the guide shows them: always with a unit or label, tabular figures.

export function pct(p, digits = null) {
  if (p === null || p === undefined || !Number.isFinite(p)) return "–";
  const v = 100 * p;
  const d = digits ?? (v >= 10 ? 1 : v >= 1 ? 2 : v >= 0.01 ? 3 : 4);
  if (v > 0 && v < 10 ** -d) return `<${(10 ** -d).toFixed(d)}%`;
  return `${v.toFixed(d)}%`;
}

export function fixed(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return x.toFixed(digits);
}

export function signed(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(digits);
}

export function count(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return Math.round(n).toLocaleString("en-US");
}

// 1234567 -> "1.23 M"; for big parameter counts and bytes.
export function compact(n, unit = "") {
  if (!Number.isFinite(n)) return "–";
  const steps = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
  for (const [v, s] of steps) if (Math.abs(n) >= v) return `${three(n / v)} ${s}${unit}`;
  return `${three(n)} ${unit}`.trim();
}

// Three significant figures, never in exponent notation (1010 -> "1010", 1.234 -> "1.23").
function three(x) {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

export function bytes(n) {
  if (!Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${three(n)} ${units[i]}`;
}

export function ms(seconds) {
  return `${(1000 * seconds).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
}

// Durations that may run to seconds: "840.0 ms" below a second, "26.4 s" above.
export function seconds(s) {
  return s >= 1 ? `${fixed(s, 1)} s` : ms(s);
}

const SUPERSCRIPT = { "-": "⁻", ".": "·", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

// "−0.076" as superscript characters, for exponents in plain text.
export const superscript = (text) => String(text).split("").map((c) => SUPERSCRIPT[c] ?? c).join("");

// 3.15e23 -> "3.15 × 10²³" (FLOP counts span twenty orders of magnitude); numbers
// in [plainFrom, plainTo) keep their plain form.
export function sci(x, digits = 3, { plainFrom = 1e-3, plainTo = 1e6 } = {}) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (x === 0 || (Math.abs(x) < plainTo && Math.abs(x) >= plainFrom)) return x.toPrecision(digits);
  const e = Math.floor(Math.log10(Math.abs(x)));
  return `${(x / 10 ** e).toPrecision(digits)} × 10${superscript(e)}`;
}
