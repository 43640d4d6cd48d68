"""Chapter 22's endpoints: chunks against the engine and the text, scores recomputed by numpy
(TF-IDF by hand, GloVe means), the answer job's prompt and tokens against SmolLM2, bad input."""

import re
from collections import Counter

import numpy as np
import pytest

from glasslm.chapters.rag.api import MAX_DOCUMENTS_CHARS, MAX_QUESTION_CHARS, MAX_QUESTION_TOKENS
from glasslm.engine.applications.chunking import MAX_CHUNK_WORDS, MAX_CHUNKS, MAX_DOCUMENTS
from glasslm.engine.applications.rag import MAX_NEW_TOKENS, MAX_PROMPT_TOKENS
from glasslm.engine.applications.retrieval import MAX_K

API = "/api/rag"
DOCS = "# Boats\nThe ferry leaves at dawn and the last ferry returns at nine.\n# Books\nThe library lends seven books."


@pytest.fixture(scope="module")
def handbook():
    from glasslm.engine.applications.chunking import HANDBOOK

    return HANDBOOK.read_text(encoding="utf-8")


def test_defaults(client, handbook):
    d = client.get(f"{API}/defaults").json()
    assert d["documents"] == handbook and d["questions"] and d["limits"]["k"] == MAX_K


def test_chunks_cover_the_text_with_the_overlap_asked(client):
    d = client.post(f"{API}/chunks", json={"documents": DOCS, "size": 5, "overlap": 2}).json()
    assert [c["title"] for c in d["chunks"]] == ["Boats"] * 4 + ["Books"]
    words = "The ferry leaves at dawn and the last ferry returns at nine.".split()
    assert [c["text"] for c in d["chunks"][:4]] == [" ".join(words[i : i + 5]) for i in (0, 3, 6, 9)]
    assert d["chunks"][4]["text"] == "The library lends seven books."
    assert d["step"] == 3 and d["mean_words"] == pytest.approx((5 + 5 + 5 + 3 + 5) / 5)
    assert [x["title"] for x in d["documents"]] == ["Boats", "Books"]


def tfidf_by_hand(texts, question):
    """Sparck Jones idf with scikit-learn's smoothing, written again: cosine of each text with the question."""
    tok = [re.findall(r"[^\W_]+", t.lower()) for t in texts]
    vocab = sorted({w for t in tok for w in t})
    df = {w: sum(w in t for t in tok) for w in vocab}
    idf = {w: np.log((1 + len(texts)) / (1 + df[w])) + 1 for w in vocab}

    def vec(words):
        c = Counter(w for w in words if w in idf)
        return np.array([c[w] * idf[w] for w in vocab])

    q = vec(re.findall(r"[^\W_]+", question.lower()))
    out = []
    for t in tok:
        v = vec(t)
        n = np.linalg.norm(v) * np.linalg.norm(q)
        out.append(0.0 if n == 0 else float(v @ q / n))
    return out


def test_search_scores_match_a_hand_computation(client, handbook):
    q = "When does the last ferry return?"
    body = {"documents": handbook, "size": 40, "overlap": 10, "question": q, "k": 4, "embeddings": ["tfidf", "glove"]}
    d = client.post(f"{API}/search", json=body).json()
    chunks = client.post(f"{API}/chunks", json={"documents": handbook, "size": 40, "overlap": 10}).json()["chunks"]
    want = tfidf_by_hand([c["text"] for c in chunks], q)
    order = sorted(range(len(want)), key=lambda i: (-want[i], i))[:4]
    hits = d["results"]["tfidf"]["hits"]
    assert [h["n"] for h in hits] == order and [h["rank"] for h in hits] == [1, 2, 3, 4]
    np.testing.assert_allclose([h["score"] for h in hits], [want[i] for i in order], atol=1e-5)
    assert "21:15" in hits[0]["text"] or "21:15" in hits[1]["text"]
    # GloVe: mean of the known words' vectors, cosine by hand
    from glasslm.engine.embeddings.glove import glove

    g = glove()

    def mean(text):
        return np.mean([g.vector(w) for w in re.findall(r"[^\W_]+", text.lower()) if w in g], axis=0)

    qv = mean(q)
    for h in d["results"]["glove"]["hits"]:
        v = mean(h["text"])
        assert h["score"] == pytest.approx(float(v @ qv / np.linalg.norm(v) / np.linalg.norm(qv)), abs=1e-5)
    assert d["results"]["glove"]["dimensions"] == 50
    assert d["results"]["tfidf"]["query"]["unknown"] == ["return"]  # "returns" is in the text


def test_search_reuses_its_index(client):
    body = {"documents": DOCS, "question": "ferry", "embeddings": ["tfidf"]}
    assert not client.post(f"{API}/search", json={**body, "size": 7, "overlap": 2}).json()["results"]["tfidf"][
        "index_cached"
    ]
    assert client.post(f"{API}/search", json={**body, "size": 7, "overlap": 2, "question": "books"}).json()["results"][
        "tfidf"
    ]["index_cached"]


