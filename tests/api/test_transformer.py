"""Chapter 10's endpoints: shapes, counts, residual norms and the lens against independent truths."""

import numpy as np
import pytest

from glasslm.chapters.transformer.api import MAX_LENS_TOKENS, MAX_TOKENS
from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.models.tiny.gpt import GPTConfig, param_shapes
from tests.api.local import LOCAL
from tests.engine import reference_llama as ref

API = "/api/transformer"


def another_app():
    """A client of a second app beside the test's `client`, its caches empty (use it in a with block)."""
    from fastapi.testclient import TestClient

    from glasslm.web.app import create_app

    return TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False)


def test_anatomy_shapes_and_counts(client, smollm2):
    d = client.get(f"{API}/anatomy", params={"tokens": 5}).json()
    c = d["config"]
    assert (c["layers"], c["d_model"], c["d_ff"], c["heads"], c["kv_heads"], c["vocab"]) == (30, 576, 1536, 9, 3, 49152)
    names = [s["name"] for s in d["stages"]]
    assert names[:2] == ["token ids", "embed_tokens"] and names[-3:] == ["norm", "lm_head", "softmax"]
    assert names.count("residual add") == 2 and names.count("input_layernorm") == 1
    by = {s["name"]: s["shape"] for s in d["stages"]}
    assert by["attention"] == [9, 5, 5] and by["k_proj"] == [5, 3, 64] and by["softmax"] == [5, 49152]
    # the total equals the weights chapter's number, and the sum of the parts
    weights_chapter = client.get("/api/weights/parameter-counts").json()
    smol = next(r for r in weights_chapter["here"] if r["name"].startswith("SmolLM2"))
    assert d["total"] == sum(p["params"] for p in d["parts"]) == smol["params"] == d["total_counted_by_engine"]
    # the stage table's own parameters add up to the same total: 30 blocks + the rest
    block = sum(s["params"] for s in d["stages"] if s["repeat"])
    assert 30 * block + sum(s["params"] for s in d["stages"] if not s["repeat"]) == d["total"]


@pytest.mark.slow
def test_residual_norms_match_the_plain_recomputation(client, smollm2):
    text = "The capital of France is Paris."
    d = client.post(f"{API}/residual", json={"text": text}).json()
    ids = smollm2.encode(text)
    xs = ref.residuals(smollm2, ids, layers=3)
    assert len(d["norms"]) == 31 and len(d["norms"][0]) == len(ids) and len(d["added"]) == 30
    np.testing.assert_allclose(d["norms"][:4], [np.linalg.norm(x, axis=1) for x in xs], rtol=1e-3)
    np.testing.assert_allclose(d["added"][:3], [np.linalg.norm(xs[i + 1] - xs[i], axis=1) for i in range(3)], rtol=1e-3)
    trace = smollm2.trace(ids, attention=False)
    np.testing.assert_allclose(d["norms"][30], np.linalg.norm(trace.residuals[30], axis=1), rtol=1e-4)


@pytest.mark.slow
def test_lens_last_layer_is_the_models_logits(client, smollm2):
    text = "The capital of France is"
    d = client.post(f"{API}/lens", json={"text": text, "k": 3}).json()
    ids = smollm2.encode(text)
    z = smollm2.logits(ids).astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert len(d["lens"]) == 31 and len(d["lens"][0]) == len(ids)
    for t in range(len(ids)):
        cell = d["lens"][30][t]
        assert cell["ids"] == np.argsort(-z[t])[:3].tolist()
        np.testing.assert_allclose(cell["probs"], np.sort(p[t])[::-1][:3], atol=1e-4)
    assert d["model_next"]["text"] == " Paris" and d["lens"][30][-1]["tokens"][0] == " Paris"
    first = d["first_layer_with_final_answer"]
    assert all(d["lens"][l][-1]["ids"][0] == d["model_next"]["id"] for l in range(first, 31))
    assert first == 0 or d["lens"][first - 1][-1]["ids"][0] != d["model_next"]["id"]
    # a middle layer, through the plain recomputation
    x = ref.residuals(smollm2, ids, layers=2)[2]
    assert [c["ids"][0] for c in d["lens"][2]] == ref.lens_logits(smollm2, x).argmax(1).tolist()


def test_lens_last_column_alone_equals_the_full_tables(client):
    """last_only sends the last token's column only, the same numbers as in the whole table
    (each computed in its own app, so neither reads the other's cached columns)."""
    text = "The capital of France is"
    full = client.post(f"{API}/lens", json={"text": text, "k": 3}).json()
    with another_app() as other:
        last = other.post(f"{API}/lens", json={"text": text, "k": 3, "last_only": True}).json()
    T = len(full["tokens"])
    assert last["positions"] == [T - 1] and full["positions"] == list(range(T))
    assert all(len(row) == 1 for row in last["lens"]) and len(last["lens"]) == 31
    for l in range(31):
        assert last["lens"][l][0]["ids"] == full["lens"][l][-1]["ids"]
        np.testing.assert_allclose(last["lens"][l][0]["probs"], full["lens"][l][-1]["probs"], atol=1e-5)
    assert last["first_layer_with_final_answer"] == full["first_layer_with_final_answer"]
    assert last["model_next"] == full["model_next"]


