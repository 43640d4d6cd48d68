// A small MLP drawn neuron by neuron for one data point.
// forward: neurons coloured by their value, connections by their weight;
// backward: neurons by dL/dz (the gradient at their input sum), connections by dL/dw.
// Blue negative, orange positive (the guide's diverging scale); thicker is larger.
// Drawn one viewBox unit per CSS pixel of its box (fitWidth), the columns spread over the
// width, so its numbers keep their 10 px on a phone; narrow columns get short layer names.

import { diverging, textOn } from "/static/js/components/color.js";
import { fixed } from "/static/js/components/format.js";
import { fitWidth } from "/static/js/components/chartsize.js";

const H = 300, R = 17;
const SHORT_NAMES_BELOW = 90;  // columns closer than this (px) are named "in", "h1", "out": "hidden 1" is about 45 px wide

export function networkDiagram(container) {
  const d3 = window.d3;
  const svg = d3.select(container).append("svg").attr("class", "chart nn-net")
    .attr("role", "img").attr("aria-label", "The network, neuron by neuron");
  const gE = svg.append("g"), gN = svg.append("g"), gL = svg.append("g");
  let W = 640, shown = null;
  fitWidth(svg.node(), (width) => {
    W = width;
    svg.attr("viewBox", `0 0 ${W} ${H}`);
    if (shown) update(...shown);
  });

  function update(trace, mode) {
    shown = [trace, mode];
    const sizes = trace.layers.map((l) => l.a.length);
    const cols = sizes.length;
    const xAt = (c) => 50 + (c * (W - 100)) / (cols - 1);
    const short = (W - 100) / (cols - 1) < SHORT_NAMES_BELOW;
    const yAt = (c, i) => H / 2 + (i - (sizes[c] - 1) / 2) * Math.min(64, (H - 40) / Math.max(...sizes));
    const forward = mode === "forward";
    const edges = [];
    trace.weights.forEach((w, l) => w.W.forEach((row, i) => row.forEach((v, j) =>
      edges.push({ l, i, j, w: v, g: w.dW[i][j] }))));
    const eKey = forward ? "w" : "g";
    const eMax = Math.max(1e-12, ...edges.map((e) => Math.abs(e[eKey])));
    gE.selectAll("line").data(edges).join("line")
      .attr("x1", (e) => xAt(e.l)).attr("y1", (e) => yAt(e.l, e.i)).attr("x2", (e) => xAt(e.l + 1)).attr("y2", (e) => yAt(e.l + 1, e.j))
      .attr("stroke", (e) => diverging(e[eKey], eMax)).attr("stroke-width", (e) => 0.6 + (4 * Math.abs(e[eKey])) / eMax)
      .selectAll("title").data((e) => [e]).join("title").text((e) => `weight ${fixed(e.w, 3)}, gradient dL/dw ${fixed(e.g, 4)}`);

    const neurons = [];
    trace.layers.forEach((layer, c) => layer.a.forEach((a, i) => {
      const last = c === cols - 1;
      const v = forward ? a : layer.dz ? layer.dz[i] : null;
      neurons.push({ c, i, v, last, z: layer.z ? layer.z[i] : null, a, dz: layer.dz ? layer.dz[i] : null });
    }));
    const hidden = neurons.filter((n) => n.v !== null && !(forward && n.last));
    const nMax = Math.max(1e-12, ...hidden.map((n) => Math.abs(n.v)));
    const fill = (n) => (n.v === null ? "var(--surface-2)" : forward && n.last ? diverging(n.v - 0.5, 0.5) : diverging(n.v, nMax));
    const g = gN.selectAll("g.neuron").data(neurons).join((enter) => {
      const e = enter.append("g").attr("class", "neuron");
      e.append("circle").attr("r", R).attr("stroke", "var(--border)");
      e.append("text").attr("text-anchor", "middle").attr("y", 4).style("font", "10px var(--mono)");
      e.append("title");
      return e;
    }).attr("transform", (n) => `translate(${xAt(n.c)},${yAt(n.c, n.i)})`);
    g.select("circle").attr("fill", fill);
    g.select("text").text((n) => (n.v === null ? "–" : fixed(n.v, 2))).style("fill", (n) => (n.v === null ? "var(--muted)" : textOn(fill(n))));
    g.select("title").text((n) => (n.c === 0 ? `input x${n.i + 1} = ${fixed(n.a, 4)}`
      : `z = ${fixed(n.z, 4)}, value = ${fixed(n.a, 4)}, dL/dz = ${fixed(n.dz, 4)}`));
    const out = short ? "out" : sizes[cols - 1] === 1 ? "output p(orange)" : "outputs p(blue), p(orange)";
    const names = sizes.map((s, c) => (c === 0 ? (short ? "in" : "input") : c === cols - 1 ? out : short ? `h${c}` : `hidden ${c}`));
    // a name wider than the room beside its column's centre is anchored at the picture's edge
    gL.selectAll("text").data(names).join("text").attr("y", 14).text((d) => d).each(function (d, c) {
      const x = xAt(c), half = this.getComputedTextLength() / 2;
      const [anchor, at] = x + half > W - 2 ? ["end", W - 2] : x - half < 2 ? ["start", 2] : ["middle", x];
      d3.select(this).attr("text-anchor", anchor).attr("x", at);
    });
  }
  return { svg: svg.node(), update };
}
