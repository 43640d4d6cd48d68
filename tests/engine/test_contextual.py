"""Contextual comparison: word location by bytes, and cosines checked by hand on a stub model."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from glasslm.engine.embeddings.contextual import compare_in_context, layer_cosines, word_last_token
from glasslm.engine.tokenizers.bpe import BytePairEncoding
from glasslm.engine.tokenizers.bpe_regex import Tokenizer, train_tokenizer


def test_word_last_token_finds_the_words_pieces():
    tok = Tokenizer(BytePairEncoding({}))  # bytes only: one token per byte
    at, pieces = word_last_token(tok, "a río bank", "río")
    assert pieces == [b"r", b"\xc3", b"\xad", b"o"] and at == 5  # "í" is two bytes
    trained, _ = train_tokenizer("the bank and the bank and the banks " * 20, 300)
    at, pieces = word_last_token(trained, "He sat on the Bank.", "bank")
    assert b"".join(pieces).strip().lower() == b"bank"
    assert trained.decode(trained.encode("He sat on the Bank.")[: at + 1]).endswith("Bank")
    with pytest.raises(ValueError, match="does not appear"):
        word_last_token(trained, "embankment", "bank")  # not a whole word


def test_layer_cosines_by_hand():
    a = np.array([[1.0, 0.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [1.0, -1.0]])
    assert layer_cosines(a, b) == pytest.approx([1.0, 0.0])


class StubModel:
    """Residual stream of 2 layers + embedding, C = 2, chosen so the cosines are easy by hand."""

    def __init__(self):
        self.tokenizer = Tokenizer(BytePairEncoding({}))  # one token per byte

    def encode(self, text):
        return self.tokenizer.encode(text)

    def trace(self, ids, attention=False, residual=True):
        T = len(ids)
        layers = []
        for layer in range(3):
            r = np.zeros((T, 2))
            r[0] = [100.0, 100.0]  # a first token with a huge norm, as in Llama models
            for t in range(1, T):
                if ids[t] != 120:
                    r[t] = [0.0, 1.0]  # every other token
                    continue
                # "x" (byte 120) turns by 45 degrees per layer when followed by "!" (byte 33).
                turn = math.radians(45 * layer) if t + 1 < T and ids[t + 1] == 33 else 0.0
                r[t] = [math.cos(turn), math.sin(turn)]
            layers.append(r)
        return SimpleNamespace(residuals=layers)


def test_compare_in_context_on_a_stub():
    result = compare_in_context(StubModel(), "x", ["ab x.", "ab x!"])
    assert result.positions == [3, 3] and result.pairs == [(0, 1)]
    # Raw: the word's state is (1, 0) in one sentence and turned by 0, 45, 90 degrees in the other.
    assert result.raw[0] == pytest.approx([1.0, math.cos(math.radians(45)), 0.0], abs=1e-9)
    # Centred: the mean of all tokens but the first is subtracted; checked with numpy directly.
    for layer in range(3):
        states = [StubModel().trace(StubModel().encode(s)).residuals[layer] for s in ["ab x.", "ab x!"]]
        centre = np.concatenate([s[1:] for s in states]).mean(axis=0)
        u, v = states[0][3] - centre, states[1][3] - centre
        assert result.centred[0][layer] == pytest.approx(u @ v / np.linalg.norm(u) / np.linalg.norm(v), abs=1e-9)
    assert result.centred[0][0] == pytest.approx(1.0)  # layer 0: the same state in both sentences
    with pytest.raises(ValueError, match="at least two"):
        compare_in_context(StubModel(), "x", ["x"])
