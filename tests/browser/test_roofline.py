"""Serving's roofline in Chromium: measure, and see the roof, SmolLM2's points and the numbers."""

import re

import pytest
from playwright.sync_api import expect


def readout(demo, label):
    return demo.locator(".readout-item", has_text=label).locator(".value")


@pytest.mark.slow
def test_measure_draws_the_roof_and_places_smollm2(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="roofline"]')
    demo.get_by_role("button", name="Measure this machine").click()
    expect(readout(demo, "ridge point")).to_contain_text("FLOP/byte", timeout=120_000)
    expect(readout(demo, "decode, one sequence")).to_have_text(re.compile(r"tok/s = \d+\.\d GB/s"))
    expect(demo.locator("circle.dot")).to_have_count(6)  # 4 batch sizes and 2 measured points
    for path in demo.locator("path.series").all():
        assert "NaN" not in (path.get_attribute("d") or "")
