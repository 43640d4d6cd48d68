"""SFT: masked batches derived by hand, response loss recomputed row by row with numpy,
sampling after BOS identical to gpt.sample, and a short fine-tune that makes each kind of
held-out name likeliest under its own prompt."""

import numpy as np
import pytest

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.post_training import sft


@pytest.fixture(scope="module")
def tok():
    return sft.tokenizer()


def small_model(seed=0):
    return TinyGPT(GPTConfig(vocab_size=28, block_size=20, n_embd=8, n_head=2), seed=seed, tokenizer=sft.tokenizer())


def test_masked_batch_hides_the_prompt_by_hand(tok):
    # characters sorted: '>'=0 (it sorts before letters), a=1, b=2, f=6, l=12, BOS=27: [BOS f > a b BOS]
    assert (tok.bos, tok.encode("f>ab")) == (27, [6, 0, 1, 2])
    x, y = sft.masked_batch(tok, [sft.Example("f>", "ab"), sft.Example("l>", "a")], 20)
    assert x.tolist() == [[27, 6, 0, 1, 2], [27, 12, 0, 1, 27]]
    assert y.tolist() == [[-1, -1, 1, 2, 27], [-1, -1, 1, 27, -1]]
    _, y_all = sft.masked_batch(tok, [sft.Example("f>", "ab")], 20, mask_prompt=False)
    assert y_all.tolist() == [[6, 0, 1, 2, 27]]


def test_a_name_too_long_for_the_context_is_refused(tok):
    with pytest.raises(ValueError, match="context"):
        sft.masked_batch(tok, [sft.Example("f>", "a" * 30)], 20)


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_response_loss_is_the_mean_over_response_characters(tok):
    model = small_model()
    exs = [sft.Example("f>", "emma"), sft.Example("l>", "smith"), sft.Example("m>", "al")]
    total, count = 0.0, 0
    for ex in exs:  # one example at a time, no padding: an independent recomputation
        ids = [tok.bos, *tok.encode(ex.prompt + ex.response), tok.bos]
        logits, _ = model.forward(np.array([ids[:-1]]))
        lp = log_softmax(logits.data)
        for t in range(len(ex.prompt), len(ids) - 1):  # targets from the first response letter on
            total -= lp[t, ids[t + 1]]
            count += 1
    assert count == 4 + 1 + 5 + 1 + 2 + 1
    assert sft.response_loss(model, exs) == pytest.approx(total / count, rel=1e-12)
    one = sft.token_losses(model, exs[0])
    assert [r["counted"] for r in one["targets"]] == [False, False, True, True, True, True, True]
    assert one["masked_loss"] == pytest.approx(sft.response_loss(model, exs[:1]), rel=1e-12)
    assert one["targets"][2]["target"] == "e" and one["targets"][-1]["target"] == "<BOS>"


def test_sampling_after_bos_is_gpt_sample(tok):
    model = small_model(3)
    got = [tok.decode(r) for r in sft.sample_after(model, [tok.bos], 12, 1.0, seed=5)]
    want = sample(model, n=12, temperature=1.0, seed=5, max_len=19)
    assert got == want


def test_sampling_limits(tok):
    model = small_model()
    with pytest.raises(ValueError, match="n must"):
        sft.sample_after(model, [tok.bos], 0)
    with pytest.raises(ValueError, match="temperature"):
        sft.sample_after(model, [tok.bos], 2, temperature=float("nan"))
    with pytest.raises(ValueError, match="prompt"):
        sft.sample_after(model, [tok.bos] * 20, 2)


def test_the_split_keeps_held_out_names_apart():
    split = sft.name_split()
    for k in sft.INSTRUCTIONS:
        assert not set(split.train[k]) & set(split.heldout[k])
    assert not set(split.train["f>"]) & set(split.train["m>"])  # names on both lists are left out
    train, held = split.base_docs()
    assert not set(train) & set(held) and "emma" in train + held


@pytest.mark.slow
def test_sft_teaches_the_prompts():
    base = None
    for event in sft.pretrain_base(steps=300):
        base = event.get("model", base)
    model = sft.clone(base)
    assert np.array_equal(model.params.flat, base.params.flat) and model.params.flat is not base.params.flat
    events = list(sft.sft(model, sft.SFTConfig(steps=150, per_instruction=300)))
    evals = [e["heldout_loss"] for e in events if e["type"] == "eval"]
    assert evals[-1] < evals[0] - 0.1
    m = sft.instruction_matrix(model, per_kind=150)
    for kind in ("f>", "l>"):  # each kind of held-out name is likeliest under its own prompt
        others = [m[p][kind] for p in sft.INSTRUCTIONS if p != kind]
        assert m[kind][kind] < min(others)
    assert not np.array_equal(model.params.flat, base.params.flat)
