"""Chapter 14's endpoints: each sampling rule re-implemented here in numpy, draws against
their probabilities (chi-square, fixed seed), continuations against SmolLM2.generate."""

import math

import numpy as np
import pytest

from glasslm.chapters.sampling.api import MAX_DRAWS, MAX_NEW_TOKENS, MAX_PROMPT_TOKENS, MAX_SAMPLED, MAX_TEXT_CHARS
from glasslm.engine.basics.sampling import GREEDY, SamplingConfig
from glasslm.engine.models.llama.smollm2 import load_smollm2

API = "/api/sampling"
PROMPT = "My favourite food is"


@pytest.fixture(scope="module")
def truth():
    """SmolLM2's logits for PROMPT from a full forward pass (not next_logits' last-row path)."""
    m = load_smollm2()
    return m.logits(m.encode(PROMPT))[-1].astype(np.float64)


# ---- each rule, written again from its definition ----


def softmax(z, t=1.0):
    if t == 0:
        p = np.zeros_like(z)
        p[np.argmax(z)] = 1
        return p
    e = np.exp((z - z.max()) / t)
    return e / e.sum()


def top_k(p, k):
    if k == 0:
        return p
    keep = np.zeros_like(p, dtype=bool)
    keep[np.argsort(-p, kind="stable")[:k]] = True
    q = np.where(keep, p, 0)
    return q / q.sum()


def top_p(p, P):
    if P >= 1:
        return p
    order = np.argsort(-p, kind="stable")
    total, keep = 0.0, []
    for i in order:  # take the likeliest tokens until their mass reaches P
        keep.append(i)
        total += p[i]
        if total >= P:
            break
    q = np.zeros_like(p)
    q[keep] = p[keep]
    return q / q.sum()


def min_p(p, m):
    q = np.where(p >= m * p.max(), p, 0)
    return q / q.sum()


def reference(z, t=1.0, k=0, P=1.0, m=0.0):
    p = softmax(z, t)
    return p if t == 0 else min_p(top_p(top_k(p, k), P), m)


def bits(p):
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


@pytest.mark.parametrize(
    "settings",
    [
        {"temperature": 0.5},
        {"temperature": 1.7},
        {"top_k": 5},
        {"top_p": 0.6},
        {"min_p": 0.1},
        {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.05},
        {"temperature": 0},
    ],
)
def test_filtered_distribution_matches_each_rule_by_hand(client, truth, settings):
    d = client.post(f"{API}/distribution", json={"text": PROMPT, "show": 30, **settings}).json()
    want = reference(
        truth,
        settings.get("temperature", 1.0),
        settings.get("top_k", 0),
        settings.get("top_p", 1.0),
        settings.get("min_p", 0.0),
    )
    ids = [c["id"] for c in d["candidates"]]
    assert ids == np.argsort(-truth, kind="stable")[:30].tolist()
    assert [c["before"] for c in d["candidates"]] == pytest.approx(softmax(truth)[ids].tolist(), abs=1e-5)
    assert [c["after"] for c in d["candidates"]] == pytest.approx(want[ids].tolist(), abs=1e-5)
    assert d["survivors"] == int((want > 0).sum())
    assert d["entropy_bits_after"] == pytest.approx(bits(want), abs=1e-4)
    assert d["entropy_bits_before"] == pytest.approx(bits(softmax(truth)), abs=1e-4)
    assert d["stages"][-1]["entropy_bits"] == d["entropy_bits_after"]
    assert d["stages"][-1]["kept_mass"] == pytest.approx(softmax(truth)[want > 0].sum(), abs=1e-5)
    assert [t["text"] for t in d["tokens"]] == ["My", " favourite", " food", " is"]
    assert d["vocab_size"] == 49152


def test_the_model_runs_once_per_prompt(client):
    a = client.post(f"{API}/distribution", json={"text": "The sky is", "temperature": 0.9}).json()
    b = client.post(f"{API}/distribution", json={"text": "The sky is", "temperature": 0.3}).json()
    assert b["cached"] and b["candidates"][0]["before"] == a["candidates"][0]["before"]
    assert b["candidates"][0]["after"] > a["candidates"][0]["after"]  # colder: the favourite gains


def test_draws_follow_the_filtered_distribution(client, truth):
    body = {"text": PROMPT, "temperature": 1.0, "top_k": 20, "n": 5000, "seed": 7, "show": 10}
    d = client.post(f"{API}/draws", json=body).json()
    p = reference(truth, 1.0, 20)
    assert [r["prob"] for r in d["rows"]] == pytest.approx(sorted(p[p > 0], reverse=True)[:10], abs=1e-5)
    counts = [r["count"] for r in d["rows"]] + [d["other"]["count"]]
    expected = [5000 * r["prob"] for r in d["rows"]] + [5000 * (1 - sum(r["prob"] for r in d["rows"]))]
    assert sum(counts) == 5000 and d["distinct_drawn"] <= 20 and d["survivors"] == 20
    chi = sum((o - e) ** 2 / e for o, e in zip(counts, expected) if e > 0)
    assert d["chi_square"] == pytest.approx(chi, rel=1e-6) and d["dof"] == 10
    assert chi < d["dof"] + 5 * math.sqrt(2 * d["dof"])  # a loose bound: mean dof, sd sqrt(2 dof)
    again = client.post(f"{API}/draws", json=body).json()
    assert again["rows"] == d["rows"] and again["first"] == d["first"]  # the seed repeats the draws
    other = client.post(f"{API}/draws", json={**body, "seed": 8}).json()
    assert other["first"] != d["first"]
    greedy = client.post(f"{API}/draws", json={**body, "temperature": 0, "n": 50}).json()
    assert greedy["rows"][0]["count"] == 50 and greedy["distinct_drawn"] == 1


