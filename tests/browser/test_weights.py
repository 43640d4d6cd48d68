"""Chapter 2 in Chromium: moving a knob changes what the learner sees."""

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_weight_slider_changes_the_prediction_and_error(page):
    page.open_chapter("weights")
    demo = page.locator('.demo[data-demo="one-weight"]')
    prediction = readout(demo, "a 5 cm petal")
    expect(prediction).to_have_text("0.50 cm wide")
    error_before = readout(demo, "mean squared error").inner_text()
    slider = demo.locator("input[type=range]")
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    expect(prediction).not_to_have_text("0.50 cm wide")
    expect(readout(demo, "mean squared error")).not_to_have_text(error_before)
    # the best-weight button moves the slider to the least-squares answer
    demo.get_by_role("button", name="Best weight").click()
    best = readout(demo, "best possible w").inner_text()
    expect(demo.locator("output")).to_have_text(best)
    expect(readout(demo, "mean squared error")).to_have_text(readout(demo, "its error").inner_text())


def test_few_inputs_best_fit_lowers_the_error(page):
    page.open_chapter("weights")
    demo = page.locator('.demo[data-demo="few-inputs"]')
    err = readout(demo, "mean squared error (all 150)")
    expect(err).not_to_have_text("–")
    before = float(err.inner_text().split()[0])
    demo.get_by_role("button", name="Best fit").click()
    expect(err).to_have_text(readout(demo, "best possible error").inner_text())
    assert float(err.inner_text().split()[0]) < before


def test_parameter_counts_show_real_and_published_models(page):
    page.open_chapter("weights")
    demo = page.locator('.demo[data-demo="param-counts"]')
    expect(demo.locator(".param-row")).to_have_count(7)
    expect(demo).to_contain_text("GPT-3")
    expect(demo).to_contain_text("Brown et al. 2020")


def test_under_the_hood_shows_engine_source_and_json(page):
    page.open_chapter("weights")
    demo = page.locator('.demo[data-demo="one-weight"]')
    demo.locator(".hood summary").click()
    expect(demo.locator(".hood-source")).to_contain_text("def mse(")
    expect(demo.locator(".hood-json")).to_contain_text('"best_w"')
