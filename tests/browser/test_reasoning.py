"""Chapter 25 in Chromium: the two formats follow the learner's numbers; a short
training run streams accuracy and written work; the trained pair then votes,
thinks on a budget and answers the learner's own sum; bad input is explained
beside its control."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_formats_follow_the_numbers(page):
    page.open_chapter("reasoning")
    demo = page.locator('.demo[data-demo="formats"]')
    strips = demo.locator(".tokens")
    expect(strips.nth(1)).to_have_text("37+48=7+8+0=15;3+4+1=08;>085")
    expect(strips.nth(0)).to_have_text("37+48=085")
    expect(strips.nth(1).locator(".rs-given")).to_have_count(6)  # the question's characters
    demo.get_by_label("Digits").select_option("3")
    expect(strips.nth(0)).to_have_text("037+048=0085")
    demo.get_by_label("First number").fill("999")
    expect(strips.nth(1)).to_have_text("999+048=9+8+0=17;9+4+1=14;9+0+1=10;>1047")
    expect(readout(demo, "sum")).to_have_text("1,047")
    demo.get_by_label("First number").fill("12345")
    expect(demo.locator('[data-field="a"] .field-error')).to_contain_text("more than 3 digits")


def test_train_then_vote_budget_and_ask(page):
    page.open_chapter("reasoning")
    race = page.locator('.demo[data-demo="race"]')
    votes = page.locator('.demo[data-demo="votes"]')
    expect(votes.get_by_role("button", name="Run")).to_be_disabled()  # nothing trained yet
    race.get_by_label("Digits").select_option("2")
    race.get_by_label("Steps").fill("30")
    race.get_by_label("Width (channels)").select_option("16")
    race.get_by_role("button", name="Train").click()
    expect(race.locator(".demo-status")).to_contain_text("Done.", timeout=60_000)
    expect(readout(race, "step")).to_have_text("30 / 30")
    expect(readout(race, "scratchpad: held-out accuracy")).to_have_text(re.compile(r"\d+(\.\d+)?\s?%"))
    expect(race.locator(".rs-sample")).to_have_count(3)
    expect(race.locator(".rs-acc path.series").first).to_have_attribute("d", re.compile(r"(L[^L]*){5}"))

    votes.get_by_label("Samples per problem (N)").fill("3")
    votes.get_by_label("Held-out problems").select_option("20")
    votes.get_by_role("button", name="Run").click()
    expect(readout(votes, "problems so far")).to_have_text("20 / 20", timeout=60_000)
    expect(votes.locator(".rs-sample")).to_have_count(2)
    expect(votes.locator(".rs-sample").nth(1).locator(".rs-line")).to_have_count(3)

    budget = page.locator('.demo[data-demo="budget"]')
    budget.get_by_label("Held-out problems").select_option("20")
    budget.get_by_role("button", name="Run").click()
    expect(readout(budget, "2 of 2 steps")).to_have_text(re.compile(r"%"), timeout=60_000)
    expect(budget.locator(".rs-budget li")).to_have_count(3)

    ask = page.locator('.demo[data-demo="ask"]')
    ask.get_by_label("First number").fill("12")
    ask.get_by_label("Second number").fill("345")
    ask.get_by_role("button", name="Ask").click()
    expect(ask.locator('[data-field="b"] .field-error')).to_contain_text("trained on 2-digit sums")
    ask.get_by_label("Second number").fill("34")
    ask.get_by_role("button", name="Ask").click()
    expect(ask.locator(".rs-q")).to_contain_text("12+34=")
    expect(ask.locator(".rs-line")).to_have_count(2)


def test_a_bad_width_is_explained_beside_its_control(page):
    page.open_chapter("reasoning")
    race = page.locator('.demo[data-demo="race"]')
    race.get_by_label("Steps").fill("99999")
    race.get_by_role("button", name="Train").click()
    expect(race.locator('[data-field="steps"] .field-error')).to_contain_text("at most 3000")
    expect(race.get_by_role("button", name="Train")).to_be_enabled()


def test_training_shows_the_time_left_and_stops(page):
    """Issue 13: the default training ran 41 s with only a bar; now it is shorter and says how long is left."""
    page.open_chapter("reasoning")
    race = page.locator('.demo[data-demo="race"]')
    # The default is a first run of about 15-20 s: three-digit sums for 300 steps (4 x 400 took 41 s).
    expect(race.get_by_label("Digits")).to_have_value("3")
    expect(race.get_by_label("Steps")).to_have_value("300")
    race.get_by_role("button", name="Train").click()
    total = race.get_by_label("Steps").input_value()
    expect(race.locator(".demo-status")).to_contain_text(
        re.compile(rf"step [\d,]+ of {int(total):,}, about [\d.]+ m?s left"), timeout=60_000
    )
    race.get_by_role("button", name="Stop").click()
    expect(race.locator(".demo-status")).to_contain_text("Stopped at step", timeout=30_000)
