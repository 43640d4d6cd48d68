// A matrix as coloured cells: attention weights (sequential) or signed
// values such as weights and gradients (diverging, centred on zero).
// heatmap(container, {scale: "sequential"|"diverging", format, onCell}) -> {update(values, rowLabels, colLabels)}

import { diverging, sequential, textOn } from "./color.js";
import { fixed } from "./format.js";

export function heatmap(container, { scale = "sequential", format = (v) => fixed(v, 2), onCell = null, cell = 28, showValues = true, label = "Heat map" } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart heatmap").attr("role", "img").attr("aria-label", label);
  function update(values, rowLabels = [], colLabels = []) {
    const rows = values.length, cols = rows ? values[0].length : 0;
    const left = rowLabels.length ? 90 : 4, top = colLabels.length ? 70 : 4;
    svg.attr("viewBox", `0 0 ${left + cols * cell + 4} ${top + rows * cell + 4}`);
    const flat = values.flat().filter(Number.isFinite);
    const maxAbs = d3.max(flat, Math.abs) || 1;
    const colour = (v) => (Number.isFinite(v) ? (scale === "diverging" ? diverging(v, maxAbs) : sequential(v)) : "transparent");
    const cells = [];
    values.forEach((r, i) => r.forEach((v, j) => cells.push({ i, j, v })));
    svg.selectAll("g.cell").data(cells, (d) => `${d.i},${d.j}`).join((enter) => {
      const g = enter.append("g").attr("class", "cell");
      g.append("rect").attr("width", cell - 1).attr("height", cell - 1).attr("rx", 2);
      g.append("text").attr("x", cell / 2).attr("y", cell / 2 + 3).attr("text-anchor", "middle").style("font-size", "9px");
      g.append("title");
      return g;
    }).attr("transform", (d) => `translate(${left + d.j * cell},${top + d.i * cell})`)
      .style("cursor", onCell ? "pointer" : null)
      .on("click", onCell ? (e, d) => onCell(d) : null)
      .each(function (d) {
        const s = d3.select(this), c = colour(d.v);
        s.select("rect").attr("fill", c);
        s.select("text").text(showValues && Number.isFinite(d.v) && cell >= 24 ? format(d.v) : "").style("fill", Number.isFinite(d.v) ? textOn(c) : null);
        s.select("title").text(`${rowLabels[d.i] ?? d.i} → ${colLabels[d.j] ?? d.j}: ${Number.isFinite(d.v) ? format(d.v) : "masked"}`);
      });
    svg.selectAll("text.row-label").data(rowLabels).join("text").attr("class", "row-label")
      .attr("x", left - 6).attr("y", (d, i) => top + i * cell + cell / 2 + 4).attr("text-anchor", "end").text((d) => d);
    svg.selectAll("text.col-label").data(colLabels).join("text").attr("class", "col-label")
      .attr("transform", (d, j) => `translate(${left + j * cell + cell / 2 + 3},${top - 6}) rotate(-55)`).text((d) => d);
  }
  return { svg: svg.node(), update };
}
