"""The architecture lab in Chromium: train two architectures and see two curves, a bad depth
answered beside its control, the tour measured step by step, the KV cache following the context."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS


def test_train_two_architectures_and_see_two_curves(page):
    page.open_chapter("transformer")
    demo = page.locator('.demo[data-demo="lab"]')
    a, b = demo.get_by_role("group", name="Model A"), demo.get_by_role("group", name="Model B")
    a.get_by_label("Layers").fill("3")
    b.get_by_label("Layers").fill("3")
    b.get_by_label("MLP").select_option("swiglu")
    demo.get_by_label("Steps", exact=True).fill("30")
    demo.get_by_role("button", name="Train both").click()
    for run in "AB":
        curve = demo.locator(f'.arch-loss path.series[data-series="{run}"]')
        expect(curve).to_have_attribute("d", re.compile(r"(L[^L]*){5}"), timeout=60_000)
        expect(demo.locator(f'.arch-grads g[data-series="{run}"] circle')).to_have_count(3)  # one dot per block
    expect(demo.locator(".demo-status")).to_have_text("Done.", timeout=60_000)
    held = demo.locator(".arch-table tr", has_text="held-out loss").locator("td")
    expect(held).to_have_text([re.compile(r"^\d\.\d{3}$")] * 2)
    weights = demo.locator(".arch-table tr", has_text="weights").locator("td").all_inner_texts()
    assert weights[0] != weights[1]  # SwiGLU's 2/3-wide hidden layer is close to, not exactly, ReLU's size


def test_a_depth_past_the_limit_is_answered_beside_it(page):
    page.open_chapter("transformer")
    demo = page.locator('.demo[data-demo="lab"]')
    demo.get_by_role("group", name="Model A").get_by_label("Layers").fill("17")
    demo.get_by_role("button", name="Train both").click()
    expect(demo.locator(".demo-error, .field-error").first).to_contain_text("at most 16")
    demo.get_by_role("group", name="Model A").get_by_label("Layers").fill("2")
    demo.get_by_role("group", name="Model B").get_by_label("Width (channels)").fill("18")
    demo.get_by_role("button", name="Train both").click()
    expect(demo.locator(".demo-error, .field-error").first).to_contain_text(
        "Model B: the width (18) must divide evenly"
    )


@pytest.mark.slow  # four models of a thousand steps each
def test_the_tour_measures_each_upgrade_and_sizes_the_kv_cache(page):
    page.open_chapter("transformer")
    demo = page.locator('.demo[data-demo="tour"]')
    grouped = demo.locator('.kv-table tr[data-variant="grouped-query"]').last.locator(".kv-bytes")
    expect(grouped).to_have_text(re.compile(r"MiB$"), timeout=SMOLLM2_MS)
    before = grouped.inner_text()
    box = demo.get_by_label("Context for the KV cache (tokens)")
    box.fill("100")
    box.blur()
    expect(grouped).not_to_have_text(before)
    expect(grouped).to_have_text("4.39 MiB")  # 2 x 30 layers x 3 heads x 64 x 100 tokens x 4 bytes
    demo.get_by_role("button", name="Run the tour").click()
    expect(demo.locator(".demo-status")).to_have_text("Done.", timeout=120_000)
    rows = demo.locator(".tour-table tr[data-step]")
    expect(rows).to_have_count(4)
    expect(rows.first.locator("td").first).to_have_text("microgpt")
    for i in range(4):
        expect(rows.nth(i).locator("td").nth(2)).to_have_text(re.compile(r"^\d\.\d{3}$"))
    expect(demo.locator(".arch-loss path.series")).to_have_count(4)
