"""Chapter 11 in Chromium: start a run, watch the loss drop and names appear,
stop it, download the model; bad settings get a sentence beside their control."""

import re

from playwright.sync_api import expect

from glasslm.engine.models.tiny.gpt import TinyGPT
from tests.browser.helpers import readout


def test_train_watch_stop_and_download(page, tmp_path):
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="playground"]')
    demo.get_by_label("Steps", exact=True).fill("20000")
    demo.get_by_label("Names per step (batch)").select_option("8")
    demo.get_by_role("button", name="Train").click()
    # the held-out loss starts near log(27) = 3.30 and falls below 3 within the first evaluations
    held = readout(demo, "held-out loss")
    expect(held).to_have_text(re.compile(r"^[0-2]\.\d{3}$"), timeout=30_000)
    expect(demo.locator(".gpt-loss path.series").first).to_have_attribute("d", re.compile(r"(L[^L]*){5}"))
    expect(demo.locator(".gpt-samples li")).to_have_count(10, timeout=30_000)
    expect(demo.locator(".gpt-head")).to_have_count(4)
    demo.get_by_role("button", name="Stop").click()
    expect(demo.locator(".demo-status")).to_contain_text("Stopped at step", timeout=20_000)
    expect(demo.get_by_role("button", name="Resume")).to_be_enabled()
    with page.expect_download() as info:
        demo.get_by_text("Download model").click()
    path = tmp_path / "model.safetensors"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".safetensors")
    assert TinyGPT.from_checkpoint(path).n_params == 4192


def test_bad_learning_rate_is_explained_beside_its_box(page):
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="playground"]')
    demo.get_by_label("Learning rate").fill("50")
    demo.get_by_role("button", name="Train").click()
    expect(demo.locator('[data-field="lr"] .field-error')).to_contain_text("at most")
    expect(demo.get_by_role("button", name="Train")).to_be_enabled()


def test_speed_comparison_runs_live(page):
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="speed"]')
    demo.get_by_role("button", name="Measure").click()
    expect(demo.locator(".gpt-speed-row")).to_have_count(2, timeout=60_000)
    expect(readout(demo, "arrays are faster by")).to_contain_text("×")


def test_open_a_saved_model_and_a_broken_one(page, tmp_path):
    from glasslm.engine.tokenizers.chars import CharTokenizer

    good = TinyGPT(tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz")).save(tmp_path / "good.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"this is not a model")
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="open-model"]')
    demo.get_by_label("Model file (.safetensors)").set_input_files(str(bad))
    demo.get_by_role("button", name="Sample").click()
    expect(demo.locator('[data-field="file"] .field-error')).to_contain_text("not a readable safetensors file")
    demo.get_by_label("Model file (.safetensors)").set_input_files(str(good))
    demo.get_by_role("button", name="Sample").click()
    expect(demo.locator(".gpt-samples li")).to_have_count(10)
    expect(readout(demo, "parameters")).to_have_text("4,192")
