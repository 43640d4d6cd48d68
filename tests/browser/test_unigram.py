"""Tokens' Unigram demo in Chromium: both cuts shown, the word's cuts with probabilities, and a new
word redraws them."""

from playwright.sync_api import expect


def test_cuts_and_probabilities(page):
    page.open_chapter("tokens")
    demo = page.locator('.demo[data-demo="unigram"]')
    expect(demo.locator(".readout-item", has_text="same cut as sentencepiece").locator(".value")).to_have_text("yes")
    expect(demo.locator(".readout-item", has_text="bytes used").locator(".value")).to_have_text("3")  # the snowman
    demo.locator('[data-field="word"] input').fill("reads")
    expect(demo.locator(".readout-item", has_text="ways to cut “reads”")).to_be_visible()
    expect(demo.locator(".tokens").first.locator(".token").first).to_be_visible()
