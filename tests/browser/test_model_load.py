"""A demo waiting for SmolLM2 while it loads at server start says so, with the
load's stage and time, and the note goes once the answer comes."""

import json

from playwright.sync_api import expect


def test_a_waiting_demo_shows_the_load(page):
    held = []
    page.route(
        "**/api/models/smollm2",
        lambda r: r.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"state": "warming", "seconds": 4.25, "error": None}),
        ),
    )
    page.route("**/api/context-window/config", lambda r: held.append(r))  # answered below, as a slow load would
    page.goto(f"{page.base}/chapters/context-window")
    demo = page.locator('.demo[data-demo="window"]')
    status = demo.locator(".demo-status")
    expect(status).to_contain_text("SmolLM2 is still loading: its first pass over the weights, 4.3 s so far")
    for r in held:
        r.continue_()
    expect(demo.locator(".cw-note").first).to_contain_text("8,192 tokens")
    expect(status).not_to_contain_text("still loading")
