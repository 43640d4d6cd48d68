// The serving chapter: your own client. The exact curl and Python `openai` lines for
// this server's address (read from this page's own URL), and the latest requests the
// server's OpenAI-compatible /v1 API answered, from any client, refreshed every few seconds.

import { getJSON } from "/static/js/api.js";
import { demoFrame, h } from "/static/js/components/demo.js";
import { button, buttonRow } from "/static/js/components/controls.js";
import { fixed, count } from "/static/js/components/format.js";

const API = "/api/serving";
const POLL_MS = 2000;
const msText = (s) => (Number.isFinite(s) ? `${fixed(1000 * s, 0)} ms` : "–");

export function clientLines(base) {
  const v1 = `${base}/v1`;
  const curl = `curl -N ${v1}/chat/completions \\\n  -H "Content-Type: application/json" \\\n`
    + `  -d '{"model": "SmolLM2-135M-Instruct", "stream": true, "max_tokens": 40,\n`
    + `       "messages": [{"role": "user", "content": "What is a KV cache?"}]}'`;
  const python = `from openai import OpenAI\n\nclient = OpenAI(base_url="${v1}", api_key="not-needed")\n`
    + `reply = client.chat.completions.create(\n    model="SmolLM2-135M-Instruct", max_tokens=40,\n`
    + `    messages=[{"role": "user", "content": "What is a KV cache?"}])\nprint(reply.choices[0].message.content)`;
  return { curl, python };
}

export async function client(el) {
  const f = demoFrame(el, { title: "Talk to this server from your own program", stacked: true,
    sources: ["glasslm.engine.models.llama.smollm2:SmolLM2.generate"] });
  const base = window.location.origin;
  const { curl, python } = clientLines(base);
  const block = (label, code) => {
    const pre = h("pre", { class: "cl-code" }, h("code", { text: code }));
    const copy = button(`Copy ${label}`, async () => {
      try { await navigator.clipboard.writeText(code); f.setStatus(`${label} copied.`); }
      catch { f.setStatus("Select the text and copy it by hand (the browser refused the clipboard)."); }
    });
    return h("div", { class: "cl-block", "data-lang": label }, h("h4", { text: label }), pre, buttonRow(copy));
  };
  const table = h("table", { class: "sv-stages num cl-table" });
  const empty = h("p", { class: "sv-what cl-empty", text: "No requests yet: run one of the lines above in a terminal." });
  f.picture.append(block("curl", curl), block("Python", python), h("h4", { text: "Recent requests to /v1 on this server" }),
    empty, h("div", { class: "sv-scroll" }, table));

  let seen = "";
  async function refresh() {
    let d;
    try { d = await getJSON(`${API}/v1-requests`); } catch { return; }
    const key = JSON.stringify(d.requests);
    if (key === seen) return;
    seen = key;
    empty.hidden = d.requests.length > 0;
    table.hidden = !d.requests.length;
    const head = ["when", "endpoint", "client", "prompt", "reply", "first token", "total", "status", "text"];
    table.replaceChildren(h("tr", {}, ...head.map((t) => h("th", { text: t }))),
      ...d.requests.map((r) => h("tr", { "data-id": r.id },
        h("td", { text: new Date(r.received_unix * 1000).toLocaleTimeString() }),
        h("td", { text: r.endpoint.replace("/v1/", "") + (r.stream ? " (stream)" : "") }),
        h("td", { class: "cl-client", text: r.client || "–" }),
        h("td", { text: `${count(r.prompt_tokens)} tok` }),
        h("td", { text: `${count(r.completion_tokens)} tok` }),
        h("td", { text: msText(r.time_to_first_token_s) }),
        h("td", { text: msText(r.total_s) }),
        h("td", { class: "cl-status", text: r.status }),
        h("td", { class: "sv-what", text: r.preview }))));
    const last = d.requests[0];
    f.setReadout([
      { label: "requests seen", value: count(d.requests.length) },
      { label: "last time to first token", value: last ? msText(last.time_to_first_token_s) : "–" },
      { label: "last decode speed", value: last && last.total_s && last.completion_tokens > 1
        ? `${fixed((last.completion_tokens - 1) / (last.total_s - last.time_to_first_token_s), 1)} tokens/s` : "–" },
    ]);
    f.hood({ requests: d.requests });
  }
  await refresh();
  const timer = setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  window.addEventListener("pagehide", () => clearInterval(timer));
}
