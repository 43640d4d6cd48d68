"""Chapter 27's CNN section: a small CNN and the ViT trained as one job, then the CNN's view of a digit."""

import numpy as np
import pytest

from glasslm.chapters.vision.api import MAX_CNN_FILTERS, MAX_CNN_STEPS
from glasslm.engine.data import digits

API = "/api/vision"


def test_cnn_and_vit_train_side_by_side_then_the_cnn_looks_at_a_digit(client, sse):
    r = client.post(f"{API}/cnn/train", json={"steps": 150})
    assert r.status_code == 200, r.text
    job = r.json()["job"]
    assert r.json()["n_params"] == 1898
    evs = sse(job)
    assert evs[-1]["status"] == "done"
    start, done = evs[0], evs[-2]
    assert start["models"]["vit"]["n_params"] == 9322
    evals = [e for e in evs if e["type"] == "eval"]
    assert evals[0]["step"] == 0 and evals[-1]["step"] == 150
    assert done["test_accuracy"]["cnn"] > 0.8
    assert set([e for e in evs if e["type"] == "step"][-1]["losses"]) == {"cnn", "vit"}

    d = digits.load()
    pixels = (d.test_x[3] * 16).reshape(-1).tolist()
    seen = client.post(f"{API}/cnn/look", json={"job": job, "pixels": pixels}).json()
    assert np.array(seen["maps1"]).shape == (8, 8, 8) and np.array(seen["maps2"]).shape == (16, 4, 4)
    assert np.array(seen["filters1"]).shape == (8, 3, 3) and sum(seen["probs"]) == pytest.approx(1, abs=1e-3)
    # the same numbers as the engine computes with the run's final weights
    run_model = client.app.state.jobs.get(_session(client, job), job).state["cnn"]["cnn"]
    ref = run_model.look(d.test_x[3])
    np.testing.assert_allclose(seen["maps1"], ref["maps1"], atol=1e-4)
    assert seen["prediction"] == int(ref["probs"].argmax())


def _session(client, job):
    return next(j.session for j in client.app.state.jobs._jobs.values() if j.id == job)


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"steps": MAX_CNN_STEPS + 1}, "steps", "at most"),
        ({"filters1": MAX_CNN_FILTERS + 1}, "filters1", "at most"),
        ({"lr": 0}, "lr", "more than"),
    ],
)
def test_bad_training_settings_are_answered_with_a_sentence(client, body, field, words):
    r = client.post(f"{API}/cnn/train", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and words in r.json()["error"]


def test_looking_needs_a_cnn_run_and_a_valid_image(client, sse):
    r = client.post(f"{API}/cnn/look", json={"job": "nope", "pixels": [0] * 64})
    assert r.status_code == 404
    vit = client.post(f"{API}/train", json={"steps": 2}).json()["job"]
    sse(vit)
    r = client.post(f"{API}/cnn/look", json={"job": vit, "pixels": [0] * 64})
    assert r.status_code == 404 and "not a CNN run" in r.json()["error"]
    cnn = client.post(f"{API}/cnn/train", json={"steps": 2}).json()["job"]
    sse(cnn)
    r = client.post(f"{API}/cnn/look", json={"job": cnn, "pixels": [99] * 64})
    assert r.status_code == 400 and r.json()["field"] == "pixels" and "0 to 16" in r.json()["error"]
    r = client.post(f"{API}/cnn/look", json={"job": cnn, "pixels": [1] * 10})
    assert r.status_code == 422 and r.json()["field"] == "pixels"
