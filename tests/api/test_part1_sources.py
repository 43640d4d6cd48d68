"""Every engine function that chapters 3-5 show "Under the hood" exists and is served.

The names are read from the chapters' demo.js files, so a renamed engine function
fails here instead of leaving an error in the learner's panel.
"""

import re
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parents[2] / "glasslm" / "chapters"
FILES = [CHAPTERS / name / "demo.js" for name in ("learning_loop", "neurons", "autograd")]
NAMES = sorted({m for f in FILES for m in re.findall(r'"(glasslm\.engine\.[a-z_.]+:[A-Za-z_.]+)"', f.read_text())})


def test_names_were_found():
    assert len(NAMES) >= 10


@pytest.mark.parametrize("name", NAMES)
def test_source_is_served(client, name):
    r = client.get("/api/source", params={"name": name})
    assert r.status_code == 200, r.json()
    qualname = name.split(":")[1].split(".")[-1]
    assert re.search(rf"(def|class) {qualname}\b", r.json()["source"])
