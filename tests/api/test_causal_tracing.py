"""The causal-tracing endpoints: the presets, a trace's first columns against Llama.forward and
the engine's normalisation, and every bad input answered with one sentence naming its field."""

import numpy as np
import pytest

from glasslm.chapters.interpretability.api import MAX_PROMPT_CHARS, MAX_SUBJECT_CHARS
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.interpretability.causal_tracing import MAX_NOISE_SAMPLES, MAX_TRACE_TOKENS
from glasslm.engine.models.llama.smollm2 import load_smollm2

API = "/api/interpretability"
PROMPT, SUBJECT = "Toyota is a car company from", "Toyota"


def test_facts(client):
    d = client.get(f"{API}/trace/facts").json()
    assert len(d["facts"]) >= 8 and d["max_tokens"] == MAX_TRACE_TOKENS
    assert all(f["subject"] in f["prompt"] for f in d["facts"])


@pytest.mark.slow
def test_trace_streams_columns_normalised_against_the_clean_run(client, sse):
    d = client.post(f"{API}/trace", json={"prompt": PROMPT, "subject": SUBJECT, "noise_samples": 1}).json()
    evs = sse(d["job"], until=lambda e: e["type"] == "column")
    client.post(f"/api/jobs/{d['job']}/stop")
    start, col = evs[0], evs[-1]
    m = load_smollm2()
    probs = softmax(m.model.forward(m.encode(PROMPT))[-1])
    assert start["answer"] == " Japan" and start["subject"] == [0, 3]
    assert start["p_clean"] == pytest.approx(float(probs[m.encode(" Japan")[0]]), abs=2e-3)
    assert start["p_corrupted"] < start["p_clean"] / 2
    assert col["position"] == 0 and col["computed"] and col["total"] == sum(range(1, d["tokens"] + 1))
    for kind in ("residual", "mlp", "attention"):
        assert len(col[kind]) == d["layers"] == 30
        want = (np.array(col["p"][kind]) - start["p_corrupted"]) / (start["p_clean"] - start["p_corrupted"])
        np.testing.assert_allclose(col[kind], want, atol=1e-9)


def test_trace_refuses_bad_input(client):
    post = lambda **b: client.post(f"{API}/trace", json={"prompt": PROMPT, "subject": SUBJECT, **b})
    r = post(subject="Honda")
    assert r.status_code == 400 and r.json()["field"] == "subject" and "not in the prompt" in r.json()["error"]
    r = post(subject="   ")
    assert r.status_code == 400 and r.json()["field"] == "subject"
    r = post(subject="x" * (MAX_SUBJECT_CHARS + 1))
    assert r.status_code == 422 and r.json()["field"] == "subject"
    r = post(prompt="Toyota " * (MAX_TRACE_TOKENS + 1))
    assert r.status_code == 413 and r.json()["field"] == "prompt"
    r = post(prompt="x" * (MAX_PROMPT_CHARS + 1))
    assert r.status_code == 422 and r.json()["field"] == "prompt"
    r = post(prompt="")
    assert r.status_code == 422 and r.json()["field"] == "prompt"
    r = post(noise_samples=MAX_NOISE_SAMPLES + 1)
    assert r.status_code == 422 and r.json()["field"] == "noise_samples"
    r = post(prompt="One, two, three, four, five,", subject="One")  # " six" does not depend on "One"
    assert r.status_code == 400 and r.json()["field"] == "subject" and "barely changes" in r.json()["error"]
