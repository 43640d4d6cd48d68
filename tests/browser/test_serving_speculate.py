"""Chapter 17's speculation race and "Your own client" in Chromium: the learner races a
quoting prompt and sees drafts kept, the same text both ways and fewer passes than tokens;
a request made with the real `openai` package appears in the page's list of /v1 requests."""

import re

import openai
from playwright.sync_api import expect


def readout(demo, label):
    return demo.locator(".readout-item", has_text=label).locator(".value")


def test_racing_a_quoting_prompt_shows_accepted_drafts(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="speculate"]')
    demo.get_by_role("button", name="Quotes itself").click()
    demo.get_by_label(re.compile("New tokens")).fill("40")
    demo.get_by_role("button", name="Race").click()
    expect(demo.locator(".demo-status")).to_have_text("Identical text both ways, token for token.", timeout=120_000)
    plain = demo.locator(".sp-text").nth(0).inner_text()
    spec = demo.locator(".sp-pass").evaluate_all(
        "ps => ps.map(p => [...p.children].filter(c => !c.classList.contains('sp-rej')).map(c => c.textContent).join('')).join('')"
    )
    assert plain == spec and "lighthouse" in plain
    assert demo.locator(".sp-acc").count() > 5
    passes = demo.locator(".sp-pass").count()
    per_pass = float(readout(demo, "tokens per forward pass").inner_text())
    assert per_pass > 1.5 and passes < 40
    expect(readout(demo, "speed-up")).to_have_text(re.compile(r"^\d+\.\d\d×$"))
    expect(readout(demo, "plain decode bandwidth")).to_have_text(re.compile(r"^\d+(\.\d)? GB/s$"))
    expect(readout(demo, "weights read per token")).to_contain_text("→")
    # the open-ended preset puts its own prompt in the box
    demo.get_by_role("button", name="Open-ended").click()
    expect(demo.get_by_label("Prompt (sent as a chat message)")).to_have_value(re.compile("robot"))


def test_bad_draft_length_is_shown_beside_its_control(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="speculate"]')
    demo.get_by_label(re.compile("New tokens")).fill("999")
    demo.get_by_role("button", name="Race").click()
    expect(demo.locator('[data-field="max_tokens"] .field-error')).to_contain_text("at most 160")


def test_a_request_from_the_openai_package_appears_on_the_page(page, server):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="client"]')
    expect(demo.locator('.cl-block[data-lang="curl"] pre')).to_contain_text(f"curl -N {server}/v1/chat/completions")
    expect(demo.locator('.cl-block[data-lang="Python"] pre')).to_contain_text(f'base_url="{server}/v1"')
    oa = openai.OpenAI(base_url=server + "/v1", api_key="not-needed", max_retries=0, timeout=120)
    reply = oa.chat.completions.create(
        model="SmolLM2-135M-Instruct",
        max_tokens=5,
        temperature=0,
        messages=[{"role": "user", "content": "Say hello to the browser test."}],
    )
    row = (
        demo.locator(".cl-table tr", has=page.locator(f'td:text-is("{reply.usage.completion_tokens} tok")'))
        .filter(has_text="OpenAI/Python")
        .first
    )
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator(".cl-status")).to_have_text("done")
    expect(row).to_contain_text(f"{reply.usage.prompt_tokens} tok")
