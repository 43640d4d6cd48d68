"""Chapter 6's endpoints against hand-derived values and SmolLM2's own logits."""

import math

import numpy as np
import pytest

from glasslm.chapters.probability_and_loss.api import MAX_ITEMS, MAX_TOKENS
from glasslm.engine.models.llama.smollm2 import load_smollm2

API = "/api/probability-and-loss"


def test_softmax_by_hand(client):
    d = client.post(f"{API}/softmax", json={"logits": [0, math.log(3)], "temperature": 1}).json()
    assert d["probs"] == pytest.approx([0.25, 0.75])
    assert d["shifted"] == pytest.approx([-math.log(3), 0]) and d["exps"] == pytest.approx([1 / 3, 1])
    assert d["entropy_bits"] == pytest.approx(-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)))
    # temperature 0.5 squares the odds: 1:9
    assert client.post(f"{API}/softmax", json={"logits": [0, math.log(3)], "temperature": 0.5}).json()[
        "probs"
    ] == pytest.approx([0.1, 0.9])
    # adding a constant to every logit changes nothing
    shifted = client.post(f"{API}/softmax", json={"logits": [10, 10 + math.log(3)]}).json()
    assert shifted["probs"] == pytest.approx(d["probs"])


def test_top_logits_are_smollm2s(client):
    m = load_smollm2()
    d = client.post(f"{API}/top-logits", json={"text": "The capital of France is", "k": 3}).json()
    z = m.logits(m.encode("The capital of France is"))[-1]
    assert d["tokens"][0] == " Paris" and d["ids"] == np.argsort(-z)[:3].tolist()
    assert d["logits"] == pytest.approx(z[d["ids"]].tolist(), abs=1e-5)


def test_cross_entropy_by_hand(client):
    d = client.post(f"{API}/cross-entropy", json={"p": 0.5}).json()
    assert d["loss_nats"] == pytest.approx(math.log(2)) and d["loss_bits"] == pytest.approx(1.0)
    assert client.post(f"{API}/cross-entropy", json={"p": 1}).json()["loss_nats"] == 0
    xs, ys = zip(*d["curve"])
    assert all(a > b for a, b in zip(ys, ys[1:]))  # -log p falls as p grows


def test_entropy_by_hand(client):
    d = client.post(f"{API}/entropy", json={"weights": [1, 1, 1, 1, 1, 1, 1, 1]}).json()
    assert d["entropy_bits"] == pytest.approx(3.0) and d["perplexity"] == pytest.approx(8.0)
    d = client.post(f"{API}/entropy", json={"weights": [3, 0]}).json()
    assert d["entropy_bits"] == 0 and d["perplexity"] == 1 and d["probs"] == [1, 0]
    d = client.post(f"{API}/entropy", json={"weights": [2, 2]}).json()
    assert d["entropy_bits"] == pytest.approx(1.0)


def test_text_loss_is_the_mean_negative_log_probability(client):
    m = load_smollm2()
    text = "Water boils at one hundred degrees."
    d = client.post(f"{API}/text-loss", json={"text": text}).json()
    ids = m.encode(text)
    z = m.logits(ids).astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    losses = [-logp[t, ids[t + 1]] for t in range(len(ids) - 1)]
    assert [t["loss"] for t in d["tokens"][1:]] == pytest.approx(losses, abs=1e-5)
    assert d["mean_loss"] == pytest.approx(np.mean(losses), abs=1e-6)
    assert d["perplexity"] == pytest.approx(math.exp(np.mean(losses)), rel=1e-6)
    assert d["uniform_loss"] == pytest.approx(math.log(49152)) and d["uniform_perplexity"] == 49152
    assert d["worst"]["loss"] == pytest.approx(max(losses), abs=1e-5)


@pytest.mark.parametrize(
    "path, body, status, words, field",
    [
        ("softmax", {"logits": [1]}, 422, "at least 2", "logits"),
        ("softmax", {"logits": [1] * (MAX_ITEMS + 1)}, 422, f"at most {MAX_ITEMS}", "logits"),
        ("softmax", {"logits": [1, 1e6]}, 400, "between -50 and 50", "logits"),
        ("softmax", {"logits": [1, 2], "temperature": 0}, 422, "at least 0.05", "temperature"),
        ("softmax", {"logits": [1, 2], "temperature": "NaN"}, 422, "finite", "temperature"),
        ("cross-entropy", {"p": 0}, 422, "more than 0", "p"),
        ("cross-entropy", {"p": 1.5}, 422, "at most 1", "p"),
        ("entropy", {"weights": [0, 0]}, 400, "above zero", "weights"),
        ("entropy", {"weights": [-1, 2]}, 400, "from 0", "weights"),
        ("text-loss", {"text": ""}, 422, "empty", "text"),
        ("text-loss", {"text": "Hi"}, 400, "at least two tokens", "text"),
        ("text-loss", {"text": " a" * (MAX_TOKENS + 1)}, 413, f"limit here is {MAX_TOKENS}", "text"),
        ("top-logits", {"text": "hi", "k": 1}, 422, "at least 2", "k"),
        ("top-logits", {"text": "  "}, 400, "Type some text", "text"),  # the guide's shared text check
        ("top-logits", {"text": " a" * (MAX_TOKENS + 1)}, 413, f"limit here is {MAX_TOKENS}", "text"),
    ],
)
def test_bad_input_is_answered_with_a_sentence(client, path, body, status, words, field):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.json()
    assert words in r.json()["error"] and r.json()["field"] == field
