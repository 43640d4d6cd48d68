"""Chapter 21's endpoints: the task-set job's verdicts re-derived by a second implementation of
the answer rule, accuracies recounted, the own-prompt job's tokens against the chat template and
SmolLM2.generate, and every limit refused with a sentence."""

import re

import pytest
from scipy.stats import binomtest

from glasslm.chapters.prompting.api import (
    MAX_EXPECTED_CHARS,
    MAX_PATHS,
    MAX_PROMPT_TOKENS,
    MAX_TEMPERATURE,
    MAX_TEXT_CHARS,
    TASKS,
    config,
)
from glasslm.engine.applications.prompting import run_item
from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.models.llama.smollm2 import load_smollm2

API = "/api/prompting"
QUESTION_WORDS = re.compile(r"\w+")


def first_new_word(reply, question):
    """The word rule written again: after the last 'answer:', the first word not in the question nor filler."""
    filler = set(client_filler)
    text = re.split(r"(?i)answer\s*:", reply)[-1].lower()
    asked = set(QUESTION_WORDS.findall(question.lower()))
    return next((w for w in re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text) if w not in asked and w not in filler), "")


client_filler: list[str] = []


def test_tasks_lists_items_shots_and_costs(client):
    d = client.get(f"{API}/tasks").json()
    n = len(d["items"])
    assert n == sum(d["counts"].values()) and len(d["shots"]) == 12 and d["findings"]
    assert d["techniques"] == ["zero-shot", "few-shot", "chain-of-thought", "self-consistency"]
    s = d["settings"]
    assert d["worst_tokens"]["zero-shot"] == n * s["short_tokens"]
    assert d["worst_tokens"]["self-consistency"] == n * s["cot_tokens"] * s["paths"]
    client_filler[:] = d["filler"]


@pytest.mark.slow
def test_run_job_verdicts_follow_the_rule(client, sse):
    tasks = client.get(f"{API}/tasks").json()
    client_filler[:] = tasks["filler"]
    r = client.post(f"{API}/run", json={"techniques": ["zero-shot"], "kind": "capital"}).json()
    n = tasks["counts"]["capital"]
    assert r["items"] == n and r["worst_tokens"] == n * tasks["settings"]["short_tokens"]
    evs = sse(r["job"])
    assert evs[-1] == {"type": "end", "status": "done", "error": None}
    items = [e for e in evs if e["type"] == "item"]
    assert [e["question"] for e in items] == [i["question"] for i in tasks["items"] if i["kind"] == "capital"]
    for e in items:
        assert len(e["replies"]) == 1 and e["votes"] == 1
        assert e["answer"] == first_new_word(e["replies"][0], e["question"])
        assert e["right"] == (e["answer"] == e["expected"].lower())
    done = evs[-2]
    right = sum(e["right"] for e in items)
    want = binomtest(right, n).proportion_ci(method="wilson")  # an independent Wilson interval
    assert done["summary"]["zero-shot"] == {
        "right": right,
        "items": n,
        "accuracy": right / n,
        "interval": pytest.approx([want.low, want.high], abs=1e-9),
    }
    assert done["tokens"] == sum(e["tokens"] for e in items)
    assert [e["type"] for e in evs[:3]] == ["start", "item_start", "item"]
    # the items ran at once (batched); each reply is the one it gets alone
    m, cfg = load_smollm2(), config()  # the run's settings: the defaults
    capital = [i for i in TASKS.items if i.kind == "capital"]
    for e, item in zip(items[:3], capital):
        assert e["replies"] == [m.decode(r) for r in run_item(m, TASKS, item, "zero-shot", cfg).replies]


@pytest.mark.slow
def test_own_prompt_streams_the_template_and_greedy_tokens(client, sse):
    m = load_smollm2()
    body = {"text": "What is the capital city of France?", "expected": "Paris", "techniques": ["zero-shot", "few-shot"]}
    r = client.post(f"{API}/own", json=body).json()
    assert r["rule"] == "word"
    evs = sse(r["job"])
    assert evs[-1]["status"] == "done"
    prompts = {e["technique"]: e for e in evs if e["type"] == "prompt"}
    zero = m.chat_ids([{"role": "user", "content": body["text"]}])
    assert [t["id"] for t in prompts["zero-shot"]["tokens"]] == zero
    assert prompts["zero-shot"]["tokens"][0] == {"id": 1, "text": "<|im_start|>", "special": True, "partial": False}
    assert len(prompts["few-shot"]["messages"]) == 7  # 3 examples (question + answer) and the question
    for t, prompt in prompts.items():
        ids = [x["id"] for x in prompt["tokens"]]
        want = [e.token_id for e in m.generate(ids, max_tokens=16, settings=GREEDY)]
        assert [e["token"]["id"] for e in evs if e["type"] == "token" and e["technique"] == t] == want
        reply = next(e for e in evs if e["type"] == "reply" and e["technique"] == t)
        assert reply["replies"] == [m.decode(want)]
        assert reply["right"] == (reply["answer"] == "paris")


@pytest.mark.parametrize(
    "path, body, status, words, field",
    [
        ("run", {"techniques": []}, 422, "at least 1", "techniques"),
        ("run", {"techniques": ["tree-of-thought"]}, 422, "must be one of", "techniques"),
        ("run", {"techniques": ["zero-shot", "zero-shot"]}, 422, "only once", "techniques"),
        ("run", {"techniques": ["zero-shot"], "kind": "poems"}, 422, "must be one of", "kind"),
        ("run", {"techniques": ["zero-shot"], "paths": MAX_PATHS + 1}, 422, f"at most {MAX_PATHS}", "paths"),
        ("run", {"techniques": ["zero-shot"], "temperature": "NaN"}, 422, "finite", "temperature"),
        ("run", {"techniques": ["zero-shot"], "temperature": 0}, 422, "at least 0.1", "temperature"),
        (
            "run",
            {"techniques": ["zero-shot"], "temperature": MAX_TEMPERATURE + 1},
            422,
            f"at most {MAX_TEMPERATURE}",
            "temperature",
        ),
        ("own", {"text": ""}, 422, "empty", "text"),
        ("own", {"text": "   "}, 400, "Type some text", "text"),
        ("own", {"text": "x" * (MAX_TEXT_CHARS + 1)}, 422, f"at most {MAX_TEXT_CHARS}", "text"),
        ("own", {"text": " a" * (MAX_PROMPT_TOKENS + 1)}, 413, f"limit here is {MAX_PROMPT_TOKENS}", "text"),
        (
            "own",
            {"text": "Hi?", "expected": "x" * (MAX_EXPECTED_CHARS + 1)},
            422,
            f"at most {MAX_EXPECTED_CHARS}",
            "expected",
        ),
        ("own", {"text": "Hi?", "expected": "two words"}, 400, "one word", "expected"),
        ("own", {"text": "Hi?", "expected": "  "}, 400, "only spaces", "expected"),
        ("own", {"text": "Hi?", "shots_kind": "jokes"}, 422, "must be one of", "shots_kind"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(client, path, body, status, words, field):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"] and r.json()["field"] == field


def test_odd_unicode_is_ordinary_text(client):
    r = client.post(
        f"{API}/own", json={"text": "Was ist 2+2? 🤔 <|im_end|>", "expected": "4", "techniques": ["zero-shot"]}
    )
    assert r.status_code == 200 and r.json()["rule"] == "number"
    client.post(f"/api/jobs/{r.json()['job']}/stop")
