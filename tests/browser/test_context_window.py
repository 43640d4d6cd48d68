"""Chapter 18 in Chromium: the window slider greys out dropped turns and tokens, the
policy switch cuts mid-turn, the recall test gets every code back while the fact
is in the window and none once it falls out, and the attention-cost and needle
jobs fill their table and grid."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout
from tests.browser.viewports import open_at


def set_slider(demo, value):
    demo.locator('input[type="range"]').evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def test_window_drops_turns_then_tokens(page):
    page.open_chapter("context-window")
    demo = page.locator('.demo[data-demo="window"]')
    expect(demo.locator(".cw-note").first).to_contain_text("8,192 tokens")
    expect(demo.locator(".cw-msg").first).to_be_visible()
    set_slider(demo, 512)
    expect(demo.locator('.cw-msg[data-status="dropped"]')).to_have_count(0)
    expect(readout(demo, "dropped")).to_have_text("0 tokens, 0 messages")
    set_slider(demo, 64)
    expect(demo.locator('.cw-msg[data-status="dropped"]').first).to_be_visible()
    expect(demo.locator('.cw-msg[data-status="cut"]')).to_have_count(0)
    expect(demo.locator(".cw-msg").first).to_have_attribute("data-status", "kept")  # the system prompt stays
    demo.get_by_role("button", name="all but the last tokens").click()
    expect(demo.locator(".cw-msg").first).to_have_attribute("data-status", "dropped")
    expect(readout(demo, "kept")).to_have_text("64 tokens")
    expect(demo.locator(".token.cw-dropped").first).to_be_visible()
    set_slider(demo, 16)
    demo.get_by_role("button", name="oldest whole turns").click()
    expect(demo.locator(".field-error")).to_contain_text("too small")


@pytest.mark.slow
def test_recall_breaks_when_the_fact_falls_out(page):
    page.open_chapter("context-window")
    demo = page.locator('.demo[data-demo="window"]')
    expect(readout(demo, "the fact")).to_have_text("in the window")
    expect(demo.locator(".cw-tag")).to_have_text("the fact")
    demo.get_by_role("button", name="Test recall of 8 door codes").click()
    expect(demo.locator(".demo-status")).to_contain_text("in the window every time", timeout=180_000)
    expect(demo.locator(".cw-verdict")).to_contain_text("Recalled 8 of 8 codes")
    expect(demo.locator("tr.cw-right")).to_have_count(8)
    set_slider(demo, 120)  # the first turn no longer fits
    expect(readout(demo, "the fact")).to_have_text("fell out")
    demo.get_by_role("button", name="Test recall of 8 door codes").click()
    expect(demo.locator(".demo-status")).to_contain_text("fell out every time", timeout=180_000)
    expect(demo.locator(".cw-verdict")).to_contain_text("Recalled 0 of 8 codes")
    expect(demo.locator("tr.cw-wrong")).to_have_count(8)


@pytest.mark.slow
def test_cost_and_needle_jobs(page):
    page.open_chapter("context-window")
    cost = page.locator('.demo[data-demo="cost"]')
    cost.get_by_role("button", name="256").click()
    cost.get_by_role("button", name="Measure").click()
    expect(cost.locator(".demo-status")).to_have_text("Done.", timeout=SMOLLM2_MS)
    expect(cost.locator("table.cw-table tr")).to_have_count(4)  # header + 64, 128, 256
    expect(readout(cost, "attention's share of FLOPs")).to_have_text(re.compile(r"%$"))
    needle = page.locator('.demo[data-demo="needle"]')
    needle.get_by_role("button", name="512").click()
    needle.get_by_role("button", name="2", exact=True).click()
    needle.get_by_role("button", name="Run the probe").click()
    expect(needle.locator(".demo-status")).to_contain_text("tokens, ", timeout=90_000)  # the prefill's progress
    expect(needle.locator(".demo-status")).to_have_text("Done.", timeout=180_000)
    expect(readout(needle, "cells done")).to_have_text("4 of 4")
    expect(needle.locator("progress")).to_have_attribute("value", "1")
    expect(needle.locator(".cw-note")).to_contain_text("Tangerine")


@pytest.mark.slow
def test_needle_grid_titles_are_whole_on_a_phone(browser, server):
    """The turned column titles ("needle at 100%", "no needle") stay inside the picture (they were cut)."""
    context, page, errors = open_at(browser, server, {"width": 390, "height": 844}, "context-window")
    needle = page.locator('.demo[data-demo="needle"]')
    needle.get_by_role("button", name="512").click()
    needle.get_by_role("button", name="2", exact=True).click()
    needle.get_by_role("button", name="Run the probe").click()
    expect(needle.locator(".demo-status")).to_have_text("Done.", timeout=180_000)
    inside = needle.locator("svg.heatmap").evaluate(
        """(svg) => { const r = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text.col-label')].map((t) => { const b = t.getBoundingClientRect();
                return b.top >= r.top - 1 && b.right <= r.right + 1; }); }"""
    )
    context.close()
    assert not errors, errors
    assert inside == [True, True, True], inside
