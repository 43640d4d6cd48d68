"""Chapter 7 in Chromium: typing changes token counts; the BPE replay steps through merges."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_typing_changes_the_token_counts(page):
    page.open_chapter("tokens")
    demo = page.locator('.demo[data-demo="compare"]')
    cl = readout(demo, "cl100k_base")
    expect(cl).to_contain_text("tokens")
    before = cl.inner_text()
    box = demo.locator("textarea")
    box.fill("strawberry")
    expect(cl).to_have_text("3 tokens, 3.33 chars/token")
    expect(cl).not_to_have_text(before)
    expect(demo.locator('.tok-row[data-tokenizer="1"] .token')).to_have_count(3)
    expect(demo.locator('.tok-row[data-tokenizer="0"] .token')).to_have_count(10)
    # The id appears on hover (title attribute).
    expect(demo.locator('.tok-row[data-tokenizer="1"] .token').first).to_have_attribute("title", "id 496")


def test_empty_text_shows_a_sentence_beside_the_box(page):
    page.open_chapter("tokens")
    demo = page.locator('.demo[data-demo="compare"]')
    expect(readout(demo, "cl100k_base")).to_contain_text("tokens")
    demo.locator("textarea").fill("")
    expect(demo.locator(".field-error")).to_contain_text("empty")


def test_bpe_replay_steps_through_merges(page):
    page.open_chapter("tokens")
    demo = page.locator('.demo[data-demo="bpe-replay"]')
    merges = readout(demo, "merges")
    expect(merges).to_have_text(re.compile(r"^0 of \d+$"))
    tokens_before = readout(demo, "text").inner_text()
    step = demo.locator('[data-field="step"] input[type=range]')
    step.focus()
    page.keyboard.press("ArrowRight")
    expect(merges).to_have_text(re.compile(r"^1 of \d+$"))
    expect(demo.locator(".replay-info")).to_contain_text("Merge 1:")
    expect(readout(demo, "text")).not_to_have_text(tokens_before)
    # Play runs the merges on its own.
    demo.get_by_role("button", name="Play").click()
    expect(merges).not_to_have_text(re.compile(r"^[01] of "))
    demo.get_by_role("button", name="Pause").click()
    # Retraining on new text to a small vocabulary.
    demo.locator("textarea").fill("low lower lowest newer newest " * 5)
    demo.locator('[data-field="vocab_size"] input[type=range]').fill("270")
    demo.get_by_role("button", name="Train").click()
    expect(merges).to_have_text("0 of 13")  # the text runs out of repeated pairs after 13 merges
    expect(demo.locator(".replay-stopped")).to_contain_text("no pair of neighbouring tokens occurs twice")
    # The chart's first bar is the next merge.
    expect(demo.locator(".replay-pairs .bar-row").first).to_be_visible()


def test_languages_table_and_spelling(page):
    page.open_chapter("tokens")
    langs = page.locator('.demo[data-demo="languages"]')
    expect(langs.locator("tr")).to_have_count(12)
    spell = page.locator('.demo[data-demo="spelling"]')
    expect(readout(spell, "in the word")).to_have_text("3")


def test_bpe_training_that_stops_short_says_why_after_play(page):
    """Issue 13: asked 794, got 364, and nothing on screen said why after Play."""
    page.open_chapter("tokens")
    demo = page.locator('.demo[data-demo="bpe-replay"]')
    merges = readout(demo, "merges")
    expect(merges).to_have_text(re.compile(r"^0 of \d+$"))
    expect(demo.locator(".replay-stopped")).to_be_hidden()  # the default size is reached
    demo.locator('[data-field="vocab_size"] input[type=range]').fill("794")
    demo.get_by_role("button", name="Train").click()
    note = demo.locator(".replay-stopped")
    expect(note).to_be_visible()
    expect(note).to_contain_text("short of the 794 you asked for")
    expect(note).to_contain_text("more text")
    demo.get_by_role("button", name="Play").click()
    status = demo.locator(".demo-status")
    expect(status).to_contain_text(re.compile(r"Playing merge \d+ of \d+, about [\d.]+ m?s left"))
    expect(merges).to_have_text(re.compile(r"^(\d+) of \1$"), timeout=60_000)  # played to the end
    expect(demo.get_by_role("button", name="Play")).to_be_visible()
    expect(note).to_be_visible()
    total = int(merges.inner_text().split(" of ")[1])
    expect(note).to_contain_text(f"Stopped at {256 + total} tokens")
