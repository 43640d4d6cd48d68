// A 2-D loss surface as filled contours (log-spaced levels), with optimizer
// paths drawn on it and a ball per path that can be moved along it.
// surfacePlot(container, {onPick}) -> {setSurface(data), setPaths(paths), setStep(k)}
// paths: [{name, color, points: [[x, y, loss], ...]}]; onPick([x, y]) on click.

import { sequential, onThemeChange } from "/static/js/components/color.js";

const W = 560, LEVELS = 16, MIN_H = 220, MAX_H = 560;

export function surfacePlot(container, { onPick = null, label = "Loss surface with optimizer paths" } = {}) {
  const d3 = window.d3;
  let H = 440; // set from the surface's box so that one unit is as long across as up
  const svg = d3.select(container).append("svg").attr("class", "chart ll-surface").attr("viewBox", `0 0 ${W} ${H}`)
    .attr("role", "img").attr("aria-label", label);
  const clipId = `clip-${Math.random().toString(36).slice(2)}`;
  const clipRect = svg.append("clipPath").attr("id", clipId).append("rect").attr("width", W).attr("height", H);
  const gC = svg.append("g"), gP = svg.append("g").attr("clip-path", `url(#${clipId})`), gM = svg.append("g"), gB = svg.append("g");
  let surf = null, paths = [], step = 0, x = null, y = null;

  function drawContours() {
    if (!surf) return;
    const n = surf.z.length;
    const zmin = d3.min(surf.z.flat());
    const t = surf.z.flat().map((v) => Math.log1p(v - zmin)); // row-major: row i is y = ys[i]
    const tmax = d3.max(t);
    const thresholds = d3.range(LEVELS).map((k) => (tmax * k) / LEVELS);
    const contours = d3.contours().size([n, n]).thresholds(thresholds)(t);
    const gx = d3.scaleLinear().domain([0, n - 1]).range([0, W]);
    const gy = d3.scaleLinear().domain([0, n - 1]).range([H, 0]);
    const path = d3.geoPath(d3.geoTransform({ point(px, py) { this.stream.point(gx(px - 0.5), gy(py - 0.5)); } }));
    gC.selectAll("path").data(contours).join("path").attr("d", path)
      .attr("fill", (c) => sequential(1 - c.value / tmax)).attr("stroke", "var(--surface)").attr("stroke-opacity", 0.35);
    gM.selectAll("*").remove();
    const [mx, my] = surf.minimum;
    gM.append("path").attr("d", d3.symbol(d3.symbolStar, 140)()).attr("transform", `translate(${x(mx)},${y(my)})`)
      .attr("fill", "var(--good)").attr("stroke", "var(--surface)").append("title").text(`lowest point (${mx.toFixed(2)}, ${my.toFixed(2)})`);
  }

  function drawPaths() {
    if (!surf) return;
    const line = d3.line().x((p) => x(p[0])).y((p) => y(p[1]));
    gP.selectAll("path").data(paths, (p) => p.name).join("path")
      .attr("fill", "none").attr("stroke", (p) => p.color).attr("stroke-width", 2.2)
      .attr("d", (p) => line(p.points.slice(0, Math.min(step, p.points.length - 1) + 1)));
    gB.selectAll("circle").data(paths, (p) => p.name).join("circle")
      .attr("r", 7).attr("fill", (p) => p.color).attr("stroke", "var(--surface)").attr("stroke-width", 2)
      .attr("cx", (p) => x(p.points[Math.min(step, p.points.length - 1)][0]))
      .attr("cy", (p) => y(p.points[Math.min(step, p.points.length - 1)][1]));
  }

  if (onPick) {
    svg.style("cursor", "crosshair").on("click", (event) => {
      if (!surf) return;
      const [px, py] = d3.pointer(event, svg.node());
      onPick([x.invert(px), y.invert(py)]);
    });
  }
  onThemeChange(drawContours);

  return {
    svg: svg.node(),
    setSurface(data) {
      surf = data;
      H = Math.max(MIN_H, Math.min(MAX_H, (W * (data.box[3] - data.box[2])) / (data.box[1] - data.box[0])));
      svg.attr("viewBox", `0 0 ${W} ${H}`);
      clipRect.attr("height", H);
      x = d3.scaleLinear().domain([data.box[0], data.box[1]]).range([0, W]);
      y = d3.scaleLinear().domain([data.box[2], data.box[3]]).range([H, 0]);
      drawContours();
      drawPaths();
    },
    setPaths(p) { paths = p; drawPaths(); },
    setStep(k) { step = k; drawPaths(); },
  };
}
