// TokenStrip's front end: the guide's token strip, redrawn as you type (the kernel tokenizes).

import { textInput } from "/static/js/components/controls.js";
import { debounce, h } from "/static/js/components/demo.js";
import { tokenStrip } from "/static/js/components/tokenstrip.js";
import { count } from "/static/js/components/format.js";
import { errorLine, listen, setTraits, widgetRoot } from "./common.js";

function render({ model, el }) {
  widgetRoot(el);
  const send = debounce((v) => setTraits(model, { text: v }), 150);
  const text = textInput({ label: "Text", field: "text", value: model.get("text"), multiline: true, oninput: send });
  const error = errorLine(model);
  const strip = h("div");
  const caption = h("div", { class: "demo-status" });
  el.append(text.el, error.el, strip, caption);
  const tokens = tokenStrip(strip, { label: "Tokens" });
  function draw() {
    const list = model.get("tokens");
    tokens.update(list);
    caption.textContent = `${count(list.length)} tokens (${model.get("tokenizer_name")}), ${count(model.get("text").length)} characters.`;
  }
  const off = listen(model, { tokens: draw });
  draw();
  return () => { off(); error.off(); };
}

export default { render };
