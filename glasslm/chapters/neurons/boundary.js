// A 2-D data set over a network's decision boundary: the background is the
// network's p(orange) on a grid (a small canvas, smoothly scaled up), the
// points are the data, coloured by their true class. Clicking picks the
// nearest data point (onPick(index)).

import { h } from "/static/js/components/demo.js";
import { cssVar, onThemeChange } from "/static/js/components/color.js";

const SIZE = 400; // overlay coordinates (the SVG viewBox)

export function boundaryMap(container, { onPick = null, label = "Data points over the network's decision boundary" } = {}) {
  const d3 = window.d3;
  const canvas = h("canvas", { width: 2, height: 2, style: "position:absolute;inset:0;width:100%;height:100%;border-radius:6px" });
  const wrap = h("div", { class: "nn-map", style: "position:relative;width:100%;max-width:420px;aspect-ratio:1;border:1px solid var(--border);border-radius:6px" }, canvas);
  container.append(wrap);
  const svg = d3.select(wrap).append("svg").attr("viewBox", `0 0 ${SIZE} ${SIZE}`).attr("role", "img").attr("aria-label", label)
    .style("position", "absolute").style("inset", "0").style("width", "100%").style("height", "100%");
  const gPts = svg.append("g");
  let state = null;

  const scale = (ticks) => d3.scaleLinear().domain([ticks[0], ticks[ticks.length - 1]]);

  function paint() {
    if (!state || !state.grid) return;
    const n = state.grid.length;
    canvas.width = n; canvas.height = n;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(n, n);
    const bg = cssVar("--surface"), neg = cssVar("--neg"), pos = cssVar("--pos");
    const c0 = d3.interpolateRgb(bg, neg)(0.7), c1 = d3.interpolateRgb(bg, pos)(0.7);
    const mix = d3.interpolateRgb(c0, c1);
    const lut = Array.from({ length: 101 }, (_, i) => d3.rgb(mix(i / 100)));
    for (let i = 0; i < n; i++) {           // grid row i is y = ticks[i], bottom first
      for (let j = 0; j < n; j++) {
        const c = lut[Math.round(100 * state.grid[i][j])];
        const k = 4 * ((n - 1 - i) * n + j);
        img.data[k] = c.r; img.data[k + 1] = c.g; img.data[k + 2] = c.b; img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  function drawPoints() {
    const x = scale(state.ticks).range([0, SIZE]), y = scale(state.ticks).range([SIZE, 0]);
    gPts.selectAll("circle").data(state.points).join("circle")
      .attr("cx", (p) => x(p[0])).attr("cy", (p) => y(p[1]))
      .attr("r", (p, i) => (i === state.highlight ? 8 : 4))
      .attr("fill", (p, i) => (state.labels[i] ? "var(--pos)" : "var(--neg)"))
      .attr("stroke", (p, i) => (i === state.highlight ? "var(--text)" : "var(--surface)"))
      .attr("stroke-width", (p, i) => (i === state.highlight ? 3 : 1));
  }

  if (onPick) {
    svg.style("cursor", "crosshair");
    svg.on("click", (event) => {
      if (!state) return;
      const [px, py] = d3.pointer(event, svg.node());
      const x = scale(state.ticks).range([0, SIZE]), y = scale(state.ticks).range([SIZE, 0]);
      let best = 0, bestD = Infinity;
      state.points.forEach((p, i) => {
        const d = (x(p[0]) - px) ** 2 + (y(p[1]) - py) ** 2;
        if (d < bestD) { bestD = d; best = i; }
      });
      onPick(best);
    });
  }
  onThemeChange(paint);

  return {
    el: wrap,
    setData(points, labels, ticks) { state = { ...(state || {}), points, labels, ticks, highlight: state?.highlight ?? null }; drawPoints(); },
    setGrid(grid) { state.grid = grid; paint(); },
    highlight(i) { state.highlight = i; drawPoints(); },
  };
}
