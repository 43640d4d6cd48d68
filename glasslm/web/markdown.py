"""Chapter prose: markdown to HTML, with formulas, demos and key ideas.

Beyond CommonMark, a chapter.md may use:
- `$...$` and `$$...$$` for formulas (rendered by KaTeX in the browser);
- a line `@demo NAME` where the demo NAME (from the chapter's demo.js) goes;
- `::: key` ... `:::` for the section's one-line "Key idea" box;
- `::: note` ... `:::` for an aside.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

_DEMO_LINE = re.compile(r"^@demo\s+([a-z0-9][a-z0-9-]*)\s*$", re.MULTILINE)


def _box(kind: str, label: str):
    def render(self, tokens, idx, options, env):
        if tokens[idx].nesting == 1:
            return f'<aside class="box box-{kind}"><p class="box-label">{label}</p>\n'
        return "</aside>\n"
    return render


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": True}).enable("table")
    md.use(dollarmath_plugin, double_inline=True)
    md.use(container_plugin, name="key", render=_box("key", "Key idea"))
    md.use(container_plugin, name="note", render=_box("note", "Note"))
    return md


_MD = _renderer()


def render(text: str) -> str:
    text = _DEMO_LINE.sub(lambda m: f'<div class="demo" data-demo="{m.group(1)}"></div>\n', text)
    return _MD.render(text)


@lru_cache(maxsize=64)
def _render_file(path: str, mtime: float) -> str:
    return render(Path(path).read_text(encoding="utf-8"))


def render_file(path: Path) -> str:
    return _render_file(str(path), path.stat().st_mtime)


def demo_names(text: str) -> list[str]:
    return _DEMO_LINE.findall(text)
