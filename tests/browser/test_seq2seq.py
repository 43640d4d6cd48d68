"""The encoder-decoder in Chromium: train, watch the cross-attention map and accuracy appear,
then rewrite one's own date."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.slow
def test_train_and_rewrite(page):
    page.open_chapter("transformer")
    demo = page.locator('.demo[data-demo="seq2seq"]')
    demo.get_by_role("button", name="Train").click()
    rewrite = demo.get_by_role("button", name="Rewrite it")
    expect(rewrite).to_be_enabled(timeout=180_000)
    expect(demo.locator(".readout-item", has_text="held-out dates").locator(".value")).to_have_text(
        re.compile(r"^\d+\.\d%")
    )
    expect(demo.locator(".readout-item", has_text="watched date").locator(".value")).to_have_text("2023-03-14")
    assert demo.locator(".heatmap").first.locator("g.cell").count() == 10 * 18
    demo.locator('[data-field="date"] input').fill("July 4, 1976")
    rewrite.click()
    expect(demo.locator(".readout-item", has_text="your date becomes").locator(".value")).to_have_text("1976-07-04")
