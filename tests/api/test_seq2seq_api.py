"""The transformer chapter's encoder-decoder: a short training job streams loss, accuracy and
cross-attention; the trained model rewrites the learner's date; bad dates get a sentence."""

import numpy as np
import pytest


@pytest.mark.slow
def test_train_then_rewrite_your_own_date(client, sse):
    r = client.post("/api/transformer/seq2seq", json={"probe": "March 14, 2023", "steps": 300})
    assert r.status_code == 200, r.json()
    job = r.json()["job"]
    evs = sse(job)
    assert [e["type"] for e in evs][0] == "start" and any(e["type"] == "done" for e in evs)
    att = [e for e in evs if e["type"] == "attention"][-1]
    cross = np.array(att["cross"])
    assert cross.shape == (10, 18) and np.allclose(cross.sum(axis=1), 1, atol=1e-2)
    d = client.post("/api/transformer/seq2seq/translate", json={"job": job, "date": "July 4, 1976"}).json()
    assert d["output"] == "1976-07-04"
    r = client.post("/api/transformer/seq2seq/translate", json={"job": job, "date": "4th of July"})
    assert r.status_code == 400 and r.json()["field"] == "date" and "month name" in r.json()["error"]


def test_a_bad_probe_is_refused_before_training(client):
    r = client.post("/api/transformer/seq2seq", json={"probe": "14/03/2023"})
    assert r.status_code == 400 and r.json()["field"] == "probe" and "month name" in r.json()["error"]


def test_translate_needs_a_known_job(client):
    r = client.post("/api/transformer/seq2seq/translate", json={"job": "nope", "date": "March 1, 2000"})
    assert r.status_code == 404
