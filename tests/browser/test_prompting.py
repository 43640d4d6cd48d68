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
    expect(eta).to_contain_text("At most 192 tokens")  # 12 capitals x 16 tokens, zero-shot
    demo.get_by_label("Items").select_option("all")
    expect(eta).to_contain_text("At most 704 tokens")  # 44 items
    demo.get_by_label("Items").select_option("capital")
    demo.get_by_label("Technique", exact=True).select_option("self-consistency")
    expect(eta).to_contain_text("At most 1,728 tokens")  # 12 items x 48 tokens x 3 paths


@pytest.mark.slow
def test_zero_shot_on_capitals_scores_each_item(page):
    page.open_chapter("prompting")
    demo = page.locator('.demo[data-demo="techniques"]')
    demo.get_by_label("Items").select_option("capital")
    demo.get_by_role("button", name="Run", exact=True).click()
    expect(demo.locator(".pr-item")).to_have_count(12, timeout=2 * SMOLLM2_MS)
    expect(demo.locator(".pr-item").first).to_contain_text("Tokyo")  # the expected answer is shown
    expect(demo.locator(".pr-item .pr-mark")).to_have_count(12)
    row = demo.locator('tr[data-technique="zero-shot"]')
    expect(row).to_contain_text("12")
    expect(readout(demo, "Zero-shot", exact=True)).to_have_text(
        re.compile(r"^\d+ of 12 \(\d+%; 95 %: \d+%–\d+%\)$"), timeout=SMOLLM2_MS
    )
    right = demo.locator('.pr-item[data-right="true"]').count()
    expect(readout(demo, "Zero-shot", exact=True)).to_have_text(re.compile(f"^{right} of 12"))


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
    expect(demo.locator('.pr-card[data-technique="self-consistency"] .pr-path')).to_have_count(
        3, timeout=3 * SMOLLM2_MS
    )
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


@pytest.mark.slow
def test_few_shot_against_zero_shot_with_intervals_and_findings(page):
    """Issue 13: no technique helped, and nothing said how sure a score on a few items is. Now the
    learner runs zero-shot, then few-shot, on the bare capitals and reads both with their intervals,
    beside what was measured when the task set was built."""
    from glasslm.engine.evaluation.intervals import wilson

    page.open_chapter("prompting")
    demo = page.locator('.demo[data-demo="techniques"]')
    expect(demo.locator(".pr-findings li")).not_to_have_count(0)
    expect(demo.locator('.pr-findings li[data-kind="capital"]')).to_contain_text("few-shot")
    expect(demo.get_by_label("Items")).to_have_value("capital")
    for technique in ("zero-shot", "few-shot"):
        demo.get_by_label("Technique", exact=True).select_option(technique)
        demo.get_by_role("button", name="Run", exact=True).click()
        expect(demo.locator(f'.pr-item[data-technique="{technique}"]')).to_have_count(12, timeout=2 * SMOLLM2_MS)
        expect(demo.locator(f'tr[data-technique="{technique}"] td').first).not_to_contain_text(
            "running", timeout=SMOLLM2_MS
        )
    for technique in ("zero-shot", "few-shot"):
        row = demo.locator(f'tr[data-technique="{technique}"]')
        right = int(row.locator("td").nth(2).inner_text())
        lo, hi = wilson(right, 12)
        expect(row.locator(".pr-interval")).to_have_text(f"{round(100 * lo)}% – {round(100 * hi)}%")
        expect(row.locator(".pr-ci")).to_be_visible()
