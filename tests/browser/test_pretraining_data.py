"""Chapter 12 in Chromium: edit two documents and watch the similarity change,
change a threshold and watch documents come back, compute 6ND."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_minhash_follows_an_edit(page):
    page.open_chapter("pretraining-data")
    demo = page.locator('.demo[data-demo="minhash"]')
    exact = readout(demo, "exact Jaccard")
    expect(exact).to_contain_text("0.850")
    demo.get_by_label("Document B").fill("Something else entirely, about comets and ice.")
    expect(exact).to_contain_text(re.compile(r"^0\.000"))
    demo.get_by_role("button", name="1", exact=True).click()  # one-word shingles: "and" is shared
    expect(exact).not_to_contain_text(re.compile(r"^0\.000"))
    expect(demo.locator("svg.bars .bar-row")).to_have_count(8)


def test_pipeline_reasons_and_thresholds(page):
    page.open_chapter("pretraining-data")
    demo = page.locator('.demo[data-demo="pipeline"]')
    kept = readout(demo, "documents kept")
    expect(kept).to_have_text("12 of 30")
    expect(demo.locator('.pd-doc[data-status="exact"]')).to_have_count(3)
    expect(demo.locator(".pd-doc").nth(12)).to_contain_text("1 words, fewer than the minimum of 12")
    expect(readout(demo, "cl100k_base tokens")).to_contain_text("→")
    demo.get_by_label("Minimum stop words").fill("0")
    demo.get_by_label("Minimum stop words").press("Enter")
    demo.get_by_label("Minimum stop words").blur()
    expect(kept).not_to_have_text("12 of 30")
    # a bad threshold is explained beside its box
    demo.get_by_label("Min. share of words with a letter").fill("3")
    demo.get_by_label("Min. share of words with a letter").blur()
    expect(demo.locator('[data-field="min_alpha_words"] .field-error')).to_contain_text("at most 1")


def test_compute_calculator(page):
    page.open_chapter("pretraining-data")
    demo = page.locator('.demo[data-demo="compute"]')
    expect(readout(demo, "measured rate")).to_contain_text("GFLOP/s")
    demo.get_by_label("Parameters N").fill("1e9")
    demo.get_by_label("Training tokens D").fill("2e10")
    demo.get_by_role("button", name="Compute").click()
    expect(readout(demo, "training compute")).to_have_text("1.20 × 10²⁰ FLOPs")
    expect(demo.locator("tr", has_text="GPT-3")).to_contain_text("1.7")
    demo.get_by_label("Parameters N").fill("0")
    demo.get_by_role("button", name="Compute").click()
    expect(demo.locator('[data-field="params"] .field-error')).to_contain_text("at least 1")
