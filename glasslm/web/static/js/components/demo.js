// The frame every demo shares: title, controls, picture, readout, a plain
// error sentence beside the control that caused it, progress for slow work,
// and "Under the hood" (the engine source that computed it and the raw JSON).

import { ApiError, getJSON } from "../api.js";

const PROGRESS_AFTER_MS = 150;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}
export { h };

export function demoFrame(el, { title, stacked = false, sources = [] } = {}) {
  el.replaceChildren();
  const titleEl = title ? h("h3", { class: "demo-title", text: title }) : null;
  const controls = h("div", { class: "demo-controls" });
  const picture = h("div", { class: "demo-picture" });
  const body = h("div", { class: stacked ? "demo-body stacked" : "demo-body" }, controls, picture);
  const status = h("div", { class: "demo-status", role: "status", "aria-live": "polite" });
  const error = h("div", { class: "demo-error", role: "alert", hidden: true });
  const readout = h("div", { class: "demo-readout", "aria-live": "polite" });
  const hoodJSON = h("pre", { class: "hood-json" }, h("code", { text: "(nothing computed yet)" }));
  const hoodSource = h("div", { class: "hood-source" });
  const hood = h("details", { class: "hood" },
    h("summary", { text: "Under the hood" }),
    h("h4", { text: "The engine code that computed this" }), hoodSource,
    h("h4", { text: "The raw JSON the API returned" }), hoodJSON);
  el.append(...[titleEl, body, error, status, readout, hood].filter(Boolean));

  let sourceNames = [...sources];
  const newest = {};  // run key -> number of its newest call
  let sourcesShown = "";
  async function showSources() {
    const key = sourceNames.join(",");
    if (!hood.open || key === sourcesShown) return;
    sourcesShown = key;
    hoodSource.replaceChildren();
    for (const name of sourceNames) {
      try {
        const s = await getJSON("/api/source", { name });
        hoodSource.append(h("p", { class: "mono", text: `${s.file}, line ${s.line}` }),
          h("pre", {}, h("code", { text: s.source })));
      } catch (e) {
        hoodSource.append(h("p", { class: "demo-error", text: e.message }));
      }
    }
  }
  hood.addEventListener("toggle", showSources);

  const frame = {
    el, controls, picture, readout, status,
    add(...nodes) { controls.append(...nodes); return frame; },
    clearError() {
      error.hidden = true;
      el.querySelectorAll(".field-error").forEach((n) => n.remove());
      el.querySelectorAll(".control-invalid").forEach((n) => { n.classList.remove("control-invalid"); n.removeAttribute("aria-invalid"); });
    },
    // Show a sentence beside the control named `field` (data-field), else at the top.
    setError(message, field = null) {
      frame.clearError();
      const control = field ? el.querySelector(`[data-field="${CSS.escape(field)}"]`) : null;
      if (control) {
        const input = control.querySelector("input, textarea, select") || control;
        input.classList.add("control-invalid");
        input.setAttribute("aria-invalid", "true");
        control.append(h("div", { class: "field-error", role: "alert", text: message }));
      } else {
        error.textContent = message;
        error.hidden = false;
      }
    },
    setReadout(items) {
      readout.replaceChildren(...items.map(({ label, value }) =>
        h("div", { class: "readout-item" }, h("span", { class: "label", text: label }), h("span", { class: "value num", text: value }))));
    },
    setStatus(text) { status.textContent = text || ""; },
    // Record what the API returned (and which engine code computed it).
    hood(data, names = null) {
      hoodJSON.firstChild.textContent = JSON.stringify(data, null, 2).slice(0, 200000);
      if (names) { sourceNames = names; showSources(); }
    },
    // Run an API call: clears old errors, shows progress when slow, shows
    // ApiErrors beside their control. Returns the result, or null on error.
    // Calls sharing a `key` (one control's updates) return only the newest
    // call's result: an older answer that arrives late returns null instead of
    // drawing stale numbers over fresh ones.
    async run(call, { progress = "Computing…", key = null } = {}) {
      frame.clearError();
      const mine = key === null ? 0 : (newest[key] = (newest[key] || 0) + 1);
      const stale = () => key !== null && newest[key] !== mine;
      let shown = progress, watching = null;
      const timer = setTimeout(() => {
        picture.classList.add("loading");
        frame.setStatus(progress);
        // While SmolLM2 loads at server start, say so (and for how long) instead of a bare "Computing…".
        watching = watchModelLoad((note) => { if (status.textContent === shown) frame.setStatus(shown = `${progress} ${note}`); });
      }, PROGRESS_AFTER_MS);
      try {
        const result = await call();
        return stale() ? null : result;
      } catch (e) {
        if (e.name === "AbortError" || stale()) return null;
        frame.setError(e instanceof ApiError ? e.message : String(e), e.field);
        return null;
      } finally {
        clearTimeout(timer);
        watching?.();
        picture.classList.remove("loading");
        if (status.textContent === shown) frame.setStatus("");
      }
    },
  };
  return frame;
}

// Polls the server's SmolLM2 load state every half second until it is ready or stop() is
// called, passing a sentence while it loads. Once ready, never polls again on this page.
let modelReady = false;
const LOAD_STAGES = { loading: "reading its weights", warming: "its first pass over the weights" };
function watchModelLoad(onNote) {
  if (modelReady) return () => {};
  let stopped = false, timer = null;
  async function poll() {
    try {
      const s = await getJSON("/api/models/smollm2");
      if (stopped) return;
      if (s.state === "ready" || s.state === "error" || s.state === "idle") { modelReady = s.state === "ready"; return; }
      onNote(`(SmolLM2 is still loading: ${LOAD_STAGES[s.state]}, ${s.seconds.toFixed(1)} s so far.)`);
    } catch { return; }
    timer = setTimeout(poll, 500);
  }
  poll();
  return () => { stopped = true; clearTimeout(timer); };
}

// Debounce for controls that fire on every movement (sliders, typing).
// Lay the frame's controls out in a wrapping row above a full-width picture (call after adding them).
export function rowControls(f) {
  Object.assign(f.controls.style, { flexDirection: "row", flexWrap: "wrap", alignItems: "flex-end", gap: ".7rem 1.2rem" });
  for (const c of f.controls.children) c.style.minWidth = "170px";
}

export function debounce(fn, wait = 120) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), wait); };
}

// Keep only the latest of overlapping requests (typing fast).
export function latest() {
  let controller = null;
  return () => { controller?.abort(); controller = new AbortController(); return controller.signal; };
}
