// A line chart that can grow while data streams in (loss curves, paths).
// lineChart(container, {xLabel, yLabel, series: [{name, color?, dashed?}], logY?, xDomain?, yDomain?})
// returns {set(name, points), append(name, point), hline(key, y, label), clear()}; points are [x, y].

import { series as seriesColor } from "./color.js";

const W = 640, H = 300, M = { top: 16, right: 16, bottom: 40, left: 56 };

export function lineChart(container, { xLabel = "", yLabel = "", series = [], logY = false, xDomain = null, yDomain = null, height = H, title = "" } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart").attr("viewBox", `0 0 ${W} ${height}`)
    .attr("role", "img").attr("aria-label", title || `${yLabel} against ${xLabel}`);
  const iw = W - M.left - M.right, ih = height - M.top - M.bottom;
  const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
  const gx = g.append("g").attr("class", "axis").attr("transform", `translate(0,${ih})`);
  const gy = g.append("g").attr("class", "axis");
  g.append("text").attr("x", iw / 2).attr("y", ih + 34).attr("text-anchor", "middle").text(xLabel);
  g.append("text").attr("transform", "rotate(-90)").attr("x", -ih / 2).attr("y", -44).attr("text-anchor", "middle").text(yLabel);
  const lines = g.append("g"), hlines = g.append("g"), legend = svg.append("g").attr("class", "legend");
  const data = new Map(series.map((s, i) => [s.name, { ...s, color: s.color || seriesColor(i), points: [] }]));
  const refs = new Map();
  let frame = null;

  function domain(values, fixed, log) {
    if (fixed) return fixed;
    let [lo, hi] = d3.extent(values);
    if (lo === undefined) return log ? [0.1, 1] : [0, 1];
    if (lo === hi) { lo = log ? lo / 2 : lo - 1; hi = log ? hi * 2 : hi + 1; }
    return [lo, hi];
  }

  function draw() {
    frame = null;
    const all = [...data.values()].flatMap((s) => s.points);
    const ys = all.map((p) => p[1]).concat([...refs.values()].map((r) => r.y)).filter((y) => Number.isFinite(y) && (!logY || y > 0));
    const x = d3.scaleLinear().domain(domain(all.map((p) => p[0]), xDomain, false)).range([0, iw]);
    const y = (logY ? d3.scaleLog() : d3.scaleLinear()).domain(domain(ys, yDomain, logY)).range([ih, 0]);
    if (!yDomain && !logY) y.nice();
    gx.call(d3.axisBottom(x).ticks(6));
    gy.call(d3.axisLeft(y).ticks(5, logY ? "~g" : undefined));
    const line = d3.line().defined((p) => Number.isFinite(p[1]) && (!logY || p[1] > 0)).x((p) => x(p[0])).y((p) => y(p[1]));
    lines.selectAll("path").data([...data.values()], (s) => s.name).join("path")
      .attr("class", "series").attr("stroke", (s) => s.color).attr("stroke-dasharray", (s) => (s.dashed ? "5 4" : null))
      .attr("d", (s) => line(s.points.filter((p) => !(p[1] > y.domain()[1] * 1e6))));
    hlines.selectAll("g").data([...refs.entries()], (d) => d[0]).join((enter) => {
      const e = enter.append("g");
      e.append("line").attr("stroke-dasharray", "3 3");
      e.append("text").attr("text-anchor", "end");
      return e;
    }).each(function ([, r]) {
      const yy = y(r.y);
      const s = d3.select(this);
      s.select("line").attr("x1", 0).attr("x2", iw).attr("y1", yy).attr("y2", yy).attr("stroke", r.color || "currentColor");
      s.select("text").attr("x", iw - 4).attr("y", yy - 4).text(r.label);
    });
    const shown = [...data.values()].filter((s) => s.points.length);
    legend.attr("transform", `translate(${M.left + 8},${M.top + 4})`).selectAll("g").data(shown, (s) => s.name).join((enter) => {
      const e = enter.append("g");
      e.append("rect").attr("width", 14).attr("height", 3).attr("y", 6);
      e.append("text").attr("x", 20).attr("y", 11);
      return e;
    }).attr("transform", (s, i) => `translate(${i * 130},0)`).each(function (s) {
      d3.select(this).select("rect").attr("fill", s.color);
      d3.select(this).select("text").text(s.name);
    });
  }
  const schedule = () => { if (!frame) frame = requestAnimationFrame(draw); };
  draw();
  return {
    svg: svg.node(),
    set(name, points) { data.get(name).points = points.slice(); schedule(); },
    append(name, point) { data.get(name).points.push(point); schedule(); },
    points(name) { return data.get(name).points; },
    hline(key, yValue, label = "", color = null) { refs.set(key, { y: yValue, label, color }); schedule(); },
    clear() { data.forEach((s) => (s.points = [])); refs.clear(); schedule(); },
    redraw: draw,
  };
}
