"""The tiny GPT: sizes, causality, padding, sampling, and the same numbers as torch."""

import numpy as np
import pytest

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.tokenizers.chars import CharTokenizer

TOK = CharTokenizer("abcdefghijklmnopqrstuvwxyz")


def doc(name):
    ids = np.array([TOK.encode_doc(name)])
    return ids[:, :-1], ids[:, 1:]


def test_default_config_is_microgpt_with_4192_parameters():
    m = TinyGPT()
    c = m.config
    assert (c.vocab_size, c.block_size, c.n_layer, c.n_embd, c.n_head, c.mlp_ratio) == (27, 16, 1, 16, 4, 4)
    counts = m.param_counts()
    # by hand: wte 27x16, wpe 16x16, lm_head 27x16, q/k/v/o 16x16 each, fc1 64x16, fc2 16x64
    assert counts == {
        "wte": 432,
        "wpe": 256,
        "lm_head": 432,
        "layer0.attn_wq": 256,
        "layer0.attn_wk": 256,
        "layer0.attn_wv": 256,
        "layer0.attn_wo": 256,
        "layer0.mlp_fc1": 1024,
        "layer0.mlp_fc2": 1024,
    }
    assert m.n_params == sum(counts.values()) == 4192


def test_initial_loss_is_near_uniform():
    # small random weights -> nearly uniform predictions -> loss ~ log(27)
    x, y = doc("emma")
    assert TinyGPT(seed=1).loss(x, y) == pytest.approx(np.log(27), abs=0.15)


@pytest.mark.parametrize(
    "bad, msg",
    [
        (dict(n_embd=15, n_head=4), "divisible"),
        (dict(n_layer=0), "n_layer"),
        (dict(n_layer=1000), "n_layer"),
        (dict(block_size=10**6), "block_size"),
        (dict(n_embd=2.5), "n_embd"),
        (dict(init_std=float("nan")), "init_std"),
    ],
)
def test_bad_sizes_are_refused_with_a_reason(bad, msg):
    with pytest.raises(ValueError, match=msg):
        TinyGPT(GPTConfig(**bad))


def test_model_gradient_matches_finite_differences():
    m = TinyGPT(GPTConfig(n_layer=2), seed=2)
    x, y = doc("sebastian")
    m.loss_and_grad(x, y)
    g = m.params.flat_grad.copy()
    rng = np.random.default_rng(0)
    for i in rng.choice(m.n_params, 60, replace=False):
        old = m.params.flat[i]
        m.params.flat[i] = old + 1e-6
        up = m.loss(x, y)
        m.params.flat[i] = old - 1e-6
        down = m.loss(x, y)
        m.params.flat[i] = old
        assert g[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)


def test_causal_later_tokens_do_not_change_earlier_logits():
    m = TinyGPT(seed=3)
    a = np.array([TOK.encode("abcdef")])
    b = a.copy()
    b[0, 4:] = [20, 21]
    la = m.forward(a)[0].data.reshape(6, -1)
    lb = m.forward(b)[0].data.reshape(6, -1)
    np.testing.assert_allclose(la[:4], lb[:4], rtol=0, atol=1e-14)
    assert not np.allclose(la[4:], lb[4:])


def test_padded_batch_equals_documents_one_by_one():
    m = TinyGPT(seed=4)
    names = ["al", "christopher", "eve"]
    losses, counts = [], []
    for n in names:
        x, y = doc(n)
        losses.append(m.loss(x, y))
        counts.append(x.shape[1])
    T = max(counts)
    X = np.full((3, T), TOK.bos)
    Y = np.full((3, T), -1)
    for i, n in enumerate(names):
        ids = TOK.encode_doc(n)
        X[i, : len(ids) - 1] = ids[:-1]
        Y[i, : len(ids) - 1] = ids[1:]
    expect = np.dot(losses, counts) / sum(counts)  # mean over every predicted character
    assert m.loss(X, Y) == pytest.approx(expect, rel=1e-12)


def test_trace_has_attention_maps_and_activations():
    m = TinyGPT(seed=5, tokenizer=TOK)
    tr = m.trace("emma")
    assert tr["tokens"] == ["<BOS>", "e", "m", "m", "a"]
    att = tr["attention"][0]
    assert att.shape == (1, 4, 5, 5)
    np.testing.assert_allclose(att.sum(-1), 1.0)
    assert np.all(np.triu(att[0, 0], 1) == 0)
    assert tr["residual"][0].shape == (1, 5, 16) and tr["mlp_hidden"][0].shape == (1, 5, 64)
    assert tr["logits"].shape == (1, 5, 27)


def test_sample_is_reproducible_and_well_formed():
    m = TinyGPT(seed=6, tokenizer=TOK)
    a = sample(m, n=20, seed=1)
    assert a == sample(m, TOK, n=20, seed=1)
    assert len(a) == 20 and all(set(s) <= set(TOK.chars) and len(s) <= 16 for s in a)
    assert sample(m, n=20, seed=2) != a


def test_greedy_sampling_follows_the_argmax_by_hand():
    m = TinyGPT(seed=7, tokenizer=TOK)
    ids = [TOK.bos]
    out = []
    for _ in range(16):
        nxt = int(m.forward(np.array([ids]))[0].data[-1].argmax())
        if nxt == TOK.bos:
            break
        out.append(nxt)
        ids.append(nxt)
    assert sample(m, n=3, temperature=0) == [TOK.decode(out)] * 3


def test_sample_rejects_bad_arguments():
    m = TinyGPT(tokenizer=TOK)
    with pytest.raises(ValueError, match="temperature"):
        sample(m, n=2, temperature=float("inf"))
    with pytest.raises(ValueError, match="n must be"):
        sample(m, n=0)


def test_same_loss_and_gradients_as_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    cfg = GPTConfig(n_layer=2, n_head=2)
    m = TinyGPT(cfg, seed=8)
    names = ["olivia", "li", "maximilian"]
    T = 15
    X = np.full((3, T), TOK.bos)
    Y = np.full((3, T), -1)
    for i, n in enumerate(names):
        ids = TOK.encode_doc(n)[: T + 1]
        X[i, : len(ids) - 1] = ids[:-1]
        Y[i, : len(ids) - 1] = ids[1:]
    loss = m.loss_and_grad(X, Y)

    w = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in m.state_dict().items()}
    C, H = cfg.n_embd, cfg.n_head
    D = C // H
    idx = torch.tensor(X)

    def norm(x):
        return F.rms_norm(x, (C,), eps=1e-5)

    x = norm(w["wte"][idx] + w["wpe"][:T])
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    for i in range(cfg.n_layer):
        h = norm(x)
        q, k, v = (F.linear(h, w[f"layer{i}.attn_w{n}"]).view(3, T, H, D).transpose(1, 2) for n in "qkv")
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=causal)  # (B, H, T, D)
        x = x + F.linear(a.transpose(1, 2).reshape(3, T, C), w[f"layer{i}.attn_wo"])
        x = x + F.linear(F.relu(F.linear(norm(x), w[f"layer{i}.mlp_fc1"])), w[f"layer{i}.mlp_fc2"])
    ref = F.cross_entropy(F.linear(x, w["lm_head"]).view(-1, cfg.vocab_size), torch.tensor(Y).view(-1), ignore_index=-1)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for name, t in w.items():
        np.testing.assert_allclose(m.params[name].grad, t.grad.numpy(), rtol=1e-9, atol=1e-13, err_msg=name)
