// A matrix as coloured cells: attention weights (sequential) or signed
// values such as weights and gradients (diverging, centred on zero).
// heatmap(container, {scale: "sequential"|"diverging", format, onCell, cell, showValues, label})
//   -> {svg, update(values, rowLabels, colLabels)}
//
// Size: `cell` is a cell's side in px, and the picture is scaled to its box. When the box is
// narrower than that drawing (a phone), the cells shrink to fit instead and everything else
// is drawn one viewBox unit per CSS pixel, so row and column labels keep their 11 px; labels
// too close together for that size are thinned to every k-th (each cell's tooltip still
// names its row and column), and values in cells are left out once cells are under 24 px.
// When the box is wider, the picture grows as before but the labels are held at about
// 14 px. Redrawn, debounced, when the box changes width (fitWidth in linechart.js).

import { diverging, sequential, textOn } from "./color.js";
import { fixed } from "./format.js";
import { fitWidth } from "./chartsize.js";

const LABEL_PX = 11;        // the labels' CSS size (glasslm.css: .chart text)
const LABEL_GROW = 1.3;     // on a box wider than the drawing, labels grow at most this much
const LABEL_GAP = 13;       // px between neighbouring labels, or they are thinned
const VALUE_CELL = 24;      // px: smaller cells leave their value out (it would not fit)
const COL_ANGLE = 55;       // degrees the column labels are turned
const COL_TOP = 70;         // px above the cells for the turned column labels, more when a long one needs it

// Which labels to write when neighbours are `step` px apart: each non-blank one at least
// LABEL_GAP px after the last one written (labels a chapter already left blank count as gaps).
function spaced(labels, step) {
  let last = -Infinity;
  return labels.map((text, i) => {
    if (text === "" || text == null || (i - last) * step < LABEL_GAP) return false;
    last = i;
    return true;
  });
}

export function heatmap(container, { scale = "sequential", format = (v) => fixed(v, 2), onCell = null, cell = 28, showValues = true, label = "Heat map" } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart heatmap").attr("role", "img").attr("aria-label", label);
  let shown = 0, last = null;  // the SVG's CSS width (0 = not laid out yet), the last update's arguments
  // Draws, then measures the turned column labels: when the longest would be cut at the top, or
  // the last ones run past the right edge (reward weights' "share of vowels", "a real name"),
  // draws once more with the room they need.
  function update(values, rowLabels = [], colLabels = []) {
    last = [values, rowLabels, colLabels];
    const need = draw(values, rowLabels, colLabels, COL_TOP, 0);
    if (need.top > COL_TOP + 0.5 || need.right > 0.5) draw(values, rowLabels, colLabels, Math.max(COL_TOP, need.top), need.right);
  }
  function draw(values, rowLabels, colLabels, colTop, padRight) {
    const rows = values.length, cols = rows ? values[0].length : 0;
    const left = rowLabels.length ? 90 : 4, top = colLabels.length ? colTop : 4;
    const natural = left + cols * cell + 4 + padRight;
    // a box narrower than the drawing: cells shrink and one unit is one CSS pixel
    const c = shown > 0 && natural > shown && cols ? Math.max(1, (shown - left - 4 - padRight) / cols) : cell;
    const width = left + cols * c + 4 + padRight;
    const zoom = shown > 0 ? shown / width : 1;  // CSS px per unit
    const labelSize = (LABEL_PX * Math.min(Math.max(zoom, 1), LABEL_GROW)) / zoom;  // in units
    const rowShown = spaced(rowLabels, c * zoom), colShown = spaced(colLabels, c * zoom * Math.sin((COL_ANGLE * Math.PI) / 180));
    svg.attr("viewBox", `0 0 ${width} ${top + rows * c + 4}`);
    const flat = values.flat().filter(Number.isFinite);
    const maxAbs = d3.max(flat, Math.abs) || 1;
    const colour = (v) => (Number.isFinite(v) ? (scale === "diverging" ? diverging(v, maxAbs) : sequential(v)) : "transparent");
    const cells = [];
    values.forEach((r, i) => r.forEach((v, j) => cells.push({ i, j, v })));
    svg.selectAll("g.cell").data(cells, (d) => `${d.i},${d.j}`).join((enter) => {
      const g = enter.append("g").attr("class", "cell");
      g.append("rect").attr("rx", 2);
      g.append("text").attr("text-anchor", "middle").style("font-size", "9px");
      g.append("title");
      return g;
    }).attr("transform", (d) => `translate(${left + d.j * c},${top + d.i * c})`)
      .style("cursor", onCell ? "pointer" : null)
      .on("click", onCell ? (e, d) => onCell(d) : null)
      .each(function (d) {
        const s = d3.select(this), fill = colour(d.v);
        s.select("rect").attr("width", Math.max(0.5, c - 1)).attr("height", Math.max(0.5, c - 1)).attr("fill", fill);
        s.select("text").attr("x", c / 2).attr("y", c / 2 + 3)
          .text(showValues && Number.isFinite(d.v) && c >= VALUE_CELL ? format(d.v) : "").style("fill", Number.isFinite(d.v) ? textOn(fill) : null);
        s.select("title").text(`${rowLabels[d.i] ?? d.i} → ${colLabels[d.j] ?? d.j}: ${Number.isFinite(d.v) ? format(d.v) : "masked"}`);
      });
    svg.selectAll("text.row-label").data(rowLabels).join("text").attr("class", "row-label")
      .attr("x", left - 6).attr("y", (d, i) => top + i * c + c / 2 + 4).attr("text-anchor", "end")
      .style("font-size", `${labelSize}px`).text((d, i) => (rowShown[i] ? d : ""));
    svg.selectAll("text.col-label").data(colLabels).join("text").attr("class", "col-label")
      .attr("transform", (d, j) => `translate(${left + j * c + c / 2 + 3},${top - 6}) rotate(-${COL_ANGLE})`)
      .style("font-size", `${labelSize}px`).text((d, j) => (colShown[j] ? d : ""));
    const turn = (COL_ANGLE * Math.PI) / 180;
    let needTop = 0, needRight = 0;
    svg.selectAll("text.col-label").each(function (d, j) {
      const length = this.textContent ? this.getComputedTextLength() : 0;
      // the turned letters' own height adds to how far they reach up and to the right
      needTop = Math.max(needTop, length * Math.sin(turn) + labelSize * Math.cos(turn) + 8);
      needRight = Math.max(needRight, j * c + c / 2 + 3 + length * Math.cos(turn) + labelSize * Math.sin(turn) / 2 - cols * c);
    });
    return { top: needTop, right: needRight };
  }
  fitWidth(svg.node(), (w) => { shown = w; if (last) update(...last); }, 0);
  return { svg: svg.node(), update };
}
