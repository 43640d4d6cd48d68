"""Chapter 16's endpoints: the timing job streams consistent points; the memory
table's numbers equal the formula by hand, the real KVCache's size, and
model_facts' published figures; bad input answered with a sentence."""

import time

import pytest

from glasslm.chapters.kv_cache.api import MAX_PREFIX_TOKENS
from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.models.llama.kv_cache import KVCache

API = "/api/kv-cache"


def test_timing_job_streams_points(client, sse):
    r = client.post(f"{API}/timing", json={"max_length": 20, "repeats": 1})
    assert r.status_code == 200 and r.json()["lengths"] == [16, 20]
    evs = sse(r.json()["job"])
    assert evs[0]["type"] == "start" and evs[-1] == {"type": "end", "status": "done", "error": None}
    points = [e for e in evs if e["type"] == "point"]
    assert [p["length"] for p in points] == [16, 20]
    for p in points:
        assert p["max_logit_diff"] < 2e-3  # cached and recomputed steps predict the same token
        assert p["cache_bytes"] == KVCache(30, 3, 64, p["length"] + 1).nbytes
        assert p["speedup"] == pytest.approx(p["without_cache_s"] / p["with_cache_s"])
        assert p["prefill_tokens_per_s"] == pytest.approx(p["length"] / p["prefill_s"])


def test_memory_table(client):
    d = client.get(f"{API}/memory", params={"dtype": "float16"}).json()
    smol = d["rows"][0]
    assert smol["cache_bytes"] == 2 * 30 * 3 * 64 * 8192 * 2
    assert smol["cache_bytes_without_gqa"] == 2 * 30 * 9 * 64 * 8192 * 2
    assert d["check"]["real_cache_bytes_float32"] == d["check"]["formula_bytes_float32"] == 2 * 30 * 3 * 64 * 8192 * 4
    for row, p in zip(d["rows"][1:], PUBLISHED):
        assert row["name"] == p.name and row["source"] == p.source
        assert row["cache_bytes"] == 2 * p.layers * p.kv_heads * (p.d_model // p.heads) * p.context * 2
        assert row["weights_bytes"] == p.params * 2
    assert [v["kv_heads"] for v in d["variants"]] == [1, 3, 9]
    assert [v["actual"] for v in d["variants"]] == [False, True, False]
    assert d["variants"][1]["cache_bytes"] == smol["cache_bytes"]
    small = client.get(f"{API}/memory", params={"dtype": "int8", "context": 100}).json()
    assert small["rows"][0]["cache_bytes"] == 2 * 30 * 3 * 64 * 100
    assert small["check"]["real_cache_bytes_float32"] == KVCache(30, 3, 64, 100).nbytes


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"dtype": "float64"}, "dtype", "one of"),
        ({"context": 0}, "context", "at least 1"),
        ({"context": 10**9}, "context", "at most"),
        ({"context": "lots"}, "context", "whole number"),
    ],
)
def test_memory_bad_input(client, params, field, words):
    r = client.get(f"{API}/memory", params=params)
    assert r.status_code == 422 and r.json()["field"] == field and words in r.json()["error"]


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"max_length": 5000}', "max_length", "at most 512"),
        ('{"max_length": 2}', "max_length", "at least 16"),
        ('{"max_length": NaN}', "max_length", "finite"),
        ('{"repeats": 9}', "repeats", "at most 3"),
    ],
)
def test_timing_bad_input(client, body, field, words):
    r = client.post(f"{API}/timing", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == field and words in r.json()["error"], r.json()


def test_timing_can_be_stopped(client, sse):
    job = client.post(f"{API}/timing", json={"max_length": 512, "repeats": 1}).json()["job"]
    client.post(f"/api/jobs/{job}/stop")
    t0 = time.monotonic()
    while client.get(f"/api/jobs/{job}").json()["status"] == "running":
        assert time.monotonic() - t0 < 120
        time.sleep(0.05)
    assert client.get(f"/api/jobs/{job}").json()["status"] in ("stopped", "done")
    points = [e for e in sse(job) if e["type"] == "point"]
    assert len(points) <= 1


def test_prefix_cache_reuses_what_it_has_seen(client):
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    m = load_smollm2()
    text = f"Zebra quartz {time.time_ns()} sat on the windowsill while the kettle sang in the kitchen"
    first = client.post(f"{API}/prefix", json={"text": text}).json()
    n = len(first["tokens"])
    assert first["reused"] == 0 and first["computed"] == n  # a new text: every token computed
    assert not any(t["reused"] for t in first["tokens"])
    again = client.post(f"{API}/prefix", json={"text": text}).json()
    assert again["reused"] == n and again["computed"] == 0 and all(t["reused"] for t in again["tokens"])
    more = client.post(f"{API}/prefix", json={"text": text + " and the cat"}).json()
    assert more["reused"] >= n - 1 and more["computed"] == len(more["tokens"]) - more["reused"] <= 4
    ids = [t["id"] for t in more["tokens"]]
    want = m.model.forward(ids, last_only=True)[-1]  # no cache at all
    assert more["next"]["id"] == int(want.argmax())
    assert more["tokens"][more["reused"]]["reused"] is False and more["tokens"][more["reused"] - 1]["reused"] is True
    edited = client.post(f"{API}/prefix", json={"text": text.replace("windowsill", "doorstep")}).json()
    differ = next(i for i, (a, b) in enumerate(zip(edited["tokens"], first["tokens"])) if a["id"] != b["id"])
    assert edited["reused"] == differ  # recomputed from the edit on
    c = more["cache"]
    assert 0 < c["mb"] <= c["budget_mb"] and c["tokens"] >= len(ids)
    assert more["bytes_per_token"] == 2 * 30 * 3 * 64 * 4 + 576 * 4  # keys, values and the kept hidden row


@pytest.mark.parametrize(
    "text,status,words",
    [
        ("   ", 400, "Type some text"),
        ("word " * (MAX_PREFIX_TOKENS + 10), 413, f"the limit here is {MAX_PREFIX_TOKENS}"),
    ],
)
def test_prefix_bad_text_is_refused(client, text, status, words):
    r = client.post(f"{API}/prefix", json={"text": text})
    assert r.status_code == status and words in r.json()["error"]
