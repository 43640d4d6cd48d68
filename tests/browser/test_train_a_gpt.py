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
    expect(demo.locator('[data-field="file"] .field-error')).to_contain_text("not a tiny GPT checkpoint")
    demo.get_by_label("Model file (.safetensors)").set_input_files(str(good))
    demo.get_by_role("button", name="Sample").click()
    expect(demo.locator(".gpt-samples li")).to_have_count(10)
    expect(readout(demo, "parameters")).to_have_text("4,192")


FLAT_LINE_HEIGHT = """([path, area]) => {
  const p = path.getBBox(), a = area.getBBox();
  return (p.y - a.y) / a.height;
}"""


def test_trained_model_is_sampled_in_place_and_trained_further(page):
    """Issue 13: a flat 0.01 drawn at 0, a baseline label on the curve, "emma" on last names,
    sampling only by download, and a Resume that refused a finished run."""
    from glasslm.engine.data import name_data

    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="playground"]')
    # A constant rate of 0.01 is drawn mid-height, not as a line at 0 on a -1..1 axis.
    demo.get_by_label("Schedule", exact=True).select_option("constant")
    lr_path = demo.locator(".gpt-lr path.series").first
    expect(lr_path).to_have_attribute("d", re.compile(r"^M[\d.]+,([\d.]+)(L[\d.]+,\1)+$"))  # flat
    share = page.evaluate(
        FLAT_LINE_HEIGHT, [lr_path.element_handle(), demo.locator(".gpt-lr rect.plot-area").element_handle()]
    )
    assert 0.3 < share < 0.7
    y_ticks = [
        float(t.replace("−", "-"))
        for t in demo.locator(".gpt-lr .axis").nth(1).locator(".tick text").all_text_contents()
    ]
    assert min(y_ticks) >= 0 and 0.01 < max(y_ticks) <= 0.02 + 1e-9  # 0 to twice the rate, not -1 to 1
    demo.get_by_label("Schedule", exact=True).select_option("linear")
    demo.locator('[data-field="data"] button[data-value="last-names"]').click()
    demo.get_by_label("Steps", exact=True).fill("300")
    demo.get_by_role("button", name="Train").click()
    expect(demo.locator(".demo-status")).to_contain_text("Done:", timeout=60_000)
    # The attention panel shows a last name, one of the data's own.
    head = demo.locator(".gpt-side h4").nth(1).inner_text()
    probe = re.search(r"on “(.+?)”", head).group(1)
    last = name_data.last_names()
    assert probe in last.train + last.heldout and probe not in name_data.first_names().train
    # The baseline's label does not sit on the loss curve: it is in the legend row above the plot.
    expect(demo.locator(".gpt-loss .chart-legend")).to_contain_text("bigram baseline")
    assert not any("bigram" in t for t in demo.locator(".gpt-loss svg text").all_text_contents())
    # Sample the trained model here, at a temperature of the learner's choice.
    demo.get_by_role("button", name="Sample 10 names").click()
    expect(demo.locator(".gpt-side h4").first).to_contain_text("Sampled now from the model at step 300")
    expect(demo.locator(".gpt-samples li")).to_have_count(10)
    # A finished run trains on for N more steps instead of refusing.
    more = demo.get_by_role("button", name="Train 300 more")
    expect(more).to_be_enabled()
    more.click()
    expect(readout(demo, "step")).to_have_text("600 / 600", timeout=60_000)
    expect(demo.locator(".demo-status")).to_contain_text("Done:", timeout=60_000)
    expect(demo.locator(".demo-error")).to_be_hidden()
