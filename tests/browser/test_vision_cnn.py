"""Chapter 27's CNN section in Chromium: the learner trains the CNN beside the ViT, sees both accuracies,
then draws a digit and sees the CNN's filters and feature maps change."""

import re

from playwright.sync_api import expect


def test_train_both_then_draw_and_see_the_feature_maps_change(page):
    page.open_chapter("vision")
    demo = page.locator('.demo[data-demo="cnn"]')
    demo.get_by_label("Steps", exact=True).fill("200")
    demo.get_by_role("button", name="Train both").click()
    expect(demo.locator(".demo-status")).to_contain_text("Done in", timeout=90_000)
    table = demo.locator(".cnn-table")
    expect(table.locator('td[data-model="cnn"]').nth(0)).to_have_text("1,898")
    expect(table.locator('td[data-model="vit"]').nth(0)).to_have_text("9,322")
    # held-out accuracy well above chance (10%) for the CNN
    expect(table.locator('td[data-model="cnn"]').nth(1)).to_have_text(re.compile(r"^(8|9)\d(\.\d)?%$"))
    expect(demo.locator(".cnn-curve path.series")).to_have_count(2)
    expect(demo.locator(".cnn-filters .cnn-tile")).to_have_count(8)
    expect(demo.locator(".cnn-maps1 .cnn-tile")).to_have_count(8)
    expect(demo.locator(".cnn-maps2 .cnn-tile")).to_have_count(16)
    prediction = demo.locator(".readout-item", has_text="CNN's prediction").locator(".value")
    expect(prediction).to_have_text(re.compile(r"^\d \("))

    before = demo.locator(".cnn-maps1").inner_html()
    demo.get_by_role("button", name="Clear").click()
    # draw a vertical stroke with the keyboard: the maps must change with the drawing
    grid = demo.get_by_role("application", name=re.compile("Digit for the CNN"))
    grid.focus()
    for _ in range(5):
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")
    page.wait_for_function(
        "(b) => document.querySelector('.demo[data-demo=\"cnn\"] .cnn-maps1').innerHTML !== b", arg=before
    )


def test_a_bad_learning_rate_is_explained_beside_its_box(page):
    page.open_chapter("vision")
    demo = page.locator('.demo[data-demo="cnn"]')
    demo.get_by_label("Learning rate").fill("5")
    demo.get_by_role("button", name="Train both").click()
    expect(demo.locator('[data-field="lr"] .field-error')).to_contain_text("at most")
