"""Chunking: hand-checked chunk borders, overlap arithmetic, limits, and the document format."""

import pytest

from glasslm.engine.applications.chunking import (
    MAX_CHUNK_WORDS,
    MAX_CHUNKS,
    MAX_DOCUMENT_SET_CHARS,
    MAX_DOCUMENTS,
    Document,
    chunk_document,
    chunk_documents,
    default_documents,
    parse_documents,
)


def doc(n: int) -> Document:
    return Document("T", " ".join(f"w{i}" for i in range(n)))


def test_ten_words_size_four_overlap_one_by_hand():
    # starts every 4 - 1 = 3 words: w0-w3, w3-w6, w6-w9 (reaches the end, so no fourth chunk)
    chunks = chunk_document(doc(10), 0, size=4, overlap=1)
    assert [c.text for c in chunks] == ["w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"]
    assert [c.words for c in chunks] == [4, 4, 4]
    assert [c.index for c in chunks] == [0, 1, 2]


def test_last_chunk_may_be_shorter_and_spans_point_into_the_text():
    d = Document("T", "alpha  beta\ngamma delta epsilon")
    chunks = chunk_document(d, 3, size=2, overlap=0)
    assert [c.text for c in chunks] == ["alpha  beta", "gamma delta", "epsilon"]
    for c in chunks:
        assert d.text[c.start : c.end] == c.text and c.doc == 3 and c.title == "T"


@pytest.mark.parametrize("n,size,overlap", [(1, 5, 0), (37, 8, 3), (100, 10, 9), (50, 50, 0), (51, 50, 49)])
def test_every_word_is_covered_and_consecutive_chunks_share_overlap_words(n, size, overlap):
    chunks = chunk_document(doc(n), 0, size, overlap)
    words = [c.text.split() for c in chunks]
    assert sorted({w for ws in words for w in ws}, key=lambda w: int(w[1:])) == [f"w{i}" for i in range(n)]
    for a, b in zip(words, words[1:]):
        assert a[-overlap:] == b[:overlap] if overlap else a[-1] != b[0]
        assert len(a) == size
    # chunks start every size - overlap words until one reaches the end
    assert [int(ws[0][1:]) for ws in words] == list(range(0, n, size - overlap))[: len(chunks)]
    assert words[-1][-1] == f"w{n - 1}"


def test_chunks_never_cross_documents():
    chunks = chunk_documents([doc(5), Document("U", "x y z")], size=4, overlap=0)
    assert [(c.title, c.text) for c in chunks] == [("T", "w0 w1 w2 w3"), ("T", "w4"), ("U", "x y z")]


def test_parse_documents_reads_title_lines():
    docs = parse_documents("intro words\n# First\none two\n\n# Second\nthree\n# Empty\n")
    assert docs == [Document("Untitled", "intro words"), Document("First", "one two"), Document("Second", "three")]


def test_default_handbook_is_invented_and_chunks():
    docs = default_documents()
    assert 4 <= len(docs) <= MAX_DOCUMENTS and docs[0].title == "Welcome to Quillmere"
    assert "made up" in docs[0].text
    assert len(chunk_documents(docs)) > len(docs)


@pytest.mark.parametrize(
    "size,overlap,words",
    [(0, 0, "chunk size"), (MAX_CHUNK_WORDS + 1, 0, "chunk size"), (10, 10, "overlap"), (10, -1, "overlap")],
)
def test_bad_sizes_are_refused(size, overlap, words):
    with pytest.raises(ValueError, match=words):
        chunk_document(doc(20), 0, size, overlap)


def test_document_set_limits():
    with pytest.raises(ValueError, match="no documents"):
        chunk_documents([])
    with pytest.raises(ValueError, match="documents is more than"):
        chunk_documents([doc(2)] * (MAX_DOCUMENTS + 1))
    with pytest.raises(ValueError, match="characters"):
        chunk_documents([Document("T", "x" * (MAX_DOCUMENT_SET_CHARS + 1))])
    with pytest.raises(ValueError, match="chunks, more than"):
        chunk_documents([doc(MAX_CHUNKS + 1)], size=1, overlap=0)
