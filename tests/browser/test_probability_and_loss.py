"""Chapter 6 in Chromium: softmax with real logits, the loss curve, entropy presets, SmolLM2's loss on text."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_softmax_loads_smollm2s_logits_and_temperature_flattens(page):
    page.open_chapter("probability-and-loss")
    demo = page.locator('.demo[data-demo="softmax"]')
    entropy = readout(demo, "entropy", exact=True)
    expect(entropy).to_have_text(re.compile(r"bits$"))
    demo.get_by_role("button", name="Load SmolLM2's top 5").click()
    expect(demo.locator(".bar-row").first).to_contain_text("·Paris")
    expect(demo.locator('[data-field="logits"] label span').first).to_have_text("logit of “·Paris”")
    shown = entropy.inner_text()
    demo.locator('[data-field="temperature"] input[type=range]').fill("3")
    expect(entropy).not_to_have_text(shown)
    assert float(entropy.inner_text().split()[0]) > float(shown.split()[0])  # hotter: flatter
    expect(readout(demo, "sum of probabilities", exact=True)).to_have_text("100.0%")


def test_cross_entropy_and_entropy_presets(page):
    page.open_chapter("probability-and-loss")
    ce = page.locator('.demo[data-demo="cross-entropy"]')
    expect(readout(ce, "in bits", exact=True)).to_have_text("1.000 bits")  # p = 50%
    ce.locator('[data-field="p"] input[type=range]').fill("1")
    expect(readout(ce, "loss", exact=True)).to_have_text("0.000 nats")
    ent = page.locator('.demo[data-demo="entropy"]')
    ent.get_by_role("button", name="Uniform").click()
    expect(readout(ent, "entropy", exact=True)).to_have_text("2.585 bits")
    ent.get_by_role("button", name="Coin flip").click()
    expect(readout(ent, "entropy", exact=True)).to_have_text("1.000 bits")
    ent.get_by_role("button", name="Certain").click()
    expect(readout(ent, "entropy", exact=True)).to_have_text("0.000 bits")
    expect(readout(ent, "perplexity", exact=True)).to_have_text("1.00")


def test_text_loss_updates_and_refuses_a_single_token(page):
    page.open_chapter("probability-and-loss")
    demo = page.locator('.demo[data-demo="text-loss"]')
    ppl = readout(demo, "perplexity", exact=True)
    expect(ppl).to_have_text(re.compile(r"^[\d,.]+$"))
    demo.locator("textarea").fill("The sun rises in the east and sets in the west.")
    expect(demo.locator(".bar-row")).to_have_count(11)
    demo.locator("textarea").fill("Hi")
    expect(demo.locator(".field-error")).to_contain_text("at least two tokens")
