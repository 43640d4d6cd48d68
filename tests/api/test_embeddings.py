"""Chapter 8's endpoints: numbers against the engine and the formulas, bad input as sentences."""

import math

import numpy as np
import pytest

from glasslm.chapters.embeddings.api import GROUPS, MAX_EXTRA_WORDS, MAX_NEIGHBOURS
from glasslm.engine.embeddings.glove import glove


def test_space_projects_groups_and_own_words(client):
    d = client.post("/api/embeddings/space", json={"words": ["pizza", "Guitar"]}).json()
    assert len(d["points"]) == 42 and d["groups"] == [*GROUPS, "yours"]
    assert [p["word"] for p in d["points"] if p["group"] == "yours"] == ["pizza", "guitar"]
    coords, explained = glove().project_3d([p["word"] for p in d["points"]], max_words=60)
    assert np.allclose([p["xyz"] for p in d["points"]], coords, atol=1e-3)
    assert d["explained"] == pytest.approx(explained.tolist(), abs=1e-4)


@pytest.mark.parametrize(
    "body,status,field,words",
    [
        ({"words": [f"w{i}" for i in range(MAX_EXTRA_WORDS + 1)]}, 400, "words", "At most 20"),
        ({"words": ["x"] * 61}, 422, "words", "too many items"),
        ({"words": ["elephent"]}, 404, "words", "Did you mean: elephant"),
        ({"words": ["cat", "dog"], "groups": []}, 400, "groups", "at least"),
        ({"groups": ["fruits"]}, 400, "groups", "Unknown group"),
        ({"words": ["a" * 41]}, 400, "words", "too long"),
    ],
)
def test_space_bad_input(client, body, status, field, words):
    r = client.post("/api/embeddings/space", json=body)
    assert r.status_code == status, r.json()
    assert r.json()["field"] == field and words in r.json()["error"]


@pytest.mark.parametrize(
    "a,b,c,answer",
    [("king", "man", "woman", "queen"), ("paris", "france", "italy", "rome"), ("tokyo", "japan", "france", "paris")],
)
def test_analogies(client, a, b, c, answer):
    d = client.post("/api/embeddings/analogy", json={"a": a, "b": b, "c": c}).json()
    assert d["answer"] == answer and d["answers"][0]["word"] == answer
    assert d["rank_with_inputs"] >= 1 and d["nearest_overall"]


def test_king_queen_rank_and_cosine(client):
    d = client.post("/api/embeddings/analogy", json={"a": "King", "b": "man", "c": "woman"}).json()
    assert d["rank_with_inputs"] == 2 and d["cosine"] == pytest.approx(0.852, abs=0.01)


@pytest.mark.parametrize(
    "body,status,field,words",
    [
        ({"a": "king", "b": "king", "c": "woman"}, 400, "c", "three different"),
        ({"a": "kingg", "b": "man", "c": "woman"}, 404, "a", "not one of GloVe"),
        ({"a": "", "b": "man", "c": "woman"}, 422, "a", "empty"),
        ({"a": "   ", "b": "man", "c": "woman"}, 400, "a", "Type a word"),
        ({"a": "x" * 41, "b": "man", "c": "woman"}, 422, "a", "too long"),
    ],
)
def test_analogy_bad_input(client, body, status, field, words):
    r = client.post("/api/embeddings/analogy", json=body)
    assert r.status_code == status and r.json()["field"] == field and words in r.json()["error"]


def test_similarity_matches_the_formula(client):
    d = client.post("/api/embeddings/similarity", json={"a": "cat", "b": "dog"}).json()
    u, v = glove().vector("cat").astype(np.float64), glove().vector("dog").astype(np.float64)
    cos = u @ v / np.linalg.norm(u) / np.linalg.norm(v)
    assert d["cosine"] == pytest.approx(cos, abs=1e-5)
    assert d["angle_degrees"] == pytest.approx(math.degrees(math.acos(cos)), abs=1e-3)
    assert "very similar" in d["reading"]
    far = client.post("/api/embeddings/similarity", json={"a": "cat", "b": "democracy"}).json()
    assert far["cosine"] < 0.25 and "unrelated" in far["reading"]


