"""The guide's look inside a notebook: the part of glasslm.css the widgets use.

The components colour everything from CSS custom properties (`--accent`,
`--seq-1`, the token tints) that color.js reads from the document's root, and
style their SVG and controls by class (`.chart text`, `.bars rect.bar`,
`.tokens .token-3`). A notebook page has none of that, and must not get the
guide's page-wide rules (its `body` font, its `main` padding). So `widget_css()`
takes from the guide's own stylesheet, read when the module is imported:

- the two sets of custom properties, light and dark; the dark set also applies
  when JupyterLab (body[data-jp-theme-light="false"]) or VS Code (body.vscode-dark)
  shows a dark theme, because color.js reads them from :root;
- the rules for the components' classes and plain buttons, each scoped under
  `.glasslm-widget`, the class every widget's root element carries.
"""

from __future__ import annotations

from functools import lru_cache

from glasslm.widgets.bundle import STATIC

CSS = STATIC / "css" / "glasslm.css"
ROOT = "glasslm-widget"
# Selectors starting with these are the components' own (controls.js, the charts, tokenstrip.js, demo.js's readout).
COMPONENT_PREFIXES = (
    ".control",
    ".button-row",
    ".segmented",
    ".progress-bar",
    ".chart",
    ".bars",
    ".tokens",
    ".token",
    ".demo-readout",
    ".readout-item",
    ".demo-status",
    ".demo-error",
    "button",
)
DARK = (
    ':root[data-theme="dark"]',
    ':root:has(body[data-jp-theme-light="false"])',
    ":root:has(body.vscode-dark)",
)


def top_level_rules(css: str) -> list[tuple[str, str]]:
    """(selector, body) of each top-level rule; @-blocks (media queries) are skipped whole."""
    rules, depth, start, selector = [], 0, 0, ""
    i = 0
    while i < len(css):
        if css.startswith("/*", i):  # comments may hold braces
            i = css.index("*/", i) + 2
            continue
        c = css[i]
        if c == "{":
            if depth == 0:
                selector, start = css[start:i], i + 1
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if not selector.strip().startswith("@"):
                    rules.append((_clean(selector), css[start:i].strip()))
                start = i + 1
        i += 1
    return rules


def _clean(selector: str) -> str:
    while "/*" in selector:
        a = selector.index("/*")
        selector = selector[:a] + selector[selector.index("*/", a) + 2 :]
    return " ".join(selector.split())


@lru_cache(maxsize=1)
def widget_css() -> str:
    """The widgets' stylesheet: the theme's custom properties and the components' rules, scoped."""
    out = []
    for selector, body in top_level_rules(CSS.read_text(encoding="utf-8")):
        if selector == ":root":
            out.append(f":root {{ {body} }}")
        elif selector == ':root[data-theme="dark"]':
            out.append(f"{', '.join(DARK)} {{ {body} }}")
        else:
            kept = [s.strip() for s in selector.split(",") if s.strip().startswith(COMPONENT_PREFIXES)]
            if kept:
                out.append(f"{', '.join(f'.{ROOT} {s}' for s in kept)} {{ {body} }}")
    out.append(
        f".{ROOT} {{ font: 14px/1.5 var(--font); color: var(--text); background: var(--surface); "
        "padding: .6rem .8rem; border: 1px solid var(--border); border-radius: var(--radius); }"
    )
    out.append(f".{ROOT}, .{ROOT} * {{ box-sizing: border-box; }}")  # the guide sets it page-wide; here only inside
    out.append(f".{ROOT} .glasslm-row {{ display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; }}")
    out.append(f".{ROOT} svg {{ width: 100%; height: auto; display: block; }}")
    out.append(f".{ROOT} .glasslm-samples {{ font-family: var(--mono); font-size: .9rem; color: var(--muted); }}")
    return "\n".join(out) + "\n"
