// Every page: theme toggle, arrow-key navigation, progress kept in the
// browser, formulas, and mounting the chapter's demos.

import { themeChanged } from "./components/color.js";

const THEMES = ["system", "light", "dark"];
const store = {
  get(k, d) { try { return localStorage.getItem(k) ?? d; } catch (e) { return d; } },
  set(k, v) { try { localStorage.setItem(k, v); } catch (e) { /* private mode: keep going */ } },
};

const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme === "system" ? (systemDark.matches ? "dark" : "light") : theme;
  const button = document.getElementById("theme-toggle");
  if (button) {
    const name = theme[0].toUpperCase() + theme.slice(1);
    button.querySelector(".theme-label").textContent = name;
    button.setAttribute("aria-label", `Colour theme: ${name} (click to change)`);
  }
  themeChanged();
}

function setupTheme() {
  applyTheme(store.get("glasslm.theme", "system"));
  systemDark.addEventListener("change", () => applyTheme(store.get("glasslm.theme", "system")));
  document.getElementById("theme-toggle")?.addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(store.get("glasslm.theme", "system")) + 1) % THEMES.length];
    store.set("glasslm.theme", next);
    applyTheme(next);
  });
}

// ← and → move between chapters, never while a control has focus.
function setupKeys() {
  const body = document.body;
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable], [role=slider], [role=listbox], .demo svg, canvas")) return;
    const href = e.key === "ArrowLeft" ? body.dataset.prev : e.key === "ArrowRight" ? body.dataset.next : null;
    if (href) { e.preventDefault(); window.location.href = href; }
  });
}

function visited() {
  try { return new Set(JSON.parse(store.get("glasslm.visited", "[]"))); } catch (e) { return new Set(); }
}

function setupProgress() {
  const seen = visited();
  const slug = document.body.dataset.slug;
  if (slug) { seen.add(slug); store.set("glasslm.visited", JSON.stringify([...seen])); }
  const cards = document.querySelectorAll(".card[data-slug]");
  cards.forEach((card) => {
    const done = seen.has(card.dataset.slug);
    card.classList.toggle("visited", done);
    card.querySelector(".visited-badge")?.toggleAttribute("hidden", !done);
  });
  const line = document.getElementById("progress-line");
  if (line && cards.length) {
    const n = [...cards].filter((c) => seen.has(c.dataset.slug)).length;
    line.textContent = n ? `You have visited ${n} of ${cards.length} chapters.` : `${cards.length} chapters so far. Start anywhere; they build on each other in order.`;
  }
}

function renderMath() {
  if (!window.katex) return;
  document.querySelectorAll(".math").forEach((el) => {
    if (el.dataset.rendered) return;
    const display = el.classList.contains("block");
    try {
      window.katex.render(el.textContent, el, { displayMode: display, throwOnError: false });
      el.dataset.rendered = "1";
    } catch (e) { /* leave the TeX source visible */ }
  });
}

async function mountDemos() {
  const url = document.body.dataset.demos;
  const slots = document.querySelectorAll(".demo[data-demo]");
  if (!url || !slots.length) return;
  let module;
  try {
    module = await import(url);
  } catch (e) {
    slots.forEach((el) => { el.textContent = `This chapter's demos failed to load: ${e.message}`; el.classList.add("demo-error"); });
    throw e;
  }
  // Mount every demo at once: a slow one must not hold up the others.
  await Promise.allSettled([...slots].map(async (el) => {
    const mount = module.demos?.[el.dataset.demo];
    if (!mount) {
      el.textContent = `Unknown demo "${el.dataset.demo}".`;
      el.classList.add("demo-error");
      return;
    }
    try { await mount(el); } catch (e) {
      el.append(Object.assign(document.createElement("p"), { className: "demo-error", textContent: `This demo failed to start: ${e.message}` }));
      console.error(e);
    }
  }));
  document.body.dataset.demosReady = "1";
}

setupTheme();
setupKeys();
setupProgress();
renderMath();
mountDemos();