def test_typing_a_word_computes_only_the_new_columns(client, monkeypatch):
    """The lens at a position reads only the text up to it: after "…is", the table for "…is Paris"
    computes the new token's column alone, and its columns equal a cold app's whole table."""
    from glasslm.chapters.transformer import api

    rows = []
    real = api.logit_lens
    monkeypatch.setattr(api, "logit_lens", lambda m, res, k: rows.append(res[0].shape[0]) or real(m, res, k=k))
    text = "The capital of France is"
    before = client.post(f"{API}/lens", json={"text": text, "k": 3}).json()
    after = client.post(f"{API}/lens", json={"text": text + " Paris", "k": 3}).json()
    again = client.post(f"{API}/lens", json={"text": text + " Paris", "k": 3, "last_only": True}).json()
    T = len(before["tokens"])
    assert len(after["tokens"]) == T + 1 and rows == [T, 1]  # the new column only; the last_only call none
    assert again["lens"] == [[row[-1]] for row in after["lens"]]
    with another_app() as cold_app:
        cold = cold_app.post(f"{API}/lens", json={"text": "The capital of France is Paris", "k": 3}).json()
    for l in range(31):
        assert [c["ids"] for c in after["lens"][l]] == [c["ids"] for c in cold["lens"][l]]
        np.testing.assert_allclose(
            [c["probs"] for c in after["lens"][l]], [c["probs"] for c in cold["lens"][l]], atol=1e-5
        )
    assert after["model_next"] == cold["model_next"]
    assert after["first_layer_with_final_answer"] == cold["first_layer_with_final_answer"]


def test_compare_counts_and_sources(client, smollm2):
    d = client.get(f"{API}/compare").json()
    tiny, smol, *published = d["models"]
    cfg = GPTConfig()
    assert tiny["params"] == sum(int(np.prod(s)) for s in param_shapes(cfg).values()) == 4192
    assert (tiny["layers"], tiny["d_model"], tiny["heads"], tiny["context"]) == (
        cfg.n_layer,
        cfg.n_embd,
        cfg.n_head,
        cfg.block_size,
    )
    assert smol["params"] == smollm2.parameter_counts()["total"] and smol["kv_heads"] == 3 and smol["context"] == 8192
    assert (smol["norm"], smol["positions"], smol["mlp"], smol["attention"]) == (
        "RMSNorm",
        "RoPE",
        "SwiGLU",
        "grouped-query",
    )
    assert [p["name"] for p in published] == [p.name for p in PUBLISHED]
    assert all(p["source"] and p["features_source"] for p in published)
    assert next(p for p in published if p["name"] == "GPT-3")["params"] == 175e9


@pytest.mark.parametrize(
    "path,body,status,field,words",
    [
        ("residual", {"text": ""}, 422, "text", "empty"),
        ("residual", {"text": " \n "}, 400, "text", "Type some text"),
        ("residual", {"text": "a b " * (MAX_TOKENS // 2 + 1)}, 413, "text", f"at most {MAX_TOKENS}"),
        ("residual", {"text": "x" * 401}, 422, "text", "too long"),
        (
            "lens",
            {
                "text": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen"
            },
            413,
            "text",
            f"at most {MAX_LENS_TOKENS}",
        ),
        ("lens", {"text": "hello", "k": 0}, 422, "k", "at least 1"),
        ("lens", {"text": "hello", "k": 11}, 422, "k", "at most 10"),
        ("lens", {"text": "hello", "k": "NaN"}, 422, "k", "whole number"),
    ],
)
def test_bad_input_is_a_sentence(client, path, body, status, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.json()
    assert r.json()["field"] == field and words in r.json()["error"]


@pytest.mark.parametrize("tokens,status", [(0, 400), (8193, 400), ("x", 422), (1.5, 422)])
def test_anatomy_bad_token_counts(client, tokens, status):
    r = client.get(f"{API}/anatomy", params={"tokens": tokens})
    assert r.status_code == status and r.json()["field"] == "tokens"


def test_odd_unicode_text(client, smollm2):
    text = "🙂 é中\u200b\x00"
    d = client.post(f"{API}/residual", json={"text": text}).json()
    assert smollm2.decode([t["id"] for t in d["tokens"]]) == text and len(d["norms"]) == 31
