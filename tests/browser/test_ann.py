"""Embeddings' approximate search in Chromium: build the index, then more clusters opened means
higher recall."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.slow
def test_build_and_turn_nprobe(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="ann"]')
    demo.locator('[data-field="nlist"] button[data-value="64"]').click()
    recall = demo.locator(".readout-item", has_text="recall@10").locator(".value")
    expect(recall).to_have_text(re.compile(r"^\d+\.\d%$"), timeout=120_000)
    expect(demo.locator("tbody tr")).to_have_count(10)
    slider = demo.locator('[data-field="nprobe"] input')
    slider.fill("64")
    expect(recall).to_have_text("100.0%")
