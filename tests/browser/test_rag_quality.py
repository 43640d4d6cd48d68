"""RAG in Chromium: three retrievers side by side, and the quality table measured for all three."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.slow
def test_three_retrievers_and_their_quality(page):
    page.open_chapter("rag")
    search = page.locator('.demo[data-demo="search"]')
    expect(search.locator(".readout-item", has_text="search time").locator(".value")).to_have_text(
        re.compile(r"^[^+]+\+[^+]+\+[^+]+$"), timeout=120_000
    )  # three search times
    demo = page.locator('.demo[data-demo="quality"]')
    demo.get_by_role("button", name="Measure all three").click()
    expect(demo.locator(".rag-quality tbody tr")).to_have_count(16, timeout=120_000)
    expect(demo.locator(".readout-item", has_text="MiniLM").locator(".value")).to_have_text("first 81%, top 3 100%")
    expect(demo.locator(".rag-quality tfoot th")).to_have_count(4)
