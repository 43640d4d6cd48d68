"""Your model through the guide, in Chromium: a model trained in train-a-gpt is listed there,
then offered in another chapter's demo, which shows its numbers (not the default's); an upload
joins the list and a broken file gets its sentence beside the file control."""

import re

from playwright.sync_api import expect

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer
from tests.browser.helpers import SMOLLM2_MS, readout

# 1 layer, width 8: 27*8 (wte) + 16*8 (wpe) + 27*8 (lm_head) + 12*8*8 (a block) = 1,328 weights,
# where the default tiny GPT has 4,192.
WIDTH, PARAMS = 8, "1,328"


def test_a_model_trained_here_is_picked_in_later_chapters(page):
    page.open_chapter("train-a-gpt")
    play = page.locator('.demo[data-demo="playground"]')
    play.get_by_label("Steps", exact=True).fill("60")
    play.get_by_text("Model size").click()
    play.get_by_label("Embedding width").fill(str(WIDTH))
    play.get_by_role("button", name="Train").click()
    expect(play.locator(".demo-status")).to_contain_text("Done", timeout=60_000)
    mine = page.locator('.demo[data-demo="your-model"] table.my-models')
    expect(mine).to_contain_text("first names, 1×8, 60 steps (your model)")
    expect(mine).to_contain_text(f"{PARAMS} parameters")

    # The scaling-laws sweep places it: its own loss and compute (1,328 params x 60 steps of one name).
    page.open_chapter("scaling-laws")
    sweep = page.locator('.demo[data-demo="sweep"]')
    sweep.get_by_role("button", name=re.compile("your model: first names, 1×8, 60 steps")).click()
    expect(readout(sweep, "your model")).to_contain_text(re.compile(r"^loss \d\.\d{3} at "))
    expect(sweep.locator("svg g[data-series='yours'] circle")).to_have_count(1)

    # The name demo of generation: picking the model shows its own size and runs it.
    page.open_chapter("generation")
    names = page.locator('.demo[data-demo="names"]')
    pick = names.get_by_role("button", name=re.compile("your model: first names, 1×8, 60 steps"))
    expect(pick).to_be_visible()
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    expect(readout(names, "parameters")).to_have_text(PARAMS)
    expect(readout(names, "model")).to_have_text("first names, 1×8, 60 steps")
    names.get_by_role("button", name="Step", exact=True).click()
    expect(readout(names, "step")).to_contain_text("1 of at most 16")

    # The interpretability lens reads the same model: its one layer, its parameters.
    page.open_chapter("interpretability")
    lens = page.locator('.demo[data-demo="tiny-lens"]')
    # first the default (trained once per server; the demo looks again while it trains), then yours
    expect(readout(lens, "model")).to_have_text("default tiny GPT (4,192 parameters)", timeout=90_000)
    lens.get_by_role("button", name=re.compile("your model: first names")).click()
    expect(readout(lens, "model")).to_have_text(f"first names, 1×8, 60 steps ({PARAMS} parameters)")
    expect(lens.locator("table.tl-lens tr[data-layer]")).to_have_count(2)  # the embedding and its one layer


def test_upload_joins_your_models_and_a_broken_file_is_explained(page, tmp_path):
    good = TinyGPT(GPTConfig(n_embd=8), tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz"))
    path = good.save(tmp_path / "good.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"this is not a model")
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="your-model"]')
    expect(demo.locator("table.my-models")).to_contain_text("None yet")
    demo.get_by_label("Upload a model (.safetensors)").set_input_files(str(bad))
    demo.get_by_role("button", name="Upload", exact=True).click()
    expect(demo.locator('[data-field="file"] .field-error')).to_contain_text("not a tiny GPT checkpoint")
    demo.get_by_label("Upload a model (.safetensors)").set_input_files(str(path))
    demo.get_by_label("Its name").fill("my upload")
    demo.get_by_role("button", name="Upload", exact=True).click()
    expect(demo.locator("table.my-models")).to_contain_text("my upload (your model)")
    with page.expect_download() as info:
        demo.get_by_role("link", name="Download").click()
    info.value.save_as(tmp_path / "back.safetensors")
    assert TinyGPT.from_checkpoint(tmp_path / "back.safetensors").n_params == good.n_params


def test_an_uploaded_model_runs_in_sampling_and_is_loras_base(page, tmp_path):
    """The other two demos that offer your model: sampling reshapes its next-character distribution
    (its 27 characters, not SmolLM2's vocabulary), and LoRA counts its weights as the base's."""
    path = TinyGPT(GPTConfig(n_embd=WIDTH), tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz")).save(
        tmp_path / "mine.safetensors"
    )
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="your-model"]')
    demo.get_by_label("Upload a model (.safetensors)").set_input_files(str(path))
    demo.get_by_label("Its name").fill("mine")
    demo.get_by_role("button", name="Upload", exact=True).click()
    expect(demo.locator("table.my-models")).to_contain_text("mine (your model)")

    page.open_chapter("sampling")
    filters = page.locator('.demo[data-demo="filters"]')
    drawable = readout(filters, "tokens that can be drawn", exact=True)
    expect(drawable).to_have_text(re.compile(r"of 49,152$"), timeout=SMOLLM2_MS)  # SmolLM2's vocabulary
    filters.get_by_role("button", name="your model: mine").click()
    expect(drawable).to_have_text(re.compile(r"of 27$"))  # 26 letters and BOS
    expect(filters.locator(".demo-title")).to_have_text("Reshape your model's next-character distribution")

    page.open_chapter("fine-tuning")
    lora = page.locator('.demo[data-demo="lora"]')
    trains = readout(lora, "LoRA trains", exact=True)
    expect(trains).not_to_have_text("–")
    default = trains.inner_text()
    lora.get_by_role("button", name="your model: mine").click()
    expect(trains).not_to_have_text(default)
    expect(trains).to_contain_text(f"of {PARAMS} (")
