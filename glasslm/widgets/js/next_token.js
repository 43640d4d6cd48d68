// NextToken's front end: the text as the guide's token strip, and the next token's likeliest
// choices as its bar chart. Picking a bar appends that token to the text; the kernel answers.

import { barChart } from "/static/js/components/barchart.js";
import { textInput } from "/static/js/components/controls.js";
import { h } from "/static/js/components/demo.js";
import { tokenStrip, visible } from "/static/js/components/tokenstrip.js";
import { fixed } from "/static/js/components/format.js";
import { errorLine, listen, setTraits, widgetRoot } from "./common.js";

function render({ model, el }) {
  widgetRoot(el);
  const text = textInput({ label: "Text (Enter to predict)", field: "text", value: model.get("text"),
    onenter: (v) => setTraits(model, { text: v }) });
  const error = errorLine(model);
  const strip = h("div");
  const picture = h("div", { class: "glasslm-picture" });
  const caption = h("div", { class: "demo-status" });
  el.append(text.el, error.el, strip, picture, caption);
  const tokens = tokenStrip(strip, { label: "The text's tokens" });
  const bars = barChart(picture, { label: "Next-token probabilities",
    onPick: (d) => setTraits(model, { text: model.get("text") + d.token }) });

  function draw() {
    text.value = model.get("text");
    tokens.update(model.get("tokens"));
    bars.update(model.get("top").map((t) => ({ label: visible(t.text), value: t.prob, token: t.text })));
    caption.textContent = `Uncertainty (entropy): ${fixed(model.get("entropy_bits"), 2)} bits. Pick a bar to append that token.`;
  }
  const off = listen(model, { top: draw, tokens: draw });
  draw();
  return () => { off(); error.off(); };
}

export default { render };
