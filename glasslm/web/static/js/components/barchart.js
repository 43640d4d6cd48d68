// Horizontal bars of a distribution (next-token probabilities, say).
// barChart(container, {format, onPick, max, label}) -> {svg, update(items)}; items = [{label, value, note?, highlight?}].
// Rows are buttons when onPick is given: click, Enter or Space picks.
// Drawn one viewBox unit per CSS pixel of its box and redrawn when the box changes width
// (fitWidth in linechart.js), so labels stay 11 px on a phone; on a narrow box the label
// column narrows and a label too long for it ends in "…" (the row's aria-label and
// tooltip keep the whole label), and bars shorten so that every value and note fits.

import { pct } from "./format.js";
import { fitWidth } from "./chartsize.js";

const ROW = 26;             // px per bar
const LABEL_W = 170;        // px for the labels at 640 wide and more
const LABEL_MIN = 96;       // px for the labels on a phone (about 14 characters)
const LABEL_SHARE = 0.27;   // share of the width the labels get between those two
const VALUE_W = 80;         // px kept right of the longest bar for its value
const MIN_WIDTH = 240;      // narrower boxes scale a 240-wide drawing down
const WIDE = 640;           // from this width on, long labels may take more than LABEL_W...
const LABEL_WIDE_SHARE = 0.4; // ...up to this share of the width

// Shortens an SVG text element's content with "…" until it fits in `room` pixels.
function fitText(node, text, room) {
  node.textContent = text;
  if (node.getComputedTextLength() <= room) return;
  let n = Math.ceil((text.length * room) / node.getComputedTextLength()) + 1;  // a first guess from the average letter
  while (n > 1 && node.getComputedTextLength() > room) node.textContent = `${text.slice(0, --n)}…`;
}

export function barChart(container, { format = pct, onPick = null, max = null, label = "Distribution" } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart bars").attr("role", onPick ? "listbox" : "img")
    .attr("aria-label", label).attr("viewBox", `0 0 640 ${ROW}`);
  let W = 640, items = [];
  function update(list) {
    items = list;
    const height = Math.max(ROW, items.length * ROW + 4);
    svg.attr("viewBox", `0 0 ${W} ${height}`);
    const top = max ?? Math.max(1e-12, d3.max(items, (d) => d.value) || 0);
    const rows = svg.selectAll("g.bar-row").data(items, (d, i) => `${i}:${d.label}`).join((enter) => {
      const g = enter.append("g").attr("class", "bar-row");
      g.append("title");
      g.append("text").attr("class", "bar-label").attr("y", ROW / 2 + 4).attr("text-anchor", "end");
      g.append("rect").attr("class", "bar").attr("y", 4).attr("height", ROW - 8).attr("rx", 3);
      g.append("text").attr("class", "bar-value").attr("y", ROW / 2 + 4);
      return g;
    });
    rows.attr("transform", (d, i) => `translate(0,${i * ROW})`)
      .classed("clickable", !!onPick)
      .attr("tabindex", onPick ? 0 : null).attr("role", onPick ? "option" : null)
      .attr("aria-label", (d) => `${d.label}: ${format(d.value)}`)
      .on("click", onPick ? (e, d) => onPick(d) : null)
      .on("keydown", onPick ? (e, d) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(d); } } : null);
    rows.select("title").text((d) => `${d.label}: ${format(d.value)}`);
    // a wide box gives long labels ("3 kv heads (grouped-query)") the room they need, up to
    // LABEL_WIDE_SHARE of its width, rather than cutting them at LABEL_W; a phone keeps the old rule
    let labelW = Math.round(Math.min(LABEL_W, Math.max(LABEL_MIN, W * LABEL_SHARE)));
    if (W >= WIDE) {
      let longest = 0;
      rows.select(".bar-label").each(function (d) { this.textContent = String(d.label); longest = Math.max(longest, this.getComputedTextLength()); });
      labelW = Math.round(Math.max(labelW, Math.min(Math.ceil(longest) + 14, W * LABEL_WIDE_SHARE)));
    }
    rows.select(".bar-label").attr("x", labelW - 8).each(function (d) { fitText(this, String(d.label), labelW - 12); });
    const values = rows.select(".bar-value").text((d) => format(d.value) + (d.note ? `  ${d.note}` : ""));
    // the longest bar leaves VALUE_W px for its value, and less room if a value (with a note) needs more
    let room = W - labelW - VALUE_W - 12;
    values.each(function (d) {
      const v = Math.min(Math.max(0, d.value), top), need = this.getComputedTextLength() + 10;
      if (v > 0) room = Math.min(room, ((W - labelW - need) * top) / v);
    });
    const x = d3.scaleLinear().domain([0, top]).range([0, Math.max(room, 20)]);
    const barW = (d) => Math.max(1, x(Math.max(0, d.value)));
    rows.select("rect.bar").attr("x", labelW).attr("width", barW).style("fill", (d) => (d.highlight ? "var(--s2)" : null));
    values.attr("x", (d) => labelW + barW(d) + 6);
  }
  fitWidth(svg.node(), (shown) => { W = Math.max(shown, MIN_WIDTH); update(items); });
  return { svg: svg.node(), update };
}
