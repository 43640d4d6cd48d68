"""Chapter 29 in Chromium: a neuron's top examples, a sparse autoencoder trained and its
features shown, an activation-patching sweep drawn row by row, bad input refused."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_block_slider_shows_each_block(page):
    """Dragging the Block slider: every block's neurons are read from the one pass over the texts."""
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="neurons"]')
    spread = demo.locator(".ip-note")
    expect(spread).to_contain_text("neurons of block 12", timeout=SMOLLM2_MS)
    slider = demo.locator('[data-field="layer"] input[type=range]')
    for block in (13, 14, 15):
        slider.press("ArrowRight")
        expect(spread).to_contain_text(f"neurons of block {block}", timeout=SMOLLM2_MS)
        expect(demo.locator(".ip-ex")).to_have_count(8)


def test_neuron_examples_and_suggestions(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="neurons"]')
    topics = readout(demo, "topics in the top examples", exact=True)
    expect(topics).to_have_text(re.compile(r"^\d+ of 10$"), timeout=SMOLLM2_MS)
    expect(demo.locator(".ip-ex")).to_have_count(8)
    expect(demo.locator(".ip-ex mark").first).not_to_be_empty()
    first = demo.locator(".ip-ex").first.inner_text()
    demo.locator(".ip-suggest").first.get_by_role("button").first.click()
    expect(demo.locator(".ip-ex").first).not_to_have_text(first)
    demo.get_by_label("Top examples").select_option("5")
    expect(demo.locator(".ip-ex")).to_have_count(5)
    demo.get_by_label("Neuron (0-1535)").fill("5000")
    demo.get_by_label("Neuron (0-1535)").press("Enter")
    demo.get_by_label("Neuron (0-1535)").blur()
    expect(demo.locator('[data-field="neuron"] .field-error')).to_contain_text("1,536 neurons")


@pytest.mark.slow
def test_sae_trains_and_shows_features(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="sae"]')
    demo.get_by_label("Steps", exact=True).select_option("100")
    demo.get_by_role("button", name="Train").click()
    expect(readout(demo, "features that ever fire", exact=True)).to_have_text(
        re.compile(r"^\d+ of 128$"), timeout=SMOLLM2_MS
    )
    expect(demo.locator(".ip-feature")).to_have_count(12)
    expect(demo.locator(".ip-feature mark").first).not_to_be_empty()
    # snippets in the narrow cards wrap between whole tokens: no token's box spans two lines
    expect(demo.locator(".ip-feature .ip-ex").first.locator(".ip-tok")).not_to_have_count(0)
    split = demo.locator(".ip-feature .ip-tok").evaluate_all(
        "(ts) => ts.filter((t) => t.getClientRects().length > 1 || t.getBoundingClientRect().height > 2.2 * "
        "parseFloat(getComputedStyle(t).lineHeight || 16)).map((t) => t.textContent)"
    )
    assert split == [], split
    page.set_viewport_size({"width": 360, "height": 800})
    expect(demo.locator(".ip-feature .ip-hit").first).to_be_visible()
    one_line = demo.locator(".ip-feature .ip-tok").evaluate_all(
        "(ts) => ts.every((t) => t.getClientRects().length === 1)"
    )
    assert one_line
    expect(demo.locator("path.series").first).to_have_attribute("d", re.compile("L"))
    first = demo.locator(".ip-feature h4").first.inner_text()
    demo.get_by_role("button", name="most frequent").click()
    expect(demo.locator(".ip-feature h4").first).not_to_have_text(first)
    demo.get_by_role("button", name="Check the gradients").click()
    expect(demo.locator(".ip-gc tr")).to_have_count(13)  # a header and 12 checked weights
    expect(demo.locator(".ip-gradcheck .ip-note")).to_contain_text("Largest relative difference")


@pytest.mark.slow
def test_patching_sweep_draws_the_heatmap(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="patching"]')
    demo.get_by_label("Layers", exact=True).select_option("5")
    demo.get_by_role("button", name="Run the sweep").click()
    expect(readout(demo, "rows done", exact=True)).to_have_text("7 of 7", timeout=SMOLLM2_MS)
    expect(demo.locator("svg.heatmap g.cell")).to_have_count(35)  # 7 layers x 5 tokens
    expect(demo.locator(".ip-note")).to_contain_text("Paris")
    expect(readout(demo, "deepest row where the changed word still matters", exact=True)).to_have_text(
        re.compile("after block")
    )


def test_patching_prompts_must_line_up(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="patching"]')
    demo.get_by_label("Corrupted prompt (same number of tokens)").fill("The capital of the United Kingdom is")
    demo.get_by_role("button", name="Run the sweep").click()
    expect(demo.locator('[data-field="corrupted"] .field-error')).to_contain_text("line up", timeout=SMOLLM2_MS)


def test_lens_follows_both_answers_through_the_layers(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="lens"]')
    expect(readout(demo, "A's answer", exact=True)).to_contain_text("Paris", timeout=SMOLLM2_MS)
    expect(demo.locator("path.series")).to_have_count(4)
    # probabilities on a log axis from the floor (10⁻⁸) to 1
    ticks = [t for t in demo.locator("g.axis").nth(1).locator(".tick text").all_text_contents() if t]
    assert ticks == ["10⁻⁸", "10⁻⁶", "10⁻⁴", "10⁻²", "10⁰"], ticks
    demo.get_by_label("Prompt B").fill("The capital of Spain is")
    demo.get_by_role("button", name="Read the lens").click()
    expect(readout(demo, "B's answer", exact=True)).to_contain_text("Madrid", timeout=SMOLLM2_MS)
    demo.get_by_label("Prompt A").fill("")
    demo.get_by_role("button", name="Read the lens").click()
    expect(demo.locator('[data-field="clean"] .field-error')).to_contain_text("empty")
