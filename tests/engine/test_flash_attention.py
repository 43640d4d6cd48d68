"""Tiled attention with the online softmax equals ordinary attention, and torch's own kernel
(an independent truth), for causal and full masks, tiles that do not divide the length, and
queries that are the last rows of a longer key sequence (decode with a cache)."""

import math

import numpy as np
import pytest

from glasslm.engine.inference.flash_attention import flash_attention, ordinary_attention

torch = pytest.importorskip("torch")


def qkv(T, S, D, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(T, D)).astype(np.float32) * 2,
        rng.normal(size=(S, D)).astype(np.float32) * 2,
        rng.normal(size=(S, D)).astype(np.float32),
    )


@pytest.mark.parametrize(
    "T, S, tile, causal",
    [
        (100, 100, 16, True),
        (100, 100, 7, True),
        (64, 64, 64, False),
        (1, 50, 16, True),
        (30, 80, 8, True),
        (257, 257, 128, True),
    ],
)
def test_equals_ordinary_attention_and_torch(T, S, tile, causal):
    q, k, v = qkv(T, S, 64)
    flash = flash_attention(q, k, v, tile, causal)
    ref, _, flops = ordinary_attention(q, k, v, causal)
    np.testing.assert_allclose(flash.out, ref, rtol=1e-4, atol=2e-5)
    mask = None
    if causal:  # query i sees keys up to S - T + i
        mask = torch.from_numpy(np.arange(S)[None, :] <= (S - T + np.arange(T))[:, None])
    t = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q)[None], torch.from_numpy(k)[None], torch.from_numpy(v)[None], attn_mask=mask
    )
    np.testing.assert_allclose(flash.out, t[0].numpy(), rtol=1e-4, atol=2e-5)
    if not causal:
        assert flash.flops == flops and flash.tiles_skipped == 0  # the same arithmetic, only in pieces


def test_running_max_and_normaliser_end_at_the_rows_true_values():
    q, k, v = qkv(96, 96, 32, seed=3)
    r = flash_attention(q, k, v, tile=16, watch=90)
    s = (q[90] @ k[:91].T) / math.sqrt(32)  # the row's visible scores
    assert r.history[-1]["max"] == pytest.approx(s.max(), rel=1e-6)
    assert r.history[-1]["normaliser"] == pytest.approx(np.exp(s - s.max()).sum(), rel=1e-5)
    assert [h["keys"][0] for h in r.history] == [0, 16, 32, 48, 64, 80]  # six key tiles up to the diagonal
    maxes = [h["max"] for h in r.history]
    assert maxes == sorted(maxes)  # a running maximum never falls


def test_never_holds_the_score_matrix_and_skips_tiles_above_the_diagonal():
    q, k, v = qkv(512, 512, 64)
    r = flash_attention(q, k, v, tile=64)
    _, ordinary_bytes, _ = ordinary_attention(q, k, v)
    assert ordinary_bytes == 512 * 512 * 4 and r.largest_bytes == 64 * 64 * 4
    assert r.tiles_computed == 8 * 9 // 2 and r.tiles_skipped == 8 * 7 // 2


@pytest.mark.parametrize(
    "kwargs, words", [({"tile": 0}, "tile size"), ({"tile": 2.5}, "tile size"), ({"watch": 99}, "watched query")]
)
def test_bad_settings_say_what_is_allowed(kwargs, words):
    q, k, v = qkv(10, 10, 4)
    with pytest.raises(ValueError, match=words):
        flash_attention(q, k, v, **kwargs)
