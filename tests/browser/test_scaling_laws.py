"""Chapter 13 in Chromium: run a small sweep and watch points and a fitted law
appear, switch the fit, stop a sweep, use the compute-optimal calculator."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import readout

POWER_TICK = re.compile(r"10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")  # 10⁸
SCI_TICK = re.compile(r"([25] × )?10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")  # 10⁸, 2 × 10⁸, 5 × 10⁷


def pick_widths(demo, widths):
    for box in demo.locator('.sl-widths input[type="checkbox"]').all():
        box.set_checked(int(box.get_attribute("value")) in widths)


@pytest.mark.slow
def test_a_small_sweep_plots_points_and_a_fit(page):
    page.open_chapter("scaling-laws")
    demo = page.locator('.demo[data-demo="sweep"]')
    expect(demo.locator(".sl-table tbody tr")).to_have_count(9)  # the quick preset's plan
    pick_widths(demo, {4, 8})
    demo.get_by_role("button", name="Train the sweep").click()
    expect(demo.locator(".demo-status")).to_contain_text("Done: 6 runs", timeout=120_000)
    expect(demo.locator("circle.dot")).to_have_count(6)
    expect(demo.locator("circle.sl-front").first).to_be_visible()
    law = readout(demo, "fitted law")
    expect(law).to_contain_text(re.compile(r"^L = \d+\.\d{3} · C"))
    expect(demo.locator("path.sl-fit")).to_have_attribute("d", re.compile(r"^M"))
    # the compute axis is logarithmic: its labels are powers of ten or 1-2-5 steps of them
    ticks = [t for t in demo.locator("g.axis").first.locator(".tick text").all_text_contents() if t]
    assert ticks and all(SCI_TICK.fullmatch(t) for t in ticks), ticks
    assert any(POWER_TICK.fullmatch(t) for t in ticks), ticks
    for path in demo.locator("path.series").all():
        assert "NaN" not in (path.get_attribute("d") or "")
    # the legend (two widths and the law) sits off the plotted area
    items = demo.locator(".chart-legend-item")
    expect(items).to_have_count(3)
    expect(items.last).to_have_text("fitted law")
    plot = demo.locator("rect.plot-area").bounding_box()
    for box in (i.bounding_box() for i in items.all()):
        assert box["y"] + box["height"] <= plot["y"] or box["x"] >= plot["x"] + plot["width"], (box, plot)
    expect(readout(demo, "characters per parameter of the fitted runs")).to_contain_text(
        re.compile(r"^\d+\.\d to \d+\.\d$")
    )
    demo.get_by_role("button", name="L = E + a·C^−b").click()
    expect(law).to_contain_text(re.compile(r"^L = \d+\.\d{3} \+ "))
    expect(demo.locator(".sl-table tbody td.sl-loss").first).to_have_text(re.compile(r"^\d\.\d{3}$"))


def test_no_width_is_explained_and_stop_works(page):
    page.open_chapter("scaling-laws")
    demo = page.locator('.demo[data-demo="sweep"]')
    expect(demo.locator(".sl-table tbody tr")).to_have_count(9)
    pick_widths(demo, set())
    demo.get_by_role("button", name="Train the sweep").click()
    expect(demo.locator('[data-field="widths"] .field-error')).to_contain_text("at least 1")
    demo.get_by_role("button", name="standard (4 × 4)").click()
    demo.get_by_role("button", name="Train the sweep").click()
    expect(demo.locator(".demo-status")).to_contain_text("Training run", timeout=30_000)
    # A long run says how long it has left (issue 13: a 29 s sweep with no estimate).
    expect(demo.locator(".demo-status")).to_contain_text(
        re.compile(r"about [\d.]+ (m?s) left in the sweep"), timeout=30_000
    )
    demo.get_by_role("button", name="Stop").click()
    expect(demo.locator(".demo-status")).to_contain_text("Stopped after", timeout=30_000)
    expect(demo.get_by_role("button", name="Train the sweep")).to_be_enabled()


def test_compute_optimal_calculator(page):
    page.open_chapter("scaling-laws")
    demo = page.locator('.demo[data-demo="optimal"]')
    expect(readout(demo, "GPT-3 by this rule")).to_contain_text("1.7 tokens/param")
    expect(readout(demo, "compute-optimal parameters N")).to_have_text("51.2 B")
    demo.get_by_label("Compute budget C (FLOPs)").fill("1.2e20")
    demo.get_by_role("button", name="Compute").click()
    expect(readout(demo, "compute-optimal parameters N")).to_have_text("1.00 B")
    expect(readout(demo, "compute-optimal tokens D")).to_have_text("20.0 B")
    demo.get_by_label("Compute budget C (FLOPs)").fill("-5")
    demo.get_by_role("button", name="Compute").click()
    expect(demo.locator('[data-field="flops"] .field-error')).to_contain_text("at least 1000000")
