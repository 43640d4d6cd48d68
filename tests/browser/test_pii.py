"""Pretraining data's PII demo in Chromium: the default text's personal data is marked and masked,
typing a new address masks it too, and the sample's mistakes are listed."""

from playwright.sync_api import expect


def test_the_learners_text_is_scrubbed(page):
    page.open_chapter("pretraining-data")
    demo = page.locator('.demo[data-demo="pii"]')
    expect(demo.locator("mark.pd-pii-card")).to_have_count(1)
    masked = demo.locator(".pd-pii-text.mono")
    expect(masked).to_contain_text("[CARD]")
    expect(masked).not_to_contain_text("4111")
    box = demo.locator("textarea")
    box.fill("My new address is kim@example.net, and my server is 203.0.113.9.")
    expect(masked).to_have_text("My new address is [EMAIL], and my server is [IP].")
    expect(demo.locator("mark.pd-pii")).to_have_count(2)
    expect(demo.locator(".pd-pii-mistakes li").first).to_be_visible()
    expect(demo.locator(".pd-table tbody tr")).to_have_count(4)
