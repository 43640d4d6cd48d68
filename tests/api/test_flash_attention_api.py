"""The attention chapter's FlashAttention demo: a real SmolLM2 head on the learner's text, tiled
attention equal to ordinary attention, the largest array shrinking to one tile, bad input refused."""

import pytest

API = "/api/attention/flash"
TEXT = "The cat sat on the mat because it was warm, and the dog lay by the door because it was cool. " * 4


def test_tiled_equals_ordinary_and_holds_one_tile(client):
    d = client.post(API, json={"text": TEXT, "tile": 16, "layer": 3, "head": 2}).json()
    T = len(d["tokens"])
    n = -(-T // 16)
    assert d["max_abs_difference"] < 1e-4
    assert d["largest_bytes"] == {"ordinary": T * T * 4, "flash": 16 * d["head_dim"] * 4}  # a tile's running output
    assert d["tiles"] == {"computed": n * (n + 1) // 2, "skipped": n * (n - 1) // 2}
    assert len(d["history"]) == n and d["watch"] == T - 1  # the last query sees every key tile
    maxes = [s["max"] for s in d["history"]]
    assert maxes == sorted(maxes)


def test_length_and_watch(client):
    d = client.post(API, json={"text": TEXT, "tile": 32, "length": 40, "watch": 5}).json()
    assert len(d["tokens"]) == 40 and d["watch"] == 5 and len(d["history"]) == 1


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"text": "   "}, "text", "Type some text"),
        ({"text": TEXT, "tile": 50}, "tile", "must be one of"),
        ({"text": TEXT, "layer": 99}, "layer", "from 0 to 29"),
        ({"text": TEXT, "length": 1}, "length", "at least 2"),
        ({"text": "Hi there", "watch": 30}, "watch", "must be a token"),
        ({"text": "x" * 5000}, "text", "at most"),
    ],
)
def test_bad_input_gets_a_sentence(client, body, field, words):
    r = client.post(API, json=body)
    assert r.status_code in (400, 422) and r.json()["field"] == field and words in r.json()["error"], r.json()
