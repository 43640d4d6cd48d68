// A line chart that can grow while data streams in (loss curves, paths, sweeps).
//
// lineChart(container, {xLabel, yLabel, series, xScale?, yScale?, xDomain?, yDomain?, height?, title?})
//   series: [{name, label?, color?, dashed?, dots?, line?, class?}]: `label` is what the
//     legend shows (default the name); `dots: true` draws a circle per point; `line: false`
//     draws only those circles; `class` is added to the series' path (chapter CSS hooks).
//   xScale / yScale: "linear" (default) or "log".
// returns {svg, set(name, points), append(name, point), points(name), setSeries(series),
//          hline(key, y, label, color, {legend}), clear(), redraw}.
// A reference line's label sits above its right end, or with `legend: true` in the legend
// row (as a dashed swatch), where a noisy curve that crosses the line cannot cover it.
// `xIntegers: true` keeps only whole-number ticks on the x axis (counts: votes, runs).
// A series that is constant draws its line in the middle of a range from 0 to twice its
// value (a constant 0.01 is not a flat line at 0 on a −1…1 axis).
// A point is [x, y] or [x, y, {title?, class?, r?}]: the third part is the dot's tooltip,
// an extra class on its circle and its radius.
//
// Log axes: a point with x <= 0 on a log x axis or y <= 0 on a log y axis cannot be
// placed, so it is dropped (left out of the line, the dots and the domain) rather than
// drawn as a NaN path. A y that is not a finite number (null, NaN) leaves a gap on any
// axis. Tick labels on a log axis spanning three or more powers of ten are those powers
// (10⁻³, 10⁰, 10⁷; only every k-th power on long axes, the rest unlabelled); shorter spans
// label 1-2-5 steps, in plain figures between 0.001 and 10⁶ and as "2 × 10⁸" outside.
//
// The legend is an HTML row above the plot (it wraps on narrow screens and keeps its
// font size when the picture is scaled down), so it never covers the data. The plot
// area is marked by rect.plot-area.
//
// Size: the viewBox is as wide as the SVG is on screen (one unit per CSS pixel), measured
// when the chart is made and again, debounced, whenever its box changes width
// (chartsize.js, shared with barChart, scatterPlot and heatmap). So text keeps its CSS size
// (11 px) on a 360 px phone instead of shrinking with the picture, and a wide box gets
// more ticks rather than bigger letters. `height` is the height at 640 px wide; the chart
// keeps that shape when wider and shrinks its height by at most a quarter when narrower,
// but stays tall enough for the whole y axis title.

import { series as seriesColor } from "./color.js";
import { fitWidth, heightFor, keepTicksInside, xTickCount, yTickCount } from "./chartsize.js";
import { sci, superscript } from "./format.js";

const W = 640, H = 300, M = { top: 16, right: 16, bottom: 40, left: 56 };
const MIN_WIDTH = 200;    // narrower boxes scale a 200-wide drawing down (the plot would vanish behind the margins)
const PLAIN = { plainFrom: 1e-3, plainTo: 1e6 };  // log-axis labels in plain figures inside this range
const DOT_PAD = 0.04;  // share of the span added at each end when dots are drawn, so no dot is cut in half

// Fewest significant digits that give back v (tick values are round numbers).
function digitsOf(v) {
  for (let d = 1; d < 6; d++) if (Math.abs(Number(v.toPrecision(d)) - v) <= 1e-9 * Math.abs(v)) return d;
  return 6;
}

const powerOfTen = (e) => `10${superscript(e)}`;

// The label of one tick on a log axis that spans fewer than three powers of ten.
function logTickText(v) {
  const d = digitsOf(v);
  if (Math.abs(v) >= PLAIN.plainFrom && Math.abs(v) < PLAIN.plainTo) return String(Number(v.toPrecision(d)));
  const e = Math.round(Math.log10(v));
  if (Math.abs(v / 10 ** e - 1) < 1e-9) return powerOfTen(e);
  return sci(v, d, PLAIN);
}

// Tick values and their labels ("" = an unlabelled minor tick) for a log scale.
function logTicks(scale, count) {
  const [lo, hi] = scale.domain().slice().sort((a, b) => a - b);
  const e0 = Math.ceil(Math.log10(lo) - 1e-9), e1 = Math.floor(Math.log10(hi) + 1e-9);
  const powers = e1 - e0 + 1;
  if (powers >= 3) {
    const step = Math.ceil(powers / (count + 2));  // "10⁹" is short: a few more labels than a linear axis
    const values = [], labels = new Map();
    for (let e = e0; e <= e1; e++) {
      values.push(10 ** e);
      if (e % step === 0) labels.set(10 ** e, powerOfTen(e));
      if (step === 1 && powers <= 6) for (let k = 2; k < 10; k++) if (k * 10 ** e <= hi) values.push(k * 10 ** e);
    }
    for (let k = 2; k < 10; k++) if (step === 1 && powers <= 6 && k * 10 ** (e0 - 1) >= lo) values.push(k * 10 ** (e0 - 1));
    return { values, text: (v) => labels.get(v) ?? "" };
  }
  const values = scale.ticks(count);
  const lead = (v) => Number(v.toExponential(0)[0]);
  let keep = () => true;
  if (values.length > count + 2) keep = (v) => [1, 2, 5].includes(lead(v)) && Math.abs(v / (lead(v) * 10 ** Math.floor(Math.log10(v))) - 1) < 1e-9;
  if (values.filter(keep).length > count + 2) keep = (v) => lead(v) === 1 && Math.abs(v / 10 ** Math.round(Math.log10(v)) - 1) < 1e-9;
  return { values, text: (v) => (keep(v) ? logTickText(v) : "") };
}

