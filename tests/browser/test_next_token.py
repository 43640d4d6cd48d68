"""Chapter 1 in Chromium: the real next-token distribution, clicking a candidate, a sentence's probability."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_predict_then_click_a_candidate(page):
    page.open_chapter("next-token")
    demo = page.locator('.demo[data-demo="predict"]')
    expect(demo.locator(".bar-row").first).to_contain_text("·Paris")
    expect(readout(demo, "tokens in your text")).to_have_text("5")
    expect(demo.locator(".nt-strip .token")).to_have_count(5)
    demo.locator(".bar-row").first.click()
    expect(demo.locator("textarea")).to_have_value("The capital of France is Paris")
    expect(readout(demo, "tokens in your text")).to_have_text("6")
    expect(demo.locator(".nt-strip .token")).to_have_count(6)


def test_empty_text_shows_a_sentence(page):
    page.open_chapter("next-token")
    demo = page.locator('.demo[data-demo="predict"]')
    expect(demo.locator(".bar-row").first).to_be_visible()
    demo.locator("textarea").fill("")
    expect(demo.locator(".field-error")).to_contain_text("empty")


def test_sentence_probability_changes_with_an_odd_word(page):
    page.open_chapter("next-token")
    demo = page.locator('.demo[data-demo="sentence"]')
    ppl = readout(demo, "perplexity")
    expect(ppl).to_have_text(re.compile(r"^\d"))
    shown = ppl.inner_text()
    demo.locator("textarea").fill("The cat sat on the galaxy.")
    expect(demo.locator(".nt-table tr", has_text="galaxy")).to_be_visible()
    expect(ppl).not_to_have_text(shown)
    assert float(ppl.inner_text().replace(",", "")) > float(shown.replace(",", ""))
    expect(page.locator('.demo[data-demo="where"] .nt-timeline li')).to_have_count(6)
