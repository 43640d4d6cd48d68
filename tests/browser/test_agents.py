"""Chapter 23 in Chromium: the calculator answers and refuses, the parser reads a step,
and the ReAct loop with SmolLM2 streams its steps within its limits."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_calculator_answers_and_refuses(page):
    page.open_chapter("agents")
    demo = page.locator('.demo[data-demo="calculator"]')
    expect(demo.locator(".ag-value")).to_have_text("Observation: 833")  # 17 * 49
    box = demo.get_by_label("Arithmetic")
    box.fill("2^10 - 24")
    box.press("Enter")
    expect(demo.locator(".ag-value")).to_have_text("Observation: 1000")
    expect(readout(demo, "read as", exact=True)).to_have_text("2**10 - 24")
    demo.get_by_role("button", name="try __import__('os')").click()
    expect(demo.locator('[data-field="expression"] .field-error')).to_contain_text("function call is not allowed")
    demo.get_by_role("button", name="try 1/0").click()
    expect(demo.locator('[data-field="expression"] .field-error')).to_contain_text("division by zero")


def test_parser_reads_steps_and_reports_errors(page):
    page.open_chapter("agents")
    demo = page.locator('.demo[data-demo="parser"]')
    expect(readout(demo, "verdict", exact=True)).to_have_text("calls search")
    demo.get_by_role("button", name="Missing ]").click()
    expect(demo.locator(".ag-parse")).to_contain_text("closing ']' is missing")
    demo.get_by_label("What the model wrote").fill("Thought: easy\nAction: Calculate(2+2)")
    expect(readout(demo, "verdict", exact=True)).to_have_text("calls calculate")
    expect(demo.locator(".ag-parse")).to_contain_text("2+2")


def test_agent_refuses_an_empty_system_prompt(page):
    page.open_chapter("agents")
    demo = page.locator('.demo[data-demo="agent"]')
    system = demo.get_by_label("System prompt (edit it to help the model)")
    expect(system).not_to_have_value("")
    system.fill("   ")
    demo.get_by_role("button", name="Run the agent").click()
    expect(demo.locator('[data-field="system"] .field-error')).to_contain_text("only spaces")
    demo.get_by_role("button", name="Restore the default prompt").click()
    expect(system).to_have_value(re.compile("^You answer questions"))


@pytest.mark.slow
def test_agent_streams_steps_within_its_limits(page):
    page.open_chapter("agents")
    demo = page.locator('.demo[data-demo="agent"]')
    expect(demo.get_by_label("System prompt (edit it to help the model)")).not_to_have_value("")
    demo.locator('[data-field="max_steps"] input[type=range]').fill("1")
    demo.locator('[data-field="max_step_tokens"] input[type=range]').fill("10")
    demo.get_by_role("button", name="Run the agent").click()
    expect(demo.locator(".ag-step")).to_have_count(1, timeout=SMOLLM2_MS)
    expect(readout(demo, "outcome", exact=True)).to_have_text(
        re.compile("finished|step limit|token limit"), timeout=SMOLLM2_MS
    )
    expect(demo.locator(".ag-step .ag-text")).to_contain_text("Thought:")
    expect(demo.locator(".ag-step .ag-parsed")).not_to_have_text("")
    expect(readout(demo, "steps", exact=True)).to_have_text("1")
    expect(demo.locator(".ag-prompt pre")).to_contain_text("<|im_start|>user\nQuestion: What is 17 * 23?")
    expect(demo.get_by_role("button", name="Run the agent")).to_be_enabled()


@pytest.mark.slow
def test_stop_ends_a_run(page):
    page.open_chapter("agents")
    demo = page.locator('.demo[data-demo="agent"]')
    expect(demo.get_by_label("System prompt (edit it to help the model)")).not_to_have_value("")
    demo.locator('[data-field="max_steps"] input[type=range]').fill("8")
    demo.get_by_role("button", name="Run the agent").click()
    expect(demo.locator(".ag-step").first).to_be_attached(timeout=SMOLLM2_MS)
    demo.get_by_role("button", name="Stop").click()
    expect(demo.locator(".demo-status")).to_contain_text("Stopped after", timeout=SMOLLM2_MS)
    expect(demo.get_by_role("button", name="Run the agent")).to_be_enabled()
    expect(demo.locator(".ag-final")).to_have_text("")  # no answer was made up
