// Points in the plane on fixed axes, coloured by class: the same frame for
// clean data, noised data and every step of denoising, so motion is visible.
// pointCloud(container, {label, extent}) -> {update(points, labels?)}

const SIZE = 360, PAD = 28;

export function pointCloud(container, { label = "points", extent = 2.5 } = {}) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart pointcloud").attr("viewBox", `0 0 ${SIZE} ${SIZE}`)
    .attr("role", "img").attr("aria-label", label);
  const x = d3.scaleLinear().domain([-extent, extent]).range([PAD, SIZE - PAD]);
  const y = d3.scaleLinear().domain([-extent, extent]).range([SIZE - PAD, PAD]);
  svg.append("g").attr("class", "axis").attr("transform", `translate(0,${SIZE - PAD})`).call(d3.axisBottom(x).ticks(5));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${PAD},0)`).call(d3.axisLeft(y).ticks(5));
  const dots = svg.append("g");
  const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function update(points, labels = null, { animate = false } = {}) {
    const sel = dots.selectAll("circle").data(points).join("circle").attr("r", 2.4)
      .attr("class", (p, i) => `pc-dot pc-class-${labels ? labels[i] : "none"}`);
    (animate && !reduced ? sel.transition().duration(120) : sel)
      .attr("cx", (p) => x(Math.max(-extent, Math.min(extent, p[0]))))
      .attr("cy", (p) => y(Math.max(-extent, Math.min(extent, p[1]))));
    svg.attr("data-count", points.length);
  }
  return { svg: svg.node(), update };
}
