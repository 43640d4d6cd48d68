// Horizontal bars of a distribution (next-token probabilities, say).
// barChart(container, {format, onPick, max}) -> {update(items)}; items = [{label, value, note?, highlight?}].
// Rows are buttons when onPick is given: click, Enter or Space picks.

import { pct } from "./format.js";

export function barChart(container, { format = pct, onPick = null, max = null, label = "Distribution" } = {}) {
  const d3 = window.d3;
  const W = 640, row = 26, labelW = 170, valueW = 80;
  const svg = d3.select(container).append("svg").attr("class", "chart bars").attr("role", onPick ? "listbox" : "img")
    .attr("aria-label", label);
  function update(items) {
    const height = Math.max(row, items.length * row + 4);
    svg.attr("viewBox", `0 0 ${W} ${height}`);
    const top = max ?? Math.max(1e-12, d3.max(items, (d) => d.value) || 0);
    const x = d3.scaleLinear().domain([0, top]).range([0, W - labelW - valueW - 12]);
    const rows = svg.selectAll("g.bar-row").data(items, (d, i) => `${i}:${d.label}`).join((enter) => {
      const g = enter.append("g").attr("class", "bar-row");
      g.append("text").attr("class", "bar-label").attr("x", labelW - 8).attr("y", row / 2 + 4).attr("text-anchor", "end");
      g.append("rect").attr("class", "bar").attr("x", labelW).attr("y", 4).attr("height", row - 8).attr("rx", 3);
      g.append("text").attr("class", "bar-value").attr("y", row / 2 + 4);
      return g;
    });
    rows.attr("transform", (d, i) => `translate(0,${i * row})`)
      .classed("clickable", !!onPick)
      .attr("tabindex", onPick ? 0 : null).attr("role", onPick ? "option" : null)
      .attr("aria-label", (d) => `${d.label}: ${format(d.value)}`)
      .on("click", onPick ? (e, d) => onPick(d) : null)
      .on("keydown", onPick ? (e, d) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(d); } } : null);
    rows.select(".bar-label").text((d) => d.label);
    rows.select("rect.bar").attr("width", (d) => Math.max(1, x(Math.max(0, d.value))))
      .style("fill", (d) => (d.highlight ? "var(--s2)" : null));
    rows.select(".bar-value").attr("x", (d) => labelW + Math.max(1, x(Math.max(0, d.value))) + 6)
      .text((d) => format(d.value) + (d.note ? `  ${d.note}` : ""));
  }
  return { svg: svg.node(), update };
}
