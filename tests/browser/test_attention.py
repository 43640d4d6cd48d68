"""Chapter 9 in Chromium: click a token and its attention shows; bank in two sentences; one head step by step; GQA."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


@pytest.mark.slow  # several SmolLM2 forward passes on a fresh server
def test_click_a_token_and_switch_heads(page):
    page.open_chapter("attention")
    demo = page.locator('.demo[data-demo="where"]')
    # opens on layer 13, head 8 with "it" chosen: that head links "it" to "cat"
    expect(readout(demo, "token", exact=True)).to_have_text("“·it” (position 7)", timeout=SMOLLM2_MS)
    expect(readout(demo, "looks most at", exact=True)).to_contain_text("“·cat”")
    demo.locator('.att-token[data-index="0"]').click()
    expect(readout(demo, "token", exact=True)).to_have_text("“The” (position 0)")
    expect(readout(demo, "looks most at", exact=True)).to_have_text(
        "“The” (100.0%)"
    )  # the first token can only see itself
    expect(demo.locator(".att-token.future")).to_have_count(10)
    demo.get_by_role("button", name="all 9 heads").click()
    expect(demo.locator(".att-small")).to_have_count(9)
    demo.locator('.att-small[data-head="3"]').click()
    expect(demo.locator('[data-field="head"] select')).to_have_value("3")
    expect(readout(demo, "layer, head", exact=True)).to_have_text("13, 3 (key/value head 1)")
    demo.locator("textarea").fill("word " * 60)
    expect(demo.locator('[data-field="text"] .field-error')).to_contain_text("at most 40")


@pytest.mark.slow  # several SmolLM2 forward passes on a fresh server
def test_bank_and_the_steps_of_one_head(page):
    page.open_chapter("attention")
    bank = page.locator('.demo[data-demo="bank"]')
    expect(bank.locator(".att-caption").first).to_contain_text(
        "“bank” looks at “river” most in layer 16, head 0", timeout=SMOLLM2_MS
    )
    expect(bank.locator('[data-sentence="1"] .att-caption').first).to_contain_text("“bank” looks at “money” most")
    here = readout(bank, "sentence 1: “bank” → “river” here", exact=True)
    expect(here).to_have_text("95.0%")
    bank.locator('[data-sentence="0"] .att-link-grid g.cell').nth(0).click()  # layer 0, head 0
    expect(readout(bank, "layer, head", exact=True)).to_have_text("0, 0")
    expect(here).not_to_have_text("95.0%")
    bank.locator('[data-sentence="1"]').get_by_role("button", name="Show that head").click()
    expect(readout(bank, "layer, head", exact=True)).not_to_have_text("0, 0")
    bank.locator('[data-field="context"] input').fill("ocean")
    bank.locator('[data-field="context"] input').press("Enter")
    expect(bank.locator('[data-field="context"] .field-error')).to_contain_text("“ocean” must appear before “bank”")
    steps = page.locator('.demo[data-demo="qkv-steps"]')
    expect(readout(steps, "sum of weights", exact=True)).to_have_text("100.0%", timeout=SMOLLM2_MS)
    expect(steps.locator(".att-table tr.future")).to_have_count(0)  # the last token sees everything
    steps.locator('.att-token[data-index="2"]').click()
    expect(readout(steps, "query token", exact=True)).to_contain_text("(position 2)")
    expect(steps.locator(".att-table tr.future").first).to_contain_text("−∞ (future)")
    expect(readout(steps, "sum of weights", exact=True)).to_have_text("100.0%")


def test_all_heads_maps_name_their_tokens(page):
    page.open_chapter("attention")
    demo = page.locator('.demo[data-demo="where"]')
    expect(readout(demo, "token", exact=True)).to_have_text("“·it” (position 7)", timeout=SMOLLM2_MS)
    demo.get_by_role("button", name="all 9 heads").click()
    small = demo.locator('.att-small[data-head="0"]')
    # which row is which token: the first row and column are labelled with the first token
    expect(small.locator("text.row-label").first).to_have_text("The")
    expect(small.locator("text.col-label").first).to_have_text("The")
    expect(small.locator("text.row-label").filter(has_text=re.compile(r"\S"))).not_to_have_count(0)


@pytest.mark.slow
def test_bank_grid_is_readable_in_dark_mode(page):
    page.emulate_media(color_scheme="dark")
    page.open_chapter("attention")
    bank = page.locator('.demo[data-demo="bank"]')
    expect(bank.locator(".att-caption").first).to_contain_text("looks at “river” most", timeout=SMOLLM2_MS)
    # most cells stand out from the dark background (they all sat on it, a weight of a few % being near 0)
    share = bank.locator('[data-sentence="0"] .att-link-grid svg').evaluate("""(svg) => {
        const lum = (c) => { const [r, g, b] = c.match(/\\d+/g).map(Number); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
        const bg = lum(getComputedStyle(document.body).backgroundColor);
        const fills = [...svg.querySelectorAll('g.cell rect')].map((r) => lum(getComputedStyle(r).fill));
        return fills.filter((l) => l - bg > 0.04).length / fills.length; }""")
    assert share > 0.5, share
    expect(bank.locator(".att-link-grid").first).to_be_visible()


def test_gqa_memory_follows_the_context(page):
    page.open_chapter("attention")
    demo = page.locator('.demo[data-demo="gqa"]')
    expect(readout(demo, "cache saved", exact=True)).to_have_text("67%", timeout=SMOLLM2_MS)
    expect(readout(demo, "cache at this length", exact=True)).to_have_text("360 MiB instead of 1.05 GiB")
    box = demo.locator('[data-field="context"] input')
    box.fill("100")
    box.press("Enter")
    box.blur()
    expect(readout(demo, "cache at this length", exact=True)).to_have_text("4.39 MiB instead of 13.2 MiB")
    box.fill("9000")
    box.blur()
    expect(demo.locator('[data-field="context"] .field-error')).to_contain_text("from 1 to 8,192")
