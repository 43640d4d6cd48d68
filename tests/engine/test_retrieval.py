"""Retrieval: TF-IDF against scikit-learn, the GloVe mean by hand, cosines against numpy,
and the top-k ranking against a brute-force sort."""

from collections import Counter

import numpy as np
import pytest

from glasslm.engine.applications.chunking import Chunk, chunk_documents, default_documents
from glasslm.engine.applications.retrieval import MAX_K, MeanGlove, Tfidf, build_index, cosine, terms

TEXTS = [
    "The ferry leaves the north pier at dawn.",
    "The library opens at nine; the library closes at seven.",
    "Ferry tickets cost three vells.",
    "Dogs on a lead in the square.",
]
QUESTIONS = ["When does the ferry leave?", "library hours", "how much is a ticket for the ferry", "zebra"]


def chunks_of(texts):
    return [Chunk(0, "T", i, 0, len(t), len(t.split()), t) for i, t in enumerate(texts)]


def test_terms_are_lower_case_words_and_numbers():
    assert terms("The 6:40 Ferry, isn't it?") == ["the", "6", "40", "ferry", "isn", "t", "it"]
    assert terms("Café_Über 3½ 東京") == ["café", "über", "3½", "東京"]


def test_tfidf_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.feature_extraction.text")
    ref = sk.TfidfVectorizer(token_pattern=r"[^\W_]+", lowercase=True)  # smooth idf, l2 norm: the defaults
    want = ref.fit_transform(TEXTS).toarray()
    ours = Tfidf(TEXTS)
    assert ours.vocab == list(ref.get_feature_names_out())
    np.testing.assert_allclose(ours.idf, ref.idf_, rtol=1e-12)
    np.testing.assert_allclose(ours.matrix, want, atol=1e-6)
    for q in QUESTIONS:
        np.testing.assert_allclose(ours.embed(q), ref.transform([q]).toarray()[0], atol=1e-6)


def test_tfidf_idf_by_hand():
    # 4 chunks; "the" is in 3 of them: idf = ln(5/4) + 1; "dogs" in 1: ln(5/2) + 1
    t = Tfidf(TEXTS)
    assert t.idf[t.col["the"]] == pytest.approx(np.log(5 / 4) + 1)
    assert t.idf[t.col["dogs"]] == pytest.approx(np.log(5 / 2) + 1)
    assert t.explain("zebra ferry") == {
        "known": [{"word": "ferry", "weight": pytest.approx(np.log(5 / 3) + 1)}],
        "unknown": ["zebra"],
        "dimensions": len(t.vocab),
    }


def test_cosine_against_numpy_by_hand():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.normal(size=7), rng.normal(size=7)
        assert cosine(a, b) == pytest.approx(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)), rel=1e-12)
    assert cosine(np.zeros(3), np.ones(3)) == 0.0
    assert cosine(np.array([1.0, 0]), np.array([-2.0, 0])) == pytest.approx(-1.0)


@pytest.mark.parametrize("embedding", ["tfidf", "glove"])
def test_scores_are_cosines_and_ranking_matches_brute_force(embedding):
    chunks = chunk_documents(default_documents(), size=30, overlap=5)
    index = build_index(chunks, embedding)
    emb = index.embedder
    raw = [
        emb._counts(Counter(terms(c.text))) * emb.idf if embedding == "tfidf" else emb._mean(c.text) for c in chunks
    ]  # un-normalised vectors
    for q in ["When does the last ferry return?", "Who is the mayor?", "a doctor for my sick child", "qwzx"]:
        qv = emb.embed(q) if embedding == "tfidf" else emb._mean(q)
        brute = [cosine(r, qv) for r in raw]  # one cosine at a time, from the raw vectors
        np.testing.assert_allclose(index.scores(q), brute, atol=1e-5)
        order = sorted(range(len(chunks)), key=lambda i: (-brute[i], i))
        for k in (1, 3, MAX_K):
            hits = index.search(q, k)
            assert [h.chunk for h in hits] == order[:k]
            assert [h.rank for h in hits] == list(range(1, k + 1))
            np.testing.assert_allclose([h.score for h in hits], [brute[i] for i in order[:k]], atol=1e-5)


def test_glove_mean_by_hand():
    from glasslm.engine.embeddings.glove import glove

    g = glove()
    emb = MeanGlove(["the lake ferry"])
    want = (g.vector("the") + g.vector("lake") + g.vector("ferry")) / 3
    np.testing.assert_allclose(emb._mean("The lake, ferry! Quillmere"), want, atol=1e-6)  # quillmere: not in GloVe
    np.testing.assert_allclose(emb.matrix[0], want / np.linalg.norm(want), atol=1e-6)
    assert emb.explain("lake quillmere")["unknown"] == ["quillmere"]
    assert not emb.embed("quillmere").any()  # no known word: the zero vector, every cosine 0


def test_invented_name_found_by_tfidf():
    chunks = chunk_documents(default_documents(), size=40, overlap=10)
    hit = build_index(chunks, "tfidf").search("Odile Brackenridge", 1)[0]
    assert "Odile Brackenridge" in chunks[hit.chunk].text and hit.score > 0


def test_k_limits_and_unknown_embedding():
    index = build_index(chunks_of(TEXTS), "tfidf")
    with pytest.raises(ValueError, match="k must be"):
        index.search("ferry", 0)
    with pytest.raises(ValueError, match="k must be"):
        index.search("ferry", MAX_K + 1)
    assert len(index.search("ferry", MAX_K)) == len(TEXTS)  # fewer chunks than k: all of them
    with pytest.raises(ValueError, match="embedding must be"):
        build_index(chunks_of(TEXTS), "bm25")
