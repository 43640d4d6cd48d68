"""LoRA on the tiny GPT: gradients against finite differences, B = 0 gives the base model
exactly, merged weights give the adapter path's logits, trainable counts against a hand
formula, and a short fine-tuning run that learns while leaving the base untouched."""

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.tokenizers.chars import CharTokenizer
from glasslm.engine.training.finetune import compare_finetuning
from glasslm.engine.training.lora import TARGETS, LoRAConfig, LoRAGPT, count_lora_params, lora_linear, merge

TOK = CharTokenizer("abcdefghijklmnopqrstuvwxyz")
EPS = 1e-6


def numeric_grad(f, arr, idx):
    old = arr[idx]
    arr[idx] = old + EPS
    up = f()
    arr[idx] = old - EPS
    down = f()
    arr[idx] = old
    return (up - down) / (2 * EPS)


def test_lora_linear_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    N, inp, out_total, r = 5, 6, 9, 2
    w = rng.normal(size=(out_total, inp))
    x = tt.Tensor(rng.normal(size=(N, inp)))
    # two adapters on column slices 0:3 and 5:9 (as q and v of a fused q|k|v matrix)
    a1, b1 = tt.Tensor(rng.normal(size=(r, inp))), tt.Tensor(rng.normal(size=(3, r)))
    a2, b2 = tt.Tensor(rng.normal(size=(r, inp))), tt.Tensor(rng.normal(size=(4, r)))
    upstream = rng.normal(size=(N, out_total))

    def loss():
        return float((lora_linear(x, w, [(0, a1, b1), (5, a2, b2)], 1.5).data * upstream).sum())

    y = lora_linear(x, w, [(0, a1, b1), (5, a2, b2)], 1.5)
    y._backward(upstream)
    for t in (x, a1, b1, a2, b2):
        for idx in [(0, 0), (1, 1), (t.data.shape[0] - 1, t.data.shape[1] - 1)]:
            assert t.grad[idx] == pytest.approx(numeric_grad(loss, t.data, idx), rel=1e-6, abs=1e-8)
    # the forward is W x plus scale * B A x on the right columns (by hand)
    want = x.data @ w.T
    want[:, 0:3] += 1.5 * x.data @ (b1.data @ a1.data).T
    want[:, 5:9] += 1.5 * x.data @ (b2.data @ a2.data).T
    np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)


def batch(T=7, B=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 27, size=(B, T))
    y = rng.integers(0, 27, size=(B, T))
    y[0, -2:] = -1  # some padding, not counted
    return x, y


def test_a_fresh_adapter_is_the_base_model_exactly():
    base = TinyGPT(GPTConfig(n_layer=2), seed=3, tokenizer=TOK)
    lora = LoRAGPT(base, LoRAConfig(rank=3, targets=TARGETS))
    x, y = batch()
    np.testing.assert_array_equal(lora.forward(x)[0].data, base.forward(x)[0].data)
    assert lora.loss(x, y) == base.loss(x, y)


def test_whole_model_adapter_gradients_match_finite_differences():
    base = TinyGPT(GPTConfig(n_layer=2), seed=3, tokenizer=TOK)
    lora = LoRAGPT(base, LoRAConfig(rank=2, alpha=4.0, targets=TARGETS), seed=1)
    rng = np.random.default_rng(2)
    lora.params.flat[:] = rng.normal(0, 0.3, lora.params.size)  # B nonzero, so A gets gradient too
    x, y = batch()
    lora.loss_and_grad(x, y)
    grad = lora.params.flat_grad.copy()
    before = base.params.flat.copy()
    for i in rng.choice(lora.params.size, 25, replace=False):
        num = numeric_grad(lambda: lora.loss(x, y), lora.params.flat, i)
        assert grad[i] == pytest.approx(num, rel=1e-5, abs=1e-9)
    np.testing.assert_array_equal(base.params.flat, before)  # frozen: never written


