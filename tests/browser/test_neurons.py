"""Chapter 4 in Chromium: the MLP's loss drops while it trains, and each other demo
changes what the learner sees when a control moves."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import readout


@pytest.mark.slow  # 500 paced training steps stream for about 5 s
def test_mlp_loss_drops_while_training(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="mlp"]')
    demo.get_by_label("data set").select_option("circles")
    demo.get_by_label("training steps").select_option("500")
    expect(readout(demo, "step", exact=True)).to_have_text("0 of 500")
    start = float(readout(demo, "loss at the start", exact=True).inner_text())
    demo.get_by_role("button", name="Train").click()
    expect(demo.get_by_role("button", name="Stop")).to_be_enabled()
    expect(readout(demo, "step", exact=True)).to_have_text("500 of 500", timeout=30_000)
    assert float(readout(demo, "loss", exact=True).inner_text()) < 0.5 * start
    expect(demo.locator(".demo-status")).to_have_text("Done.")
    assert len(demo.locator("path.series").first.get_attribute("d")) > 50  # the loss curve was drawn


def test_mlp_can_be_stopped(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="mlp"]')
    demo.get_by_label("training steps").select_option("5000")
    demo.get_by_role("button", name="Train").click()
    expect(readout(demo, "step", exact=True)).not_to_have_text("0 of 5,000")
    demo.get_by_role("button", name="Stop").click()
    expect(demo.locator(".demo-status")).to_have_text("Stopped.")
    expect(demo.get_by_role("button", name="Train")).to_be_enabled()


def test_activation_choice_changes_value_and_slope(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="activations"]')
    expect(demo.locator(".readout-item").first).to_contain_text("ReLU(1.0)")
    demo.get_by_label("function").select_option("sigmoid")
    # sigmoid(1) = 0.7311, slope 0.7311 * (1 - 0.7311) = 0.1966
    expect(readout(demo, "sigmoid(1.0)", exact=True)).to_have_text("0.7311")
    expect(readout(demo, "slope there", exact=True)).to_have_text("0.1966")


def test_perceptron_never_learns_xor(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="perceptron"]')
    expect(readout(demo, "learned it", exact=True)).to_have_text("yes, in epoch 5")
    demo.get_by_role("button", name="XOR").click()
    expect(readout(demo, "learned it", exact=True)).to_have_text("never")
    expect(readout(demo, "lowest in 20 epochs", exact=True)).not_to_have_text("0 of 4")


def test_network_shows_values_then_gradients_for_a_clicked_point(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="network"]')
    point = readout(demo, "point", exact=True)
    expect(point).not_to_have_text("")
    before_point = point.inner_text()
    first_input = demo.locator(".nn-net g.neuron text").first
    expect(first_input).not_to_have_text("–")  # forward: the input's value
    demo.get_by_role("button", name="backward: gradients").click()
    expect(first_input).to_have_text("–")  # inputs have no gradient of their own
    # click the map's top-left corner: the nearest data point is traced instead
    demo.locator(".nn-map svg").click(position={"x": 20, "y": 20})
    expect(point).not_to_have_text(before_point)


def test_changing_a_control_while_training_stops_the_run(page):
    # Each abandoned run must be stopped on the server, or the third start would
    # exceed the per-learner limit of running jobs.
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="mlp"]')
    demo.get_by_label("training steps").select_option("5000")
    for dataset in ("moons", "spiral", "circles"):
        demo.get_by_role("button", name="Train").click()
        expect(readout(demo, "step", exact=True)).not_to_have_text("0 of 5,000")
        demo.get_by_label("data set").select_option(dataset)
        expect(demo.locator(".demo-status")).to_have_text("Press Train.")
    demo.get_by_role("button", name="Train").click()
    expect(readout(demo, "step", exact=True)).not_to_have_text("0 of 5,000")
    expect(demo.locator(".demo-error")).to_be_hidden()


def test_network_point_can_be_chosen_by_keyboard(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="network"]')
    point = readout(demo, "point", exact=True)
    expect(point).not_to_have_text("")
    before = point.inner_text()
    pick = demo.get_by_label("data point", exact=True)
    pick.focus()
    page.keyboard.press("ArrowRight")
    expect(point).not_to_have_text(before)


def test_softmax_output_draws_two_output_neurons(page):
    page.open_chapter("neurons")
    demo = page.locator('.demo[data-demo="network"]')
    expect(demo.locator(".nn-net")).to_contain_text("output p(orange)")
    neurons = demo.locator(".nn-net g.neuron")
    count = neurons.count()
    demo.get_by_label("output", exact=True).select_option("softmax")
    expect(demo.locator(".nn-net")).to_contain_text("outputs p(blue), p(orange)")
    expect(neurons).to_have_count(count + 1)
