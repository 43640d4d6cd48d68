"""The architecture lab's endpoints: two architectures trained side by side as a job in a
worker, the tour, the KV-cache sizes, and bad settings answered with one sentence."""

import pytest

from glasslm.chapters.transformer.api import MAX_KV_CONTEXT, MAX_LAB_BATCH, MAX_LAB_EMBD, MAX_LAB_STEPS
from glasslm.engine.models.llama.kv_cache import KVCache
from glasslm.engine.models.tiny.gpt import MAX_LAB_LAYERS
from glasslm.web.jobs import RUNS_IN_WORKER

API = "/api/transformer"


def test_two_architectures_stream_curves_sizes_and_gradients(client, sse):
    body = {"a": {"n_layer": 3, "n_head": 2}, "b": {"n_layer": 3, "residual": False, "mlp": "swiglu"}, "steps": 20}
    r = client.post(f"{API}/lab", json=body)
    assert r.status_code == 200, r.text
    evs = sse(r.json()["job"])
    assert evs[-1]["type"] == "end" and evs[-1]["status"] == "done"
    start = evs[0]
    assert [run["name"] for run in start["runs"]] == ["A", "B"]
    assert start["runs"][0]["config"]["n_head"] == 2 and start["runs"][0]["config"]["n_kv_head"] is None
    assert start["runs"][1]["config"]["residual"] is False and start["runs"][1]["config"]["mlp"] == "swiglu"
    for i in (0, 1):
        steps = [e for e in evs if e["type"] == "step" and e["run"] == i]
        assert steps[-1]["step"] == 20
        grads = [e for e in evs if e["type"] == "grads" and e["run"] == i]
        assert grads and all(len(g["norms"]) == 3 for g in grads)
    done = next(e for e in evs if e["type"] == "done")
    assert [d["n_params"] for d in done["runs"]] == [run["n_params"] for run in start["runs"]]
    assert all(d["heldout_loss"] > 0 and d["steps_per_s"] > 0 for d in done["runs"])


def test_the_tour_trains_four_steps_towards_smollm2(client, sse):
    r = client.post(f"{API}/tour", json={"n_layer": 1, "steps": 10})
    assert r.status_code == 200, r.text
    assert r.json()["names"][0] == "microgpt" and len(r.json()["names"]) == 4
    done = next(e for e in sse(r.json()["job"]) if e["type"] == "done")
    assert [d["name"] for d in done["runs"]] == r.json()["names"]
    assert done["runs"][2]["n_params"] < done["runs"][1]["n_params"]  # shared key-value heads: fewer weights


def test_kv_cache_sizes_match_a_real_cache(client, smollm2):
    d = client.get(f"{API}/kv-cache", params={"context": 100, "n_layer": 2}).json()
    s = d["smollm2"]
    assert (s["layers"], s["heads"], s["kv_heads"]) == (
        smollm2.config.n_layers,
        smollm2.config.n_heads,
        smollm2.config.n_kv_heads,
    )
    grouped = next(v for v in s["variants"] if v["variant"] == "grouped-query")
    cache = KVCache(s["layers"], s["kv_heads"], s["head_dim"], 100)  # the cache SmolLM2 really allocates
    assert grouped["bytes"] == cache.kt.nbytes + cache.v.nbytes
    full, mqa = s["variants"][0]["bytes"], s["variants"][2]["bytes"]
    assert full == grouped["bytes"] * s["heads"] // s["kv_heads"] and mqa == grouped["bytes"] // s["kv_heads"]
    assert [v["kv_heads"] for v in d["tiny"]["variants"]] == [4, 2, 1]


def test_both_jobs_run_in_a_worker():
    assert {"transformer-lab", "transformer-tour"} <= set(RUNS_IN_WORKER)


@pytest.mark.parametrize(
    "body,field,status,words",
    [
        ({"a": {"n_layer": MAX_LAB_LAYERS + 1}}, "n_layer", 422, "at most 16"),
        ({"b": {"n_layer": 0}}, "n_layer", 422, "at least 1"),
        ({"a": {"n_embd": MAX_LAB_EMBD + 1}}, "n_embd", 422, "at most"),
        ({"steps": MAX_LAB_STEPS + 1}, "steps", 422, "at most"),
        ({"batch_size": MAX_LAB_BATCH + 1}, "batch_size", 422, "at most"),
        ({"a": {"n_head": 4, "n_kv_head": 3}}, "n_kv_head", 400, "key-value heads"),
        ({"b": {"n_head": 2, "n_kv_head": 4}}, "n_kv_head", 400, "Model B"),
        ({"a": {"n_embd": 18}}, "n_embd", 400, "divide evenly"),
        ({"a": {"n_embd": 12, "n_head": 4, "positions": "rope"}}, "positions", 400, "even"),
        ({"a": {"norm": "batchnorm"}}, "norm", 422, "one of"),
        ({"lr": float("nan")}, "lr", 422, "finite"),
    ],
)
def test_bad_lab_settings_are_answered_with_a_sentence(client, body, field, status, words):
    import json

    r = client.post(f"{API}/lab", content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and words in r.json()["error"], r.json()
    assert client.app.state.jobs.running() == []


def test_bad_tour_and_kv_settings(client):
    r = client.post(f"{API}/tour", json={"n_layer": MAX_LAB_LAYERS + 1})
    assert r.status_code == 422 and r.json()["field"] == "n_layer"
    r = client.get(f"{API}/kv-cache", params={"context": MAX_KV_CONTEXT + 1})
    assert r.status_code == 400 and r.json()["field"] == "context" and "tokens" in r.json()["error"]
    r = client.get(f"{API}/kv-cache", params={"context": 0})
    assert r.status_code == 400 and r.json()["field"] == "context"