def test_continuations_stream_and_equal_smollm2_generate(client, sse):
    m = load_smollm2()
    body = {
        "text": "The capital of France is",
        "temperature": 1.0,
        "top_p": 0.95,
        "max_tokens": 4,
        "samples": 2,
        "seed": 3,
    }
    r = client.post(f"{API}/continuations", json=body).json()
    assert r["runs"] == 3
    evs = sse(r["job"])
    assert (
        evs[0]["type"] == "start"
        and evs[-2]["type"] == "done"
        and evs[-1] == {"type": "end", "status": "done", "error": None}
    )
    d = evs[-2]
    streamed = [[e["token"]["id"] for e in evs if e["type"] == "token" and e["run"] == i] for i in range(3)]
    assert streamed == [
        [t["id"] for t in c["tokens"]] for c in [d["greedy"], *d["sampled"]]
    ]  # the stream is the result
    assert [e["run"] for e in evs if e["type"] == "run_end"] == [0, 1, 2]
    ids = m.encode(body["text"])
    greedy = [e.token_id for e in m.generate(ids, max_tokens=4, settings=GREEDY)]
    assert [t["id"] for t in d["greedy"]["tokens"]] == greedy and d["greedy"]["text"].startswith(" Paris")
    for i, s in enumerate(d["sampled"]):
        want = [
            e.token_id
            for e in m.generate(ids, max_tokens=4, settings=SamplingConfig(temperature=1.0, top_p=0.95), seed=3 + i)
        ]
        assert [t["id"] for t in s["tokens"]] == want
    assert d["seeds"] == [3, 4] and d["tokens_generated"] == sum(len(r["tokens"]) for r in [d["greedy"], *d["sampled"]])


@pytest.mark.parametrize(
    "path, body, status, words, field",
    [
        ("distribution", {"text": ""}, 422, "empty", "text"),
        ("distribution", {"text": "x" * (MAX_TEXT_CHARS + 1)}, 422, f"at most {MAX_TEXT_CHARS}", "text"),
        ("distribution", {"text": "   "}, 400, "Type some text", "text"),  # the guide's shared text check
        ("distribution", {"text": " a" * (MAX_PROMPT_TOKENS + 1)}, 413, f"limit here is {MAX_PROMPT_TOKENS}", "text"),
        ("distribution", {"text": "hi", "temperature": "NaN"}, 422, "finite", "temperature"),
        ("distribution", {"text": "hi", "temperature": -1}, 422, "at least 0", "temperature"),
        ("distribution", {"text": "hi", "top_k": -1}, 422, "at least 0", "top_k"),
        ("distribution", {"text": "hi", "top_p": 0}, 422, "more than 0", "top_p"),
        ("distribution", {"text": "hi", "top_p": 1.5}, 422, "at most 1", "top_p"),
        ("distribution", {"text": "hi", "min_p": 1}, 422, "less than 1", "min_p"),
        ("distribution", {"text": "hi", "min_p": "Infinity"}, 422, "finite", "min_p"),
        ("draws", {"text": "hi", "n": 0}, 422, "at least 1", "n"),
        ("draws", {"text": "hi", "n": MAX_DRAWS + 1}, 422, f"at most {MAX_DRAWS}", "n"),
        ("draws", {"text": "hi", "seed": -2}, 422, "at least 0", "seed"),
        (
            "continuations",
            {"text": "hi", "max_tokens": MAX_NEW_TOKENS + 1},
            422,
            f"at most {MAX_NEW_TOKENS}",
            "max_tokens",
        ),
        ("continuations", {"text": "hi", "samples": MAX_SAMPLED + 1}, 422, f"at most {MAX_SAMPLED}", "samples"),
        ("continuations", {"text": ""}, 422, "empty", "text"),
    ],
)
def test_bad_input_is_answered_with_a_sentence(client, path, body, status, words, field):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.json()
    assert words in r.json()["error"] and r.json()["field"] == field


def test_odd_unicode(client):
    r = client.post(
        f"{API}/distribution", content=b'{"text": "ab\\ud800c"}', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["field"] == "text"
    r = client.post(f"{API}/distribution", json={"text": "caf\u00e9 \u200b\U0001f600"})
    assert r.status_code == 200 and "".join(t["text"] for t in r.json()["tokens"]).startswith("café")


def test_continuations_can_be_stopped(client, sse):
    r = client.post(f"{API}/continuations", json={"text": "Once upon a time", "max_tokens": 16, "samples": 4}).json()
    assert client.post(f"/api/jobs/{r['job']}/stop").status_code == 200
    evs = sse(r["job"])
    assert evs[-1]["status"] == "stopped" and not any(e["type"] == "done" for e in evs)
