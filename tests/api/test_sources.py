"""Every engine function a demo shows "Under the hood" exists and is served.

The names are read from every chapter's front-end modules, so a renamed
engine function fails here instead of leaving an error in the learner's panel.
"""

import re
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parents[2] / "glasslm" / "chapters"
FILES = sorted(CHAPTERS.glob("*/*.js"))
PATTERN = r'"(glasslm\.engine\.[a-z_0-9.]+:[A-Za-z_0-9.]+)"'
NAMES = sorted({m for f in FILES for m in re.findall(PATTERN, f.read_text(encoding="utf-8"))})


def test_every_chapter_with_demos_names_its_engine_code():
    with_sources = {f.parent.name for f in FILES if re.search(PATTERN, f.read_text(encoding="utf-8"))}
    with_demos = {f.parent.name for f in CHAPTERS.glob("*/demo.js")}
    assert with_demos and with_sources == with_demos, with_demos - with_sources


@pytest.mark.parametrize("name", NAMES)
def test_source_is_served(client, name):
    r = client.get("/api/source", params={"name": name})
    assert r.status_code == 200, r.json()
    qualname = name.split(":")[1].split(".")[-1]
    assert re.search(rf"(def|class) {qualname}\b", r.json()["source"])
