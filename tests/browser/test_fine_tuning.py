"""Chapter 20 in Chromium: the learner changes the rank and sees the count change, trains
LoRA and full fine-tuning and merges, quantizes a SmolLM2 matrix and sees the file's
format, measures the effect on the next token, and gets sentences for bad input."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import readout


@pytest.mark.slow
def test_rank_changes_the_count_and_a_run_merges_identically(page):
    page.open_chapter("fine-tuning")
    demo = page.locator('.demo[data-demo="lora"]')
    share = readout(demo, "LoRA trains")
    # width 32, rank 4 on W_q and W_v: 4 * (32 + 32) * 2 = 512 of 14,528
    expect(share).to_have_text(re.compile(r"^512 of 14,528"))
    rank = demo.get_by_label("Rank r")
    rank.focus()
    for _ in range(4):
        rank.press("ArrowRight")  # rank 8
    expect(share).to_have_text(re.compile(r"^1,024 of 14,528"))
    demo.get_by_label("W_o").check()  # a third matrix: 8 * 64 * 3
    expect(share).to_have_text(re.compile(r"^1,536 of 14,528"))

    demo.get_by_label("Fine-tuning steps").fill("40")
    demo.get_by_role("button", name="Train both").click()
    expect(demo.locator(".ft-before li")).to_have_count(8, timeout=60_000)
    expect(demo.locator(".ft-lora li")).to_have_count(8, timeout=90_000)
    expect(demo.locator(".ft-full li")).to_have_count(8)
    expect(readout(demo, "held-out loss, LoRA")).to_have_text(re.compile(r"^\d\.\d{3}$"))
    expect(demo.locator(".ft-loss path.series")).to_have_count(2)
    expect(demo.locator(".ft-spec-head")).to_contain_text("at most r = 8 above zero")
    expect(demo.locator(".ft-spectrum path.series")).to_have_count(2)
    merge = demo.get_by_role("button", name="Merge the adapter")
    expect(merge).to_be_enabled()
    merge.click()
    expect(demo.locator(".ft-verdict")).to_contain_text("Identical names")
    adapter = demo.locator(".ft-merge .ft-lora li").all_inner_texts()
    assert adapter == demo.locator(".ft-merge .ft-merged li").all_inner_texts() and len(adapter) == 8


def test_bad_learning_rate_is_explained_beside_its_box(page):
    page.open_chapter("fine-tuning")
    demo = page.locator('.demo[data-demo="lora"]')
    demo.get_by_label("Learning rate, LoRA").fill("5")
    demo.get_by_role("button", name="Train both").click()
    expect(demo.locator('[data-field="lr_lora"] .field-error')).to_contain_text("at most")
    for box in demo.get_by_role("checkbox").all():
        box.uncheck()
    expect(demo.locator('[data-field="targets"] .field-error')).to_be_visible()


def test_quantize_a_matrix_and_see_the_files_format(page):
    page.open_chapter("fine-tuning")
    demo = page.locator('.demo[data-demo="quantize"]')
    table = demo.locator(".ft-sizes")
    expect(table).to_contain_text("q_proj of layer 3: 576 × 576", timeout=30_000)
    expect(readout(demo, "this tensor in the file")).to_have_text(re.compile(r"^(Q\d_\w+|F16|F32|BF16)$"))
    expect(demo.locator(".ft-hist rect").first).to_be_visible()
    demo.get_by_label("Matrix").select_option("down_proj")
    expect(table).to_contain_text("down_proj of layer 3: 576 × 1,536")
    # 4-bit at block 32 is 4.5 bits per weight: 884,736 / 2 + 2 * 27,648 = 497,664 bytes
    expect(table.locator("tr", has_text="4-bit")).to_contain_text("497,664")
    demo.get_by_label("Block size").select_option("192")
    expect(table.locator("tr", has_text="4-bit")).to_contain_text("4.08")


def test_effect_on_the_next_token_and_a_bad_prompt(page):
    page.open_chapter("fine-tuning")
    demo = page.locator('.demo[data-demo="effect"]')
    demo.get_by_role("button", name="one matrix").click()
    demo.get_by_role("button", name="8 bits").click()
    demo.get_by_role("button", name="Quantize and predict").click()
    expect(readout(demo, "KL(shipped")).to_have_text(re.compile(r"nats$"), timeout=60_000)
    expect(readout(demo, "top token")).to_contain_text("unchanged")
    expect(demo.locator(".ft-effect .bar-row")).to_have_count(20)
    demo.get_by_label("Your prompt").fill("   ")
    demo.get_by_role("button", name="Quantize and predict").click()
    expect(demo.locator('[data-field="text"] .field-error')).to_contain_text("Type some text")


def test_qlora_memory_follows_the_rank(page):
    page.open_chapter("fine-tuning")
    demo = page.locator('.demo[data-demo="qlora-memory"]')
    expect(demo.locator(".ft-mem")).to_have_count(2, timeout=30_000)
    caption = demo.locator(".ft-mem figcaption").nth(1)
    expect(caption).to_contain_text("Llama 2 70B")
    before = caption.inner_text()
    demo.get_by_label("LoRA rank r").focus()
    demo.get_by_label("LoRA rank r").press("End")
    expect(caption).not_to_have_text(before)
    expect(readout(demo, "QLoRA saves")).to_have_text(re.compile(r"^\d+\.\d×$"))
