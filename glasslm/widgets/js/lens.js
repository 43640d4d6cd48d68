// LogitLens' front end: pick a token of the guide's token strip, and the bar chart shows what the
// model would predict after it if it stopped after each layer (the logit lens), beside its real answer,
// with the residual stream's size after each layer (the transformer chapter's walk-through).
// Everything for every position is already in the state, so picking needs no kernel.

import { barChart } from "/static/js/components/barchart.js";
import { h } from "/static/js/components/demo.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { fixed, pct } from "/static/js/components/format.js";
import { listen, setTraits, widgetRoot } from "./common.js";

function render({ model, el }) {
  widgetRoot(el);
  const strip = h("div");
  const caption = h("div", { class: "demo-status" });
  const picture = h("div", { class: "glasslm-picture" });
  el.append(strip, caption, picture);
  const tokens = tokenStrip(strip, { label: "Pick a token", onPick: (i) => setTraits(model, { position: i }) });
  const bars = barChart(picture, { label: "Top guess after each layer", max: 1 });
  function draw() {
    const list = model.get("tokens"), n = list.length;
    const at = ((model.get("position") % n) + n) % n;
    tokens.update(list.map((text) => ({ text })), at);
    const final = model.get("final")[at];
    bars.update(model.get("layers")[at].map((r) => ({ label: `${r.layer === 0 ? "embedding" : `layer ${r.layer}`}: ${visible(r.text)}`,
      value: r.prob, highlight: r.text === final.text, note: `‖x‖ ${fixed(r.norm, 0)}` })));
    caption.textContent = `After “${visible(list[at])}” the model predicts “${visible(final.text)}” (${pct(final.prob)}). ` +
      "Highlighted: layers whose guess is already that token; ‖x‖ is the size (L2 norm) of the residual stream there.";
  }
  const off = listen(model, { position: draw, layers: draw });
  draw();
  return off;
}

export default { render };
