"""Chapter 2's endpoints: numbers against the engine, bad input as sentences."""

import numpy as np
import pytest

from glasslm.engine.basics import linear


def test_one_weight_matches_the_engine(client):
    r = client.post("/api/weights/one-weight", json={"w": 0.25})
    assert r.status_code == 200
    d = r.json()
    data = linear.iris_petals()
    assert d["mse"] == pytest.approx(float(np.mean((data.X[:, 0] * 0.25 - data.y) ** 2)))
    assert len(d["points"]) == 150
    # the best single weight through the origin: sum(xy) / sum(x^2)
    x = data.X[:, 0]
    assert d["best_w"] == pytest.approx(float(x @ data.y / (x @ x)))


@pytest.mark.parametrize(
    "body,field,words",
    [
        ('{"w": NaN}', "w", "finite"),
        ('{"w": Infinity}', "w", "finite"),
        ('{"w": 1e9}', "w", "at most"),
        ('{"w": "heavy"}', "w", "number"),
        ("{}", "w", "missing"),
    ],
)
def test_one_weight_bad_input(client, body, field, words):
    r = client.post("/api/weights/one-weight", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_few_inputs_terms_add_up(client):
    d = client.post("/api/weights/few-inputs", json={"weights": [0.1, -0.2, 0.4], "bias": 0.05, "flower": 100}).json()
    assert d["prediction"] == pytest.approx(sum(d["terms"]) + 0.05)
    assert d["x"] == pytest.approx(linear.iris_three_inputs().X[100].tolist())
    assert d["best"]["mse"] < d["mse"]


@pytest.mark.parametrize(
    "body,words",
    [
        ('{"weights": [1, 2], "bias": 0}', "at least 3"),
        ('{"weights": [1, 2, 3, 4], "bias": 0}', "too many"),
        ('{"weights": [1, 2, Infinity], "bias": 0}', "finite"),
        ('{"weights": [1, 2, 3], "bias": 0, "flower": 150}', "at most 149"),
        ('{"weights": [1, 2, 3], "bias": NaN}', "finite"),
    ],
)
def test_few_inputs_bad_input(client, body, words):
    r = client.post("/api/weights/few-inputs", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
    assert words in r.json()["error"]


def test_parameter_counts_are_counted_or_labelled(client):
    d = client.get("/api/weights/parameter-counts").json()
    for m in d["here"]:
        assert m["params"] is not None or m["note"].startswith("coming with chapter")
    for m in d["published"]:
        assert m["source"] and m["params"] > 1e9
