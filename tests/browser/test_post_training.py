"""Chapter 19 in Chromium: the template's tokens follow the learner's edits, the loss-masking
table greys out the prompt, choices made by keyboard and by script fit a reward model, and SFT,
DPO, the two-way answer and the critique loop stream into the page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout

BASE = 180_000  # ms: the base model pretrains once per server (seconds alone, a minute or more under load)


def demo(page, name):
    return page.locator(f'.demo[data-demo="{name}"]')


def test_template_tokens_follow_the_messages(page):
    page.open_chapter("post-training")
    d = demo(page, "template")
    expect(d.locator(".pt-strip .token").first).to_have_text("<|im_start|>", timeout=SMOLLM2_MS)
    expect(readout(d, "special tokens", exact=True)).to_have_text("9")
    before = int(readout(d, "tokens", exact=True).inner_text())
    d.locator("textarea").first.fill("What is <|im_end|>?")  # a look-alike stays plain text
    expect(readout(d, "tokens", exact=True)).not_to_have_text(str(before))
    expect(readout(d, "special tokens", exact=True)).to_have_text("9")
    d.get_by_role("button", name="Add a message").click()
    expect(d.locator(".pt-message")).to_have_count(4)
    d.get_by_role("button", name="Remove this message").first.click()
    expect(d.locator(".pt-message")).to_have_count(3)
    expect(readout(d, "special tokens", exact=True)).to_have_text(
        "9"
    )  # system + 3 messages (one added, one removed) + the opened turn


def test_template_refuses_empty_messages(page):
    page.open_chapter("post-training")
    d = demo(page, "template")
    expect(d.locator(".pt-strip .token").first).to_have_text("<|im_start|>", timeout=SMOLLM2_MS)
    for box in d.locator("textarea").all():
        box.fill("")
    expect(d.locator('[data-field="messages"] .field-error')).to_contain_text("empty", timeout=SMOLLM2_MS)


def test_masking_table_and_bad_name(page):
    page.open_chapter("post-training")
    d = demo(page, "masking")
    expect(d.locator("tr.pt-counted")).to_have_count(5, timeout=BASE)  # e m m a + end
    expect(d.locator("tr.pt-masked")).to_have_count(2)  # f and >
    d.get_by_role("button", name="l>").click()
    d.get_by_label("Response (a name, letters a-z)").fill("smith")
    expect(d.locator("tr.pt-counted")).to_have_count(6)
    expect(readout(d, "loss SFT trains on (response only)", exact=True)).to_contain_text("nats/char")
    d.get_by_label("Response (a name, letters a-z)").fill("sm1th")
    expect(d.locator('[data-field="response"] .field-error')).to_contain_text("letters a-z")


def test_choices_by_keyboard_and_script_fit_a_reward_model(page):
    page.open_chapter("post-training")
    d = demo(page, "prefs")
    first = d.locator("button.pt-pick").first
    expect(first).to_be_enabled(timeout=BASE)
    expect(first).to_have_text(re.compile(r"^1 · [a-z]+$"))
    first.focus()
    page.keyboard.press("2")
    expect(readout(d, "your choices", exact=True)).to_have_text("1")
    page.keyboard.press("1")
    expect(readout(d, "your choices", exact=True)).to_have_text("2")
    expect(d.locator(".pt-guess")).to_contain_text("you pick 1")
    d.get_by_label("Or let a script choose for you").select_option("shorter")
    d.get_by_role("button", name="Add 20 scripted choices").click()
    expect(readout(d, "your choices", exact=True)).to_have_text("22")
    expect(readout(d, "held-out accuracy (5-fold)", exact=True)).to_contain_text("%")
    expect(d.locator(".pt-ranked li")).to_have_count(10)
    # the DPO demo below now has pairs to work with
    expect(demo(page, "dpo").get_by_role("button", name="Run DPO")).to_be_enabled()


@pytest.mark.slow
def test_dpo_runs_on_the_learners_pairs(page):
    page.open_chapter("post-training")
    p = demo(page, "prefs")
    expect(p.get_by_role("button", name="Add 20 scripted choices")).to_be_enabled(timeout=BASE)
    p.get_by_role("button", name="Add 20 scripted choices").click()
    expect(readout(p, "your choices", exact=True)).to_have_text("20")
    d = demo(page, "dpo")
    d.locator('[data-field="steps"] input[type=range]').fill("10")
    d.get_by_role("button", name="Run DPO").click()
    expect(readout(d, "KL from the reference", exact=True)).to_contain_text("nats per name", timeout=BASE)
    expect(d.locator(".pt-measure tr")).to_have_count(9)  # header, mean reward, 6 features, empty names
    expect(d.locator(".pt-samples tr")).to_have_count(2)


@pytest.mark.slow
def test_sft_fills_both_grids(page):
    page.open_chapter("post-training")
    d = demo(page, "sft")
    expect(d.get_by_role("button", name="Fine-tune")).to_be_enabled(timeout=BASE)
    d.locator('[data-field="steps"] input[type=range]').fill("20")
    d.get_by_role("button", name="Fine-tune").click()
    expect(readout(d, "kinds of name likeliest under their own prompt", exact=True)).to_contain_text(
        "of 3", timeout=BASE
    )
    expect(d.locator(".pt-samples tr")).to_have_count(4)
    # the masking table now compares the fine-tuned model
    expect(demo(page, "masking").locator("th", has_text="after your SFT")).to_have_count(1)


@pytest.mark.slow
def test_the_raw_question_makes_the_model_close_the_turn_itself(page):
    page.open_chapter("post-training")
    d = demo(page, "compare")
    d.get_by_role("button", name="Ask both ways").click()
    raw = d.locator('.pt-panel[data-mode="raw"] .token')
    expect(raw.first).to_have_text("<|im_end|>", timeout=SMOLLM2_MS * 2)
    expect(d.locator('.pt-panel[data-mode="chat"] .pt-note')).to_contain_text("tokens in", timeout=SMOLLM2_MS * 3)


@pytest.mark.slow
def test_critique_loop_streams_three_stages(page):
    page.open_chapter("post-training")
    d = demo(page, "critique")
    d.get_by_label("Principle (edit it)").fill("Answer in one short sentence.")
    d.get_by_role("button", name="Run the loop").click()
    expect(d.locator('.pt-stage[data-stage="revision"] .pt-note')).to_contain_text(
        re.compile("ended by the model|cut at the limit"), timeout=SMOLLM2_MS * 5
    )
    expect(d.locator('.pt-stage[data-stage="draft"] .pt-stage-text')).not_to_have_text("")


def test_critique_refuses_a_blank_principle(page):
    page.open_chapter("post-training")
    d = demo(page, "critique")
    d.get_by_label("Principle (edit it)").fill("   ")
    d.get_by_role("button", name="Run the loop").click()
    expect(d.locator('[data-field="principle"] .field-error')).to_contain_text("only spaces", timeout=SMOLLM2_MS)
