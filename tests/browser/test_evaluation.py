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
    expect(readout(demo, "pick by sum", exact=True)).to_have_text(
        re.compile(r"^[A-D] \((right|wrong)\)$"), timeout=SMOLLM2_MS
    )
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


def test_own_question_is_never_marked_right_unless_the_learner_says(page):
    """Issue 13: a new question with new options kept the preset's right option and said "C (right)" for Earth."""
    page.open_chapter("evaluation")
    demo = page.locator('.demo[data-demo="choice"]')
    expect(readout(demo, "pick by sum")).to_have_text(re.compile(r"\((right|wrong)\)$"), timeout=SMOLLM2_MS)
    demo.get_by_label("Question text").fill("Which planet is the largest in the Solar System?")
    for letter, text in zip("ABCD", ["Mars", "Jupiter", "Earth", "Venus"]):
        demo.get_by_label(f"Option {letter}").fill(text)
    expect(demo.get_by_label("The right option")).to_have_value("none")
    expect(demo.get_by_label("Question", exact=True)).to_have_value("own")
    expect(demo.locator(".demo-readout")).not_to_contain_text("(right)")  # the preset's verdict is gone at once
    demo.get_by_role("button", name="Score").click()
    expect(readout(demo, "right option")).to_contain_text("not said", timeout=SMOLLM2_MS)
    for label in ("pick by sum", "pick by mean"):
        expect(readout(demo, label)).to_have_text(re.compile(r"^[A-D]: (Mars|Jupiter|Earth|Venus)$"))
    expect(demo.locator(".ev-options")).not_to_contain_text("✓")
    # The learner says B is right: now, and only now, picks are judged against B.
    demo.get_by_label("The right option").select_option("B")
    demo.get_by_role("button", name="Score").click()
    expect(readout(demo, "right option")).to_have_text("B", timeout=SMOLLM2_MS)
    expect(readout(demo, "pick by sum")).to_have_text(re.compile(r"^[A-D] \((right|wrong)\)$"))
    sum_pick = readout(demo, "pick by sum").inner_text()
    assert ("(right)" in sum_pick) == sum_pick.startswith("B")
    expect(demo.locator('.ev-options tr[data-option="B"] td').first).to_have_text("B ✓")
    # Back to a preset: its own right option returns.
    demo.get_by_label("Question", exact=True).select_option(index=0)
    expect(demo.get_by_label("The right option")).not_to_have_value("none")


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
    # Issue 13: answers were cut at 32 tokens and shown as token chips. Now: plain text, to the answer's end
    # or to the stated limit, and a cut answer says so.
    for side in "ab":
        box = demo.locator(f'.ev-side[data-side="{side}"]')
        expect(box.locator(".ev-answer-text")).not_to_be_empty()
        expect(box.locator(".token")).to_have_count(0)
        if box.locator(".ev-cut").is_visible():
            expect(box.locator(".ev-cut")).to_contain_text("160-token limit")
    expect(demo.locator('.ev-side[data-side="a"] .ev-who')).to_have_text("(hidden until you vote)")
    vote.click()
    expect(readout(demo, "votes", exact=True)).to_have_text("1")
    expect(demo.locator('.ev-side[data-side="a"] .ev-who')).not_to_have_text("(hidden until you vote)")
    leader = demo.locator(".ev-board tr[data-player]").first
    expect(leader.locator("td").nth(1)).to_have_text("1016")  # equal players, K = 32: the winner gains 16
    # The vote axis counts whole votes: no 0.2 of a vote.
    x_ticks = demo.locator(".ev-chart .axis").first.locator(".tick text").all_text_contents()
    assert x_ticks and all(re.fullmatch(r"\d+", t) for t in x_ticks)
