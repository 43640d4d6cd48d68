"""Chapter 28's endpoints: noising recomputed from the closed form, a run as a
job, sampling frames recomputed from the run's own model, and bad input
answered with a sentence naming the field."""

import math

import numpy as np
import pytest

from glasslm.engine.models.vision import diffusion as D

API = "/api/diffusion"
TINY = {"steps": 40, "batch_size": 64, "hidden": 16, "noise_steps": 20}


def test_noise_matches_the_closed_form(client):
    r = client.post(f"{API}/noise", json={"shape": "moons", "t": 30, "n": 400, "seed": 3})
    assert r.status_code == 200
    d = r.json()
    sched = D.NoiseSchedule(100)
    assert d["alpha_bar_t"] == pytest.approx(sched.alpha_bar[29])
    assert d["signal_scale"] == pytest.approx(math.sqrt(sched.alpha_bar[29]))
    # the same points by hand: the engine's shape and the same noise draws
    rng = np.random.default_rng(3)
    x0, c = D.make_shape("moons", 400, rng)
    eps = rng.normal(size=x0.shape)
    np.testing.assert_allclose(
        d["xt"], np.sqrt(sched.alpha_bar[29]) * x0 + np.sqrt(1 - sched.alpha_bar[29]) * eps, atol=6e-4
    )
    assert d["labels"] == c.tolist()
    assert d["measured_noise_std"] == pytest.approx(d["noise_std"], rel=0.1)  # 800 draws
    clean = client.post(f"{API}/noise", json={"shape": "moons", "t": 0, "n": 400, "seed": 3}).json()
    assert clean["xt"] == clean["x0"] and clean["alpha_bar_t"] == 1.0


def test_cosine_schedule_is_served(client):
    d = client.post(f"{API}/noise", json={"schedule": "cosine", "noise_steps": 10, "t": 5}).json()
    f = lambda t: math.cos((t / 10 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    assert d["alpha_bar_t"] == pytest.approx(f(5) / f(0))


def _session(client, job):
    return next(j.session for j in client.app.state.jobs._jobs.values() if j.id == job)


def test_train_then_sample_with_guidance(client, sse):
    r = client.post(f"{API}/train", json=TINY)
    assert r.status_code == 200 and r.json()["classes"] == ["inner ring", "outer ring"]
    job = r.json()["job"]
    evs = sse(job)
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "start" and kinds[-2:] == ["done", "end"] and "preview" in kinds
    assert [e["step"] for e in evs if e["type"] == "step"][-1] == 40
    assert len(evs[0]["schedule"]["alpha_bar"]) == 20
    body = {"job": job, "n": 50, "label": "1", "guidance": 2.0, "frames": 5, "seed": 7}
    s = client.post(f"{API}/sample", json=body).json()
    assert [f["t"] for f in s["frames"]] == [20, 15, 10, 5, 0]
    run = client.app.state.jobs.get(_session(client, job), job).state["diffusion"]
    again = D.sample(run.model, run.schedule, 50, np.random.default_rng(7), label=1, guidance=2.0, frames=5)
    np.testing.assert_allclose(s["frames"][-1]["points"], again["x"], atol=6e-4)
    fit = D.shape_fit(again["x"], "rings")
    assert s["median_distance"] == pytest.approx(fit["median_distance"]) and sum(s["class_share"]) == pytest.approx(1)


@pytest.mark.parametrize(
    "path, body, status, field",
    [
        ("noise", {"t": -1}, 422, "t"),
        ("noise", {"t": 200, "noise_steps": 100}, 400, "t"),
        ("noise", {"shape": "square"}, 422, "shape"),
        ("noise", {"n": 10**5}, 422, "n"),
        ("noise", {"noise_steps": 1}, 422, "noise_steps"),
        ("noise", '{"t": NaN}', 422, "t"),
        ("train", {"steps": 0}, 422, "steps"),
        ("train", {"steps": 10**6}, 422, "steps"),
        ("train", {"lr": 5}, 422, "lr"),
        ("train", '{"lr": Infinity}', 422, "lr"),
        ("train", {"hidden": 10**4}, 422, "hidden"),
        ("train", {"schedule": "quadratic"}, 422, "schedule"),
        ("sample", {"job": "nope"}, 404, None),
        ("sample", {"job": ""}, 422, "job"),
    ],
)
def test_bad_input(client, path, body, status, field):
    if isinstance(body, str):
        r = client.post(f"{API}/{path}", content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status and r.json()["field"] == field and r.json()["error"]


def test_bad_sampling_settings(client, sse):
    job = client.post(f"{API}/train", json={**TINY, "steps": 1}).json()["job"]
    sse(job)
    for body, status, field in [
        ({"guidance": 2.0}, 400, "guidance"),
        ({"guidance": 11}, 422, "guidance"),
        ({"label": "2"}, 400, "label"),
        ({"label": "ten"}, 422, "label"),
        ({"n": 5000}, 422, "n"),
        ({"frames": 1}, 422, "frames"),
    ]:
        r = client.post(f"{API}/sample", json={"job": job, **body})
        assert r.status_code == status and r.json()["field"] == field, body
    assert "class to guide" in client.post(f"{API}/sample", json={"job": job, "guidance": 2.0}).json()["error"]


def test_digits_noise_train_and_sample(client, sse):
    d = client.post(f"{API}/noise", json={"shape": "digits", "t": 0, "n": 4, "seed": 1}).json()
    rng = np.random.default_rng(1)
    x0, c = D.make_shape("digits", 4, rng)
    np.testing.assert_allclose(d["x0"], (x0 + 1) / 2 * 16, atol=0.05)  # back on the 0-16 ink scale
    assert d["labels"] == c.tolist() and len(d["xt"][0]) == 64
    r = client.post(f"{API}/noise", json={"shape": "digits", "n": 33})
    assert r.status_code == 400 and r.json()["field"] == "n" and "32" in r.json()["error"]

    job = client.post(f"{API}/train", json={"shape": "digits", "steps": 3, "hidden": 16, "noise_steps": 10}).json()[
        "job"
    ]
    evs = sse(job)
    prev = [e for e in evs if e["type"] == "preview"][-1]
    assert prev["labels"] == list(range(10)) and len(prev["images"]) == 10 and len(prev["images"][0]) == 64
    assert min(min(i) for i in prev["images"]) >= 0 and max(max(i) for i in prev["images"]) <= 16
    s = client.post(
        f"{API}/sample", json={"job": job, "n": 6, "label": "7", "guidance": 1, "frames": 3, "seed": 2}
    ).json()
    assert s["classes"][7] == "7" and len(s["frames"]) == 3 and len(s["frames"][-1]["points"]) == 6
    run = client.app.state.jobs.get(_session(client, job), job).state["diffusion"]
    again = D.sample(run.model, run.schedule, 6, np.random.default_rng(2), label=7, guidance=1.0, frames=3)["x"]
    np.testing.assert_allclose(s["frames"][-1]["points"], D.to_pixels(again), atol=0.05)
    assert sum(s["class_share"]) == pytest.approx(1) and len(s["class_share"]) == 10
    r = client.post(f"{API}/sample", json={"job": job, "n": 100})
    assert r.status_code == 400 and r.json()["field"] == "n"
