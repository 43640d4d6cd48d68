"""The scalar-engine GPT computes exactly what the vectorized one computes."""

import numpy as np
import pytest

from glasslm.engine.autograd.optim import Adam
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.models.tiny.scalar_gpt import ScalarGPT, train_steps
from glasslm.engine.tokenizers.chars import CharTokenizer

TOK = CharTokenizer("abcdefghijklmnopqrstuvwxyz")


@pytest.mark.parametrize("cfg", [GPTConfig(), GPTConfig(n_layer=2, n_embd=8, n_head=2, block_size=6)])
def test_same_loss_and_gradients(cfg):
    m = TinyGPT(cfg, seed=11)
    s = ScalarGPT(m)
    for name in ["emma", "alexandria"]:  # the second is longer than the small context
        ids = TOK.encode_doc(name)[: cfg.block_size + 1]
        loss_s = s.loss_and_grad(ids)
        loss_v = m.loss_and_grad(np.array([ids[:-1]]), np.array([ids[1:]]))
        assert loss_s == pytest.approx(loss_v, rel=1e-12)
        np.testing.assert_allclose(s.flat_grad(), m.params.flat_grad, rtol=1e-9, atol=1e-14)


def test_training_steps_match_the_vectorized_engine():
    m = TinyGPT(seed=12)
    s = ScalarGPT(m)
    docs = [TOK.encode_doc(n) for n in ["ava", "noah", "mia"]]
    lrs = [0.01, 0.0066, 0.0033]
    opt_s = Adam([s.flat()], 0.01, 0.85, 0.99)
    scalar_losses = list(train_steps(s, docs, opt_s, lrs))
    opt_v = Adam([m.params.flat], 0.01, 0.85, 0.99)
    for ids, lr, ls in zip(docs, lrs, scalar_losses):
        lv = m.loss_and_grad(np.array([ids[:-1]]), np.array([ids[1:]]))
        opt_v.step([m.params.flat_grad], lr)
        assert ls == pytest.approx(lv, rel=1e-10)
    np.testing.assert_allclose(s.flat(), m.params.flat, rtol=1e-9, atol=1e-12)
