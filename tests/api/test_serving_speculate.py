"""Chapter 17's speculative-decoding race and its list of recent /v1 requests, through the ASGI app."""

import pytest

from glasslm.chapters.serving.api import MAX_SPEC_PROMPT_CHARS, MAX_SPEC_TOKENS
from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.inference.speculative import MAX_DRAFT_K
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.web.openai_api import MODEL_ID

API = "/api/serving"
QUOTE = (
    "Repeat exactly: The old lighthouse keeper climbed the spiral stairs every evening to light the "
    "great lamp, and every morning he wrote the weather in a small blue notebook."
)


def test_a_quoting_prompt_is_answered_identically_with_fewer_passes(client, sse):
    r = client.post(f"{API}/speculate", json={"text": QUOTE, "max_tokens": 40, "k": 8})
    assert r.status_code == 200
    evs = sse(r.json()["job"])
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "prompt" and kinds[-3:] == ["spec-done", "summary", "end"] and "plain-done" in kinds
    plain = "".join(e["text"] for e in evs if e["type"] == "plain")
    steps = [e for e in evs if e["type"] == "step"]
    spec = "".join("".join(e["texts"]) for e in steps)
    m = load_smollm2()
    ids = m.chat_ids([{"role": "user", "content": QUOTE}])
    assert plain == spec == m.decode([e.token_id for e in m.generate(ids, max_tokens=40, settings=GREEDY)])
    done = next(e for e in evs if e["type"] == "spec-done")
    plain_done = next(e for e in evs if e["type"] == "plain-done")
    assert done["identical"] and done["tokens"] == plain_done["tokens"]
    assert done["passes"] == len(steps) < plain_done["passes"]  # several tokens per pass
    assert 0 < done["accepted"] <= done["drafted"]
    assert all(e["accepted"] <= len(e["drafted_texts"]) for e in steps)
    s = next(e for e in evs if e["type"] == "summary")
    assert s["tokens_per_pass"] == pytest.approx(done["tokens"] / done["passes"])
    assert s["acceptance"] == pytest.approx(done["accepted"] / done["drafted"])
    counts = m.parameter_counts()
    params_read = counts["total"] - counts["embedding"] + m.model.w.lm_head.size  # the tied matrix read as the head
    assert s["weight_bytes_per_pass"] == pytest.approx(4 * params_read, rel=1e-6)
    assert s["bytes_per_token_spec"] < s["bytes_per_token_plain"] == s["weight_bytes_per_pass"]
    # bandwidth = bytes per decode pass x decode passes per second, from the plain run's own clock
    assert s["plain_gb_s"] == pytest.approx(s["weight_bytes_per_pass"] * plain_done["decode_tokens_per_s"] / 1e9)
    times = [e["elapsed_s"] for e in evs if e["type"] == "plain"]
    assert plain_done["decode_tokens_per_s"] == pytest.approx((len(times) - 1) / (times[-1] - times[0]))


@pytest.mark.parametrize(
    "body, field",
    [
        ({"text": "x" * (MAX_SPEC_PROMPT_CHARS + 1)}, "text"),
        ({"text": "hi", "max_tokens": MAX_SPEC_TOKENS + 1}, "max_tokens"),
        ({"text": "hi", "k": MAX_DRAFT_K + 1}, "k"),
        ({"text": "hi", "k": 0}, "k"),
        ({"text": "   "}, "text"),
    ],
)
def test_bad_speculate_requests_get_a_sentence(client, body, field):
    r = client.post(f"{API}/speculate", json=body)
    assert 400 <= r.status_code < 500 and r.json()["field"] == field and r.json()["error"].endswith(".")


def test_v1_requests_are_listed_newest_first(client):
    assert client.get(f"{API}/v1-requests").json() == {"requests": []}
    client.post(
        "/v1/completions",
        json={"model": MODEL_ID, "prompt": "Hello", "max_tokens": 3, "temperature": 0},
        headers={"user-agent": "first"},
    )
    client.post(
        "/v1/chat/completions",
        json={"model": MODEL_ID, "max_tokens": 2, "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
        headers={"user-agent": "second"},
    )
    reqs = client.get(f"{API}/v1-requests").json()["requests"]
    assert [x["client"] for x in reqs] == ["second", "first"]
    assert reqs[1]["endpoint"] == "/v1/completions" and reqs[1]["prompt_tokens"] == len(load_smollm2().encode("Hello"))
    assert reqs[1]["completion_tokens"] == 3 and reqs[1]["status"] == "done" and reqs[0]["stream"] is True
    assert reqs[1]["time_to_first_token_s"] <= reqs[1]["total_s"]
