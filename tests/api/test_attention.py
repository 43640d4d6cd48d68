"""Chapter 9's endpoints: attention numbers against a plain recomputation, bad input as sentences."""

import numpy as np
import pytest

from glasslm.chapters.attention.api import MAX_TEXT_CHARS, MAX_TOKENS
from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.models.llama.kv_cache import kv_cache_bytes
from glasslm.engine.models.llama.smollm2 import load_smollm2
from tests.engine import reference_llama as ref

API = "/api/attention"
TEXT = "The cat sat on the mat because it was tired."


def test_maps_are_the_forward_pass_attention(client, smollm2):
    d = client.post(f"{API}/maps", json={"text": TEXT, "layer": 2}).json()
    ids = smollm2.encode(TEXT)
    assert [t["id"] for t in d["tokens"]] == ids and d["heads"] == 9 and d["kv_head_of"] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    _, maps = ref.block(smollm2, ref.residuals(smollm2, ids, layers=2)[2], 2)  # (H, T, T) from the weights, in float64
    for h in range(9):
        rows = d["maps"][h]
        assert [len(r) for r in rows] == list(range(1, len(ids) + 1))  # the causal triangle
        for i, r in enumerate(rows):
            assert sum(r) == pytest.approx(1, abs=1e-3)
            np.testing.assert_allclose(r, maps[h, i, : i + 1], atol=2e-4)


def test_steps_recomputed_from_the_weights(client, smollm2):
    d = client.post(f"{API}/steps", json={"text": TEXT, "layer": 3, "head": 4, "token": 7}).json()
    ids = smollm2.encode(TEXT)
    x = ref.residuals(smollm2, ids, layers=3)[3]
    q, k, v = ref.head_vectors(smollm2, x, 3, 4)
    assert d["query"] == 7 and d["kv_head"] == 1 and d["head_dim"] == 64 and d["scale"] == pytest.approx(1 / 8)
    np.testing.assert_allclose(d["q"], q[7], atol=1e-3)
    np.testing.assert_allclose(d["k"], k, atol=1e-3)
    np.testing.assert_allclose(d["v"], v, atol=1e-3)
    dots = k @ q[7]
    np.testing.assert_allclose(d["dots"], dots, atol=2e-3, rtol=1e-3)
    np.testing.assert_allclose(d["scores"], dots / 8, atol=2e-3, rtol=1e-3)
    assert d["visible"] == [j <= 7 for j in range(len(ids))]
    assert d["masked"][8:] == [None] * (len(ids) - 8)
    w = np.exp(dots[:8] / 8 - (dots[:8] / 8).max())
    w /= w.sum()
    np.testing.assert_allclose(d["weights"][:8], w, atol=1e-5)
    assert d["weights"][8:] == [0] * (len(ids) - 8)
    np.testing.assert_allclose(d["output"], w @ v[:8], atol=2e-3)
    assert d["max_difference_from_forward_pass"] < 1e-5
    last = client.post(f"{API}/steps", json={"text": TEXT, "layer": 3, "head": 4}).json()
    assert last["query"] == len(ids) - 1 and all(last["visible"])


def test_compare_follows_the_word_in_both_sentences(client, smollm2):
    body = {
        "word": "bank",
        "sentences": ["The fisherman sat on the river bank", "I need to deposit money at the bank"],
        "context": ["river", "money"],
    }
    d = client.post(f"{API}/compare", json=body).json()
    assert d["layers"] == 30 and d["heads"] == 9
    for s, sentence, ctx in zip(d["sentences"], body["sentences"], body["context"]):
        ids = smollm2.encode(sentence)
        assert s["tokens"][s["position"]]["text"] == " bank" and s["position"] == len(ids) - 1
        att = np.stack(smollm2.trace(ids).attentions)[:, :, -1, :]  # (L, H, T): the last token's rows
        np.testing.assert_allclose(s["rows"], att, atol=1e-4)
        st = s["strongest"]
        others = att.copy()
        others[:, :, [0, len(ids) - 1]] = 0
        assert st["weight"] == pytest.approx(others.max(), abs=1e-6) and st["token"] not in (0, len(ids) - 1)
        link = s["link"]
        c = [smollm2.decode([i]) for i in ids].index(" " + ctx)
        assert link["token"] == c and link["word"] == ctx
        np.testing.assert_allclose(link["grid"], att[:, :, c], atol=1e-4)
        assert link["weight"] == pytest.approx(att[:, :, c].max(), abs=1e-6)
        assert (link["layer"], link["head"]) == tuple(np.unravel_index(att[:, :, c].argmax(), (30, 9)))
    assert d["sentences"][0]["strongest"]["text"] == " river"  # measured: layer 16, head 0, about 95%
    plain = client.post(f"{API}/compare", json={"word": "bank", "sentences": body["sentences"]}).json()
    assert [s["link"] for s in plain["sentences"]] == [None, None]


