"""The transformer chapter in Chromium: shapes follow T, the parts add up, the residual map and the logit lens
draw, the comparison lists sources."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_anatomy_shapes_follow_the_token_count(page):
    page.open_chapter("transformer")
    demo = page.locator('.demo[data-demo="anatomy"]')
    expect(readout(demo, "total parameters", exact=True)).to_have_text("134,515,008", timeout=SMOLLM2_MS)
    expect(readout(demo, "as counted in the weights chapter", exact=True)).to_have_text("134,515,008")
    attention = demo.locator(".tf-stage", has=page.locator(".tf-name", has_text=re.compile("^attention$"))).locator(
        ".tf-shape"
    )
    expect(attention).to_have_text("(9, 8, 8)")
    box = demo.locator('[data-field="tokens"] input')
    box.fill("100")
    box.blur()
    expect(attention).to_have_text("(9, 100, 100)")
    box.fill("0")
    box.blur()
    expect(demo.locator('[data-field="tokens"] .field-error')).to_contain_text("from 1 to 8,192")


@pytest.mark.slow  # several SmolLM2 forward passes on a fresh server
def test_lens_and_residual_stream(page):
    page.open_chapter("transformer")
    lens = page.locator('.demo[data-demo="lens"]')
    expect(readout(lens, "the model's real next token", exact=True)).to_have_text("“·Paris”", timeout=SMOLLM2_MS)
    expect(readout(lens, "lens after the last layer", exact=True)).to_contain_text("“·Paris”")
    expect(lens.locator(".tf-pending")).to_have_count(0, timeout=SMOLLM2_MS)  # the other columns follow the last one
    expect(lens.locator(".tf-cell[data-token]")).to_have_count(31 * 5)
    lens.locator('.tf-cell[data-layer="0"][data-token="1"]').click()
    expect(lens.locator(".tf-note")).to_contain_text("After “·capital”, the embedding alone predicts")
    res = page.locator('.demo[data-demo="residual"]')
    expect(readout(res, "width", exact=True)).to_have_text("576 numbers per token", timeout=SMOLLM2_MS)
    expect(res.locator("svg g.cell")).to_have_count(31 * 13)
    expect(res.locator(".tf-note").last).to_contain_text("“·is”: norm")  # the last token's path, to start
    res.locator("svg g.cell").nth(0).click()  # top row (after the last layer), first token
    expect(res.locator(".tf-note").last).to_contain_text("“The”: norm")
    res.locator("input").fill("word " * 60)
    expect(res.locator('[data-field="text"] .field-error')).to_contain_text("at most 48")


def test_lens_shows_the_last_column_before_the_rest(page):
    """While the whole table is computed, the last token's column is already there, the rest pending."""
    page.open_chapter("transformer")
    lens = page.locator('.demo[data-demo="lens"]')
    expect(readout(lens, "the model's real next token", exact=True)).to_have_text("“·Paris”", timeout=SMOLLM2_MS)
    held = []
    page.route(
        "**/api/transformer/lens",
        lambda r: r.continue_() if (r.request.post_data_json or {}).get("last_only") else held.append(r),
    )
    lens.locator("input").fill("The capital of Italy is")
    expect(readout(lens, "the model's real next token", exact=True)).to_have_text("“·Rome”", timeout=SMOLLM2_MS)
    expect(lens.locator('.tf-cell[data-token="4"]')).to_have_count(31)
    expect(lens.locator(".tf-pending")).to_have_count(31 * 4)
    page.unroute("**/api/transformer/lens")
    for r in held:
        try:
            r.continue_()
        except Exception:  # a held request the page already gave up on (a newer one replaced it)
            pass
    expect(lens.locator(".tf-pending")).to_have_count(0, timeout=SMOLLM2_MS)


def test_comparison_table(page):
    page.open_chapter("transformer")
    demo = page.locator('.demo[data-demo="compare"]')
    smol = demo.locator('tr[data-model="SmolLM2-135M-Instruct"]')
    expect(smol).to_contain_text("134,515,008", timeout=SMOLLM2_MS)
    expect(smol.locator(".tf-modern")).to_have_count(4)
    expect(demo.locator('tr[data-model="tiny GPT (default)"]')).to_contain_text("4,192")
    expect(demo.locator(".tf-sources li")).to_have_count(7)
    expect(readout(demo, "tiny GPT", exact=True)).to_have_text("4,192 parameters")
