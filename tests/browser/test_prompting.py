"""Chapter 21 in Chromium: a technique runs over a kind of items and each verdict appears,
the accuracy table fills in; the learner's prompt shows its tokens and replies; bad input
gets a sentence beside the box."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_time_estimate_follows_the_choice(page):
    page.open_chapter("prompting")
    demo = page.locator('.demo[data-demo="techniques"]')
    eta = demo.locator(".pr-eta")
    expect(eta).to_contain_text("At most 256 tokens")  # 16 items x 16 tokens, zero-shot
    demo.get_by_label("Items").select_option("capital")
    expect(eta).to_contain_text("At most 64 tokens")
    demo.get_by_label("Technique", exact=True).select_option("self-consistency")
    expect(eta).to_contain_text("At most 576 tokens")  # 4 items x 48 tokens x 3 paths


@pytest.mark.slow
def test_zero_shot_on_capitals_scores_each_item(page):
    page.open_chapter("prompting")
    demo = page.locator('.demo[data-demo="techniques"]')
    demo.get_by_label("Items").select_option("capital")
    demo.get_by_role("button", name="Run", exact=True).click()
    expect(demo.locator(".pr-item")).to_have_count(4, timeout=SMOLLM2_MS)
    expect(demo.locator(".pr-item").first).to_contain_text("Tokyo")  # the expected answer is shown
    expect(demo.locator(".pr-item .pr-mark")).to_have_count(4)
    row = demo.locator('tr[data-technique="zero-shot"]')
    expect(row).to_contain_text("4")
    expect(readout(demo, "Zero-shot", exact=True)).to_have_text(re.compile(r"^\d of 4 \(\d+%\)$"), timeout=SMOLLM2_MS)
    right = demo.locator('.pr-item[data-right="true"]').count()
    expect(readout(demo, "Zero-shot", exact=True)).to_have_text(re.compile(f"^{right} of 4"))


@pytest.mark.slow
def test_own_prompt_shows_prompt_tokens_and_replies(page):
    page.open_chapter("prompting")
    demo = page.locator('.demo[data-demo="own"]')
    demo.get_by_role("button", name="Run all four").click()
    cards = demo.locator(".pr-card")
    expect(cards).to_have_count(4, timeout=3 * SMOLLM2_MS)
    zero = demo.locator('.pr-card[data-technique="zero-shot"]')
    expect(zero.locator(".pr-prompt summary")).to_contain_text("tokens (1 message)")
    expect(zero.locator(".pr-verdict .pr-mark")).to_be_visible()
    expect(demo.locator('.pr-card[data-technique="self-consistency"] .pr-path')).to_have_count(3, timeout=3 * SMOLLM2_MS)
    expect(readout(demo, "right", exact=True)).to_have_text(re.compile(r"of 4$"), timeout=3 * SMOLLM2_MS)


def test_bad_expected_answer_is_refused_beside_the_box(page):
    page.open_chapter("prompting")
    demo = page.locator('.demo[data-demo="own"]')
    demo.get_by_label("The right answer (optional: one word or number)").fill("New York")
    demo.get_by_role("button", name="Run all four").click()
    expect(demo.locator('[data-field="expected"] .field-error')).to_contain_text("one word")
    demo.get_by_label("Your question").fill("")
    demo.get_by_role("button", name="Run all four").click()
    expect(demo.locator('[data-field="text"] .field-error')).to_contain_text("empty")
