"""Chapter 26 in Chromium: a question's options are scored and re-scored after an edit, the
formats benchmark streams, a passage's losses are measured fresh and seen, and votes move
the arena's ratings."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_options_are_scored_and_rescored(page):
    page.open_chapter("evaluation")
    demo = page.locator('.demo[data-demo="choice"]')
    expect(readout(demo, "pick by sum", exact=True)).to_have_text(re.compile(r"^[A-D] \((right|wrong)\)$"), timeout=SMOLLM2_MS)
    expect(demo.locator(".ev-options tr[data-option]")).to_have_count(4)
    before = demo.locator('.ev-options tr[data-option="B"]').inner_text()
    demo.get_by_label("Option B").fill("Pluto, the dwarf planet")
    demo.get_by_role("button", name="Score").click()
    expect(demo.locator('.ev-options tr[data-option="B"]')).not_to_have_text(before, timeout=SMOLLM2_MS)
    expect(demo.locator('.ev-options tr[data-option="B"]')).to_contain_text("Pluto")
    demo.locator('[data-field="format"] button[data-value="letters"]').click()
    expect(demo.locator('.ev-options tr[data-option="A"]')).to_contain_text("·A", timeout=SMOLLM2_MS)
    demo.get_by_label("Option A").fill("")
    demo.get_by_label("Option B").fill("")
    demo.get_by_role("button", name="Score").click()
    expect(demo.locator('[data-field="options"] .field-error')).to_contain_text("empty")


def test_contamination_seen_text_has_lower_loss(page):
    page.open_chapter("evaluation")
    demo = page.locator('.demo[data-demo="contamination"]')
    seen = readout(demo, "seen / fresh", exact=True)
    expect(seen).to_have_text(re.compile(r"^\d+%$"), timeout=SMOLLM2_MS)
    assert int(seen.inner_text().rstrip("%")) < 50
    fresh = readout(demo, "loss fresh", exact=True).inner_text()
    demo.get_by_role("button", name="A famous text").click()
    expect(readout(demo, "loss fresh", exact=True)).not_to_have_text(fresh, timeout=SMOLLM2_MS)
    expect(demo.locator(".ev-strip")).to_have_count(2)
    demo.get_by_label("Passage").fill("Hi")
    demo.get_by_role("button", name="Measure").click()
    expect(demo.locator('[data-field="text"] .field-error')).to_contain_text("at least")


@pytest.mark.slow
def test_cloze_benchmark_streams_twelve_questions(page):
    page.open_chapter("evaluation")
    demo = page.locator('.demo[data-demo="formats"]')
    demo.get_by_label("Formats").select_option("cloze")
    demo.get_by_role("button", name="Run the benchmark").click()
    expect(demo.locator(".ev-q")).to_have_count(12, timeout=SMOLLM2_MS)
    expect(readout(demo, "cloze", exact=True)).to_have_text(re.compile(r"% by sum"), timeout=SMOLLM2_MS)
    right = demo.locator(".ev-q .ev-right").count()
    expect(demo.locator('tr[data-format="cloze"]')).to_contain_text(f"{right} of 12")


@pytest.mark.slow
def test_a_vote_moves_the_ratings(page):
    page.open_chapter("evaluation")
    demo = page.locator('.demo[data-demo="arena"]')
    expect(readout(demo, "votes", exact=True)).to_have_text("0", timeout=SMOLLM2_MS)
    demo.get_by_role("button", name="New match").click()
    vote = demo.get_by_role("button", name="A is better")
    expect(vote).to_be_enabled(timeout=SMOLLM2_MS)
    expect(demo.locator('.ev-side[data-side="a"] .token').first).to_be_visible()
    expect(demo.locator('.ev-side[data-side="a"] .ev-who')).to_have_text("(hidden until you vote)")
    vote.click()
    expect(readout(demo, "votes", exact=True)).to_have_text("1")
    expect(demo.locator('.ev-side[data-side="a"] .ev-who')).not_to_have_text("(hidden until you vote)")
    leader = demo.locator(".ev-board tr[data-player]").first
    expect(leader.locator("td").nth(1)).to_have_text("1016")  # equal players, K = 32: the winner gains 16
