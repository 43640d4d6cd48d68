"""The guide's prose stays true to the code and to its sources.

- `{{ fact }}` numbers come from the engine (chapters/facts.py): every one is
  known, checked here against the real model or data, and rendered into the page;
- `[[slug]]` cross-references point at chapters (and sections) that exist and
  show their current number and title; nothing says "chapter N" by number,
  in prose or in code;
- every paper the prose cites is listed in docs/sources.md with the chapters
  that cite it, and every year in the prose belongs to a citation.

Citation convention (what CITE matches): `Surname YEAR`, `Surname & Surname
YEAR`, `Surname and Surname YEAR` or `Surname et al. YEAR`, with an optional
comma or opening parenthesis before the year: "Hu et al. (2021, ...)",
"(Kingma & Ba 2015)". Model cards are cited as "NAME model card".
"""

import math
import re
from pathlib import Path

import pytest

from glasslm.chapters import facts
from glasslm.chapters.registry import PLAN, Registry
from glasslm.web import markdown

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = Registry().chapters
PROSE = {c.slug: (c.folder / "chapter.md").read_text(encoding="utf-8") for c in CHAPTERS}
# Modules whose published figures are shown on pages, with their sources.
FIGURE_MODULES = ["glasslm/engine/data/model_facts.py", "glasslm/engine/pretraining/training_compute.py"]
SOURCES = ROOT / "docs" / "sources.md"

NAME = r"[A-Z][\w'’-]+"
AUTHORS = rf"((?:{NAME}\s)?{NAME}|nostalgebraist)(?:\s+et\s+al\.|\s+(?:&|and)\s+{NAME})?"
CITE = re.compile(rf"\b{AUTHORS},?\s+\(?((?:19|20)\d\d)\b")
MODEL_CARD = re.compile(r"\b([A-Z][\w.-]*) model card")
YEAR = re.compile(r"(?<![\d,.])(?:19|20)\d\d(?!\d|,\d)")
BY_NUMBER = re.compile(r"\bchapters?\s+\d+", re.IGNORECASE)


def citations(text: str) -> set[str]:
    """Keys ("Surname YEAR", "NAME model card") of everything `text` cites."""
    keys = {f"{m.group(1).split()[-1]} {m.group(2)}" for m in CITE.finditer(text)}
    return keys | {f"{m.group(1)} model card" for m in MODEL_CARD.finditer(text)}


def sources_list() -> dict[str, set[str]]:
    """docs/sources.md: key -> the chapters (and figure modules) it says cite it."""
    listed: dict[str, set[str]] = {}
    for line in SOURCES.read_text(encoding="utf-8").splitlines():
        m = re.match(r"- \*\*(.+?)\*\*.*Cited in: (.+)\.\s*$", line)
        if m:
            (key,) = citations(m.group(1)) or {m.group(1)}
            listed.setdefault(key, set()).update(s.strip() for s in m.group(2).split(","))
    return listed


def cited() -> dict[str, set[str]]:
    """key -> the chapters (and figure modules) whose text cites it."""
    out: dict[str, set[str]] = {}
    texts = {**PROSE, **{Path(p).name: (ROOT / p).read_text(encoding="utf-8") for p in FIGURE_MODULES}}
    for where, text in texts.items():
        for key in citations(text):
            out.setdefault(key, set()).add(where)
    return out


# ------------------------------------------------------------------ facts


def test_every_fact_is_known_and_used():
    used = {name for text in PROSE.values() for name in markdown.FACT.findall(text)}
    assert used - set(facts.FACTS) == set(), "prose uses facts that do not exist"
    assert set(facts.FACTS) - used == set(), "facts nobody quotes: delete them"
    for name in facts.FACTS:
        assert facts.value(name).strip(), name


def test_unknown_fact_or_chapter_fails_loudly():
    with pytest.raises(ValueError, match="no fact named 'smollm2_wings'"):
        markdown.render("SmolLM2 has {{ smollm2_wings }} wings.")
    with pytest.raises(ValueError, match=r"\[\[no-such-chapter\]\] refers to no chapter"):
        markdown.render("See [[no-such-chapter]].")
    with pytest.raises(ValueError, match="has no section"):
        markdown.render("See [[tokens#no-such-section]].")


def test_smollm2_facts_match_the_loaded_model():
    """Independent of the metadata the facts read: the tensors the model actually computes with."""
    from glasslm import load_smollm2

    m = load_smollm2()
    w = m.model.w
    assert facts.value("smollm2_vocab") == f"{w.embed_tokens.shape[0]:,}"
    assert facts.value("smollm2_width") == f"{w.embed_tokens.shape[1]:,}"
    assert facts.value("smollm2_layers") == str(len(w.layers))
    assert facts.value("smollm2_params") == f"{m.parameter_counts()['total']:,}"
    assert facts.value("smollm2_im_end_id") == str(m.chat_template.end_id)
    assert facts.value("smollm2_merges") == f"{len(m.tokenizer.bpe.merges):,}"