@pytest.mark.slow
def test_answer_job_streams_smollm2s_greedy_answers(client, sse):
    from glasslm.engine.applications import rag
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    m = load_smollm2()
    q = "When does the last ferry return?"
    r = client.post(
        f"{API}/answer", json={"documents": DOCS, "size": 30, "overlap": 0, "question": q, "k": 1, "max_new_tokens": 3}
    )
    assert r.status_code == 200, r.text
    events = sse(r.json()["job"])
    prompts = events[0]
    assert prompts["type"] == "prompts" and prompts["hits"][0]["title"] == "Boats"
    chunk = m.decode(m.encode(prompts["hits"][0]["text"]))
    want = m.chat_ids(rag.rag_messages(q, [type("C", (), {"title": "Boats", "text": chunk})()]))
    assert prompts["with"]["ids"] == want and [t["id"] for t in prompts["with"]["tokens"]] == want
    assert prompts["without"]["ids"] == m.chat_ids([{"role": "user", "content": q}])
    for mode in ("with", "without"):
        got = [e["token"]["id"] for e in events if e["type"] == "token" and e["mode"] == mode]
        ids = prompts[mode]["ids"]
        assert 1 <= len(got) <= 3
        logits = m.logits(ids + got)[len(ids) - 1 : -1]  # teacher-forced: each token must be the argmax
        assert got == [int(i) for i in logits.argmax(axis=-1)]
    done = events[-2]
    assert done["type"] == "done" and done["with"]["ids"] == [
        e["token"]["id"] for e in events if e["type"] == "token" and e["mode"] == "with"
    ]
    assert events[-1] == {"type": "end", "status": "done", "error": None}


SEARCH = {"documents": DOCS, "question": "ferry"}


@pytest.mark.parametrize(
    "path,body,status,field,words",
    [
        ("chunks", {"documents": ""}, 422, "documents", "empty"),
        ("chunks", {"documents": "x" * (MAX_DOCUMENTS_CHARS + 1)}, 422, "documents", "too long"),
        ("chunks", {"documents": "# T\n" + "x" * 20_001}, 413, "documents", "characters"),
        (
            "chunks",
            {"documents": "".join(f"# D{i}\nw\n" for i in range(MAX_DOCUMENTS + 1))},
            413,
            "documents",
            "documents is more than",
        ),
        ("chunks", {"documents": "# Only a title\n   "}, 400, "documents", "no documents"),
        (
            "chunks",
            {"documents": " ".join(["w"] * (MAX_CHUNKS + 1)), "size": 1, "overlap": 0},
            413,
            "size",
            "more than the limit",
        ),
        ("chunks", {"documents": DOCS, "size": 0}, 422, "size", "at least 1"),
        ("chunks", {"documents": DOCS, "size": MAX_CHUNK_WORDS + 1}, 422, "size", f"at most {MAX_CHUNK_WORDS}"),
        ("chunks", {"documents": DOCS, "size": 10, "overlap": 10}, 400, "overlap", "smaller than the chunk size"),
        ("chunks", {"documents": DOCS, "size": "NaN"}, 422, "size", "whole number"),
        ("search", {**SEARCH, "question": "   "}, 400, "question", "Type a question"),
        ("search", {**SEARCH, "question": "q" * (MAX_QUESTION_CHARS + 1)}, 422, "question", "too long"),
        ("search", {**SEARCH, "k": 0}, 422, "k", "at least 1"),
        ("search", {**SEARCH, "k": MAX_K + 1}, 422, "k", f"at most {MAX_K}"),
        ("search", {**SEARCH, "embeddings": ["bm25"]}, 422, "embeddings", "must be one of"),
        ("search", {**SEARCH, "embeddings": []}, 422, "embeddings", "at least 1"),
        ("answer", {**SEARCH, "question": ""}, 422, "question", "empty"),
        ("answer", {**SEARCH, "question": "   "}, 400, "question", "Type"),
        ("search", {**SEARCH, "question": "\u200b\u200b ¿?"}, 400, "question", "no words or numbers"),
        ("answer", {**SEARCH, "question": "\u200b\u200b"}, 400, "question", "no words or numbers"),
        ("answer", {**SEARCH, "question": "9" * (MAX_QUESTION_TOKENS + 1)}, 413, "question", "tokens long"),
        (
            "answer",
            {**SEARCH, "max_new_tokens": MAX_NEW_TOKENS + 1},
            422,
            "max_new_tokens",
            f"at most {MAX_NEW_TOKENS}",
        ),
        ("answer", {**SEARCH, "embedding": "sparse"}, 422, "embedding", "must be one of"),
    ],
)
def test_bad_input_is_answered_with_a_sentence(client, path, body, status, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and words in r.json()["error"]


def test_a_prompt_past_its_token_limit_is_refused(client):
    big = "# Long\n" + " ".join(["ferry lantern regatta"] * 600)
    r = client.post(
        f"{API}/answer", json={"documents": big, "size": MAX_CHUNK_WORDS, "overlap": 0, "question": "ferry", "k": MAX_K}
    )
    assert (
        r.status_code == 413 and r.json()["field"] == "k" and f"limit here is {MAX_PROMPT_TOKENS}" in r.json()["error"]
    )
