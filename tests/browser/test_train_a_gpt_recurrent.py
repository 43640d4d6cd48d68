"""Chapter 11's recurrent-network section in Chromium: the learner trains all three models and
sees three loss curves, the comparison table filled and the gradient-through-time curves drawn."""

import re

from playwright.sync_api import expect


def test_train_three_models_and_see_the_gradient_vanish(page):
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="recurrent"]')
    demo.get_by_label("Steps", exact=True).fill("300")
    demo.get_by_role("button", name="Train all three").click()
    expect(demo.locator(".demo-status")).to_contain_text("Done in", timeout=90_000)
    table = demo.locator(".rnn-table")
    for model in ("gpt", "rnn", "lstm"):
        # weights, held-out loss below log(27) = 3.30, a speed and samples: all filled in
        cells = table.locator(f'td[data-model="{model}"]')
        expect(cells.nth(0)).to_have_text(re.compile(r"^4,[0-9]{3}$"))
        expect(cells.nth(1)).to_have_text(re.compile(r"^[0-2]\.\d{3}$"))
        expect(cells.nth(2)).to_have_text(re.compile(r"^[0-9,]+$"))
        expect(cells.nth(4)).not_to_have_text("–")
    expect(table.locator('td[data-model="rnn"]').nth(3)).to_have_text("15 / 27 / 51")
    expect(demo.locator(".rnn-loss path.series")).to_have_count(3)
    expect(demo.locator(".rnn-loss path.series").first).to_have_attribute("d", re.compile(r"(L[^L]*){5}"))
    # four gradient curves of 16 points each (steps back 0..15)
    expect(demo.locator(".rnn-bptt path.series")).to_have_count(4)
    expect(demo.locator(".rnn-bptt path.series").nth(1)).to_have_attribute("d", re.compile(r"^M[^L]*(L[^L]*){15}$"))


def test_a_bad_learning_rate_is_explained_beside_its_box(page):
    page.open_chapter("train-a-gpt")
    demo = page.locator('.demo[data-demo="recurrent"]')
    demo.get_by_label("Learning rate").fill("5")
    demo.get_by_role("button", name="Train all three").click()
    expect(demo.locator('[data-field="lr"] .field-error')).to_contain_text("at most")
    expect(demo.get_by_role("button", name="Train all three")).to_be_enabled()