def test_merged_weights_give_the_adapter_paths_logits_and_samples():
    base = TinyGPT(GPTConfig(n_embd=32, n_layer=2), seed=5, tokenizer=TOK)
    lora = LoRAGPT(base, LoRAConfig(rank=4, targets=("attn_wq", "attn_wk", "attn_wo", "mlp_fc2")), seed=2)
    lora.params.flat[:] = np.random.default_rng(4).normal(0, 0.2, lora.params.size)
    merged = merge(lora)
    x, _ = batch(T=16, B=8)
    got, want = merged.forward(x)[0].data, lora.forward(x)[0].data
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert np.abs(got - base.forward(x)[0].data).max() > 0.01  # the adapter really changed the model
    assert sample(merged, n=20, seed=7) == sample(lora, n=20, seed=7)
    # merged is W + (alpha/r) B A, computed here by hand for one matrix
    a = lora.params["layer1.attn_wk.lora_A"].data
    b = lora.params["layer1.attn_wk.lora_B"].data
    np.testing.assert_allclose(
        merged.params["layer1.attn_wk"].data, base.params["layer1.attn_wk"].data + (8.0 / 4) * b @ a, atol=1e-15
    )
    assert merged.n_params == base.n_params


@pytest.mark.parametrize(
    "C,L,r,targets,expected",
    [
        # hand-derived: r * (in + out) per adapted matrix per layer
        (16, 1, 4, ("attn_wq", "attn_wv"), 4 * (16 + 16) * 2),  # 256
        (16, 1, 4, TARGETS, 4 * (4 * 32 + 2 * (16 + 64))),  # 1,152
        (32, 2, 8, ("mlp_fc1",), 2 * 8 * (32 + 128)),  # 2,560
        (64, 1, 1, ("attn_wo", "mlp_fc2"), (64 + 64) + (256 + 64)),  # 448
    ],
)
def test_trainable_counts_equal_the_hand_formula(C, L, r, targets, expected):
    base = TinyGPT(GPTConfig(n_embd=C, n_layer=L), tokenizer=TOK)
    lora = LoRAGPT(base, LoRAConfig(rank=r, targets=targets))
    assert lora.n_params == expected == count_lora_params(L, C, 4, r, targets)
    assert sum(int(np.prod(s)) for s in lora.params.shapes.values()) == expected


def test_bad_settings_say_what_is_allowed():
    base = TinyGPT(tokenizer=TOK)
    for cfg, words in [
        (LoRAConfig(rank=0), "rank"),
        (LoRAConfig(alpha=float("nan")), "alpha"),
        (LoRAConfig(targets=("attn_wz",)), "targets"),
        (LoRAConfig(targets=()), "at least one"),
    ]:
        with pytest.raises(ValueError, match=words):
            LoRAGPT(base, cfg)


def test_a_short_comparison_learns_last_names_and_keeps_the_base():
    base = TinyGPT(seed=0, tokenizer=TOK)
    before = base.params.flat.copy()
    runs = {}
    events = list(
        compare_finetuning(
            base,
            LoRAConfig(rank=4, targets=TARGETS),
            steps=60,
            batch_size=8,
            lr_full=0.01,
            lr_lora=0.02,
            eval_interval=30,
            n_samples=3,
            runs=runs,
        )
    )
    start, done = events[0], events[-1]
    assert start["lora_trainable"] == count_lora_params(1, 16, 4, 4, TARGETS) == runs["lora"].model.n_params
    assert start["full_trainable"] == base.n_params == 4192
    assert start["lora_share"] == pytest.approx(1152 / 4192)
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["step"] for e in evals] == [0, 30, 60]
    assert evals[0]["full"] == evals[0]["lora"] == start["base_heldout"]
    assert evals[-1]["full"] < evals[0]["full"] - 0.2 and evals[-1]["lora"] < evals[0]["lora"] - 0.2
    assert done["full"] == evals[-1]["full"] and len(done["samples"]["lora"]) == 3
    np.testing.assert_array_equal(base.params.flat, before)
    # the spectra of the two changes to W_q: Frobenius norms by another route, LoRA's rank at most r
    spec = done["spectrum"]
    assert spec["target"] == "attn_wq" and len(spec["full"]) == len(spec["lora"]) == 16
    full_delta = runs["full"].model.params["layer0.attn_wq"].data - base.params["layer0.attn_wq"].data
    assert np.sum(np.square(spec["full"])) == pytest.approx(np.sum(full_delta**2), rel=1e-10)
    assert np.sum(np.square(spec["lora"])) == pytest.approx(
        np.sum(runs["lora"].model.delta(0, "attn_wq") ** 2), rel=1e-10
    )
    assert all(v < 1e-10 * spec["lora"][0] for v in spec["lora"][4:]) and spec["lora"][3] > 1e-6
