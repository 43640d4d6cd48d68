"""Chapter 17 in Chromium: a streamed chat reply with its stages timed, a second turn
kept in the page, the max-tokens limit and the stop button."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import readout


def test_chat_streams_a_timed_reply_and_keeps_turns(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="chat"]')
    demo.get_by_label(re.compile("Max new tokens")).fill("6")
    demo.get_by_label("Your message (Enter sends)").fill("Hello!")
    demo.get_by_label("Your message (Enter sends)").press("Enter")
    expect(demo.locator(".sv-msg.user")).to_have_text("Hello!")
    expect(demo.get_by_role("button", name="Send")).to_be_enabled(timeout=60_000)
    expect(demo.locator(".sv-msg.assistant")).to_have_count(1)
    expect(readout(demo, "time to first token (server)")).to_have_text(re.compile(r"^\d+(\.\d+)? ms$"))
    expect(readout(demo, "time to first token (your browser)")).to_have_text(re.compile(r"^\d+(\.\d+)? ms$"))
    expect(readout(demo, "reply")).to_have_text(re.compile(r"^[1-6] tokens$"))
    expect(demo.locator('tr[data-stage="Prefill"]')).to_contain_text("tokens in one pass")
    journey = page.locator('.demo[data-demo="journey"]')
    replied = readout(demo, "reply").inner_text().split()[0]
    expect(readout(journey, "tokens arrived")).to_have_text(replied)
    expect(journey.locator("line.arrive")).to_have_count(int(replied))
    expect(readout(journey, "request status")).to_have_text("done")
    first_prompt = int(readout(demo, "prompt").inner_text().split()[0])
    demo.get_by_label("Your message (Enter sends)").fill("And again?")
    demo.get_by_role("button", name="Send").click()
    expect(demo.locator(".sv-msg.user")).to_have_count(2)
    expect(demo.get_by_role("button", name="Send")).to_be_enabled(timeout=60_000)
    expect(demo.locator(".sv-msg.assistant")).to_have_count(2)
    assert int(readout(demo, "prompt").inner_text().split()[0]) > first_prompt  # the whole chat was sent again


def test_stop_and_bad_limit(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="chat"]')
    demo.get_by_label(re.compile("Max new tokens")).fill("999")
    demo.get_by_role("button", name="Send").click()
    expect(demo.locator(".field-error")).to_contain_text("at most 200")
    demo.get_by_label(re.compile("Max new tokens")).fill("200")
    demo.get_by_label("Your message (Enter sends)").fill("Tell me a very long story about a dragon.")
    demo.get_by_role("button", name="Send").click()
    expect(demo.locator(".sv-msg.assistant.streaming")).not_to_have_text("", timeout=60_000)
    demo.get_by_role("button", name="Stop").click()
    expect(demo.locator(".demo-status")).to_contain_text("Stopped by the stop button", timeout=60_000)


def test_batch_fires_requests_and_compares_with_one_at_a_time(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="batch"]')
    demo.locator('input[type="range"]').fill("2")
    demo.get_by_role("button", name="Fire").click()
    expect(demo.locator(".demo-status")).to_have_text("Done.", timeout=120_000)
    ticks = demo.locator("svg.sv-batch-chart rect")
    assert ticks.count() >= 2 * 2 * 12  # two requests of at least 12 tokens, together and alone
    speedup = demo.locator(".readout-item", has_text="speed-up from batching").locator(".value")
    expect(speedup).to_have_text(re.compile(r"^\d+(\.\d)?×$"))
    rows = demo.locator(".readout-item", has_text="rows per pass").locator(".value")
    assert 1.0 <= float(rows.inner_text()) <= 2.0
    expect(demo.get_by_role("button", name="Fire")).to_be_enabled()
