"""Chapter 5 in Chromium: a typed expression gets a graph with gradients, a bad one a
readable message beside the box, and the backward pass can be stepped."""

import re

from playwright.sync_api import expect


def graph_demo(page):
    page.open_chapter("autograd")
    return page.locator('.demo[data-demo="graph"]')


def test_typed_expression_shows_gradients(page):
    demo = graph_demo(page)
    box = demo.get_by_label("expression")
    box.fill("x*x + x")
    # x defaults to 2: d/dx (x^2 + x) = 2x + 1 = 5
    row = demo.locator('tr[data-input="x"]')
    expect(row.locator(".ag-grad")).to_have_text("5.000000")
    expect(row).to_contain_text("✓ yes")
    expect(demo.locator('.node[data-node="x"] .node-grad')).to_have_text("grad  5.0000")
    # change the value of x: the gradient follows
    value = demo.locator('[data-field="x"] input')
    value.fill("-1")
    value.press("Enter")
    value.blur()
    expect(row.locator(".ag-grad")).to_have_text("-1.000000")


def test_bad_expression_gets_a_message_beside_the_box(page):
    demo = graph_demo(page)
    box = demo.get_by_label("expression")
    box.fill("(a*b + c))")
    control = demo.locator('[data-field="expression"]')
    expect(control.locator(".field-error")).to_contain_text("Unexpected ')' at column 10")
    expect(control.locator(".ag-caret")).to_contain_text("^")
    box.fill("sin(a)")
    expect(control.locator(".field-error")).to_contain_text("Unknown function 'sin'")
    # fixing it clears the message and draws again
    box.fill("a.tanh()")
    expect(control.locator(".field-error")).to_have_count(0)
    expect(demo.locator('.node[data-node="a"]')).to_have_count(1)


def test_backward_pass_steps_node_by_node(page):
    demo = graph_demo(page)
    expect(demo.locator(".readout-item", has_text="backward step")).to_contain_text("3 of 3")
    demo.get_by_role("button", name="Reset the backward pass").click()
    expect(demo.locator(".readout-item", has_text="backward step")).to_contain_text("0 of 3")
    expect(demo.locator('.node[data-node="a"] .node-grad')).to_have_text("grad  ?")
    demo.get_by_role("button", name="Step", exact=True).click()
    expect(demo.locator(".ag-step")).to_contain_text("Step 1 of 3: node relu")
    expect(demo.locator(".node.current")).to_have_count(1)
    demo.get_by_role("button", name="Step", exact=True).click()
    demo.get_by_role("button", name="Step", exact=True).click()
    expect(demo.locator(".ag-step")).to_contain_text("grad(a) += -3.0000 × 1.0000 = −3.0000")
    expect(demo.locator('.node[data-node="a"] .node-grad')).to_have_text("grad  -3.0000")
    # a and b both feed a*b: their two factors are shown apart, each beside its own edge
    labels = demo.locator(".edge-label")
    expect(labels).to_have_count(2)
    a, b = (labels.nth(i).bounding_box() for i in range(2))
    apart = a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"] or a["x"] + a["width"] <= b["x"]
    assert apart or b["x"] + b["width"] <= a["x"], (a, b)


def test_finite_difference_sweep_redraws_for_a_new_expression(page):
    page.open_chapter("autograd")
    demo = page.locator('.demo[data-demo="check"]')
    grad = demo.locator(".readout-item", has_text="autograd").locator(".value")
    expect(grad).not_to_have_text("–")
    before = grad.inner_text()
    demo.get_by_label("expression").fill("y**3")
    expect(demo.locator(".readout-item", has_text="autograd d/dy")).to_be_visible()
    expect(grad).not_to_have_text(before)
    # y defaults to 2: d/dy y^3 = 3 y^2 = 12
    expect(grad).to_have_text("12.0000000000")
    # h runs over powers of ten on a log axis, labelled as such (10⁻¹⁴ ... 10⁻²)
    ticks = [t for t in demo.locator("g.axis").first.locator(".tick text").all_text_contents() if t]
    assert len(ticks) >= 4 and all(re.fullmatch(r"10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+", t) for t in ticks), ticks
    assert "NaN" not in demo.locator("path.series").get_attribute("d")


def test_graph_recolours_with_the_theme(page):
    demo = graph_demo(page)
    rect = demo.locator('.node[data-node="a"] rect')
    expect(rect).to_have_count(1)
    page.click("#theme-toggle")  # system -> light
    light = rect.get_attribute("fill")
    page.click("#theme-toggle")  # light -> dark
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert rect.get_attribute("fill") != light
