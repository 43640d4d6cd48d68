"""The Unigram tokenizer: our Viterbi equals sentencepiece's own segmentation, the forward
algorithm's total equals the sum over every listed segmentation, and byte fallback keeps every
character."""

import math

import pytest

pytest.importorskip("sentencepiece")

from glasslm.engine.data.files import data_file  # noqa: E402
from glasslm.engine.tokenizers.unigram import (  # noqa: E402
    SPACE,
    UnigramError,
    all_segmentations,
    log_partition,
    train_unigram,
    viterbi,
)

TEXT = data_file("handbook.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def model():
    return train_unigram(TEXT, 400)


@pytest.mark.parametrize(
    "sentence",
    ["The handbook says where the fire exits are.", "unbelievable tokenization", "Refunds take five working days", "x"],
)
def test_our_viterbi_equals_sentencepiece(model, sentence):
    ours, _ = viterbi(model, sentence)
    assert ours == model.encode(sentence)


def test_probabilities_of_every_segmentation_add_up(model):
    segs = all_segmentations(model, "training")
    assert segs[0][0] == viterbi(model, "training")[0]  # the most probable is the Viterbi one
    total = math.log(sum(math.exp(s) for _, s in segs))
    assert total == pytest.approx(log_partition(model, "training"), abs=1e-9)
    assert all("".join(p) == SPACE + "training" for p, _ in segs)


def test_byte_fallback_keeps_unseen_characters(model):
    pieces = model.encode("snow ☃")
    assert "<0xE2>" in pieces and "<0x98>" in pieces and "<0x83>" in pieces  # ☃ is E2 98 83 in UTF-8
    assert model.processor.decode(model.processor.encode("snow ☃")) == "snow ☃"


def test_bad_input_says_why():
    with pytest.raises(UnigramError, match="Give some text"):
        train_unigram("   ")
    with pytest.raises(UnigramError, match="vocabulary size"):
        train_unigram(TEXT, 10)
    # too little text for the asked size: sentencepiece stops early (hard_vocab_limit off) and says so by its size
    assert train_unigram("a b c\nd e f", 3000).vocab_size < 3000
