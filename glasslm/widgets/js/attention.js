// AttentionMap's front end: the guide's heat map of one head's weights, with layer and head pickers.
// Picking sets `layer`/`head`; the kernel answers with that head's `weights`.

import { heatmap } from "/static/js/components/heatmap.js";
import { select, textInput } from "/static/js/components/controls.js";
import { h } from "/static/js/components/demo.js";
import { visible } from "/static/js/components/tokenstrip.js";
import { pct } from "/static/js/components/format.js";
import { errorLine, listen, range, setTraits, widgetRoot } from "./common.js";

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
  const map = heatmap(picture, { scale: "sequential", format: (v) => pct(v), label: "Attention weights of one head" });

  function draw() {
    const tokens = model.get("tokens").map(visible);
    map.update(model.get("weights"), tokens, tokens);
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
