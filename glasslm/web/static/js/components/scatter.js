// Points and the model's line through them (data against a fitted model).
// scatterPlot(container, {xLabel, yLabel, xDomain?, yDomain?, label?}) -> {svg, setPoints(points, highlight), setLine(pairs)}
// Drawn one viewBox unit per CSS pixel of its box and redrawn when the box changes width
// (fitWidth in linechart.js), so its text stays 11 px on a phone; 320 tall at 640 wide.

import { fitWidth, heightFor, keepTicksInside, xTickCount, yTickCount } from "./chartsize.js";

const H = 320, M = { top: 12, right: 16, bottom: 40, left: 56 };
const MIN_WIDTH = 200;  // narrower boxes scale a 200-wide drawing down

export function scatterPlot(container, { xLabel = "", yLabel = "", xDomain = null, yDomain = null, label = "" } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart scatter").attr("viewBox", `0 0 640 ${H}`)
    .attr("role", "img").attr("aria-label", label || `${yLabel} against ${xLabel}`);
  const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
  const gx = g.append("g").attr("class", "axis");
  const gy = g.append("g").attr("class", "axis");
  const xTitle = g.append("text").attr("class", "axis-label").attr("text-anchor", "middle").text(xLabel);
  const yTitle = g.append("text").attr("class", "axis-label").attr("transform", "rotate(-90)").attr("y", -42).attr("text-anchor", "middle").text(yLabel);
  const clip = `clip-${Math.random().toString(36).slice(2)}`;
  const clipRect = svg.append("clipPath").attr("id", clip).append("rect");
  const dots = g.append("g");
  const path = g.append("path").attr("clip-path", `url(#${clip})`).attr("fill", "none").attr("stroke", "var(--s2)").attr("stroke-width", 2.5);
  const x = d3.scaleLinear(), y = d3.scaleLinear();
  let iw = 0, ih = 0;
  let points = [], line = [], highlight = null, started = false;  // nothing is drawn before the first points or line
  function draw() {
    started = true;
    x.domain(xDomain || d3.extent(points, (p) => p[0])).nice();
    y.domain(yDomain || d3.extent(points, (p) => p[1])).nice();
    gx.call(d3.axisBottom(x).ticks(xTickCount(iw)));
    gy.call(d3.axisLeft(y).ticks(yTickCount(ih)));
    keepTicksInside(gx, x, M.left, M.right);
    dots.selectAll("circle").data(points).join("circle").attr("cx", (p) => x(p[0])).attr("cy", (p) => y(p[1]))
      .attr("r", (p, i) => (i === highlight ? 6 : 3.2)).attr("fill", (p, i) => (i === highlight ? "var(--s2)" : "var(--s1)"))
      .attr("fill-opacity", (p, i) => (i === highlight ? 1 : 0.55));
    path.attr("d", line.length ? d3.line().x((p) => x(p[0])).y((p) => y(p[1]))(line) : null);
  }
  // Geometry for an SVG `shown` CSS pixels wide, then a redraw at that size.
  function layout(shown) {
    const width = Math.max(shown, MIN_WIDTH), h = heightFor(width, H, yTitle.node(), M);
    iw = width - M.left - M.right;
    ih = h - M.top - M.bottom;
    svg.attr("viewBox", `0 0 ${width} ${h}`);
    x.range([0, iw]);
    y.range([ih, 0]);
    gx.attr("transform", `translate(0,${ih})`);
    xTitle.attr("x", iw / 2).attr("y", ih + 34);
    yTitle.attr("x", -ih / 2);
    clipRect.attr("width", iw).attr("height", ih);
    if (started) draw();
  }
  fitWidth(svg.node(), layout);
  return {
    svg: svg.node(),
    setPoints(p, hl = null) { points = p; highlight = hl; draw(); },
    setLine(pairs) { line = pairs; draw(); },
  };
}
