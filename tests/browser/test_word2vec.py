"""Embeddings' word2vec in Chromium: train one pass and see the loss curve and the neighbours table,
GloVe's column beside ours."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.slow
def test_train_one_pass(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="word2vec"]')
    demo.locator('[data-field="epochs"] button[data-value="1"]').click()
    demo.get_by_role("button", name="Train").click()
    expect(demo.locator(".emb-w2v-table tbody tr")).to_have_count(5, timeout=60_000)
    expect(demo.locator(".readout-item", has_text="training time")).to_be_visible(timeout=120_000)
    expect(demo.locator(".emb-w2v-glove").first).to_have_text(re.compile(r"\w+ 0\.\d\d"))
    expect(demo.locator("th").nth(1)).to_contain_text("after step")
    expect(demo.locator("path.series").first).to_have_attribute("d", re.compile(r"^M.*L"))
