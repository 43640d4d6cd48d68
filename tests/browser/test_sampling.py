"""Chapter 14 in Chromium: the filters reshape SmolLM2's distribution, draws are counted,
greedy and sampled continuations appear side by side, bad input gets a sentence."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout
from tests.browser.viewports import open_at


def test_filters_change_the_distribution_live(page):
    page.open_chapter("sampling")
    demo = page.locator('.demo[data-demo="filters"]')
    left = readout(demo, "tokens that can be drawn", exact=True)
    expect(left).to_have_text("49,152 of 49,152", timeout=SMOLLM2_MS)
    expect(demo.locator(".sp-strip .token")).to_have_count(4)  # My| favourite| food| is
    entropy = readout(demo, "entropy after", exact=True)
    shown = entropy.inner_text()
    demo.locator('[data-field="top_k"] input[type=range]').fill("5")
    expect(left).to_have_text("5 of 49,152")
    expect(entropy).not_to_have_text(shown)
    expect(demo.locator(".sp-row.sp-cut")).to_have_count(7)  # 12 rows, 5 kept
    expect(demo.locator('tr[data-stage="top-k"]')).to_contain_text("5")
    expect(readout(demo, "model", exact=True)).to_have_text("cached (not re-run)")  # a slider only re-filters
    demo.locator('[data-field="temperature"] input[type=range]').fill("0")
    expect(left).to_have_text("1 of 49,152")
    expect(entropy).to_have_text("0.00 bits")
    demo.get_by_role("button", name="Reset to the model's own").click()
    expect(left).to_have_text("49,152 of 49,152")


def test_draws_are_counted_against_expectations(page):
    page.open_chapter("sampling")
    demo = page.locator('.demo[data-demo="draws"]')
    expect(readout(demo, "draws", exact=True)).to_have_text("1,000", timeout=SMOLLM2_MS)
    expect(demo.locator(".sp-row").first).to_contain_text("drawn")
    first = demo.locator(".sp-first").inner_text()
    demo.get_by_label("Draws").select_option("10000")
    demo.get_by_role("button", name="Draw", exact=True).click()
    expect(readout(demo, "draws", exact=True)).to_have_text("10,000")
    expect(demo.locator(".sp-first")).not_to_have_text("")
    demo.get_by_label("Seed").fill("5")
    demo.get_by_role("button", name="Draw", exact=True).click()
    expect(demo.locator(".sp-first")).not_to_have_text(first)


def test_empty_prompt_is_refused_beside_the_box(page):
    page.open_chapter("sampling")
    demo = page.locator('.demo[data-demo="filters"]')
    expect(readout(demo, "tokens that can be drawn", exact=True)).to_have_text(
        re.compile("of 49,152"), timeout=SMOLLM2_MS
    )
    demo.locator("textarea").fill("")
    expect(demo.locator('[data-field="text"] .field-error')).to_contain_text("empty")


@pytest.mark.slow
def test_greedy_and_sampled_continuations(page):
    page.open_chapter("sampling")
    demo = page.locator('.demo[data-demo="continuations"]')
    demo.locator('[data-field="max_tokens"] input[type=range]').fill("3")
    demo.locator('[data-field="samples"] input[type=range]').fill("2")
    demo.get_by_role("button", name="Generate").click()
    expect(demo.locator(".sp-cont")).to_have_count(
        3, timeout=SMOLLM2_MS
    )  # greedy + 2 samples, filled as tokens stream in
    expect(demo.locator(".sp-cont").first).to_contain_text("Greedy")
    expect(demo.locator(".sp-cont").first.locator(".token").first).to_be_visible(timeout=SMOLLM2_MS)
    expect(readout(demo, "tokens written", exact=True)).to_have_text(re.compile(r"^\d"), timeout=2 * SMOLLM2_MS)
    expect(demo.get_by_role("button", name="Generate")).to_be_enabled()


def test_draw_rows_name_every_other_token_whole_on_a_phone(browser, server):
    """On a phone the counts take their own line, so the row's name has room ("every ot…" before)."""
    context, page, errors = open_at(browser, server, {"width": 390, "height": 844}, "sampling")
    demo = page.locator('.demo[data-demo="draws"]')
    demo.get_by_role("button", name="Draw", exact=True).click()
    name = demo.locator(".sp-name", has_text="every other token")
    expect(name).to_be_visible(timeout=SMOLLM2_MS)
    assert name.evaluate("(e) => e.scrollWidth <= e.clientWidth"), "the name is cut"
    context.close()
    assert not errors, errors
