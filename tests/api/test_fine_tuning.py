"""Chapter 20's endpoints: LoRA counts and runs (stream, merge), SmolLM2 quantization and
its effect on the next token, QLoRA memory; every limit answered with a sentence."""

import math

import numpy as np
import pytest

from glasslm.engine.models.llama import quantize as qz
from glasslm.engine.training.lora import TARGETS, count_lora_params
from tests.api.jobs import wait_end

API = "/api/fine-tuning"
SMALL_RUN = {"pretrain_steps": 40, "steps": 20, "batch_size": 4, "n_embd": 16, "rank": 2}


@pytest.mark.parametrize(
    "body,expected",
    [
        ({"rank": 4, "targets": ["attn_wq", "attn_wv"], "n_embd": 32}, 4 * 64 * 2),
        ({"rank": 8, "targets": list(TARGETS), "n_embd": 16, "n_layer": 2}, 2 * 8 * (4 * 32 + 2 * 80)),
    ],
)
def test_count_is_the_hand_formula_and_a_real_share(client, body, expected):
    d = client.post(f"{API}/count", json=body).json()
    assert d["lora_trainable"] == d["formula"] == expected
    C, L = body["n_embd"], body.get("n_layer", 1)
    base = 27 * C * 2 + 16 * C + L * 12 * C * C  # wte, lm_head, wpe; per layer 4 C^2 + 2 * 4 C^2
    assert d["base_params"] == base and d["lora_share"] == pytest.approx(expected / base)
    assert sum(m["lora"] for m in d["matrices"]) * L == expected


@pytest.mark.parametrize(
    "body,field,words,status",
    [
        ({"rank": 0}, "rank", "at least 1", 422),
        ({"rank": 17}, "rank", "at most 16", 422),
        ({"targets": []}, "targets", "", 422),
        ({"targets": ["attn_wz"]}, "targets", "", 422),
        ({"targets": ["attn_wq", "attn_wq"]}, "targets", "one adapter", 400),
        ({"n_embd": 48}, "n_embd", "", 422),
    ],
)
def test_count_bad_input(client, body, field, words, status):
    r = client.post(f"{API}/count", json=body)
    assert r.status_code == status and r.json()["field"] == field and words in r.json()["error"]


@pytest.mark.slow
def test_a_lora_run_streams_both_curves_then_merges_identically(client, sse):
    job = client.post(f"{API}/lora", json=SMALL_RUN).json()["job"]
    evs = sse(job)
    assert evs[-1]["status"] == "done"
    pre = [e for e in evs if e.get("phase") == "pretrain"]
    assert pre and pre[-1]["type"] == "done" and pre[-1]["step"] == 40
    start = next(e for e in evs if e["type"] == "start" and "lora_trainable" in e)
    assert start["lora_trainable"] == count_lora_params(1, 16, 4, 2, ("attn_wq", "attn_wv")) == 128
    assert start["full_trainable"] == start["base_params"] == 4192
    evals = [e for e in evs if e["type"] == "eval" and "lora" in e]
    assert evals[0]["step"] == 0 and evals[0]["full"] == evals[0]["lora"] == start["base_heldout"]
    assert evals[-1]["step"] == 20 and evals[-1]["full"] < evals[0]["full"]
    done = next(e for e in evs if e["type"] == "done" and "samples" in e)
    assert len(done["samples"]["lora"]) == 8 and done["full"] == evals[-1]["full"]

    d = client.post(f"{API}/merge", json={"job": job, "seed": 3}).json()
    assert d["identical"] and d["adapter_samples"] == d["merged_samples"]
    assert d["max_logit_difference"] < 1e-10 and d["merged_params"] == d["base_params"] == 4192
    assert d["adapter_params"] == 128


def test_merge_needs_a_finished_lora_run(client):
    r = client.post(f"{API}/merge", json={"job": "nope"})
    assert r.status_code == 404
    job = client.post(f"{API}/lora", json={**SMALL_RUN, "steps": 2000, "pretrain_steps": 3000}).json()["job"]
    r = client.post(f"{API}/merge", json={"job": job})
    assert r.status_code in (404, 409)  # still pretraining (no adapters yet) or training
    client.post(f"/api/jobs/{job}/stop")
    assert wait_end(client, job)["status"] == "stopped"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"lr_lora": 5}, "lr_lora"),
        ({"lr_full": 0}, "lr_full"),
        ({"steps": 0}, "steps"),
        ({"steps": 2001}, "steps"),
        ({"alpha": -1}, "alpha"),
        ({"pretrain_steps": 10**6}, "pretrain_steps"),
        ({"batch_size": 65}, "batch_size"),
        ({"n_layer": 3}, "n_layer"),
    ],
)
def test_lora_bad_input(client, body, field):
    r = client.post(f"{API}/lora", json=body)
    assert r.status_code == 422 and r.json()["field"] == field


# ---------------------------------------------------------------- quantization


