"""Chapter 3's endpoints: the presets really crawl, converge, oscillate and diverge on the
iris data; surfaces and paths come from the engine; bad input gets a sentence."""

import numpy as np
import pytest

from glasslm.chapters.learning_loop import api
from glasslm.engine.basics import linear, surfaces


def descent(client, **body):
    r = client.post("/api/learning-loop/descent", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def distances(d):
    return [abs(p["w"] - d["best_w"]) for p in d["path"] if p["loss"] is not None]


def test_presets_behave_as_named(client):
    # crawl: still far away after 30 steps; converge: there, monotonically;
    # oscillate: the sign of (w - w*) flips every step while shrinking; diverge: grows.
    crawl = descent(client, preset="crawl", steps=30)
    assert distances(crawl)[-1] > 0.3 * distances(crawl)[0]
    conv = descent(client, preset="converge", steps=30)
    assert distances(conv)[-1] < 1e-6
    assert all(p["w"] <= conv["best_w"] + 1e-12 for p in conv["path"])  # never overshoots from w0 = 0
    osc = descent(client, preset="oscillate", steps=30)
    signs = [np.sign(p["w"] - osc["best_w"]) for p in osc["path"][1:8]]
    assert all(a == -b for a, b in zip(signs, signs[1:]))
    assert distances(osc)[-1] < distances(osc)[0]
    div = descent(client, preset="diverge", steps=30)
    assert distances(div)[-1] > 5 * distances(div)[0]
    assert div["path"][-1]["loss"] > div["path"][0]["loss"]


def test_presets_come_from_the_data(client):
    d = descent(client)
    x = linear.iris_petals().X[:, 0]
    a = 2 * np.mean(x * x)  # curvature of the mean squared error in w
    assert d["curvature"] == pytest.approx(a)
    for name, factor in api.PRESET_FACTORS.items():
        assert d["presets"][name] * a == pytest.approx(factor)
    assert d["factor"] == pytest.approx(1 - d["lr"] * a)


def test_own_learning_rate_overrides_the_preset(client):
    d = descent(client, preset="crawl", lr=0.01, steps=5)
    assert d["lr"] == 0.01
    # One step by hand: w1 = w0 - lr * dL/dw at w0 = 0, dL/dw = -2 mean(x y).
    data = linear.iris_petals()
    x, y = data.X[:, 0], data.y
    assert d["path"][1]["w"] == pytest.approx(0.01 * 2 * np.mean(x * y))


def test_huge_learning_rate_stops_and_says_so(client):
    d = descent(client, lr=1.0, steps=200)
    assert d["diverged"]
    assert len(d["path"]) < 201


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"preset": "sprint"}', "preset", "must be one of"),
        ('{"lr": NaN}', "lr", "finite"),
        ('{"lr": 0}', "lr", "more than 0"),
        ('{"lr": 5}', "lr", "at most 1"),
        ('{"w0": Infinity}', "w0", "finite"),
        ('{"w0": 100}', "w0", "at most 5"),
        ('{"steps": 0}', "steps", "at least 1"),
        ('{"steps": 5000}', "steps", "at most 200"),
    ],
)
def test_descent_bad_input(client, body, field, words):
    r = client.post("/api/learning-loop/descent", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_surface_grid(client):
    d = client.get("/api/learning-loop/surface", params={"name": "rosenbrock"}).json()
    assert len(d["z"]) == api.GRID and d["minimum"] == [1.0, 1.0]
    s = surfaces.get("rosenbrock")
    assert d["z"][0][0] == pytest.approx(float(s.f(d["xs"][0], d["ys"][0])))


def test_unknown_surface(client):
    r = client.get("/api/learning-loop/surface", params={"name": "everest"})
    assert r.status_code == 422 and r.json()["field"] == "name" and "must be one of" in r.json()["error"]


def test_path_and_race_match_the_engine(client):
    d = client.post(
        "/api/learning-loop/path", json={"surface": "bowl", "optimizer": "adam", "steps": 50, "start": [3.0, -1.0]}
    ).json()
    want = surfaces.path("bowl", "adam", None, 50, (3.0, -1.0))
    np.testing.assert_allclose(d["points"], want["points"])
    r = client.post("/api/learning-loop/race", json={"surface": "two_valleys", "steps": 300}).json()
    assert set(r["paths"]) == {"sgd", "momentum", "adam"}
    assert r["paths"]["momentum"]["points"][-1][0] < 0 < r["paths"]["sgd"]["points"][-1][0]


@pytest.mark.parametrize(
    "path, body, field, words",
    [
        ("path", '{"optimizer": "rmsprop"}', "optimizer", "must be one of"),
        ("path", '{"surface": "moon"}', "surface", "must be one of"),
        ("path", '{"lr": NaN}', "lr", "finite"),
        ("path", '{"lr": 50}', "lr", "at most 10"),
        ("path", '{"steps": 100000}', "steps", "at most"),
        ("path", '{"start": [1]}', "start", "at least 2"),
        ("path", '{"start": [NaN, 0]}', "start", "finite numbers"),
        ("path", '{"start": [1e9, 0]}', "start", "between -10"),
        ("race", '{"start": [0, 0, 0]}', "start", "too many"),
        ("race", '{"steps": -1}', "steps", "at least 1"),
    ],
)
def test_path_bad_input(client, path, body, field, words):
    r = client.post(f"/api/learning-loop/{path}", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
    assert r.json()["field"] == field and words in r.json()["error"]


def test_diverging_path_is_reported(client):
    d = client.post("/api/learning-loop/path", json={"surface": "bowl", "optimizer": "sgd", "lr": 1.0}).json()
    assert d["diverged"]
