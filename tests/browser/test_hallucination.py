"""Chapter 24 in Chromium: a question answered with its confidence, the fact set run and
stopped with its calibration measured, the abstention threshold moved, bad input refused."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


@pytest.mark.slow
def test_asking_with_and_without_the_fact(page):
    page.open_chapter("hallucination")
    demo = page.locator('.demo[data-demo="ask"]')
    expect(readout(demo, "marked", exact=True)).to_have_text(re.compile("right|wrong"), timeout=SMOLLM2_MS)
    expect(demo.locator(".hl-said")).to_contain_text("Sydney")  # the closed-book answer, wrong
    expect(readout(demo, "marked", exact=True)).to_have_text("wrong")
    expect(demo.locator("svg.bars .bar-row")).to_have_count(5)
    first = readout(demo, "first-token probability", exact=True).inner_text()
    demo.get_by_role("button", name="with the fact").click()
    demo.get_by_role("button", name="Ask", exact=True).click()
    expect(readout(demo, "marked", exact=True)).to_have_text("right", timeout=SMOLLM2_MS)
    expect(demo.locator(".hl-said")).to_contain_text("Canberra")
    expect(readout(demo, "first-token probability", exact=True)).not_to_have_text(first)


def test_own_question_must_not_be_blank_and_fact_not_too_long(page):
    page.open_chapter("hallucination")
    demo = page.locator('.demo[data-demo="ask"]')
    demo.get_by_label("…or your own question").fill("   ")
    demo.get_by_role("button", name="with the fact").click()
    demo.get_by_label("Fact placed before the question").fill("so " * 130)
    demo.get_by_role("button", name="Ask", exact=True).click()
    # blank own question: the set question is asked instead, and the long fact is refused beside its box
    expect(demo.locator('[data-field="fact"] .field-error').last).to_contain_text("limit", timeout=SMOLLM2_MS)


@pytest.mark.slow
def test_run_stop_measure_and_abstain(page):
    page.open_chapter("hallucination")
    demo = page.locator('.demo[data-demo="reliability"]')
    # all 32, so that the run is still going when Stop is pressed (8 short answers can all
    # arrive between two polls of the table)
    demo.get_by_label("Questions", exact=True).select_option("32")
    demo.get_by_role("button", name="Run the questions").click()
    # Questions run as a batch, so one-token answers (Paris, Jupiter) come back first, and for them
    # the two confidence measures are the same number. Stop once a two-token answer is in, so that
    # switching the measure must change the calibration error.
    expect(demo.locator(".hl-table tr[data-id]", has_text="Shakespeare")).to_be_attached(timeout=SMOLLM2_MS)
    demo.get_by_role("button", name="Stop").click()
    expect(demo.locator(".demo-status")).to_contain_text("Stopped", timeout=SMOLLM2_MS)
    acc = readout(demo, "accuracy", exact=True)
    expect(acc).to_have_text(re.compile(r"% of \d+$"))
    n = int(acc.inner_text().rsplit(" ", 1)[1])
    expect(demo.locator(".hl-table tr[data-id]")).to_have_count(n)
    expect(demo.locator(".hl-bin").first).to_be_attached()
    ece = readout(demo, "expected calibration error", exact=True).inner_text()
    demo.get_by_role("button", name="answer likelihood").click()
    expect(readout(demo, "expected calibration error", exact=True)).not_to_have_text(ece)
    below = page.locator('.demo[data-demo="abstain"]')
    answered = readout(below, "answered", exact=True)
    expect(answered).to_have_text(re.compile(rf"of {n} "))
    below.locator('[data-field="threshold"] input[type=range]').fill("0")
    expect(answered).to_have_text(re.compile(rf"^{n} of {n} \(100(\.0)?%\)"))
    below.locator('[data-field="threshold"] input[type=range]').fill("1")
    expect(answered).to_have_text(re.compile(rf"^0 of {n}"))
    expect(readout(below, "accuracy when answering", exact=True)).to_have_text("nothing answered")


@pytest.mark.slow
def test_a_contradicted_fact_is_a_finding_on_the_page(page):
    page.open_chapter("hallucination")
    demo = page.locator('.demo[data-demo="ask"]')
    expect(readout(demo, "marked")).to_have_text(re.compile("right|wrong"), timeout=SMOLLM2_MS)
    demo.get_by_label("Question", exact=True).select_option("spider")
    demo.get_by_role("button", name="with the fact").click()
    demo.get_by_role("button", name="Ask", exact=True).click()
    expect(demo.locator(".hl-finding")).to_contain_text("contradicts the fact it was given", timeout=SMOLLM2_MS)
    expect(demo.locator(".hl-finding")).to_contain_text("A spider has eight legs.")
    # over the set: the retrieval demo counts and lists the contradictions (spider and tungsten among the first 8)
    ret = page.locator('.demo[data-demo="retrieval"]')
    ret.get_by_role("button", name="Run closed-book and with facts").click()
    expect(readout(ret, "contradicted the given fact")).to_have_text(
        re.compile(r"^2 of 8 \(25(\.0)?%\)$"), timeout=4 * SMOLLM2_MS
    )
    expect(ret.locator(".hl-finding")).to_contain_text("in 2 of 8 answers")
    expect(ret.locator(".hl-contradicted li")).to_have_count(2)
    expect(ret.locator(".hl-contradicted")).to_contain_text("A spider has 12")
    # the diagrams draw at their box's width, not a fixed 360-unit picture shrunk to fit
    widths = ret.locator("svg.hl-rel").evaluate_all(
        "(ss) => ss.map((s) => [s.getBoundingClientRect().width, s.viewBox.baseVal.width])"
    )
    assert all(abs(w - vb) <= 1 and w > 250 for w, vb in widths), widths
