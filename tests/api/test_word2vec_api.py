"""Embeddings' word2vec demo: a short real run streams a falling loss and neighbours beside GloVe's."""

import pytest


@pytest.mark.slow
def test_a_run_streams_loss_and_neighbours(client, sse):
    r = client.post("/api/embeddings/word2vec", json={"watch": ["string", "error"], "epochs": 1})
    assert r.status_code == 200, r.json()
    evs = sse(r.json()["job"])
    start = evs[0]
    assert start["type"] == "start" and start["vocab"] > 1000 and len(start["glove"]["string"]) == 6
    losses = [e["loss"] for e in evs if e["type"] == "step"]
    assert losses[-1] < losses[0]
    last = [e for e in evs if e["type"] == "neighbours"][-1]
    assert set(last["words"]) == {"string", "error"} and len(last["words"]["string"]) == 6
    assert any(e["type"] == "done" for e in evs)


@pytest.mark.parametrize(
    "body, words",
    [
        ({"watch": ["zyzzyva"]}, "too rare"),
        ({"watch": ["qwxzv"]}, ""),  # not even in GloVe
        ({"watch": ["   "]}, "Type a word"),
        ({"watch": ["x" * 50]}, "at most 40"),
        ({"watch": ["string"], "epochs": 50}, "at most 10"),
    ],
)
def test_bad_words_and_settings_get_a_sentence(client, body, words):
    r = client.post("/api/embeddings/word2vec", json=body)
    assert 400 <= r.status_code < 500 and words in r.json()["error"], r.json()
