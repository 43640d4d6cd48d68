"""Chapter 1's endpoints: the numbers equal the engine's logits put through an
independent softmax, and bad input is answered with a sentence."""

import math

import numpy as np
import pytest

from glasslm.chapters.next_token.api import MAX_TEXT_CHARS, MAX_TOKENS


def test_predict_gives_paris_with_the_softmax_of_the_real_logits(client, smollm2):
    d = client.post("/api/next-token/predict", json={"text": "The capital of France is", "k": 5}).json()
    assert [t["text"] for t in d["tokens"]] == ["The", " capital", " of", " France", " is"]
    assert d["candidates"][0]["text"] == " Paris" and d["candidates"][0]["id"] == smollm2.encode(" Paris")[0]
    z = smollm2.logits(smollm2.encode("The capital of France is"))[-1].astype(np.float64)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()  # softmax written out here
    # the endpoint's last-row pass and this all-rows pass sum in different orders:
    # float32 logits agree to about 6e-5, probabilities to about 1e-5
    for c in d["candidates"]:
        assert c["prob"] == pytest.approx(p[c["id"]], abs=1e-5)
    probs = [c["prob"] for c in d["candidates"]]
    assert probs == sorted(probs, reverse=True) and len(probs) == 5
    assert d["top_mass"] == pytest.approx(sum(probs))
    assert d["entropy_bits"] == pytest.approx(-(p[p > 0] * np.log2(p[p > 0])).sum(), rel=1e-4)


def test_appending_a_candidate_predicts_again(client):
    first = client.post("/api/next-token/predict", json={"text": "Once upon a"}).json()
    text = "Once upon a" + first["candidates"][0]["text"]
    second = client.post("/api/next-token/predict", json={"text": text}).json()
    assert len(second["tokens"]) == len(first["tokens"]) + 1


def test_score_is_the_product_of_conditional_probabilities(client, smollm2):
    text = "The cat sat on the mat."
    d = client.post("/api/next-token/score", json={"text": text}).json()
    ids = smollm2.encode(text)
    z = smollm2.logits(ids).astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    want = [logp[t, ids[t + 1]] for t in range(len(ids) - 1)]
    assert d["tokens"][0]["prob"] is None and d["scored"] == len(ids) - 1
    assert [t["logprob"] for t in d["tokens"][1:]] == pytest.approx(want, abs=1e-5)
    assert d["total_logprob"] == pytest.approx(sum(want), abs=1e-4)
    assert d["log10_probability"] == pytest.approx(sum(want) / math.log(10), abs=1e-4)
    assert d["perplexity"] == pytest.approx(math.exp(-sum(want) / len(want)), rel=1e-5)
    odd = client.post("/api/next-token/score", json={"text": "The cat sat on the galaxy."}).json()
    assert odd["perplexity"] > d["perplexity"]


def test_typed_special_token_text_is_plain_text(client):
    d = client.post("/api/next-token/predict", json={"text": "<|im_start|>user"}).json()
    assert all(t["id"] not in (0, 1, 2) for t in d["tokens"])
    assert "".join(t["text"] for t in d["tokens"]) == "<|im_start|>user"


def test_timeline(client):
    d = client.get("/api/next-token/timeline").json()
    years = [e["year"] for e in d["timeline"]]
    assert years == sorted(years) and {1958, 1986, 2012, 2017, 2020, 2022} <= set(years)
    assert [n["name"] for n in d["nesting"]][-1] == "Large language models"


@pytest.mark.parametrize(
    "path, body, status, words, field",
    [
        ("predict", {"text": ""}, 422, "empty", "text"),
        ("predict", {"text": "x" * (MAX_TEXT_CHARS + 1)}, 422, "too long", "text"),
        ("predict", {"text": " a" * (MAX_TOKENS + 1)}, 413, f"limit here is {MAX_TOKENS}", "text"),
        ("predict", {"text": "hi", "k": 0}, 422, "at least 1", "k"),
        ("predict", {"text": "hi", "k": 1000}, 422, "at most 30", "k"),
        ("predict", {"text": "hi", "k": "many"}, 422, "whole number", "k"),
        ("score", {"text": "Hi"}, 400, "at least two tokens", "text"),
        ("score", {}, 422, "missing", "text"),
    ],
)
def test_bad_input_is_answered_with_a_sentence(client, path, body, status, words, field):
    r = client.post(f"/api/next-token/{path}", json=body)
    assert r.status_code == status
    assert words in r.json()["error"] and r.json()["field"] == field
