"""Chapter 23's endpoints: the calculator against Python's operators, the parser's verdicts,
the ReAct job's events against the engine's rules (structure only: a 135M model may fail), bad input."""

import operator

import pytest

from glasslm.chapters.agents.api import (
    MAX_EXAMPLE_CHARS,
    MAX_PARSE_CHARS,
    MAX_PROMPT_TOKENS,
    MAX_QUESTION_CHARS,
    MAX_QUESTION_TOKENS,
    MAX_SYSTEM_CHARS,
)
from glasslm.engine.applications.calculator import MAX_EXPRESSION_CHARS
from glasslm.engine.applications.react_agent import (
    DEFAULT_EXAMPLE,
    DEFAULT_SYSTEM,
    MAX_STEP_TOKENS,
    MAX_STEPS,
    MAX_TOTAL_TOKENS,
)

API = "/api/agents"


def test_defaults(client):
    d = client.get(f"{API}/defaults").json()
    assert d["system"] == DEFAULT_SYSTEM and d["example"] == DEFAULT_EXAMPLE
    assert d["tools"] == ["search", "calculate", "finish"] and d["limits"]["max_steps"] == MAX_STEPS


@pytest.mark.parametrize(
    "text,value,shown",
    [
        ("17*23", operator.mul(17, 23), "391"),
        ("2^10", operator.pow(2, 10), "1024"),
        ("(3+4)/8", operator.truediv(3 + 4, 8), "0.875"),
        ("-7//2", operator.floordiv(-7, 2), "-4"),
        ("6/3", 2.0, "2"),
    ],
)
def test_calculate(client, text, value, shown):
    d = client.post(f"{API}/calculate", json={"expression": text}).json()
    assert d["value"] == value and d["observation"] == shown and d["type"] == type(value).__name__


def test_parse(client):
    d = client.post(f"{API}/parse", json={"text": "Thought: sum\nAction: calculate[1+1]"}).json()
    assert (d["thought"], d["tool"], d["input"], d["error"]) == ("sum", "calculate", "1+1", None)
    d = client.post(f"{API}/parse", json={"text": "Thought: sum\nAction: add[1+1]"}).json()
    assert d["tool"] is None and d["observation"] == f"Error: {d['error']}" and "no tool called 'add'" in d["error"]


@pytest.mark.slow
def test_run_streams_the_loop_with_smollm2(client, sse):
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    m = load_smollm2()
    body = {
        "question": "What is 17 * 23?",
        "system": DEFAULT_SYSTEM,
        "example": DEFAULT_EXAMPLE,
        "max_steps": 2,
        "max_step_tokens": 5,
        "max_total_tokens": 8,
    }
    r = client.post(f"{API}/run", json=body)
    assert r.status_code == 200, r.text
    events = sse(r.json()["job"])
    prompt = events[0]
    assert prompt["type"] == "prompt" and prompt["tokens"] == r.json()["prompt_tokens"]
    assert (
        prompt["text"].startswith("<|im_start|>system\n" + DEFAULT_SYSTEM)
        and "Question: What is 17 * 23?" in prompt["text"]
        and len(m.encode(prompt["text"])) >= prompt["tokens"]
    )
    steps = [e for e in events if e["type"] == "step"]
    tokens = [e for e in events if e["type"] == "token"]
    assert 1 <= len(steps) <= 2 and len(tokens) == sum(s["tokens"] for s in steps) <= 8
    assert all(s["tokens"] <= 5 for s in steps)
    for s in steps:
        assert s["text"].startswith("Thought:") and (s["parse_error"] is None) != (s["tool"] is None)
        assert s["tool"] == "finish" or s["observation"]
    final = events[-2]
    assert final["type"] == "final" and final["reason"] in ("finished", "step limit", "token limit")
    assert final["tokens"] == len(tokens) and events[-1]["status"] == "done"


RUN = {"question": "What is 2+2?", "system": DEFAULT_SYSTEM, "example": DEFAULT_EXAMPLE}


@pytest.mark.parametrize(
    "path,body,status,field,words",
    [
        ("calculate", {"expression": ""}, 422, "expression", "empty"),
        ("calculate", {"expression": "1" * (MAX_EXPRESSION_CHARS + 1)}, 422, "expression", "too long"),
        ("calculate", {"expression": "__import__('os')"}, 400, "expression", "function call is not allowed"),
        ("calculate", {"expression": "1/0"}, 400, "expression", "division by zero"),
        ("calculate", {"expression": "9**9**9"}, 400, "expression", "exponents are limited"),
        ("calculate", {"expression": "🙂+1"}, 400, "expression", "not arithmetic"),
        ("calculate", {"expression": 5}, 422, "expression", "must be text"),
        ("parse", {"text": ""}, 422, "text", "empty"),
        ("parse", {"text": "x" * (MAX_PARSE_CHARS + 1)}, 422, "text", "too long"),
        ("run", {**RUN, "question": ""}, 422, "question", "empty"),
        ("run", {**RUN, "question": "   "}, 400, "question", "Type some text"),
        ("run", {**RUN, "question": "q" * (MAX_QUESTION_CHARS + 1)}, 422, "question", "too long"),
        ("run", {**RUN, "question": "9" * (MAX_QUESTION_TOKENS + 1)}, 413, "question", "tokens long"),
        ("run", {**RUN, "system": ""}, 422, "system", "empty"),
        ("run", {**RUN, "system": "  \n "}, 400, "system", "only spaces"),
        ("run", {**RUN, "system": "x" * (MAX_SYSTEM_CHARS + 1)}, 422, "system", "too long"),
        ("run", {**RUN, "example": "x" * (MAX_EXAMPLE_CHARS + 1)}, 422, "example", "too long"),
        ("run", {**RUN, "system": "9" * MAX_SYSTEM_CHARS}, 413, "system", f"limit here is {MAX_PROMPT_TOKENS}"),
        ("run", {**RUN, "max_steps": 0}, 422, "max_steps", "at least 1"),
        ("run", {**RUN, "max_steps": MAX_STEPS + 1}, 422, "max_steps", f"at most {MAX_STEPS}"),
        ("run", {**RUN, "max_step_tokens": MAX_STEP_TOKENS + 1}, 422, "max_step_tokens", f"at most {MAX_STEP_TOKENS}"),
        (
            "run",
            {**RUN, "max_total_tokens": MAX_TOTAL_TOKENS + 1},
            422,
            "max_total_tokens",
            f"at most {MAX_TOTAL_TOKENS}",
        ),
        ("run", {**RUN, "max_total_tokens": "NaN"}, 422, "max_total_tokens", "whole number"),
    ],
)
def test_bad_input_is_answered_with_a_sentence(client, path, body, status, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and words in r.json()["error"]
