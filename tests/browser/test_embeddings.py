"""Chapter 8 in Chromium: the 3-D view turns and zooms; analogies and similarities answer."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import readout


@pytest.mark.slow
def test_dragging_rotates_and_scrolling_zooms_the_3d_view(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="space-3d"]')
    expect(readout(demo, "words shown")).to_have_text("43")
    canvas = demo.locator("canvas")
    canvas.scroll_into_view_if_needed()
    yaw, pitch, zoom = (canvas.get_attribute(f"data-{k}") for k in ("yaw", "pitch", "zoom"))
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 320, box["y"] + 250, steps=6)
    page.mouse.up()
    expect(canvas).not_to_have_attribute("data-yaw", yaw)
    expect(canvas).not_to_have_attribute("data-pitch", pitch)
    page.mouse.wheel(0, -300)
    expect(canvas).not_to_have_attribute("data-zoom", zoom)
    # Keyboard works too.
    before = canvas.get_attribute("data-yaw")
    canvas.focus()
    page.keyboard.press("ArrowLeft")
    expect(canvas).not_to_have_attribute("data-yaw", before)


def test_own_words_and_too_many_words(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="space-3d"]')
    expect(readout(demo, "words shown")).to_have_text("43")
    box = demo.locator('[data-field="words"] input')
    box.fill("banana mango")
    box.press("Enter")
    expect(readout(demo, "words shown")).to_have_text("42")
    box.fill(" ".join(["cat"] * 21))
    box.press("Enter")
    expect(demo.locator(".field-error")).to_contain_text("At most 20")


@pytest.mark.slow
def test_an_analogy_answer_appears(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="analogy"]')
    expect(demo.locator(".answer-big")).to_have_text("king − man + woman ≈ queen")
    expect(readout(demo, "its rank if the inputs counted")).to_contain_text("#2")
    demo.get_by_role("button", name="paris − france + italy").click()
    expect(demo.locator(".answer-big")).to_have_text("paris − france + italy ≈ rome")
    demo.locator('[data-field="a"] input').fill("kingg")
    demo.locator('[data-field="a"] input').press("Enter")
    expect(demo.locator('[data-field="a"] .field-error')).to_contain_text("Did you mean")


def test_similarity_reading_and_neighbours(page):
    page.open_chapter("embeddings")
    sim = page.locator('.demo[data-demo="similarity"]')
    expect(sim.locator(".cos-reading")).to_contain_text("very similar")
    sim.locator('[data-field="b"] input').fill("democracy")
    expect(sim.locator(".cos-reading")).to_contain_text("unrelated")
    near = page.locator('.demo[data-demo="neighbours"]')
    expect(readout(near, "nearest")).to_have_text("snake")
    expect(readout(near, "search time")).to_contain_text("400,000 words")


@pytest.mark.slow
def test_rope_demo_uses_smollm2_theta(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="rope"]')
    demo.scroll_into_view_if_needed()  # it reads SmolLM2's file when it comes into view
    expect(readout(demo, "theta")).to_have_text("100,000", timeout=30_000)


@pytest.mark.slow
def test_contextual_embeddings_appear(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="contextual"]')
    demo.scroll_into_view_if_needed()  # the demo runs SmolLM2 when it comes into view
    last = readout(demo, "sentences 1 and 2, last layer")
    expect(last).to_have_text(re.compile(r"^0\.\d{3}$"), timeout=60_000)
    centred = last.inner_text()
    demo.get_by_role("button", name="raw hidden states").click()
    expect(last).not_to_have_text(centred)


def test_sinusoidal_map_fills_the_picture_and_follows_the_channels_slider(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="sinusoidal"]')
    canvas = demo.locator("canvas.emb-pixelmap")
    expect(canvas).to_have_attribute("width", "64")
    expect(canvas).to_have_attribute("height", "48")
    # the whole width of the picture, not a 560 px grid of separate cells
    box, pic = canvas.bounding_box(), demo.locator(".demo-picture").bounding_box()
    assert box["width"] >= pic["width"] - 4 and box["height"] >= 160, (box, pic)
    # a solid image: every pixel painted (an SVG grid left gaps of background between cells)
    alpha = canvas.evaluate(
        "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] === 255; return n; }"
    )
    assert alpha == 64 * 48
    demo.locator('[data-field="channels"] input[type=range]').fill("128")
    expect(canvas).to_have_attribute("width", "128")
    expect(readout(demo, "map")).to_have_text("48 positions × 128 channels")
    canvas.hover(position={"x": 2, "y": 2})
    expect(demo.locator(".emb-pixelnote")).to_have_text("position 0, channel 0: 0.000")


def test_3d_word_map_labels_do_not_pile_up_and_hover_names_a_point(page):
    page.open_chapter("embeddings")
    demo = page.locator('.demo[data-demo="space-3d"]')
    expect(readout(demo, "words shown")).to_have_text("43")
    canvas = demo.locator("canvas")
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_have_attribute("data-hidden-labels", re.compile(r"^\d+$"))
    hidden = int(canvas.get_attribute("data-hidden-labels"))
    assert hidden < 43 // 2  # most words labelled, the rest left out rather than drawn on top of each other
    expect(demo.locator(".scatter3d-note")).to_contain_text(
        f"{hidden} of 43 labels are left out" if hidden else "Every point is labelled"
    )
    # the cloud fills the frame: it is taller than the old fixed 460 px box on a laptop
    assert canvas.bounding_box()["height"] > 460
    box = canvas.bounding_box()
    found = ""
    for i in range(60):  # sweep the pointer across the middle until it rests on a point
        for dy in (-40, 0, 40):
            page.mouse.move(box["x"] + box["width"] * (0.2 + 0.6 * i / 60), box["y"] + box["height"] / 2 + dy)
            found = canvas.get_attribute("data-hovered")
            if found:
                break
        if found:
            break
    assert found, "no point named under the pointer"
