"""Chapter 17's endpoints: a chat reply streamed as timed events whose tokens are
SmolLM2.generate's, multi-turn prompts built by the chat template, the stop
button and a closed tab ending generation, and bad input answered with a sentence."""

import pytest
from fastapi.testclient import TestClient

from glasslm.chapters.serving.api import MAX_PROMPT_TOKENS, MAX_REPLY_TOKENS
from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.web.app import create_app
from glasslm.web.jobs import JobManager
from tests.api.jobs import wait_end
from tests.api.local import LOCAL

API = "/api/serving"


def test_a_multi_turn_reply_is_traced(client, sse):
    messages = [
        {"role": "user", "content": "Hi, I am Ada."},
        {"role": "assistant", "content": "Hello Ada!"},
        {"role": "user", "content": "What is my name?"},
    ]
    r = client.post(f"{API}/chat", json={"messages": messages, "max_tokens": 5, "temperature": 0.9, "seed": 7})
    assert r.status_code == 200
    m = load_smollm2()
    ids = m.chat_ids(messages)
    assert r.json()["prompt_tokens"] == len(ids)
    evs = sse(r.json()["job"])
    kinds = [e["type"] for e in evs]
    assert kinds[:3] == ["received", "tokenized", "prefill"] and kinds[-2:] == ["done", "end"]
    assert evs[1]["ids"] == ids and evs[2]["tokens"] == len(ids)
    tokens = [e for e in evs if e["type"] == "token"]
    expected = [e.token_id for e in m.generate(ids, max_tokens=5, settings=SamplingConfig(temperature=0.9), seed=7)]
    assert [t["id"] for t in tokens] == expected
    ts = [e["t"] for e in evs[:-1]]
    assert ts == sorted(ts)  # server clock since the request arrived, never going back
    done = evs[-2]
    assert done["summary"]["reply_text"] == m.decode(expected) == "".join(t["text"] for t in tokens)
    assert done["reason"] == ("max-tokens" if len(expected) == 5 else "stop-token") and done["ended_by"] is None


def test_limits_are_served(client):
    d = client.get(f"{API}/limits").json()
    assert d["max_reply_tokens"] == MAX_REPLY_TOKENS and d["max_prompt_tokens"] == MAX_PROMPT_TOKENS


def test_stop_button_ends_the_reply(client, sse):
    r = client.post(
        f"{API}/chat",
        json={
            "messages": [{"role": "user", "content": "Tell me a long story."}],
            "max_tokens": MAX_REPLY_TOKENS,
            "temperature": 1.0,
            "seed": 1,
        },
    )
    job = r.json()["job"]
    sse(job, until=lambda e: e["type"] == "token")
    client.post(f"/api/jobs/{job}/stop")
    wait_end(client, job)
    evs = sse(job)
    n = len([e for e in evs if e["type"] == "token"])
    assert n < MAX_REPLY_TOKENS
    assert client.get(f"/api/jobs/{job}").json()["status"] in ("stopped", "done")


def test_a_closed_tab_stops_generation(sse):
    jobs = JobManager(orphan_after=0.3)
    with TestClient(create_app(jobs=jobs), base_url=LOCAL, raise_server_exceptions=False) as c:
        r = c.post(
            f"{API}/chat",
            json={
                "messages": [{"role": "user", "content": "Tell me a long story."}],
                "max_tokens": MAX_REPLY_TOKENS,
                "temperature": 1.0,
                "seed": 2,
            },
        )
        job = r.json()["job"]
        sse(job, via=c, until=lambda e: e["type"] == "token")  # the tab reads one token, then closes
        wait_end(c, job)
        done = [e for e in jobs.get(jobs._jobs[job].session, job).events if e["type"] == "done"][0]
        assert done["reason"] == "stopped" and done["ended_by"] == "closed tab"
        assert done["summary"]["reply_tokens"] < MAX_REPLY_TOKENS


@pytest.mark.parametrize(
    "body, field, words, status",
    [
        ({"messages": []}, "messages", "at least 1", 422),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "messages", "must be yours", 400),
        ({"messages": [{"role": "user", "content": "   "}]}, "messages", "empty", 400),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "role", "messages.0.role", 422),
        ({"messages": [{"role": "user", "content": "x" * 2001}]}, "content", "too long", 422),
        ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, "max_tokens", "at least 1", 422),
        (
            {"messages": [{"role": "user", "content": "hi"}], "max_tokens": MAX_REPLY_TOKENS + 1},
            "max_tokens",
            "at most",
            422,
        ),
        ({"messages": [{"role": "user", "content": "hi"}], "temperature": 5}, "temperature", "at most 2", 422),
    ],
)
def test_bad_chat_input(client, body, field, words, status):
    r = client.post(f"{API}/chat", json=body)
    assert r.status_code == status and r.json()["field"] == field and words in r.json()["error"], r.json()


def test_nan_temperature_and_a_too_long_conversation(client):
    r = client.post(
        f"{API}/chat",
        content='{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and "finite" in r.json()["error"]
    long = [
        {"role": "user", "content": "🙂 " * 600},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "🙂 " * 600},
    ]
    r = client.post(f"{API}/chat", json={"messages": long})
    assert r.status_code == 413 and f"{MAX_PROMPT_TOKENS:,}" in r.json()["error"] and r.json()["field"] == "messages"


def test_batch_run_fires_requests_together_then_alone(client, sse):
    from glasslm.engine.inference.batch_timeline import max_tokens_for

    r = client.post("/api/serving/batch", json={"requests": 3, "tokens": 6})
    assert r.status_code == 200
    evs = sse(r.json()["job"])
    start = evs[0]
    assert start["type"] == "start" and [q["max_tokens"] for q in start["requests"]] == [
        max_tokens_for(i, 6) for i in range(3)
    ]
    modes = {e["mode"]: e for e in evs if e["type"] == "mode"}
    assert set(modes) == {"together", "alone"}
    for mode, summary in modes.items():
        tokens = [e for e in evs if e["type"] == "token" and e["mode"] == mode]
        per = [[e["index"] for e in tokens if e["request"] == i] for i in range(3)]
        assert per == [list(range(q["max_tokens"])) for q in start["requests"]]  # every token, in order
        assert summary["tokens"] == len(tokens) and len(summary["per_request"]) == 3
        assert summary["tokens_per_s"] == pytest.approx(summary["tokens"] / summary["seconds"])
    alone = [e["request"] for e in evs if e["type"] == "token" and e["mode"] == "alone"]
    assert alone == sorted(alone)  # one after another
    assert modes["alone"]["mean_batch"] == pytest.approx(1.0)
    assert modes["together"]["mean_batch"] >= 1.0


@pytest.mark.parametrize(
    "body,words", [({"requests": 17}, "at most 16"), ({"requests": 0}, "at least 1"), ({"tokens": 49}, "at most 48")]
)
def test_batch_limits(client, body, words):
    r = client.post("/api/serving/batch", json=body)
    assert r.status_code == 422 and words in r.json()["error"]
