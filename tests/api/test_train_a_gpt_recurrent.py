"""Chapter 11's "before transformers" section: the tiny GPT, a plain RNN and an LSTM trained as one job."""

import pytest

from glasslm.chapters.train_a_gpt.api import MAX_RECURRENT_BATCH, MAX_RECURRENT_STEPS

API = "/api/train-a-gpt"


def test_three_models_stream_losses_gradients_and_speeds(client, sse):
    r = client.post(f"{API}/recurrent", json={"steps": 120, "batch_size": 2})
    assert r.status_code == 200, r.text
    evs = sse(r.json()["job"])
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "start" and kinds[-2:] == ["done", "end"] and evs[-1]["status"] == "done"
    sizes = {name: m["n_params"] for name, m in evs[0]["models"].items()}
    assert sizes == {"gpt": 4192, "rnn": 4171, "lstm": 4300}
    assert evs[0]["models"]["rnn"]["chain"] == {"4": 15, "8": 27, "16": 51}  # JSON keys are strings
    steps = [e for e in evs if e["type"] == "step"]
    assert steps[-1]["step"] == 120 and set(steps[-1]["losses"]) == {"gpt", "rnn", "lstm"}
    evals = [e for e in evs if e["type"] == "eval"]
    for name in sizes:
        assert evals[-1]["heldout"][name] < evals[0]["heldout"][name] - 0.3, name
    bptt = [e for e in evs if e["type"] == "bptt"]
    assert [b["step"] for b in bptt] == [0, 120] and len(bptt[-1]["models"]["rnn"]["h"]) == 16
    done = evs[-2]
    assert all(v > 0 for v in done["steps_per_s"].values()) and len(done["samples"]["lstm"]) == 8


def test_a_stopped_run_ends_stopped(client, sse):
    job = client.post(f"{API}/recurrent", json={"steps": MAX_RECURRENT_STEPS}).json()["job"]
    first = sse(job, until=lambda e: e["type"] == "step")
    assert first[-1]["type"] == "step"
    assert client.post(f"/api/jobs/{job}/stop").status_code == 200
    assert sse(job)[-1]["status"] == "stopped"


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"steps": MAX_RECURRENT_STEPS + 1}, "steps", "at most"),
        ({"batch_size": MAX_RECURRENT_BATCH + 1}, "batch_size", "at most"),
        ({"lr": 5}, "lr", "at most"),
        ({"steps": 0}, "steps", "at least"),
    ],
)
def test_bad_settings_are_answered_with_a_sentence(client, body, field, words):
    r = client.post(f"{API}/recurrent", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and words in r.json()["error"]
    assert client.app.state.jobs.running() == []