def test_tiny_model_facts_match_what_the_engine_builds():
    from glasslm.engine.data import digits, name_data
    from glasslm.engine.models.tiny.gpt import TinyGPT, param_shapes

    model = TinyGPT()
    n = sum(math.prod(shape) for shape in param_shapes(model.config).values())
    assert facts.value("tiny_gpt_params") == f"{n:,}"
    assert facts.value("tiny_gpt_vocab") == str(name_data.first_names().tokenizer.vocab_size)
    d = digits.load()
    assert facts.value("digits_heldout") == f"{len(d.test_y):,}"
    assert facts.value("digits_total") == "1,797"  # scikit-learn's documented size of the digits set


def test_pages_show_the_engine_numbers(client):
    page = client.get("/chapters/attention").text
    assert f"SmolLM2 has {facts.value('smollm2_layers')} layers" in page
    assert "{{" not in page and "[[" not in page
    twin = client.get("/api/chapters/probability-and-loss").json()["markdown"]
    assert facts.value("smollm2_vocab") in twin and "{{" not in twin


# ------------------------------------------------------- cross-references


def test_every_chapter_renders_with_its_references_resolved(client):
    for c in CHAPTERS:
        html = client.get(f"/chapters/{c.slug}").text
        assert "{{" not in html and "[[" not in html, c.slug


def test_reference_shows_current_number_and_title():
    target = next(c for c in PLAN if c.slug == "embeddings")
    html = markdown.render("As [[embeddings]] showed, and [[embeddings#where-a-token-is|here]].")
    assert 'href="/chapters/embeddings"' in html
    assert f"chapter {target.number}, <em>{target.title}</em>" in html
    assert 'href="/chapters/embeddings#where-a-token-is"' in html and ">here</a>" in html
    assert '<h2 id="where-a-token-is">' in markdown.render(PROSE["embeddings"])


def test_no_chapter_is_named_by_its_number():
    """Prose, docstrings, comments and data files refer to chapters by slug, never "chapter 7"."""
    offenders = []
    for path in sorted((ROOT / "glasslm").rglob("*")):
        if path.suffix not in {".py", ".js", ".css", ".md", ".json", ".html"} or "vendor" in path.parts:
            continue
        if path.name == "registry.py":
            continue  # the one place that numbers chapters
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BY_NUMBER.search(line) and "{{ chapter.number }}" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_no_chapter_is_named_by_its_place():
    """ "The next chapter" is wrong as soon as chapters move: the prose names a slug instead."""
    relative = re.compile(r"\b(?:previous|next|following|preceding)\s+chapters?\b", re.IGNORECASE)
    offenders = [f"{slug}: {m.group(0)}" for slug, text in PROSE.items() for m in relative.finditer(text)]
    assert offenders == []


# ------------------------------------------------------------ citations


def test_every_citation_is_in_sources_with_the_chapters_citing_it():
    listed, found = sources_list(), cited()
    missing = sorted(set(found) - set(listed))
    assert missing == [], f"cited but not in docs/sources.md: {missing}"
    wrong = {k: (sorted(listed[k]), sorted(v)) for k, v in found.items() if listed[k] != v}
    assert wrong == {}, "docs/sources.md's 'Cited in' lists (listed, actual) disagree"
    assert sorted(set(listed) - set(found)) == [], "listed in docs/sources.md but cited nowhere"


def test_every_year_in_the_prose_belongs_to_a_citation():
    """A year with no author beside it is a claim without a source (or a citation in another form)."""
    loose = []
    for slug, text in PROSE.items():
        spans = [m.span(2) for m in CITE.finditer(text)]
        for m in YEAR.finditer(text):
            if not any(a <= m.start() < b for a, b in spans):
                loose.append(f"{slug}: …{text[max(0, m.start() - 50) : m.end() + 10]!r}")
    assert loose == []


def test_citation_convention_reads_the_usual_forms():
    assert citations("(Kingma & Ba 2015)") == {"Kingma 2015"}
    assert citations("Hu et al. (2021, Section 7)") == {"Hu 2021"}
    assert citations("Olsson et\nal. (2022, *In-context*)") == {"Olsson 2022"}
    assert citations("van den Oord et al. 2018") == {"Oord 2018"}
    assert citations("Spärck Jones 1972") == {"Jones 1972"}
    assert citations("the SmolLM2 model card") == {"SmolLM2 model card"}


def test_demo_labels_take_sizes_from_the_engine(client):
    """Sizes shown beside demos come from the loaded data, like the prose's facts."""
    d = client.post("/api/embeddings/analogy", json={"a": "king", "b": "man", "c": "woman"}).json()
    assert f"{d['searched']:,}" == facts.value("glove_words")
    d = client.post("/api/embeddings/space", json={"groups": ["animals"]}).json()
    assert str(d["dims"]) == facts.value("glove_dim")
    rows = client.post("/api/tokens/compare", json={"text": "hi"}).json()["rows"]
    assert facts.value("cl100k_vocab") in rows[1]["how"] and facts.value("smollm2_vocab") in rows[2]["how"]
