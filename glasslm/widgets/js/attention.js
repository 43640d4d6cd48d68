// AttentionMap's front end: the guide's heat map of one head's weights, with layer and head pickers.
// Picking sets `layer`/`head`; the kernel answers with that head's `weights`. Drawn as the attention
// chapter draws it: the causal triangle (row i has the weights on tokens 0..i, the rest masked), whole percents.

import { heatmap } from "/static/js/components/heatmap.js";
import { select, textInput } from "/static/js/components/controls.js";
import { h } from "/static/js/components/demo.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { pct } from "/static/js/components/format.js";
import { errorLine, listen, range, setTraits, widgetRoot } from "./common.js";

const CELL = 26;  // px per cell, as the attention chapter's map
const LABELS = 94;  // px the heat map keeps for row labels and margins
const GROW = 1.25;  // a wide notebook cell may enlarge the map this much, no more

function render({ model, el }) {
  widgetRoot(el);
  const text = textInput({ label: "Text (Enter to redraw)", field: "text", value: model.get("text"),
    onenter: (v) => setTraits(model, { text: v }) });
  const layer = select({ label: "Layer", field: "layer", options: range(model.get("n_layers")), value: String(model.get("layer")),
    onchange: (v) => setTraits(model, { layer: Number(v) }) });
  const head = select({ label: "Head", field: "head", options: range(model.get("n_heads")), value: String(model.get("head")),
    onchange: (v) => setTraits(model, { head: Number(v) }) });
  const error = errorLine(model);
  const picture = h("div", { class: "glasslm-picture" });
  const caption = h("div", { class: "demo-status" });
  el.append(h("div", { class: "glasslm-row" }, text.el, layer.el, head.el), error.el, picture, caption);
  const map = heatmap(picture, { cell: CELL, format: (v) => pct(v, 0), label: "Attention weights of one head" });

  function draw() {
    const tokens = model.get("tokens").map(visible);
    map.update(model.get("weights").map((row, i) => row.map((v, j) => (j <= i ? v : null))), tokens, tokens);
    map.svg.style.maxWidth = `${Math.round(GROW * (LABELS + tokens.length * CELL))}px`;
    layer.value = String(model.get("layer"));
    head.value = String(model.get("head"));
    caption.textContent = `${model.get("model_name")}, layer ${model.get("layer")}, head ${model.get("head")}: ` +
      "each row is a token, and its cells say how much it looks at each earlier token.";
  }
  const off = listen(model, { weights: draw, tokens: draw });
  draw();
  return () => { off(); error.off(); };
}

export default { render };
