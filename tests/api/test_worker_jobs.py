"""The three training jobs that used to run as server threads (vision's CNN, the transformer's
encoder-decoder, embeddings' word2vec) run in worker processes: Stop ends the process, and the
model a later endpoint reads comes back to the server with the job's state."""

from __future__ import annotations

import numpy as np

from glasslm.engine.data import digits
from tests.api.jobs import wait_end


def _job(client, job_id: str):
    return client.app.state.jobs.get(client.cookies.get("glasslm_session"), job_id)


def _stop_mid_run(client, sse, job_id: str, first: str) -> None:
    """Wait for a `first` event, press Stop, and check the worker process itself has ended."""
    job = _job(client, job_id)
    assert job.runs_in == "worker" and job.process.is_alive()
    sse(job_id, until=lambda e: e["type"] == first)
    client.post(f"/api/jobs/{job_id}/stop")
    assert wait_end(client, job_id)["status"] == "stopped"
    job.process.join(timeout=10)
    assert not job.process.is_alive() and job.process.exitcode is not None


def test_a_stopped_cnn_run_ends_its_process_and_look_reads_the_model_it_sent_back(client, sse):
    job_id = client.post("/api/vision/cnn/train", json={"steps": 2000}).json()["job"]
    _stop_mid_run(client, sse, job_id, "step")
    # The server's copy is the worker's model as it was when stopped (unpickled here, not shared).
    model = _job(client, job_id).state["cnn"]["cnn"]
    image = digits.load().test_x[5]
    seen = client.post("/api/vision/cnn/look", json={"job": job_id, "pixels": (image * 16).ravel().tolist()})
    assert seen.status_code == 200, seen.text
    np.testing.assert_allclose(seen.json()["probs"], model.look(image)["probs"], atol=1e-4)


def test_seq2seq_trains_in_a_worker_and_translate_uses_the_model_it_returned(client, sse):
    job_id = client.post("/api/transformer/seq2seq", json={"steps": 50}).json()["job"]
    assert _job(client, job_id).runs_in == "worker"
    assert sse(job_id)[-1]["status"] == "done"
    model = _job(client, job_id).state["model"]
    r = client.post("/api/transformer/seq2seq/translate", json={"job": job_id, "date": "July 4, 1976"})
    assert r.status_code == 200, r.text
    assert r.json()["output"] == model.translate("July 4, 1976")[0]


def test_a_stopped_seq2seq_run_ends_its_process_and_has_no_model_to_translate_with(client, sse):
    job_id = client.post("/api/transformer/seq2seq", json={"steps": 2000}).json()["job"]
    _stop_mid_run(client, sse, job_id, "step")
    r = client.post("/api/transformer/seq2seq/translate", json={"job": job_id, "date": "July 4, 1976"})
    assert r.status_code == 409 and "still training" in r.json()["error"]


def test_a_stopped_word2vec_run_ends_its_process_after_glove_came_with_its_start(client, sse):
    job_id = client.post("/api/embeddings/word2vec", json={"watch": ["string"], "epochs": 10}).json()["job"]
    start = sse(job_id, until=lambda e: e["type"] == "start")[0]
    assert start["type"] == "start" and len(start["glove"]["string"]) == 6
    _stop_mid_run(client, sse, job_id, "step")
