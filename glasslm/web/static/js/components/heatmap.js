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
const CHAR_EM = 0.62;       // a label letter's width in em, at most (for the room the labels need)

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
  function update(values, rowLabels = [], colLabels = []) {
    last = [values, rowLabels, colLabels];
    const rows = values.length, cols = rows ? values[0].length : 0;
    // Turned column labels reach up and to the right of their column: room for the longest
    // ("needle at 100%" was cut at the top and the right edge), estimated from its letters.
    const long = colLabels.map((t) => String(t ?? "").length * CHAR_EM * LABEL_PX);  // units, at most
    const up = Math.sin((COL_ANGLE * Math.PI) / 180), across = Math.cos((COL_ANGLE * Math.PI) / 180);
    const left = rowLabels.length ? 90 : 4, top = colLabels.length ? Math.min(160, Math.max(70, up * Math.max(...long) + 12)) : 4;
    const right = (cc) => Math.max(4, ...long.map((L, j) => (j + 0.5 - cols) * cc + 3 + across * L + 4));
    const natural = left + cols * cell + right(cell);
    // a box narrower than the drawing: cells shrink and one unit is one CSS pixel
    const c = shown > 0 && natural > shown && cols ? Math.max(1, (shown - left - right(0)) / cols) : cell;
    const width = left + cols * c + right(c);
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
  }
  fitWidth(svg.node(), (w) => { shown = w; if (last) update(...last); }, 0);
  return { svg: svg.node(), update };
}
