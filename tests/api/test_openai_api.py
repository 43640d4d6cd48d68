"""/v1, the OpenAI-compatible API, checked with the official `openai` package as
the client against the real `glasslm serve` (the `server` fixture), streaming and
not, several clients at once, and with `curl -N`; errors in OpenAI's shape."""

import json
import shutil
import subprocess
import threading

import openai
import pytest

from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.web import openai_api
from glasslm.web.openai_api import (
    MAX_MAX_TOKENS,
    MAX_MESSAGE_CHARS,
    MAX_MESSAGES,
    MAX_N,
    MAX_PROMPT_CHARS,
    MAX_PROMPT_TOKENS,
    MAX_STOP_CHARS,
    MODEL_ID,
    Choice,
)


@pytest.fixture
def oa(server):
    return openai.OpenAI(base_url=server + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def greedy_ids(ids, n):
    return [e.token_id for e in load_smollm2().generate(ids, max_tokens=n, settings=GREEDY)]


def greedy(ids, n):
    return load_smollm2().decode(greedy_ids(ids, n))


QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def test_models_lists_the_one_model(oa):
    assert [x.id for x in oa.models.list().data] == [MODEL_ID]
    assert oa.models.retrieve(MODEL_ID).id == MODEL_ID


def test_chat_completion_is_the_models_greedy_reply_with_usage(oa):
    r = oa.chat.completions.create(model=MODEL_ID, messages=QUESTION, max_tokens=8, temperature=0)
    ids = load_smollm2().chat_ids(QUESTION)
    want = greedy_ids(ids, 8)
    assert r.object == "chat.completion" and r.model == MODEL_ID
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == load_smollm2().decode(want)
    assert r.usage.prompt_tokens == len(ids) and r.usage.completion_tokens == len(want)
    assert r.usage.total_tokens == len(ids) + len(want)
    assert r.choices[0].finish_reason == ("length" if len(want) == 8 else "stop")


def test_streamed_chat_chunks_add_up_to_the_same_reply(oa):
    stream = oa.chat.completions.create(
        model=MODEL_ID,
        messages=QUESTION,
        max_tokens=8,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    want = greedy_ids(load_smollm2().chat_ids(QUESTION), 8)
    assert text == load_smollm2().decode(want)
    assert chunks[0].choices[0].delta.role == "assistant"
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["length" if len(want) == 8 else "stop"]
    assert chunks[-1].usage.completion_tokens == len(want) and chunks[-1].choices == []


def test_text_completion_streamed_and_not(oa):
    prompt = "The capital of France is"
    want = greedy(load_smollm2().encode(prompt), 6)
    r = oa.completions.create(model=MODEL_ID, prompt=prompt, max_tokens=6, temperature=0)
    assert r.object == "text_completion" and r.choices[0].text == want
    assert r.usage.prompt_tokens == len(load_smollm2().encode(prompt))
    parts = [
        c.choices[0].text
        for c in oa.completions.create(model=MODEL_ID, prompt=prompt, max_tokens=6, temperature=0, stream=True)
    ]
    assert "".join(parts) == want


def test_stop_sequence_cuts_the_text_and_seed_repeats_a_sample(oa):
    prompt = "1, 2, 3, 4, 5,"
    full = oa.completions.create(model=MODEL_ID, prompt=prompt, max_tokens=12, temperature=0).choices[0].text
    assert " 7" in full  # the model counts on
    cut = oa.completions.create(model=MODEL_ID, prompt=prompt, max_tokens=12, temperature=0, stop=[" 7"])
    assert cut.choices[0].text == full[: full.index(" 7")] and cut.choices[0].finish_reason == "stop"
    streamed = "".join(
        c.choices[0].text
        for c in oa.completions.create(
            model=MODEL_ID, prompt=prompt, max_tokens=12, temperature=0, stop=" 7", stream=True
        )
    )
    assert streamed == cut.choices[0].text
    a, b, c = (
        oa.chat.completions.create(model=MODEL_ID, messages=QUESTION, max_tokens=10, temperature=1.0, seed=s, n=2)
        for s in (5, 5, 6)
    )
    assert [x.message.content for x in a.choices] == [x.message.content for x in b.choices]
    assert len(a.choices) == 2 and [x.index for x in a.choices] == [0, 1]
    assert [x.message.content for x in a.choices] != [x.message.content for x in c.choices]


def test_several_clients_at_once_each_get_their_own_reply(oa):
    prompts = ["The capital of France is", "Water is made of", "The sun is a", "One plus one is"]
    results, errors = {}, []

    def ask(p):
        try:
            results[p] = "".join(
                c.choices[0].text
                for c in oa.completions.create(model=MODEL_ID, prompt=p, max_tokens=5, temperature=0, stream=True)
            )
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(p,)) for p in prompts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert results == {p: greedy(load_smollm2().encode(p), 5) for p in prompts}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_streams_server_sent_events_ending_with_done(server):
    body = json.dumps({"model": MODEL_ID, "messages": QUESTION, "max_tokens": 4, "temperature": 0, "stream": True})
    out = subprocess.run(
        ["curl", "-sN", server + "/v1/chat/completions", "-H", "Content-Type: application/json", "-d", body],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    lines = [x for x in out.split("\n") if x]
    assert all(x.startswith("data: ") for x in lines) and lines[-1] == "data: [DONE]"
    chunks = [json.loads(x[6:]) for x in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == greedy(
        load_smollm2().chat_ids(QUESTION), 4
    )


@pytest.mark.parametrize(
    "kwargs, param, status",
    [
        ({"model": "gpt-4o"}, "model", 404),
        ({"max_tokens": MAX_MAX_TOKENS + 1}, "max_tokens", 400),
        ({"n": MAX_N + 1}, "n", 400),
        ({"temperature": 3}, "temperature", 400),
        ({"top_p": 0}, "top_p", 400),
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools", 400),
        ({"logprobs": True}, "logprobs", 400),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", 400),
        ({"presence_penalty": 1.0}, "presence_penalty", 400),
    ],
)
def test_bad_requests_get_openais_error_object(oa, kwargs, param, status):
    args = {"model": MODEL_ID, "messages": QUESTION, "max_tokens": 2, **kwargs}
    with pytest.raises(openai.APIStatusError) as err:
        oa.chat.completions.create(**args)
    assert err.value.status_code == status
    body = err.value.body
    assert body["param"] == param and body["type"] == "invalid_request_error" and body["message"].endswith(".")


@pytest.mark.parametrize(
    "body, param",
    [
        ({"messages": [{"role": "user", "content": "hi"}] * (MAX_MESSAGES + 1)}, "messages"),
        ({"messages": [{"role": "user", "content": "x" * (MAX_MESSAGE_CHARS + 1)}]}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": QUESTION, "stop": "x" * (MAX_STOP_CHARS + 1)}, "stop"),
        ({"messages": QUESTION, "max_tokens": 0}, "max_tokens"),
        ({"messages": QUESTION, "temperature": "hot"}, "temperature"),
    ],
)
def test_chat_limits_are_named_and_enforced(client, body, param):
    r = client.post("/v1/chat/completions", json={"model": MODEL_ID, **body})
    assert r.status_code == 400 and r.json()["error"]["param"] == param
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_text_completion_limits_and_unknown_model_lookup(client):
    r = client.post("/v1/completions", json={"model": MODEL_ID, "prompt": "x" * (MAX_PROMPT_CHARS + 1)})
    assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"
    r = client.post("/v1/completions", json={"model": MODEL_ID, "prompt": ["a", "b"]})
    assert r.status_code == 400 and "one prompt" in r.json()["error"]["message"]
    r = client.get("/v1/models/gpt-4o")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"


def test_unknown_parameter_and_too_long_prompt_are_refused(client):
    r = client.post("/v1/chat/completions", json={"model": MODEL_ID, "messages": QUESTION, "frobnicate": 1})
    assert r.status_code == 400 and r.json()["error"]["param"] == "frobnicate"
    long = " word" * (MAX_PROMPT_TOKENS + 10)
    r = client.post("/v1/completions", json={"model": MODEL_ID, "prompt": long})
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "context_length_exceeded" and "4,096" in err["message"]
    r = client.post("/v1/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_a_client_that_disconnects_stops_generation(server, monkeypatch):
    """The stream is closed after two chunks: the server's log shows it ended early, not after 400 tokens."""
    import httpx

    body = {
        "model": MODEL_ID,
        "prompt": "Once upon a time",
        "max_tokens": 400,
        "temperature": 0,
        "stream": True,
        "user": "disconnect-test",
    }
    with httpx.Client(timeout=120) as h:
        with h.stream("POST", server + "/v1/completions", json=body, headers={"user-agent": "disconnect-test"}) as r:
            for i, _ in enumerate(r.iter_lines()):
                if i >= 3:
                    break
        import time

        for _ in range(100):
            log = h.get(server + "/api/serving/v1-requests").json()["requests"]
            mine = [x for x in log if x["client"] == "disconnect-test"]
            if mine and mine[0]["status"] != "running":
                break
            time.sleep(0.2)
    assert mine[0]["status"] == "disconnected" and mine[0]["completion_tokens"] < 100


def test_a_client_that_gives_up_on_a_non_streamed_request_stops_it_too(server):
    import time

    import httpx

    body = {"model": MODEL_ID, "prompt": "Once upon a time", "max_tokens": 400, "temperature": 0}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server + "/v1/completions", json=body, headers={"user-agent": "gives-up"}, timeout=3)
    for _ in range(150):
        log = httpx.get(server + "/api/serving/v1-requests").json()["requests"]
        mine = [x for x in log if x["client"] == "gives-up"]
        if mine and mine[0]["status"] != "running":
            break
        time.sleep(0.2)
    assert mine[0]["status"] == "disconnected" and mine[0]["completion_tokens"] < 200


def test_choice_holds_back_a_possible_stop_sequence():
    c = Choice(["END"])
    assert c.add("hello E") == "hello " and c.add("N") == "" and c.add("Dless") == ""
    assert c.text == "hello " and c.finish == "stop"
    c = Choice(["END"])
    assert c.add("E") == "" and c.add("x") == "Ex" and c.flush() == ""


def test_model_stream_is_the_one_path(monkeypatch, client):
    """Every /v1 token comes through model_stream (the lead swaps its body for a scheduler)."""
    calls = []
    real = openai_api.model_stream

    def spy(*a, **k):
        calls.append(a[2])
        return real(*a, **k)

    monkeypatch.setattr(openai_api, "model_stream", spy)
    client.post("/v1/completions", json={"model": MODEL_ID, "prompt": "Hi", "max_tokens": 2})
    client.post("/v1/chat/completions", json={"model": MODEL_ID, "messages": QUESTION, "max_tokens": 3, "stream": True})
    assert calls == [2, 3]
