"""Chapter 15 in Chromium: Step appends one token and shows the distribution it came from;
the tiny GPT trains once and invents a name; bad input gets a sentence."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_step_appends_one_token_from_the_distribution(page):
    page.open_chapter("generation")
    demo = page.locator('.demo[data-demo="smollm2"]')
    expect(demo.locator(".gen-flow")).to_contain_text("Prompt:", timeout=SMOLLM2_MS)
    strip = demo.locator(".gen-strip .token")
    n = strip.count()
    assert n > 3
    demo.get_by_role("button", name="Step", exact=True).click()
    expect(readout(demo, "step", exact=True)).to_have_text("1 of at most 48", timeout=SMOLLM2_MS)
    expect(strip).to_have_count(n + 1)
    expect(demo.locator(".gen-strip .token.gen-latest")).to_have_count(1)
    expect(demo.locator(".bar-row", has_text="← chosen")).to_have_count(1)
    demo.get_by_role("button", name="Step", exact=True).click()
    expect(readout(demo, "step", exact=True)).to_have_text("2 of at most 48", timeout=SMOLLM2_MS)
    expect(strip).to_have_count(n + 2)
    expect(readout(demo, "model time", exact=True)).to_contain_text("one new token")
    expect(demo.locator(".gen-written")).not_to_have_text("")


def test_empty_text_is_refused_beside_the_box(page):
    page.open_chapter("generation")
    demo = page.locator('.demo[data-demo="smollm2"]')
    expect(demo.locator(".gen-flow")).to_contain_text("Prompt:", timeout=SMOLLM2_MS)
    demo.locator("textarea").fill("   ")
    demo.get_by_role("button", name="Start over").click()
    expect(demo.locator('[data-field="text"] .field-error')).to_contain_text("only spaces", timeout=SMOLLM2_MS)


def test_the_tiny_gpt_invents_a_name(page):
    page.open_chapter("generation")
    demo = page.locator('.demo[data-demo="names"]')
    expect(demo.locator(".demo-status")).to_contain_text("Ready", timeout=60_000)
    expect(demo.locator(".gen-strip .token")).to_have_text(["BOS"])
    demo.get_by_role("button", name="Step", exact=True).click()
    expect(readout(demo, "step", exact=True)).to_have_text(re.compile(r"^1 of at most 16"))
    expect(demo.locator(".gen-strip .token")).to_have_count(2)
    demo.get_by_role("button", name="Run").click()
    expect(demo.locator(".gen-names li")).to_have_count(1)
    expect(demo.locator(".gen-flow")).to_contain_text(re.compile("finished|limit"))


@pytest.mark.slow
def test_chat_mode_runs_until_the_end_token(page):
    page.open_chapter("generation")
    demo = page.locator('.demo[data-demo="smollm2"]')
    expect(demo.locator(".gen-flow")).to_contain_text("Prompt:", timeout=SMOLLM2_MS)
    demo.locator("textarea").fill("Name a fruit.")
    demo.locator('[data-field="temperature"] input[type=range]').fill("0")
    demo.get_by_role("button", name="answers it (chat)").click()
    expect(demo.locator(".gen-strip .token").first).to_have_text("<|im_start|>", timeout=SMOLLM2_MS)
    demo.get_by_role("button", name="Run").click()
    expect(demo.locator(".gen-flow")).to_contain_text("an end token", timeout=180_000)
    expect(demo.locator(".gen-strip .token.gen-latest")).to_have_text("<|im_end|>")