export function lineChart(container, { xLabel = "", yLabel = "", series = [], xScale = "linear", yScale = "linear",
  xDomain = null, yDomain = null, height = H, title = "", xIntegers = false } = {}) {
  const d3 = window.d3;
  const logX = xScale === "log", isLogY = yScale === "log";
  const legend = d3.select(container).append("div").attr("class", "chart-legend");
  const svg = d3.select(container).append("svg").attr("class", "chart").attr("viewBox", `0 0 ${W} ${height}`)
    .attr("role", "img").attr("aria-label", title || `${yLabel} against ${xLabel}`);
  let iw = 0, ih = 0;  // the plot area, set by layout(width)
  const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
  const area = g.append("rect").attr("class", "plot-area").attr("fill", "none").attr("pointer-events", "none");
  const gx = g.append("g").attr("class", "axis");
  const gy = g.append("g").attr("class", "axis");
  const xTitle = g.append("text").attr("class", "axis-label").attr("text-anchor", "middle").text(xLabel);
  const yTitle = g.append("text").attr("class", "axis-label").attr("transform", "rotate(-90)").attr("y", -44).attr("text-anchor", "middle").text(yLabel);
  const lines = g.append("g"), hlines = g.append("g"), dots = g.append("g");
  let data = new Map();
  const refs = new Map();
  let frame = null;

  function define(list) {
    data = new Map(list.map((s, i) => [s.name, { ...s, color: s.color || seriesColor(i), points: [] }]));
    legend.attr("hidden", list.length ? null : "");
  }
  define(series);

  // Points that can be placed: finite x, and positive coordinates on log axes.
  const placeable = (p) => Number.isFinite(p[0]) && !(logX && p[0] <= 0) && !(isLogY && Number.isFinite(p[1]) && p[1] <= 0);
  const hasY = (p) => Number.isFinite(p[1]);

  function domain(values, fixed, log, pad) {
    if (fixed) return fixed;
    let [lo, hi] = d3.extent(values);
    if (lo === undefined) return log ? [0.1, 1] : [0, 1];
    if (lo === hi && log) { lo /= 2; hi *= 2; } else if (lo === hi) [lo, hi] = lo === 0 ? [-1, 1] : [Math.min(0, 2 * lo), Math.max(0, 2 * lo)];
    if (pad) {
      if (log) { const f = (hi / lo) ** DOT_PAD; lo /= f; hi *= f; } else { const s = (hi - lo) * DOT_PAD; lo -= s; hi += s; }
    }
    return [lo, hi];
  }

  function axis(gAxis, make, scale, log, count, format, integers = false) {
    if (integers) return gAxis.call(make(scale).tickValues(scale.ticks(count).filter(Number.isInteger)).tickFormat(d3.format("d")));
    if (!log) return gAxis.call(make(scale).ticks(count, format));
    const t = logTicks(scale, count);
    gAxis.call(make(scale).tickValues(t.values).tickFormat(t.text));
    gAxis.selectAll(".tick").classed("minor", (v) => t.text(v) === "");
  }

  function draw() {
    frame = null;
    const all = [...data.values()].map((s) => ({ ...s, points: s.points.filter(placeable) }));
    const placed = all.flatMap((s) => s.points), pts = placed.filter(hasY);
    const pad = all.some((s) => s.dots && s.points.length);
    const ys = pts.map((p) => p[1]).concat([...refs.values()].map((r) => r.y).filter((y) => Number.isFinite(y) && (!isLogY || y > 0)));
    const x = (logX ? d3.scaleLog() : d3.scaleLinear()).domain(domain(placed.map((p) => p[0]), xDomain, logX, pad)).range([0, iw]);
    const y = (isLogY ? d3.scaleLog() : d3.scaleLinear()).domain(domain(ys, yDomain, isLogY, pad)).range([ih, 0]);
    if (!yDomain && !isLogY) y.nice();
    axis(gx, d3.axisBottom, x, logX, xTickCount(iw), undefined, xIntegers && !logX);
    axis(gy, d3.axisLeft, y, isLogY, yTickCount(ih));
    keepTicksInside(gx, x, M.left, M.right);
    const line = d3.line().defined(hasY).x((p) => x(p[0])).y((p) => y(p[1]));
    const tooBig = (p) => p[1] > y.domain()[1] * 1e6;  // a diverged run: leave the point off, keep the axis readable
    lines.selectAll("path").data(all.filter((s) => s.line !== false), (s) => s.name).join("path")
      .attr("class", (s) => (s.class ? `series ${s.class}` : "series")).attr("data-series", (s) => s.name)
      .attr("stroke", (s) => s.color).attr("stroke-dasharray", (s) => (s.dashed ? "5 4" : null))
      .attr("d", (s) => line(s.points.filter((p) => !tooBig(p))));
    dots.selectAll("g").data(all.filter((s) => s.dots), (s) => s.name).join("g").attr("data-series", (s) => s.name).each(function (s) {
      d3.select(this).selectAll("circle").data(s.points.filter((p) => hasY(p) && !tooBig(p))).join("circle")
        .attr("class", (p) => (p[2]?.class ? `dot ${p[2].class}` : "dot"))
        .attr("cx", (p) => x(p[0])).attr("cy", (p) => y(p[1])).attr("r", (p) => p[2]?.r ?? 4).attr("fill", s.color)
        .selectAll("title").data((p) => (p[2]?.title ? [p[2].title] : [])).join("title").text((t) => t);
    });
    hlines.selectAll("g").data([...refs.entries()].filter(([, r]) => !isLogY || r.y > 0), (d) => d[0]).join((enter) => {
      const e = enter.append("g");
      e.append("line").attr("stroke-dasharray", "3 3");
      e.append("text").attr("class", "ref-label").attr("text-anchor", "end");
      return e;
    }).each(function ([, r]) {
      const yy = y(r.y);
      const s = d3.select(this);
      s.select("line").attr("x1", 0).attr("x2", iw).attr("y1", yy).attr("y2", yy).attr("stroke", r.color || "currentColor");
      s.select("text").attr("x", iw - 4).attr("y", yy - 4).text(r.legend ? "" : r.label);
    });
    const inLegend = [...refs.entries()].filter(([, r]) => r.legend && r.label)
      .map(([key, r]) => ({ name: key, label: r.label, dashed: true, color: r.color || "currentColor" }));
    const shown = all.filter((s) => s.points.length).concat(inLegend);
    legend.selectAll("span.chart-legend-item").data(shown, (s) => s.name).join((enter) => {
      const e = enter.append("span").attr("class", "chart-legend-item");
      e.append("span").attr("class", "chart-swatch").attr("aria-hidden", "true");
      e.append("span").attr("class", "chart-legend-label");
      return e;
    }).attr("data-series", (s) => s.name).each(function (s) {
      const item = d3.select(this);
      item.select(".chart-swatch").classed("dashed", !!s.dashed).classed("dot", s.line === false)
        .style("color", s.color);
      item.select(".chart-legend-label").text(s.label ?? s.name);
    }).order();
  }
  const schedule = () => { if (!frame) frame = requestAnimationFrame(draw); };
  // The x axis title centred under a plot `plotWidth` wide, on two lines when one would run
  // out of the picture (a long title on a phone); returns the height the second line adds.
  function placeXTitle(plotWidth) {
    const room = plotWidth + 2 * Math.min(M.left, M.right) - 4;
    xTitle.text(xLabel).attr("x", plotWidth / 2);
    if (xTitle.node().getComputedTextLength() <= room) return 0;
    const words = xLabel.split(" ");
    let cut = 1, best = Infinity;  // the break that makes the two lines closest in length
    for (let i = 1; i < words.length; i++) {
      const diff = Math.abs(words.slice(0, i).join(" ").length - words.slice(i).join(" ").length);
      if (diff < best) { best = diff; cut = i; }
    }
    xTitle.text(null);
    xTitle.append("tspan").attr("x", plotWidth / 2).text(words.slice(0, cut).join(" "));
    xTitle.append("tspan").attr("x", plotWidth / 2).attr("dy", "1.2em").text(words.slice(cut).join(" "));
    return 14;
  }
  // Geometry for an SVG `width` CSS pixels wide, then a redraw at that size.
  function layout(shown) {
    const width = Math.max(shown, MIN_WIDTH), h = heightFor(width, height, yTitle.node(), M);
    iw = width - M.left - M.right;
    ih = h - M.top - M.bottom;
    const extra = placeXTitle(iw);
    svg.attr("viewBox", `0 0 ${width} ${h + extra}`);
    area.attr("width", iw).attr("height", ih);
    gx.attr("transform", `translate(0,${ih})`);
    xTitle.attr("y", ih + 34);
    yTitle.attr("x", -ih / 2);
    draw();
  }
  fitWidth(svg.node(), layout);
  return {
    svg: svg.node(),
    set(name, points) { data.get(name).points = points.slice(); schedule(); },
    append(name, point) { data.get(name).points.push(point); schedule(); },
    points(name) { return data.get(name).points; },
    setSeries(list) { define(list); schedule(); },
    hline(key, yValue, label = "", color = null, { legend = false } = {}) {
      refs.set(key, { y: yValue, label, color, legend }); schedule();
    },
    clear() { data.forEach((s) => (s.points = [])); refs.clear(); schedule(); },
    redraw: draw,
  };
}
