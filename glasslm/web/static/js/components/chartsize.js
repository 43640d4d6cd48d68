// Sizing shared by the SVG charts (lineChart, scatterPlot, barChart, heatmap): each draws
// one viewBox unit per CSS pixel of its box, so its text keeps its CSS size on a phone and
// a wide box gets more ticks rather than bigger letters.

const W = 640;            // the width a chart's `height` is designed for
const MIN_SHAPE = 0.75;   // a narrow chart keeps at least this share of its height, so the plot stays tall enough to read
const RESIZE_MS = 120;    // wait this long after the last size change before redrawing (dragging a window edge)
const X_TICK_PX = 80;     // about one x tick per this many pixels of plot (6 at the usual 584), at least 3
const Y_TICK_PX = 22;     // about one y tick per this many pixels of plot, at most 5

// Calls redraw(width) with the SVG's width in CSS pixels now and whenever it changes
// (debounced), so a chart can draw one viewBox unit per CSS pixel. A box that is not
// laid out yet (hidden, not attached) counts as `fallback` wide until it is.
// Returns the current width.
export function fitWidth(svgNode, redraw, fallback = W) {
  const measure = () => Math.round(svgNode.getBoundingClientRect().width);
  let width = measure() || fallback;
  let timer = null;
  if (typeof ResizeObserver === "function") {
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (!svgNode.isConnected) return;
        const now = measure();
        if (now > 0 && now !== width) { width = now; redraw(width); }
      }, RESIZE_MS);
    });
    observer.observe(svgNode);
  }
  redraw(width);
  return width;
}

// The height a chart drawn `width` wide gets, for a chart designed `height` tall at 640 wide:
// also tall enough for its turned y axis title (`title`, an SVG text centred on a plot
// with margins m) to fit whole, which a short chart on a phone may not be.
export function heightFor(width, height, title, m) {
  const long = title ? title.getComputedTextLength() - m.top + m.bottom + 4 : 0;
  return Math.round(Math.max(height * Math.max(width / W, MIN_SHAPE), long));
}

// Keeps an x axis' outermost labels inside the picture: a label that would run past the
// plot by more than the margin on that side (a wide "1,000,000" under the last tick) is
// moved in and anchored at the edge. `scale` is the axis' scale; left/right the margins.
export function keepTicksInside(gAxis, scale, left, right) {
  const d3 = window.d3, [, end] = scale.range();
  gAxis.selectAll(".tick text").attr("text-anchor", null).attr("x", null).each(function (v) {
    const at = scale(v), half = this.getComputedTextLength() / 2;
    const text = d3.select(this);
    if (at + half > end + right) text.attr("text-anchor", "end").attr("x", end + right - 1 - at);
    else if (at - half < -left) text.attr("text-anchor", "start").attr("x", 1 - left - at);
  });
}

// How many ticks to ask d3 for on an axis `length` pixels long.
export const xTickCount = (length) => Math.max(3, Math.min(6, Math.floor(length / X_TICK_PX)));
export const yTickCount = (length) => Math.max(2, Math.min(5, Math.floor(length / Y_TICK_PX)));
