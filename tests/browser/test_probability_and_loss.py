"""Chapter 6 in Chromium: softmax with real logits, the loss curve, entropy presets, SmolLM2's loss on text."""

import math
import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def entropy_bits(logits: list[float], temperature: float) -> float:
    z = [x / temperature for x in logits]
    top = max(z)
    e = [math.exp(x - top) for x in z]
    return -sum(x / sum(e) * math.log2(x / sum(e)) for x in e)


def test_softmax_loads_smollm2s_logits_and_temperature_flattens(page):
    page.open_chapter("probability-and-loss")
    demo = page.locator('.demo[data-demo="softmax"]')
    entropy = readout(demo, "entropy", exact=True)
    expect(entropy).to_have_text(re.compile(r"bits$"))
    demo.get_by_role("button", name="Load SmolLM2's top 5").click()
    # SmolLM2's third guess is " London", the page's starting logits' third is " a": drawn only once
    # SmolLM2's own logits came back and their softmax was answered (the first two are the same).
    expect(demo.locator('[data-field="logits"] label span').nth(2)).to_have_text("logit of “·London”")
    expect(demo.locator(".bar-row").nth(2)).to_contain_text("·London")
    z = [float(td.inner_text()) for td in demo.locator("table.pl-table tr td:nth-child(2)").all()]
    assert len(z) == 5 and z == sorted(z, reverse=True)
    expect(entropy).to_have_text(f"{entropy_bits(z, 1.0):.2f} bits")
    demo.locator('[data-field="temperature"] input[type=range]').fill("3")
    expect(entropy).to_have_text(f"{entropy_bits(z, 3.0):.2f} bits")  # hotter: flatter
    assert entropy_bits(z, 3.0) > entropy_bits(z, 1.0) + 1
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
