"""Scaling-laws' "When one machine is not enough" in Chromium: run a real data-parallel step and see
every process's gradient and their all-reduced mean equal the whole batch's; change the GPU count
and see the memory per GPU change."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.viewports import open_at


def readout(demo, label):
    return demo.locator(".readout-item", has_text=label).locator(".value")


@pytest.mark.slow
def test_a_real_data_parallel_step(page):
    page.open_chapter("scaling-laws")
    demo = page.locator('.demo[data-demo="data-parallel"]')
    demo.get_by_role("button", name="Run one step").click()
    diff = readout(demo, "largest difference")
    expect(diff).to_have_text(
        re.compile(r"10⁻[⁵⁶⁷⁸⁹]|10⁻¹[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]"), timeout=120_000
    )  # e.g. 3.7 × 10⁻⁹: float32 rounding
    expect(demo.locator(".dp-table tbody tr")).to_have_count(4)  # 2 processes, their sum, one process
    expect(demo.locator(".dp-heat g.cell")).to_have_count(4 * 12)
    shares = readout(demo, "sum of shares")
    a, b = re.findall(r"\d\.\d{5}", shares.inner_text())
    assert abs(float(a) - float(b)) < 2e-5


def test_memory_per_gpu_follows_the_gpu_count(page):
    page.open_chapter("scaling-laws")
    demo = page.locator('.demo[data-demo="parallel-memory"]')
    dp = readout(demo, "data parallel: every GPU holds")
    z3 = readout(demo, "ZeRO-3: each GPU holds")
    expect(dp).to_have_text("120 GB")  # the ZeRO paper's Figure 1
    expect(z3).to_have_text("1.88 GB")
    demo.locator('[data-field="gpus"] input').fill("1")
    demo.locator('[data-field="gpus"] input').press("Enter")
    demo.get_by_role("button", name="Compute").click()
    expect(z3).to_have_text("120 GB")
    expect(readout(demo, "an 80 GB GPU fits")).to_have_text("none of them")


def test_what_each_strategy_splits_is_readable_on_a_phone(browser, server):
    """The notes are whole sentences under the bars: beside them a phone showed a few words of each."""
    context, page, errors = open_at(browser, server, {"width": 360, "height": 800}, "scaling-laws")
    demo = page.locator('.demo[data-demo="parallel-memory"]')
    notes = demo.locator(".sl-notes dd")
    expect(notes).to_have_count(6)
    expect(notes.first).to_contain_text("every GPU keeps all weights")
    for i in range(6):
        box = notes.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    context.close()
    assert not errors, errors
