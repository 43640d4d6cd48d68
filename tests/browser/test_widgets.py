"""glasslm.widgets in Chromium: the bundled ES modules draw the kernel's numbers and answer their controls.

No Jupyter: tests/browser/widget_page.py serves the page anywidget would make,
with the Python widget's real state. Where a control asks the kernel, the
page's fake kernel answers with numbers the Python widget computed.
"""

import json

import pytest
from playwright.sync_api import expect

from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from tests.browser.widget_page import widget_server, write_page

widgets = pytest.importorskip("glasslm.widgets")


@pytest.fixture
def open_widget(browser, tmp_path):
    pages = []

    def open_(widget, kernel=None, data=None):
        write_page(tmp_path, widget, kernel, data)
        ctx = browser.new_context(viewport={"width": 900, "height": 800})
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        pages.append((ctx, page))
        page.goto(f"{base}/index.html")
        page.wait_for_selector("body[data-rendered]")
        return page

    with widget_server(tmp_path) as base:
        yield open_
        for ctx, page in pages:
            ctx.close()
            assert not page.errors, "the widget page logged errors:\n" + "\n".join(page.errors)


def _tiny(n_layer=2):
    data = name_data.first_names()
    return TinyGPT(GPTConfig(vocab_size=data.tokenizer.vocab_size, n_layer=n_layer), seed=3, tokenizer=data.tokenizer)


def _cell_titles(page):
    return page.locator("svg.heatmap g.cell title").all_text_contents()


def test_attention_map_draws_and_switches_heads(open_widget):
    w = widgets.AttentionMap("emma", model=_tiny())
    table = [
        [[[round(v, 4) for v in row] for row in head] for head in layer] for layer in w.data()["attention"].tolist()
    ]
    # the kernel's answer to a new layer or head: that head's weights, as AttentionMap._show computes them
    kernel = "(model, c) => window.model.set('weights', window.kernelData[model.get('layer')][model.get('head')])"
    page = open_widget(w, kernel, table)
    expect(page.locator("svg.heatmap g.cell")).to_have_count(25)  # [BOS] e m m a: 5 x 5
    expect(page.locator("svg.heatmap text.row-label")).to_have_text(["<BOS>", "e", "m", "m", "a"])
    before = _cell_titles(page)
    assert "a → <BOS>" in before[20]
    page.get_by_label("Layer", exact=True).select_option("1")
    page.get_by_label("Head", exact=True).select_option("3")
    assert page.evaluate("window.saved") == [{"layer": 1}, {"head": 3}]
    expect(page.locator("svg.heatmap g.cell title").nth(20)).not_to_have_text(before[20])
    after = _cell_titles(page)
    w.layer, w.head = 1, 3  # the Python widget shows the same head
    shown = page.evaluate("[...document.querySelectorAll('svg.heatmap g.cell')].map((g) => g.__data__.v)")
    assert shown == [v for row in w.weights for v in row]  # the page draws exactly the kernel's numbers
    assert after[4] == "<BOS> → a: 0.0000%"  # the first token cannot look ahead
    expect(page.locator(".demo-status")).to_contain_text("layer 1, head 3")


def test_training_curve_grows_switches_to_log_and_asks_the_kernel_to_train(open_widget):
    fresh = widgets.TrainingCurve(steps=60)
    trained = widgets.TrainingCurve(steps=60)
    trained.train()
    page = open_widget(fresh)
    expect(page.get_by_role("button", name="Train")).to_be_enabled()
    page.get_by_role("button", name="Train").click()
    assert page.evaluate("window.sent") == [{"type": "train"}]
    path = page.locator("svg.chart path.series").first
    # the kernel streams: first a few points, then all of them (as traits set while train() runs)
    for upto in (5, len(trained.losses)):
        page.evaluate(f"window.model.set('losses', {json.dumps(trained.losses[:upto])})")
        page.wait_for_function(
            "(n) => (document.querySelector('svg.chart path.series').getAttribute('d') || '').split('L').length === n",
            arg=upto,
        )
    page.evaluate(f"window.model.set('heldout', {json.dumps(trained.heldout)})")
    expect(page.locator("svg.chart circle")).to_have_count(len(trained.heldout))
    page.evaluate(f"window.model.set('samples', {json.dumps(trained.samples)})")
    expect(page.locator(".glasslm-samples")).to_contain_text(trained.samples[0])
    linear = page.locator("svg.chart .axis").nth(1).locator(".tick text").all_text_contents()
    page.get_by_role("button", name="log").click()
    assert page.evaluate("window.saved").pop() == {"y_scale": "log"}
    expect(page.locator("svg.chart .axis").nth(1).locator(".tick text")).not_to_have_text(linear)
    assert path.get_attribute("d").count("L") == len(trained.losses) - 1  # redrawn whole on the log axis
