"""FlashAttention in Chromium: the learner's text attended both ways by a real SmolLM2 head; a smaller
tile means more tiles and a smaller largest array, and the outputs still agree."""

import re

from playwright.sync_api import expect

SMOLLM2_S = 120_000


def readout(demo, label):
    return demo.locator(".readout-item", has_text=label).locator(".value")


def test_tiles_shrink_the_largest_array_and_agree(page):
    page.open_chapter("attention")
    demo = page.locator('.demo[data-demo="flash"]')
    diff = readout(demo, "largest difference")
    expect(diff).to_have_text(re.compile(r"^\d\.\de-[5-9]$"), timeout=SMOLLM2_S)
    tiles32 = demo.locator(".att-flash-tile").count()
    largest = readout(demo, "largest array")
    before = largest.inner_text()
    demo.locator('[data-field="tile"] button[data-value="16"]').click()
    expect(largest).not_to_have_text(before, timeout=SMOLLM2_S)
    assert demo.locator(".att-flash-tile").count() > tiles32
    assert demo.locator(".att-flash-tile.computed").count() > demo.locator(".att-flash-tile:not(.computed)").count()
    expect(diff).to_have_text(re.compile(r"^\d\.\de-[5-9]$"))
    expect(demo.locator("path.series").first).to_have_attribute("d", re.compile(r"^M"))
