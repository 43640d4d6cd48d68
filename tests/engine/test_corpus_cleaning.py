"""The miniature pretraining pipeline against a corpus whose fate is known by hand.

Each document below was written to meet exactly one fate (kept, exact copy,
near copy, failed quality rules), so the expected statuses, "removed by"
counts, word and token totals are worked out by reading the corpus, not by
running the code. Tokens are counted with a whitespace "tokenizer", so every
count is the number of words a reader can count.
"""

import pytest

from glasslm.engine.pretraining.corpus_cleaning import (
    MAX_DOC_CHARS,
    MAX_DOCS,
    CorpusError,
    clean_corpus,
    split_documents,
)

PROSE = (
    "The river runs past the old mill and the children walk to school along its bank "
    "every morning with their dogs and their bright red bags"
)  # 26 words
OTHER = (
    "A baker in the village wakes before dawn to light the oven and shape the bread "
    "that the whole street will eat with their breakfast"
)  # 25 words
NEAR = PROSE.replace("bags", "coats")  # the last word changed: Jaccard of three-word shingles 23/25
SPAM = "buy now buy now"  # 4 words: too short, no real sentence


class Words:
    """A whitespace tokenizer: one token per word, countable by eye."""

    def encode(self, text: str) -> list[str]:
        return text.split()


def test_split_documents_on_separator_lines():
    text = "first doc\r\n---\n\n  ---  \nsecond doc\nstill second\n---\n"
    assert split_documents(text) == ["first doc", "second doc\nstill second"]  # the blank document is dropped
    assert split_documents("a --- b") == ["a --- b"]  # a separator must be alone on its line


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("\n---\n   \n---\n", "empty"),
        ("\n---\n".join(["doc"] * (MAX_DOCS + 1)), f"{MAX_DOCS + 1} documents"),
        ("x" * (MAX_DOC_CHARS + 1), f"{MAX_DOC_CHARS + 1:,} characters"),
    ],
)
def test_split_documents_refuses_what_it_cannot_compare(text, words):
    with pytest.raises(CorpusError, match=words):
        split_documents(text)


def test_every_document_meets_its_hand_worked_fate():
    docs = [PROSE, PROSE, NEAR, SPAM, OTHER, SPAM]
    out = clean_corpus(docs, tokenizers={"words": Words()})
    fate = [(d["status"], d["duplicate_of"]) for d in out["docs"]]
    assert fate == [("kept", None), ("exact", 0), ("near", 0), ("quality", None), ("kept", None), ("exact", 3)]
    # the first rejecting step counts it, but every verdict is still shown: the copy of SPAM failed rules too
    assert out["removed_by"] == {"exact": 2, "near": 1, "quality": 1}
    assert out["docs"][5]["failed"] == out["docs"][3]["failed"]
    assert "too_short" in out["docs"][3]["failed"] and "4 words" in out["docs"][3]["reasons"][0]
    assert out["docs"][0]["failed"] == [] and out["docs"][4]["failed"] == []
    # only documents removed for quality count towards the rules
    assert out["rule_counts"] == {rule: 1 for rule in out["docs"][3]["failed"]}
    assert out["kept"] == 2
    assert out["words"] == {"before": 26 + 26 + 26 + 4 + 25 + 4, "after": 26 + 25}
    assert out["tokens"] == {"words": {"before": 111, "after": 51}}
    assert [d["tokens"]["words"] for d in out["docs"]] == [26, 26, 26, 4, 25, 4]
    # the near pair is reported with its similarity estimate; the exact copy is the same text
    near = [p for p in out["pairs"] if {p["i"], p["j"]} == {0, 2}]
    assert near and near[0]["exact"] == pytest.approx(23 / 25) and near[0]["estimated"] >= 0.5


def test_quality_rules_alone_when_nothing_repeats():
    docs = [PROSE, OTHER, "# # # # menu ... home ... about ... contact # # #"]
    out = clean_corpus(docs)
    assert [d["status"] for d in out["docs"]] == ["kept", "kept", "quality"]
    assert out["tokens"] == {}  # no tokenizers given, none counted
    assert out["removed_by"] == {"exact": 0, "near": 0, "quality": 1}
    assert "symbols" in out["docs"][2]["failed"]