def test_neighbours_and_vector(client):
    d = client.post("/api/embeddings/neighbours", json={"word": "frog", "k": 5}).json()
    assert [n["word"] for n in d["neighbours"]] == [w for w, _ in glove().neighbours("frog", 5)]
    assert d["searched"] == 400_000
    for k in (0, MAX_NEIGHBOURS + 1):
        r = client.post("/api/embeddings/neighbours", json={"word": "frog", "k": k})
        assert r.status_code == 422 and r.json()["field"] == "k"
    v = client.post("/api/embeddings/vector", json={"words": ["the", "king"]}).json()
    assert v["rank"][0] == 1 and np.allclose(v["vectors"][1], glove().vector("king"), atol=1e-4)
    r = client.post("/api/embeddings/vector", json={"words": ["a", "b", "c", "d", "e"]})
    assert r.status_code == 422 and "too many" in r.json()["error"]


def test_sinusoidal_matches_the_paper(client):
    d = client.post("/api/embeddings/sinusoidal", json={"positions": 16, "channels": 8}).json()
    pe = np.array(d["pe"])
    assert pe.shape == (16, 8)
    assert pe[5, 2] == pytest.approx(math.sin(5 / 10000 ** (2 / 8)), abs=1e-4)
    assert pe[5, 3] == pytest.approx(math.cos(5 / 10000 ** (2 / 8)), abs=1e-4)
    for body, field in [
        ({"channels": 7}, "channels"),
        ({"positions": 100000}, "positions"),
        ({"channels": 1000}, "channels"),
    ]:
        r = client.post("/api/embeddings/sinusoidal", json=body)
        assert r.status_code == 422 and r.json()["field"] == field


def test_rope_uses_smollm2_theta_and_depends_on_distance_only(client):
    d = client.get("/api/embeddings/rope", params={"pair": 1}).json()
    assert d["theta"] == 100000.0 and d["head_dim"] == 64
    assert d["max_row_difference"] < 1e-3
    assert d["angles"][1] == pytest.approx(100000.0 ** (-2 / 64), abs=1e-5)
    r = client.get("/api/embeddings/rope", params={"pair": 32})
    assert r.status_code == 400 and r.json()["field"] == "pair"


@pytest.mark.slow
def test_contextual_embeddings_from_smollm2(client):
    body = {
        "word": "bank",
        "sentences": [
            "She sat on the bank of the river and watched the water.",
            "He fished from the muddy bank of the stream.",
            "She went to the bank to deposit her money.",
        ],
    }
    d = client.post("/api/embeddings/contextual", json=body).json()
    assert d["layers"] == 30 and all(s["tokens"] == [" bank"] for s in d["sentences"])
    for mode in ("raw", "centred"):
        for curve in d[mode]:
            assert len(curve["cosine"]) == 31 and all(-1.0001 <= c <= 1.0001 for c in curve["cosine"])
    # Layer 0 is the token embedding: the same token, the same vector.
    assert d["raw"][0]["cosine"][0] == pytest.approx(1.0, abs=1e-6)
    centred = {tuple(c["pair"]): c["cosine"][-1] for c in d["centred"]}
    # The two river banks stay closer than a river bank and a money bank.
    assert centred[(0, 1)] > centred[(0, 2)] and centred[(0, 1)] > centred[(1, 2)]


@pytest.mark.parametrize(
    "body,status,words",
    [
        ({"word": "bank", "sentences": ["I went to the bank.", "No such word here."]}, 400, "does not appear"),
        ({"word": "bank", "sentences": ["bank"]}, 422, "at least 2"),
        ({"word": "bank", "sentences": ["bank " * 100, "a bank"]}, 400, "too long"),
    ],
)
def test_contextual_bad_input(client, body, status, words):
    r = client.post("/api/embeddings/contextual", json=body)
    assert r.status_code == status and words in r.json()["error"]