def test_gqa_from_the_config(client, smollm2):
    d = client.get(f"{API}/gqa").json()
    assert d["groups"] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and d["group_size"] == 3
    assert d["qkv_columns"] == (9 + 2 * 3) * 64
    mem = d["memory"]
    assert mem["context"] == 8192 and mem["context_bytes"] == smollm2.model.new_cache(8192).nbytes
    assert mem["context_bytes_mha"] == kv_cache_bytes(30, 9, 64, 8192)
    short = client.get(f"{API}/gqa", params={"context": 10}).json()["memory"]
    assert short["context_bytes"] == smollm2.model.new_cache(10).nbytes == 10 * mem["per_token_bytes"]
    llama2 = next(p for p in d["published"] if p["name"] == "Llama 2 70B")
    assert llama2["kv_heads"] == 8 and llama2["kv_bytes_per_token_16bit"] == 2 * 80 * 8 * 128 * 2
    assert len(d["published"]) == len(PUBLISHED) and all(p["source"] for p in d["published"])


@pytest.mark.parametrize(
    "path,body,status,field,words",
    [
        ("maps", {"text": "", "layer": 0}, 422, "text", "empty"),
        ("maps", {"text": "   ", "layer": 0}, 400, "text", "Type some text"),
        ("maps", {"text": "x" * (MAX_TEXT_CHARS + 1), "layer": 0}, 422, "text", "too long"),
        ("maps", {"text": "a b " * 30, "layer": 0}, 413, "text", f"at most {MAX_TOKENS}"),
        ("maps", {"text": TEXT, "layer": 30}, 400, "layer", "from 0 to 29"),
        ("maps", {"text": TEXT, "layer": -1}, 422, "layer", "at least 0"),
        ("maps", {"text": TEXT, "layer": 2.5}, 422, "layer", "whole number"),
        ("steps", {"text": TEXT, "layer": 0, "head": 9}, 400, "head", "from 0 to 8"),
        ("steps", {"text": TEXT, "layer": 0, "head": 0, "token": 11}, 400, "token", "from 0 to 10"),
        ("steps", {"text": TEXT, "layer": 0, "head": 0, "token": -2}, 422, "token", "at least -1"),
        (
            "compare",
            {"word": "bank", "sentences": ["the river bank", "the money"]},
            400,
            "sentences",
            "does not appear",
        ),
        ("compare", {"word": " ", "sentences": ["a", "b"]}, 400, "word", "Type the word"),
        ("compare", {"word": "bank", "sentences": ["the bank"]}, 422, "sentences", "at least 2"),
        ("compare", {"word": "bank", "sentences": ["the bank", "x" * 401]}, 400, "sentences", "too long"),
        (
            "compare",
            {"word": "bank", "sentences": ["the bank by the river", "the money bank"], "context": ["river", "money"]},
            400,
            "context",
            "must appear before",
        ),
        (
            "compare",
            {"word": "bank", "sentences": ["the river bank", "the money bank"], "context": ["river"]},
            422,
            "context",
            "at least 2",
        ),
        (
            "compare",
            {"word": "bank", "sentences": ["the river bank", "the money bank"], "context": ["river", "y" * 41]},
            400,
            "context",
            "too long",
        ),
    ],
)
def test_bad_input_is_a_sentence(client, path, body, status, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.json()
    assert r.json()["field"] == field and words in r.json()["error"]


def test_odd_unicode_and_bad_context(client):
    lone = '{"text": "\\ud800 cat", "layer": 0}'  # a lone surrogate: not text at all
    r = client.post(f"{API}/maps", content=lone, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "text"
    d = client.post(f"{API}/maps", json={"text": "🙂 é中\x00\u200b", "layer": 0}).json()
    assert load_smollm2().decode([t["id"] for t in d["tokens"]]) == "🙂 é中\x00\u200b" and len(d["maps"]) == 9
    for bad in (0.5, 8193, -3):
        r = client.get(f"{API}/gqa", params={"context": bad})
        assert r.status_code in (400, 422) and r.json()["field"] == "context"
