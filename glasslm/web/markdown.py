"""Chapter prose: markdown to HTML, with formulas, demos and key ideas.

Beyond CommonMark, a chapter.md may use:
- `$...$` and `$$...$$` for formulas (rendered by KaTeX in the browser);
- a line `@demo NAME` where the demo NAME (from the chapter's demo.js) goes;
- `::: key` ... `:::` for the section's one-line "Key idea" box;
- `::: note` ... `:::` for an aside;
- `{{ name }}` for a number the engine knows (chapters/facts.py), so prose and
  code cannot disagree: "SmolLM2 has {{ smollm2_layers }} layers";
- `[[slug]]` for a link to another chapter, shown with its current number and
  title (its number, then *Embeddings: ...*), `[[slug|words]]` with words of your
  own, and `[[slug#section-id]]` to a section (the id of a `## ` heading:
  lower case, punctuation dropped, spaces as hyphens). Chapters are never
  referred to by a typed number, so renumbering cannot make prose wrong.

An unknown fact, chapter or section raises ValueError: the page fails loudly
(and so does tests/api/test_prose.py) instead of showing a wrong sentence.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

_DEMO_LINE = re.compile(r"^@demo\s+([a-z0-9][a-z0-9-]*)\s*$", re.MULTILINE)
FACT = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")
XREF = re.compile(r"\[\[([a-z0-9-]+)(?:#([a-z0-9-]+))?(?:\|([^\]]+))?\]\]")
HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


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
    md.use(anchors_plugin, min_level=2, max_level=2, slug_func=section_id)
    return md


def section_id(title: str) -> str:
    """The id a `## title` heading gets: what `[[slug#id]]` points at."""
    title = re.sub(r"[^\w\s-]", "", title.strip().lower())
    return re.sub(r"\s+", "-", title)


def section_ids(text: str) -> list[str]:
    return [section_id(t) for t in HEADING.findall(text)]


_MD = _renderer()


def _fact(m: re.Match) -> str:
    from glasslm.chapters import facts

    try:
        return facts.value(m.group(1))
    except facts.UnknownFact as e:
        raise ValueError(str(e)) from None


def _xref(m: re.Match) -> str:
    from glasslm.chapters.registry import PLAN

    slug, section, words = m.groups()
    chapter = next((c for c in PLAN if c.slug == slug), None)
    if chapter is None or not chapter.exists:
        raise ValueError(f"[[{slug}]] refers to no chapter; chapters: {', '.join(c.slug for c in PLAN if c.exists)}")
    href = f"/chapters/{slug}"
    if section:
        if section not in section_ids((chapter.folder / "chapter.md").read_text(encoding="utf-8")):
            raise ValueError(f"[[{slug}#{section}]]: the chapter {slug} has no section with that id")
        href += f"#{section}"
    name = f"chapter {chapter.number}, {chapter.title}"
    text = words or f"chapter {chapter.number}, *{chapter.title}*"
    return f'[{text}]({href} "{name}")'


def resolve(text: str) -> str:
    """The markdown with every `{{ fact }}` and `[[chapter]]` written out (still markdown)."""
    return XREF.sub(_xref, FACT.sub(_fact, text))


def render(text: str) -> str:
    text = _DEMO_LINE.sub(lambda m: f'<div class="demo" data-demo="{m.group(1)}"></div>\n', resolve(text))
    return _MD.render(text)


@lru_cache(maxsize=64)
def _render_file(path: str, mtime: float) -> str:
    return render(Path(path).read_text(encoding="utf-8"))


def render_file(path: Path) -> str:
    return _render_file(str(path), path.stat().st_mtime)


def demo_names(text: str) -> list[str]:
    return _DEMO_LINE.findall(text)