def test_quantize_sizes_errors_and_the_files_format(client):
    gguf = pytest.importorskip("gguf")
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    d = client.post(f"{API}/quantize", json={"layer": 2, "matrix": "v_proj", "block": 32}).json()
    n = 192 * 576
    assert d["shape"] == [192, 576] and d["n"] == n and d["float32_bytes"] == 4 * n
    f8, f4 = d["formats"]["8"], d["formats"]["4"]
    assert f8["actual_bytes"] == f8["formula_bytes"] == n + 2 * n / 32
    assert f4["actual_bytes"] == f4["formula_bytes"] == n / 2 + 2 * n / 32
    # the 8-bit error equals the gguf package's own Q8_0 round trip of the same matrix
    w = qz.matrix(load_smollm2().model.w, 2, "v_proj")
    back = gguf.quants.dequantize(
        gguf.quants.quantize(w, gguf.GGMLQuantizationType.Q8_0), gguf.GGMLQuantizationType.Q8_0
    )
    assert f8["rmse"] == pytest.approx(float(np.sqrt(np.mean((back.astype(np.float64) - w) ** 2))), rel=1e-9)
    assert f4["rmse"] > 8 * f8["rmse"]
    assert sum(d["weights"]["counts"]) == n == sum(f4["errors"]["counts"])
    assert d["gguf"]["name"] == "blk.2.attn_v.weight" and d["gguf"]["n"] == n
    types = {t["type"]: t for t in d["file_types"]}
    assert d["gguf"]["type"] in types and sum(t["tensors"] for t in types.values()) == 272  # 30 x 9 + 2


@pytest.mark.parametrize(
    "body,field,status,words",
    [
        ({"block": 100}, "block", 400, "divides 576"),
        ({"block": 0}, "block", 422, ""),
        ({"layer": 30}, "layer", 422, "at most 29"),
        ({"matrix": "lm_head"}, "matrix", 422, ""),
    ],
)
def test_quantize_bad_input(client, body, field, status, words):
    r = client.post(f"{API}/quantize", json=body)
    assert r.status_code == status and r.json()["field"] == field and words in r.json()["error"]


def test_effect_of_one_matrix_at_8_bits(client, sse):
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    r = client.post(
        f"{API}/effect",
        json={"text": "The capital of France is", "bits": 8, "scope": "matrix", "layer": 0, "matrix": "o_proj"},
    )
    assert r.status_code == 200 and r.json()["matrices"] == 1
    evs = sse(r.json()["job"])
    res = next(e for e in evs if e["type"] == "result")
    assert [e for e in evs if e["type"] == "progress"][-1] == {"type": "progress", "done": 1, "total": 1}
    # the reference distribution is SmolLM2's own softmax, computed here directly
    m = load_smollm2()
    z = m.next_logits(m.encode("The capital of France is")).astype(np.float64)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    top = res["reference_top"]
    assert [t["id"] for t in top] == list(np.argsort(-p)[:10]) and top[0]["p"] == pytest.approx(
        p[top[0]["id"]], rel=1e-9
    )
    assert 0 <= res["kl"] < 1e-3 and res["top_same"] and res["weights_quantized"] == 576 * 576
    # KL from the listed probabilities can only be a part of the whole sum, never more than it
    part = sum(t["p"] * math.log(t["p"] / t["p_quantized"]) for t in top)
    assert abs(part) < 1e-3


def test_effect_of_everything_can_be_stopped(client, sse):
    r = client.post(f"{API}/effect", json={"text": "Hello", "scope": "all"})
    assert r.json()["matrices"] == 210
    job = r.json()["job"]
    sse(job, until=lambda e: e["type"] == "progress")
    client.post(f"/api/jobs/{job}/stop")
    assert wait_end(client, job)["status"] == "stopped"


@pytest.mark.parametrize(
    "body,field,status,words",
    [
        ({"text": ""}, "text", 422, ""),
        ({"text": "   "}, "text", 400, "Type some text"),
        ({"text": "word " * 200}, "text", 413, "limit"),
        ({"text": "Hi", "block": 100}, "block", 400, "divides"),
        ({"text": "Hi", "block": 576, "scope": "layer"}, "block", 400, "divides 1536"),  # down_proj's rows
        ({"text": "Hi", "bits": 3}, "bits", 422, ""),
        ({"text": "Hi", "scope": "everything"}, "scope", 422, ""),
    ],
)
def test_effect_bad_input(client, body, field, status, words):
    r = client.post(f"{API}/effect", json=body)
    assert r.status_code == status and r.json()["field"] == field and words in r.json()["error"]


def test_memory_by_formula(client):
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    d = client.post(f"{API}/memory", json={"rank": 8}).json()
    smol, big = d["rows"]
    assert smol["params"] == load_smollm2().parameter_counts()["total"]
    assert smol["adapter_params"] == 30 * 8 * (2 * 1152 + 2 * 768)
    P, A = big["params"], big["adapter_params"]
    assert big["model"] == "Llama 2 70B" and A == 80 * 8 * (2 * 16384 + 2 * (8192 + 1024))
    assert big["bytes"] == {
        "full": 16 * P,
        "lora": 2 * P + 16 * A,
        "qlora": pytest.approx(P * 4.127 / 8 + 16 * A, rel=1e-3),
    }
    assert client.post(f"{API}/memory", json={"rank": 0}).status_code == 422
    assert client.post(f"{API}/memory", json={"rank": 257}).json()["field"] == "rank"


def test_odd_text_and_numbers(client):
    post = lambda url, raw: client.post(url, content=raw, headers={"content-type": "application/json"})  # noqa: E731
    r = post(f"{API}/lora", '{"alpha": NaN}')
    assert r.status_code == 422 and r.json()["field"] == "alpha" and "finite" in r.json()["error"]
    assert post(f"{API}/count", '{"rank": 4.5}').json()["field"] == "rank"
    r = post(f"{API}/effect", '{"text": "\\ud800 lone surrogate"}')
    assert r.status_code == 422 and r.json()["field"] == "text"
    r = client.post(f"{API}/effect", json={"text": "🙂\u200b é", "scope": "matrix"})
    assert r.status_code == 200
    client.post(f"/api/jobs/{r.json()['job']}/stop")
    assert wait_end(client, r.json()["job"])["status"] in ("stopped", "done")
