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


def _call_span(src: str, start: int) -> str:
    """The text of the call whose "(" is at src[start], up to its matching ")"."""
    depth = 0
    for i in range(start, len(src)):
        depth += {"(": 1, ")": -1}.get(src[i], 0)
        if depth == 0:
            return src[start : i + 1]
    return src[start:]


def _function_body(src: str, name: str, after: int) -> str:
    """The body of the first `function name(...)` defined after `after` (the same demo's), or the last before.

    From its line to the next line closing at its own indentation.
    """
    found = list(re.finditer(rf"^( *)(?:async )?function {name}\(.*$", src, re.M))
    later = [m for m in found if m.start() > after]
    m = later[0] if later else (found[-1] if found else None)
    if not m:
        return ""
    end = re.search(rf"^{m.group(1)}\}}", src[m.end() :], re.M)
    return src[m.start() : m.end() + (end.start() if end else len(src))]


@pytest.mark.parametrize("f", FILES, ids=_name)
def test_updates_fired_while_typing_drop_stale_answers(f):
    """A function that debounce(...) fires calls f.run with a key, so a slow old answer never draws over a newer one."""
    src = f.read_text(encoding="utf-8")
    fired = re.finditer(r"debounce\(\s*(?:\(\) => (?:\{[^}]*?)?)?(\w+)\(?", src)
    for fire in fired:
        name = fire.group(1)
        body = _function_body(src, name, fire.start()) if name != "async" else _call_span(src, fire.start() + 8)
        for m in re.finditer(r"\.run\(", body):
            call = _call_span(body, m.end() - 1)
            assert "key:" in call, f"{_name(f)}: {name}() is fired by debounce but its f.run(...) has no key"
