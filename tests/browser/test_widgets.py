"""glasslm.widgets in Chromium: the bundled ES modules draw the kernel's numbers and answer their controls.

No Jupyter: tests/browser/widget_page.py serves the page anywidget would make,
with the Python widget's real state, and the Python widget itself answers what
the page saves or sends, as its kernel would.
"""

import json

import pytest
from playwright.sync_api import expect

from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from tests.browser.helpers import SMOLLM2_MS
from tests.browser.widget_page import serve_widget, widget_server

widgets = pytest.importorskip("glasslm.widgets")


@pytest.fixture
def open_widget(browser, tmp_path):
    opened = []

    def open_(widget, width=900):
        folder = tmp_path / f"w{len(opened)}"
        folder.mkdir()
        ctx = browser.new_context(viewport={"width": width, "height": 800})
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        opened.append((ctx, errors))
        serve_widget(folder, page, widget)
        page.goto(f"{base}/w{len(opened) - 1}/index.html")
        page.wait_for_selector("body[data-rendered]")
        return page

    with widget_server(tmp_path) as base:
        yield open_
        for ctx, errors in opened:
            ctx.close()
            assert not errors, "the widget page logged errors:\n" + "\n".join(errors)


def _tiny(n_layer=2):
    data = name_data.first_names()
    return TinyGPT(GPTConfig(vocab_size=data.tokenizer.vocab_size, n_layer=n_layer), seed=3, tokenizer=data.tokenizer)


def _drawn_cells(page):
    """The values of the heat map's cells left to right, top to bottom; masked cells (the future) left out."""
    return page.evaluate(
        "[...document.querySelectorAll('svg.heatmap g.cell')].map((g) => g.__data__.v).filter((v) => v !== null)"
    )


def test_attention_map_draws_and_switches_heads(open_widget):
    w = widgets.AttentionMap("emma", model=_tiny())
    page = open_widget(w)
    expect(page.locator("svg.heatmap g.cell")).to_have_count(25)  # [BOS] e m m a: 5 x 5
    expect(page.locator("svg.heatmap text.row-label")).to_have_text(["<BOS>", "e", "m", "m", "a"])
    first = [v for i, row in enumerate(w.weights) for v in row[: i + 1]]
    assert _drawn_cells(page) == first
    page.get_by_label("Layer", exact=True).select_option("1")
    page.get_by_label("Head", exact=True).select_option("3")
    expect(page.locator(".demo-status")).to_contain_text("layer 1, head 3")
    assert page.evaluate("window.saved") == [{"layer": 1}, {"head": 3}]
    assert (w.layer, w.head) == (1, 3)  # the kernel side followed the pickers
    # the caption is redrawn with the kernel's new weights, so they are on screen now
    assert _drawn_cells(page) == [v for i, row in enumerate(w.weights) for v in row[: i + 1]] != first
    assert w.weights[0][1:] == [0, 0, 0, 0]  # no looking ahead: the page masks those cells
    titles = page.locator("svg.heatmap g.cell title")
    assert titles.nth(4).text_content() == "<BOS> → a: masked"
    assert titles.nth(24).text_content() == f"a → a: {round(100 * w.weights[4][4])}%"
    # a new text: the kernel retraces; one the model cannot read gets its sentence and the picture stays
    page.get_by_label("Text (Enter to redraw)").fill("Ava")
    page.get_by_label("Text (Enter to redraw)").press("Enter")
    expect(page.locator(".demo-error")).to_contain_text("'A' is not in this tokenizer's vocabulary")
    expect(page.locator("svg.heatmap g.cell")).to_have_count(25)
    page.get_by_label("Text (Enter to redraw)").fill("ava")
    page.get_by_label("Text (Enter to redraw)").press("Enter")
    expect(page.locator("svg.heatmap g.cell")).to_have_count(16)
    expect(page.locator(".demo-error")).to_be_hidden()
    # JupyterLab's dark theme: the guide's dark colours, read from :root as color.js reads them
    seq = "getComputedStyle(document.documentElement).getPropertyValue('--seq-1').trim()"
    assert page.evaluate(seq) == "#1f5fbf"
    page.evaluate("document.body.setAttribute('data-jp-theme-light', 'false')")
    assert page.evaluate(seq) == "#7db0ff"


