"""Chapter 27's endpoints: ViT and CLIP runs as jobs, predictions and similarities
recomputed from the run's own model, and bad input answered with a sentence."""

import numpy as np
import pytest

from glasslm.engine.data import digits
from glasslm.engine.models.vision import clip_digits as C
from tests.api.jobs import wait_end

API = "/api/vision"
TINY_VIT = {"steps": 30, "batch_size": 16, "patch": 4, "width": 8, "n_head": 2}


def test_examples_are_held_out_digits(client):
    ex = client.get(f"{API}/examples").json()["examples"]
    d = digits.load()
    assert len(ex) == 30 and sorted({e["label"] for e in ex}) == list(range(10))
    e = ex[5]
    assert np.array_equal(np.array(e["pixels"]).reshape(8, 8), d.test_x[e["index"]] * 16)
    assert e["label"] == d.test_y[e["index"]]


def test_vit_run_streams_and_predicts(client, sse):
    r = client.post(f"{API}/train", json=TINY_VIT)
    assert r.status_code == 200
    job = r.json()["job"]
    evs = sse(job)
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "start" and kinds[-2:] == ["done", "end"] and "eval" in kinds
    assert [e["step"] for e in evs if e["type"] == "step"][-1] == 30
    run = client.app.state.jobs.get(_session(client, job), job).state["vit"]
    d = digits.load()
    pixels = (d.test_x[7] * 16).reshape(-1).tolist()
    p = client.post(f"{API}/predict", json={"job": job, "pixels": pixels}).json()
    # recomputed from the run's own model, outside the API
    out = run.model.predict(d.test_x[7][None])
    np.testing.assert_allclose(p["probs"], out["probs"][0], atol=1e-12)
    assert p["prediction"] == int(out["probs"][0].argmax()) and p["grid"] == 2 and len(p["patches"]) == 4
    att = out["cls_attention"][0, -1].mean(0)
    np.testing.assert_allclose(np.array(p["attention"]).reshape(-1), att, atol=1e-12)
    assert p["attention_on_cls"] == pytest.approx(1 - att.sum())
    np.testing.assert_allclose(p["patches"][1], (d.test_x[7][:4, 4:] * 16).reshape(-1), atol=0.01)  # top-right square


def _session(client, job):
    return next(j.session for j in client.app.state.jobs._jobs.values() if j.id == job)


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"steps": 0}, "steps", "at least"),
        ({"steps": 10**6}, "steps", "at most"),
        ({"patch": 3}, "patch", ""),
        ('{"lr": NaN}', "lr", "finite"),
        ({"width": 30, "n_head": 4}, "n_head", "divisible"),
        ({"pool": "max"}, "pool", ""),
    ],
)
def test_bad_training_settings(client, body, field, words):
    if isinstance(body, str):
        r = client.post(f"{API}/train", content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(f"{API}/train", json=body)
    assert r.status_code in (400, 422) and r.json()["field"] == field and words in r.json()["error"]


def test_bad_predictions(client, sse):
    job = client.post(f"{API}/train", json={**TINY_VIT, "steps": 1}).json()["job"]
    sse(job)
    ok = [0] * 64
    cases = [
        ({"job": job, "pixels": ok[:63]}, 422, "pixels"),
        ({"job": job, "pixels": [17] + ok[1:]}, 400, "pixels"),
        ({"job": job, "pixels": [-1] + ok[1:]}, 400, "pixels"),
        ({"job": "nope", "pixels": ok}, 404, None),
        ({"job": "", "pixels": ok}, 422, "job"),
    ]
    for body, status, field in cases:
        r = client.post(f"{API}/predict", json=body)
        assert r.status_code == status, body
        assert r.json()["field"] == field and r.json()["error"]
    nan = '{"job": "%s", "pixels": [NaN%s]}' % (job, ", 0" * 63)
    r = client.post(f"{API}/predict", content=nan, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422) and r.json()["field"] == "pixels"
    clip_job = client.post(f"{API}/clip/train", json={"steps": 1}).json()["job"]
    sse(clip_job)
    r = client.post(f"{API}/predict", json={"job": clip_job, "pixels": ok})
    assert r.status_code == 404 and "vision transformer" in r.json()["error"]


def test_clip_run_similarity_and_zero_shot(client, sse):
    job = client.post(f"{API}/clip/train", json={"steps": 40, "groups": 4, "lr": 0.01}).json()["job"]
    evs = sse(job)
    assert evs[-1]["status"] == "done"
    evals = [e for e in evs if e["type"] == "eval"]
    assert evals[-1]["step"] == 40
    names = list(digits.NAMES)
    names[7] = "sevn"
    r = client.post(f"{API}/clip/similarity", json={"job": job, "names": names})
    assert r.status_code == 200
    s = r.json()
    run = client.app.state.jobs.get(_session(client, job), job).state["clip"]
    d = digits.load()
    zs = C.zero_shot(run.model, d.test_x, names)
    assert s["zero_shot_accuracy"] == pytest.approx(float((zs["pick"] == d.test_y).mean()))
    assert s["per_digit_accuracy"][7] == pytest.approx(float((zs["pick"][d.test_y == 7] == 7).mean()))
    # the similarity of showcase image 3 and name 3, by hand from the two encoders
    img = run.model.encode_images(d.test_x[C.showcase(d)][3:4]).data[0]
    txt = run.model.encode_names(["three"]).data[0]
    assert s["cosine"][3][3] == pytest.approx(float(img @ txt), abs=1e-4)
    assert np.array(s["probs"]).sum(axis=1) == pytest.approx(np.ones(10), abs=1e-3)


@pytest.mark.parametrize(
    "names, status, field",
    [
        (["zero"] * 9, 422, "names"),
        (["zero"] * 11, 422, "names"),
        (["zero"] * 9 + ["n1ne"], 400, "names.9"),
        (["zero"] * 9 + [""], 400, "names.9"),
        (["zero"] * 9 + ["a" * 13], 400, "names.9"),
        (["zero"] * 9 + ["neuf\u0301"], 400, "names.9"),
        (["zero"] * 9 + ["x" * 101], 422, "names"),
    ],
)
def test_bad_candidate_names(client, sse, names, status, field):
    job = client.post(f"{API}/clip/train", json={"steps": 1}).json()["job"]
    sse(job)
    r = client.post(f"{API}/clip/similarity", json={"job": job, "names": names})
    assert r.status_code == status and r.json()["field"] == field and r.json()["error"]


def test_clip_settings_limits(client):
    for body, field in [({"steps": 10**5}, "steps"), ({"groups": 0}, "groups"), ({"lr": -1}, "lr")]:
        r = client.post(f"{API}/clip/train", json=body)
        assert r.status_code == 422 and r.json()["field"] == field


def test_stopping_a_long_run(client, sse):
    job = client.post(f"{API}/train", json={**TINY_VIT, "steps": 5000}).json()["job"]
    sse(job, until=lambda e: e["type"] == "step")
    client.post(f"/api/jobs/{job}/stop")
    wait_end(client, job)
    assert client.get(f"/api/jobs/{job}").json()["status"] == "stopped"
    r = client.post(f"{API}/predict", json={"job": job, "pixels": [0] * 64})
    assert r.status_code == 200 and 0 < r.json()["step"] < 5000
