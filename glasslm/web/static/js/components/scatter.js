// Points and the model's line through them (data against a fitted model).
// scatterPlot(container, {xLabel, yLabel}) -> {setPoints(points, highlight), setLine(pairs)}

const W = 640, H = 320, M = { top: 12, right: 16, bottom: 40, left: 56 };

export function scatterPlot(container, { xLabel = "", yLabel = "", xDomain = null, yDomain = null, label = "" } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart scatter").attr("viewBox", `0 0 ${W} ${H}`)
    .attr("role", "img").attr("aria-label", label || `${yLabel} against ${xLabel}`);
  const iw = W - M.left - M.right, ih = H - M.top - M.bottom;
  const g = svg.append("g").attr("transform", `translate(${M.left},${M.top})`);
  const gx = g.append("g").attr("class", "axis").attr("transform", `translate(0,${ih})`);
  const gy = g.append("g").attr("class", "axis");
  g.append("text").attr("x", iw / 2).attr("y", ih + 34).attr("text-anchor", "middle").text(xLabel);
  g.append("text").attr("transform", "rotate(-90)").attr("x", -ih / 2).attr("y", -42).attr("text-anchor", "middle").text(yLabel);
  const clip = `clip-${Math.random().toString(36).slice(2)}`;
  svg.append("clipPath").attr("id", clip).append("rect").attr("width", iw).attr("height", ih);
  const dots = g.append("g");
  const path = g.append("path").attr("clip-path", `url(#${clip})`).attr("fill", "none").attr("stroke", "var(--s2)").attr("stroke-width", 2.5);
  let x = d3.scaleLinear().range([0, iw]), y = d3.scaleLinear().range([ih, 0]);
  let points = [], line = [], highlight = null;
  function draw() {
    x.domain(xDomain || d3.extent(points, (p) => p[0])).nice();
    y.domain(yDomain || d3.extent(points, (p) => p[1])).nice();
    gx.call(d3.axisBottom(x).ticks(6));
    gy.call(d3.axisLeft(y).ticks(5));
    dots.selectAll("circle").data(points).join("circle").attr("cx", (p) => x(p[0])).attr("cy", (p) => y(p[1]))
      .attr("r", (p, i) => (i === highlight ? 6 : 3.2)).attr("fill", (p, i) => (i === highlight ? "var(--s2)" : "var(--s1)"))
      .attr("fill-opacity", (p, i) => (i === highlight ? 1 : 0.55));
    path.attr("d", line.length ? d3.line().x((p) => x(p[0])).y((p) => y(p[1]))(line) : null);
  }
  return {
    svg: svg.node(),
    setPoints(p, hl = null) { points = p; highlight = hl; draw(); },
    setLine(pairs) { line = pairs; draw(); },
  };
}
