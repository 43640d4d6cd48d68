"""Causal tracing in Chromium: a preset traced, its three heat maps filled row by row, and a
subject that is not in the prompt refused beside its field."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout

PRESET = "The mother tongue of Vladimir Putin is → Russian"  # 7 tokens, the subject 2 of them near the end: short


@pytest.mark.slow
def test_a_preset_is_traced_into_three_heat_maps(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="tracing"]')
    demo.get_by_label("A fact SmolLM2 gets right").select_option(label=PRESET)
    expect(demo.get_by_label("Subject (words of the prompt to blur with noise)")).to_have_value("Vladimir Putin")
    demo.get_by_label("Noise samples averaged").select_option("1")
    demo.get_by_role("button", name="Trace").click()
    expect(readout(demo, "residual peak on the subject", exact=True)).to_have_text(
        re.compile(r"^block \d+, “·(Vladimir|Putin)\*”: -?\d"), timeout=SMOLLM2_MS
    )
    expect(demo).to_contain_text("Traced in")
    expect(demo.locator(".ip-note")).to_contain_text("Russian")
    for kind in ("residual", "mlp", "attention"):
        cells = demo.locator(f'.ip-trace[data-kind="{kind}"] g.cell rect')
        expect(cells).to_have_count(7 * 30)  # tokens x blocks
        fills = cells.evaluate_all("rs => rs.map(r => r.getAttribute('fill'))")
        assert all(f and f != "transparent" for f in fills), f"{kind}: some cells were never drawn"
        assert len(set(fills)) > 5, f"{kind}: the map is one flat colour"


def test_a_subject_not_in_the_prompt_is_refused(page):
    page.open_chapter("interpretability")
    demo = page.locator('.demo[data-demo="tracing"]')
    demo.get_by_label("Subject (words of the prompt to blur with noise)").fill("Louvre")
    demo.get_by_role("button", name="Trace").click()
    expect(demo.locator('[data-field="subject"] .field-error')).to_contain_text("not in the prompt", timeout=SMOLLM2_MS)
