"""Chapters use the shared front-end kit instead of growing their own copies.

Read from the chapters' ES modules: a chapter that writes its own Run/Stop
pair around streamJob, its own cssVar, rowControls or progressBar (or a bare
<progress>), or injects a <style> string fails here with the file to fix. (What the kit's pieces do on
screen is checked by each chapter's browser test.)
"""

import re
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parents[2] / "glasslm" / "chapters"
FILES = sorted(CHAPTERS.glob("*/*.js"))

# streamJob without Run/Stop buttons: waiting for a model the server trains once, shared by every demo.
SHARED_MODEL_WAITS = {"generation/demo.js", "post_training/tiny.js"}


def _name(f: Path) -> str:
    return f"{f.parent.name}/{f.name}"


@pytest.mark.parametrize("f", FILES, ids=_name)
def test_no_private_copies_of_the_kit(f):
    src = f.read_text(encoding="utf-8")
    for helper in ("jobButtons", "cssVar", "rowControls", "progressBar"):
        own = re.search(rf"function {helper}\b", src)
        assert not own, f"{_name(f)} defines its own {helper}: import the shared one"
    assert 'h("style"' not in src, f"{_name(f)} injects CSS: move it into the chapter's style.css"
    assert 'h("progress"' not in src, f"{_name(f)} builds its own <progress>: use progressBar (controls.js)"


@pytest.mark.parametrize("f", FILES, ids=_name)
def test_jobs_with_run_and_stop_go_through_job_buttons(f):
    src = f.read_text(encoding="utf-8")
    if "streamJob(" in src:
        assert _name(f) in SHARED_MODEL_WAITS, f"{_name(f)} follows a job by hand: use jobButtons(...).follow"


def test_the_shared_model_waits_still_exist():
    """If one of these stops calling streamJob, drop it from SHARED_MODEL_WAITS."""
    for name in SHARED_MODEL_WAITS:
        assert "streamJob(" in (CHAPTERS / name).read_text(encoding="utf-8"), name
