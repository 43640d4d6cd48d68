"""Tokens' Unigram demo: trained on the learner's text, cut by our Viterbi (agreeing with sentencepiece),
every cut of a word with probabilities summing to 1, bad input refused."""

import pytest

pytest.importorskip("sentencepiece")

CORPUS = (
    "The tokenizer reads the text as bytes. It counts every pair of neighbouring tokens, finds the pair "
    "that occurs most often, and gives that pair a new token of its own. Then it counts again.\n"
) * 6


def test_both_cuts_and_every_way_to_cut_a_word(client):
    d = client.post(
        "/api/tokens/unigram", json={"corpus": CORPUS, "vocab_size": 300, "sentence": "the tokens ☃", "word": "tokens"}
    ).json()
    assert d["unigram"]["library_agrees"] and d["unigram"]["byte_pieces"] == 3  # ☃ is three UTF-8 bytes
    assert (
        "".join(p for p in d["unigram"]["pieces"] if not p.startswith("<0x")).replace("▁", " ").strip() == "the tokens"
    )
    assert d["bpe"]["pieces"]
    probs = [s["probability"] for s in d["segmentations"]]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1.0, abs=1e-9)
    assert all("".join(s["pieces"]) == "▁tokens" for s in d["segmentations"])


@pytest.mark.parametrize(
    "body, field",
    [
        ({"corpus": "   ", "sentence": "a", "word": "a"}, "corpus"),
        ({"corpus": CORPUS, "sentence": "a", "word": "two words"}, "word"),
        ({"corpus": CORPUS, "sentence": "a", "word": "w" * 30}, "word"),
        ({"corpus": CORPUS, "sentence": "a\x00b", "word": "a"}, "sentence"),
    ],
)
def test_bad_input_gets_a_sentence(client, body, field):
    r = client.post("/api/tokens/unigram", json=body)
    assert 400 <= r.status_code < 500 and r.json()["field"] == field, r.json()