def test_training_curve_grows_switches_to_log_and_trains_in_the_kernel(open_widget):
    fresh = widgets.TrainingCurve(steps=60)
    streamed = widgets.TrainingCurve(steps=60)
    streamed.train()
    page = open_widget(fresh)
    path = page.locator("svg.chart path.series").first
    # the kernel streams traits while train() runs: first a few points, then all of them
    for upto in (5, len(streamed.losses)):
        page.evaluate(f"window.model.set('losses', {json.dumps(streamed.losses[:upto])})")
        page.wait_for_function(
            "(n) => (document.querySelector('svg.chart path.series').getAttribute('d') || '').split('L').length === n",
            arg=upto,
        )
    page.evaluate(f"window.model.set('heldout', {json.dumps(streamed.heldout)})")
    expect(page.locator("svg.chart circle")).to_have_count(len(streamed.heldout))
    linear = page.locator("svg.chart .axis").nth(1).locator(".tick text").all_text_contents()
    page.get_by_role("button", name="log").click()
    expect(page.locator("svg.chart .axis").nth(1).locator(".tick text")).not_to_have_text(linear)
    assert fresh.y_scale == "log"
    assert path.get_attribute("d").count("L") == len(streamed.losses) - 1  # the whole curve, redrawn on a log axis
    # Train: the page asks, the kernel trains the widget's own run and answers with its curve and samples
    page.get_by_role("button", name="Train").click()
    expect(page.locator(".demo-status")).to_contain_text("Done: 60 steps")
    assert page.evaluate("window.sent") == [{"type": "train"}]
    expect(page.locator(".glasslm-samples")).to_contain_text(fresh.samples[0])
    expect(page.locator("svg.chart circle")).to_have_count(len(fresh.heldout))
    expect(page.get_by_role("button", name="Train")).to_be_disabled()  # trained to its step count
    assert fresh.losses == streamed.losses  # same seeds: the kernel's run is the streamed one


@pytest.mark.slow  # SmolLM2 forward passes
def test_next_token_bar_appends_the_token_and_the_kernel_predicts_again(open_widget):
    w = widgets.NextToken("The capital of France is", k=5)
    page = open_widget(w)
    expect(page.locator(".bars .bar-row")).to_have_count(5)
    expect(page.locator(".bars .bar-label").first).to_have_text("·Paris")
    expect(page.locator(".tokens .token")).to_have_count(5)
    page.locator(".bars .bar-row").first.click()
    expect(page.locator(".tokens .token")).to_have_count(6, timeout=SMOLLM2_MS)
    expect(page.locator(".tokens .token").last).to_have_text("·Paris")
    assert w.text == "The capital of France is Paris"
    expect(page.locator(".bars .bar-label").first).to_have_text(w.top[0]["text"].replace(" ", "·"))


@pytest.mark.slow  # SmolLM2 forward passes
def test_sampling_knobs_and_token_strip_and_lens_answer_their_controls(open_widget):
    knobs = widgets.SamplingKnobs("Once upon a time", top_k=0)
    page = open_widget(knobs)
    expect(page.locator(".bars .bar-row")).to_have_count(12)
    page.get_by_label("Top-k (0 = off)").fill("2")  # a range input: fill sets it and fires change
    expect(page.locator(".demo-status")).to_contain_text("2 tokens can be drawn", timeout=SMOLLM2_MS)
    assert knobs.top_k == 2 and knobs.stages[-1]["survivors"] == 2
    expect(page.locator(".bars .bar-value").nth(2)).to_have_text("0.0000%  model " + _pct(knobs.rows[2]["model"]))

    strip = widgets.TokenStrip("Hello world", "cl100k")
    page = open_widget(strip)
    expect(page.locator(".tokens .token")).to_have_text(["Hello", "·world"])
    page.get_by_label("Text").fill("Hello, world!")
    expect(page.locator(".tokens .token")).to_have_text(["Hello", ",", "·world", "!"])
    expect(page.locator(".demo-status")).to_contain_text("4 tokens (cl100k)")

    lens = widgets.LogitLens("The capital of France is")
    page = open_widget(lens)
    expect(page.locator(".bars .bar-row")).to_have_count(len(lens.layers[-1]))
    expect(page.locator(".bars .bar-label").last).to_have_text("layer 30: ·Paris")
    expect(page.locator(".bars .bar-value").last).to_have_text(
        f"{100 * lens.final[-1]['prob']:.1f}%  ‖x‖ {lens.layers[-1][-1]['norm']:.0f}"
    )
    expect(page.locator(".demo-status")).to_contain_text("predicts “·Paris”")
    page.locator(".tokens .token").nth(1).click()  # "·capital": what comes after it, layer by layer
    expect(page.locator(".demo-status")).to_contain_text(
        f"After “·capital” the model predicts “{lens.final[1]['text'].replace(' ', '·')}”"
    )
    assert lens.position == 1


def _pct(p):
    v = 100 * p
    d = 1 if v >= 10 else 2 if v >= 1 else 3 if v >= 0.01 else 4
    return f"{v:.{d}f}%"
