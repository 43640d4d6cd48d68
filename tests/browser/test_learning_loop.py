"""Chapter 3 in Chromium: presets change what the descent does, the ball can be dropped
anywhere on the surface, and the race redraws for another surface."""

from playwright.sync_api import expect

from tests.browser.helpers import readout


def error_of(text):
    return float(text.split()[0])


def test_descent_converges_then_diverges(page):
    page.open_chapter("learning-loop")
    demo = page.locator('.demo[data-demo="descent"]')
    expect(readout(demo, "step", exact=True)).to_have_text("0 of 30")
    start = error_of(readout(demo, "error", exact=True).inner_text())
    # the update rule is spelled out with this step's numbers, and its result is the next weight
    w1 = demo.locator(".ll-explain").inner_text().strip().splitlines()[-1].split("=")[-1].strip()
    demo.get_by_role("button", name="Step").click()
    expect(readout(demo, "step", exact=True)).to_have_text("1 of 30")
    expect(readout(demo, "weight w", exact=True)).to_have_text(w1)
    demo.get_by_role("button", name="Run all").click()
    expect(readout(demo, "step", exact=True)).to_have_text("30 of 30")
    assert error_of(readout(demo, "error", exact=True).inner_text()) < 0.1 * start
    demo.get_by_role("button", name="diverge").click()
    expect(readout(demo, "each step × (1 − η a)", exact=True)).to_have_text("−1.10")
    demo.get_by_role("button", name="Run all").click()
    expect(readout(demo, "step", exact=True)).to_have_text("30 of 30")
    assert error_of(readout(demo, "error", exact=True).inner_text()) > start


def test_own_learning_rate_and_its_error(page):
    page.open_chapter("learning-loop")
    demo = page.locator('.demo[data-demo="descent"]')
    box = demo.get_by_label("or your own learning rate η")
    box.fill("5")
    box.press("Enter")
    box.blur()
    expect(demo.locator('[data-field="lr"] .field-error')).to_contain_text("at most 1")
    box.fill("0.001")
    box.blur()
    expect(readout(demo, "learning rate η", exact=True)).to_have_text("0.00100")


def test_clicking_the_surface_moves_the_start(page):
    page.open_chapter("learning-loop")
    demo = page.locator('.demo[data-demo="surface"]')
    position = readout(demo, "position", exact=True)
    expect(position).to_have_text("(-4.500, 1.500)")
    box = demo.locator("svg.ll-surface").bounding_box()
    demo.locator("svg.ll-surface").click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.9})
    expect(position).not_to_have_text("(-4.500, 1.500)")
    demo.get_by_role("button", name="momentum").click()
    expect(demo.get_by_label("learning rate")).to_have_value("0.03")


def test_race_on_another_surface(page):
    page.open_chapter("learning-loop")
    demo = page.locator('.demo[data-demo="race"]')
    momentum = demo.locator(".readout-item", has_text="momentum").locator(".value")
    expect(momentum).to_contain_text("loss -0.515")  # rolled into the deeper valley
    demo.get_by_label("surface", exact=True).select_option("rosenbrock")
    expect(momentum).not_to_contain_text("loss -0.515")
    expect(demo.locator(".readout-item", has_text="Adam").locator(".value")).to_contain_text("(1.00, 1.00)")
