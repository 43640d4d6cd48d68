"""The tiny GPT's logit lens against an independent truth: the lens after l layers must equal
the output of the same model cut to its first l layers (run by its own forward pass)."""

from dataclasses import replace

import numpy as np
import pytest

from glasslm.engine.basics.sampling import softmax
from glasslm.engine.interpretability.tiny_lens import tiny_lens
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer


def cut(model: TinyGPT, n_layer: int) -> TinyGPT:
    """The same weights with only the first n_layer blocks (lm_head applied straight after them)."""
    short = TinyGPT(replace(model.config, n_layer=n_layer), tokenizer=model.tokenizer)
    for name in short.params:
        short.params[name].data[...] = model.params[name].data
    return short


@pytest.mark.parametrize("cfg", [dict(n_layer=3, n_embd=16, n_head=4), dict(n_layer=2, n_embd=24, n_head=2)])
def test_the_lens_after_each_layer_is_the_cut_models_output(cfg):
    model = TinyGPT(GPTConfig(**cfg), seed=4, tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz"))
    lens = tiny_lens(model, "marta", k=5)
    ids = np.array([[26, 12, 0, 17, 19, 0]])
    assert lens.tokens == ["<BOS>", "m", "a", "r", "t", "a"]
    for layer in range(1, model.config.n_layer + 1):
        probs = softmax(cut(model, layer).forward(ids)[0].data)  # (T, V)
        top = np.argsort(-probs, axis=-1, kind="stable")[:, :5]
        assert np.array_equal(lens.top_ids[layer], top)
        assert np.allclose(lens.top_probs[layer], np.take_along_axis(probs, top, axis=-1))
    assert np.allclose(lens.logits, model.forward(ids)[0].data)  # the last lens row is the model's output


def test_attention_rows_are_causal_distributions():
    model = TinyGPT(GPTConfig(n_layer=2), seed=1, tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz"))
    lens = tiny_lens(model, "anna")
    assert len(lens.attention) == 2 and lens.attention[0].shape == (4, 5, 5)
    for a in lens.attention:
        assert np.allclose(a.sum(-1), 1) and np.all(np.triu(a, 1) == 0)


def test_a_text_longer_than_the_context_is_cut_to_it():
    model = TinyGPT(GPTConfig(block_size=4, vocab_size=3), tokenizer=CharTokenizer("ab"))
    assert len(tiny_lens(model, "abababab").tokens) == 4
