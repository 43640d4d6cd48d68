"""Chapters' own SVG pictures (not the shared charts) keep readable text on a phone.

Each picture either draws one viewBox unit per CSS pixel of its box (fitWidth, re-laid out
from the width), or keeps a minimum drawing width inside a box that scrolls sideways, so on
a 360 px wide screen its text is not scaled down to 5-7 px as it was; on a laptop it is not
blown up either, and the page itself never scrolls sideways. Sizes are the rendered boxes
(getBoundingClientRect) of the real chapters' pictures in Chromium.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.viewports import open_at

PHONE = {"width": 360, "height": 800}
LAPTOP = {"width": 1200, "height": 900}
READABLE_PX = 9  # a text box at least this tall (10-12 px text is about 12-15 px tall; the old ones were 5-8)
NOT_BLOWN_UP_PX = 16  # and at most this tall on a laptop

# slug -> (the picture's text elements, an element to wait for before measuring)
PICTURES = {
    "learning-loop": ("svg.ll-valley text", "svg.ll-valley .axis .tick text"),
    "neurons": ("svg.nn-net text", "svg.nn-net g.neuron text"),
    "attention": (".att-gqa svg text", ".att-gqa svg text"),
    "serving": (".sv-journey svg text", ".sv-journey svg text"),
    "post-training": ("svg.pt-pipeline text", "svg.pt-pipeline text"),
}

# The letters' heights of the shown text (a rotated title's box is as wide as its letters are
# tall) once the picture has redrawn at its shown width, and whether the page overflows sideways.
MEASURE = """(sel) => {
    const texts = [...document.querySelectorAll(sel)].filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0);
    return {heights: texts.map((t) => { const b = t.getBoundingClientRect();
                                        return /rotate/.test(t.getAttribute('transform') || '') ? b.width : b.height; }),
            pageWidth: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth};
}"""


def measure(browser, server, viewport, slug, only=None):
    context, page, errors = open_at(browser, server, viewport, slug)
    texts, ready = PICTURES[slug]
    expect(page.locator(ready).first).to_be_attached(timeout=30_000)
    # the picture itself, not one of its texts: a redraw replaces the texts while we scroll
    page.locator(texts.rsplit(" ", 1)[0]).first.scroll_into_view_if_needed()
    # let a debounced redraw at the shown width happen: measure until two readings agree
    # (a busy machine can take a few seconds to load SmolLM2's numbers and redraw)
    got, previous = None, object()
    for _ in range(40):
        page.wait_for_timeout(300)
        got = page.evaluate(MEASURE, only or texts)
        if got == previous:
            break
        previous = got
    context.close()
    assert not errors, errors
    assert got["heights"], f"no text shown in {slug}'s picture"
    return got


@pytest.mark.parametrize("slug", list(PICTURES))
def test_picture_text_is_readable_on_a_phone(browser, server, slug):
    got = measure(browser, server, PHONE, slug)
    assert min(got["heights"]) >= READABLE_PX, f"{slug}: text {min(got['heights']):.1f} px tall on a phone"
    assert got["pageWidth"] <= got["viewport"], f"{slug}: the page scrolls sideways on a phone {got}"


# on a laptop post-training's body text (its 15 px bold box titles are meant to be bigger)
LAPTOP_TEXT = {"post-training": "svg.pt-pipeline .pt-box-text, svg.pt-pipeline .pt-box-gives"}


@pytest.mark.parametrize("slug", list(PICTURES))
def test_picture_text_is_not_blown_up_on_a_laptop(browser, server, slug):
    got = measure(browser, server, LAPTOP, slug, LAPTOP_TEXT.get(slug))
    assert READABLE_PX <= max(got["heights"]) <= NOT_BLOWN_UP_PX, (
        f"{slug}: text {max(got['heights']):.1f} px tall on a laptop"
    )


# Pictures that draw only once the learner has run their demo:
# slug -> (the picture's text elements, what the learner does, an element to wait for)
def _run_all(page):
    page.locator('.demo[data-demo="graph"]').get_by_role("button", name="Run all").click()


def _train_diffusion(page):
    demo = page.locator('.demo[data-demo="training"]')
    demo.get_by_label("Steps", exact=True).fill("100")
    demo.get_by_role("button", name="Train").click()
    expect(demo.locator(".demo-status")).to_contain_text("Done", timeout=60_000)


def _run_questions(page):
    page.locator('.demo[data-demo="reliability"]').get_by_role("button", name="Run the questions").click()


AFTER_RUN = {
    "autograd": (".ag-graph svg text", _run_all, ".ag-graph svg .edge-label"),
    "diffusion": (
        '.demo[data-demo="training"] .pointcloud text',
        _train_diffusion,
        '.demo[data-demo="training"] .pointcloud circle',
    ),
    "fine-tuning": ("svg.ft-hist text", lambda page: None, "svg.ft-hist rect"),
    "hallucination": ("svg.hl-rel text", _run_questions, "svg.hl-rel .hl-bin"),
    "neurons": ("svg.pc-square text", lambda page: None, "svg.pc-square text"),
}


def measure_after_run(browser, server, viewport, slug):
    context, page, errors = open_at(browser, server, viewport, slug)
    texts, act, ready = AFTER_RUN[slug]
    act(page)
    expect(page.locator(ready).first).to_be_attached(timeout=180_000)
    # the picture itself, not one of its texts: a redraw replaces the texts while we scroll
    page.locator(texts.rsplit(" ", 1)[0]).first.scroll_into_view_if_needed()
    page.wait_for_timeout(400)  # let a debounced redraw at the shown width happen
    got = page.evaluate(MEASURE, texts)
    context.close()
    assert not errors, errors
    assert got["heights"], f"no text shown in {slug}'s picture"
    return got


@pytest.mark.slow
@pytest.mark.parametrize("slug", list(AFTER_RUN))
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_pictures_drawn_after_a_run_are_readable(browser, server, slug, viewport):
    got = measure_after_run(browser, server, viewport, slug)
    assert min(got["heights"]) >= READABLE_PX, f"{slug}: text {min(got['heights']):.1f} px tall at {viewport}"
    assert max(got["heights"]) <= NOT_BLOWN_UP_PX, f"{slug}: text {max(got['heights']):.1f} px tall at {viewport}"
    assert got["pageWidth"] <= got["viewport"], f"{slug}: the page scrolls sideways {got}"


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_3d_word_map_draws_at_its_shown_size(browser, server, viewport):
    """The canvas' pixels match its CSS box, so its 12 px labels are 12 px on screen, not stretched."""
    context, page, errors = open_at(browser, server, viewport, "embeddings")
    canvas = page.locator('.demo[data-demo="space-3d"] canvas')
    expect(canvas).to_have_attribute("data-hidden-labels", re.compile(r"^\d+$"), timeout=30_000)
    got = canvas.evaluate("(c) => [c.width, Math.round(c.clientWidth * devicePixelRatio), c.clientHeight, innerHeight]")
    context.close()
    assert not errors, errors
    assert got[0] == got[1] and got[2] >= 300, got
