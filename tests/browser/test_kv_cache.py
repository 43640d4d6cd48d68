"""Chapter 16 in Chromium: measuring with and without the cache streams rows and a
speed-up; the memory table answers the dtype control and checks the real cache;
GQA bars follow the table; phone width."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_memory_table_and_gqa_follow_the_controls(page):
    page.open_chapter("kv-cache")
    demo = page.locator('.demo[data-demo="memory"]')
    expect(demo.locator(".kv-check.ok")).to_contain_text("377,487,360")
    smol = demo.locator("tr", has_text="SmolLM2")
    expect(smol.locator("td.kv-cache")).to_have_text("180 MiB")  # float16 at 8,192 tokens
    # each model's source is the line right under its numbers
    llama2 = demo.locator("tr.kv-model", has_text="Llama 2 70B")
    expect(llama2.locator("xpath=following-sibling::tr[1]")).to_contain_text("Touvron et al. 2023")
    demo.get_by_role("button", name="float32 (4 B)").click()
    expect(smol.locator("td.kv-cache")).to_have_text("360 MiB")
    gqa = page.locator('.demo[data-demo="gqa"]')
    expect(gqa.locator(".bar-row")).to_have_count(3)
    expect(readout(gqa, "SmolLM2 (GQA)")).to_have_text("360 MiB")
    expect(readout(gqa, "every head its own")).to_have_text("1.05 GiB")
    expect(readout(gqa, "saved by GQA")).to_have_text("67%")


@pytest.mark.slow
def test_measuring_streams_rows_with_a_speedup(page):
    page.open_chapter("kv-cache")
    demo = page.locator('.demo[data-demo="timing"]')
    demo.get_by_role("button", name="64").click()
    demo.get_by_role("button", name="Measure").click()
    expect(demo.locator(".demo-status")).to_have_text("Done.", timeout=SMOLLM2_MS)
    expect(demo.locator("table.kv-table tr")).to_have_count(4)  # header + 16, 32, 64
    expect(readout(demo, "speed-up from the cache")).to_have_text(re.compile(r"^\d+(\.\d)?×$"))
    expect(readout(demo, "at tokens")).to_have_text("64")
    expect(demo.get_by_role("button", name="Measure")).to_be_enabled()


def test_phone_width_fits(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.goto(f"{server}/chapters/kv-cache")
    pg.wait_for_selector("body[data-demos-ready]")
    assert pg.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    context.close()


def test_prefix_cache_marks_reused_and_computed_tokens(page):
    page.open_chapter("kv-cache")
    demo = page.locator('.demo[data-demo="prefix"]')
    rows = demo.locator("table.kv-requests tr")
    expect(rows).to_have_count(2, timeout=60_000)  # header + the first request
    strip = demo.locator(".kv-prefix-strip .token")
    expect(strip.first).to_be_visible()
    total = strip.count()
    demo.get_by_role("button", name="Add a word at the end").click()
    expect(rows).to_have_count(3, timeout=30_000)
    # The longer text reuses all of the old one but (at most) its last token; the new word is computed.
    expect(strip.last).to_have_class(re.compile(r"kv-new"))
    reused = demo.locator(".kv-prefix-strip .token.kv-reused").count()
    assert reused >= total - 1
    expect(readout(demo, "computed")).to_have_text(re.compile(r"^[1-4]$"))
    expect(readout(demo, "cache memory")).to_contain_text("MiB of")
    demo.get_by_role("button", name="Change a word in the middle").click()
    expect(rows).to_have_count(4, timeout=30_000)
    new = demo.locator(".kv-prefix-strip .token.kv-new")
    assert new.count() > 10  # from the middle on, recomputed
    assert demo.locator(".kv-prefix-strip .token").first.get_attribute("class").count("kv-reused") == 1
    demo.locator("textarea").press("End")
    demo.locator("textarea").type(" ok")
    expect(rows).to_have_count(5, timeout=30_000)
    expect(strip.last).to_have_class(re.compile(r"kv-new"))
