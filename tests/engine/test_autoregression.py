"""One step of generation: choices, the tiny GPT's logits against a numpy forward pass written
here, shared-prefill continuations against SmolLM2.generate, and the context cache against
a full forward pass."""

import time

import numpy as np
import pytest

from glasslm.engine.basics import sampling
from glasslm.engine.basics.sampling import GREEDY, SamplingConfig
from glasslm.engine.inference.autoregression import (
    choose,
    continuation_steps,
    continuations,
    step_rng,
    tiny_gpt_next_logits,
)
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.training.train import train_default_tiny_gpt


def test_choose_is_greedy_at_zero_and_repeatable():
    z = np.log(np.array([0.1, 0.6, 0.3]))
    c = choose(z, position=4, temperature=0)
    assert c.token == 1 and c.prob == 1.0 and not c.end
    a = [choose(z, position=p, seed=9).token for p in range(40)]
    assert a == [
        choose(z, position=p, seed=9).token for p in range(40)
    ]  # a step gives the same token alone or in a run
    assert len(set(a)) > 1
    assert choose(z, position=0, temperature=0, end_ids=[1]).end
    # the step's random numbers are the generator seeded by (seed, position)
    tok, probs = sampling.sample(z, step_rng(9, 5))
    assert choose(z, position=5, seed=9).token == tok
    assert choose(z, position=5, seed=9, top_k=2).probs[0] == 0


def numpy_forward(model: TinyGPT, ids) -> np.ndarray:
    """The tiny GPT written out again in plain numpy: logits (T, V) for one sequence."""
    w, cfg = model.state_dict(), model.config
    H, C = cfg.n_head, cfg.n_embd
    D = C // H
    T = len(ids)

    def norm(x):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-5)

    x = norm(w["wte"][ids] + w["wpe"][:T])  # (T, C)
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    for i in range(cfg.n_layer):
        h = norm(x)
        q, k, v = (h @ w[f"layer{i}.attn_w{n}"].T for n in "qkv")  # (T, C) each
        out = np.zeros_like(x)
        for hd in range(H):
            s = slice(hd * D, (hd + 1) * D)
            att = q[:, s] @ k[:, s].T / np.sqrt(D)  # (T, T)
            att[mask] = -np.inf
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            out[:, s] = att @ v[:, s]
        x = x + out @ w[f"layer{i}.attn_wo"].T
        x = x + np.maximum(norm(x) @ w[f"layer{i}.mlp_fc1"].T, 0) @ w[f"layer{i}.mlp_fc2"].T
    return x @ w["lm_head"].T  # (T, V)


def test_tiny_gpt_logits_match_a_numpy_forward_pass():
    model = TinyGPT(GPTConfig(n_layer=2, block_size=6), seed=3)
    ids = [26, 4, 12, 12, 0]
    np.testing.assert_allclose(tiny_gpt_next_logits(model, ids), numpy_forward(model, ids)[-1], atol=1e-10)
    long = [26, 4, 12, 12, 0, 1, 2, 3, 4]  # longer than the context: only the last 6 are seen
    np.testing.assert_allclose(tiny_gpt_next_logits(model, long), numpy_forward(model, long[-6:])[-1], atol=1e-10)
    with pytest.raises(ValueError, match="empty"):
        tiny_gpt_next_logits(model, [])
    with pytest.raises(ValueError, match="0..26"):
        tiny_gpt_next_logits(model, [27])


def test_the_default_tiny_gpt_ends_its_events_with_the_model():
    events = list(train_default_tiny_gpt(steps=30))
    assert events[0]["type"] == "start" and [e["type"] for e in events[-2:]] == ["done", "model"]
    assert [e["step"] for e in events if e["type"] == "step"] == list(range(1, 31))
    done = next(e for e in events if e["type"] == "done")
    model = events[-1]["model"]
    assert isinstance(model, TinyGPT) and np.isfinite(done["heldout_loss"])
    assert [e["step"] for e in events if e["type"] == "eval"] == [0, 30]  # thinned to the first and last step


def test_continuations_equal_generate(smollm2):
    ids = smollm2.encode("The capital of France is")
    runs = continuations(smollm2, ids, 4, [None, 1, 2], settings=SamplingConfig(temperature=1.0, top_p=0.95))
    want = [[e.token_id for e in smollm2.generate(ids, max_tokens=4, settings=GREEDY)]]
    want += [
        [
            e.token_id
            for e in smollm2.generate(ids, max_tokens=4, settings=SamplingConfig(temperature=1.0, top_p=0.95), seed=s)
        ]
        for s in (1, 2)
    ]
    assert runs == want
    assert smollm2.decode(runs[0]).startswith(" Paris")


def test_sampling_settings_travel_as_one_validated_dataclass(smollm2):
    ids = smollm2.encode("The capital of France is")
    with pytest.raises(TypeError, match="SamplingConfig"):
        smollm2.generate(ids, max_tokens=2, settings={"temperature": 0})
    with pytest.raises(ValueError, match="top_p"):
        SamplingConfig(temperature=1.0, top_p=0)
    # A top_k of 1 keeps only the likeliest token: sampled at any temperature, it is greedy decoding.
    top1 = SamplingConfig(temperature=2.0, top_k=1)
    assert [e.token_id for e in smollm2.generate(ids, max_tokens=4, settings=top1, seed=9)] == [
        e.token_id for e in smollm2.generate(ids, max_tokens=4, settings=GREEDY)
    ]


def test_continuations_run_at_once_and_share_passes(smollm2):
    """Three runs of 8 tokens: one after another they would need 3 x 7 decode passes; at once,
    their steps share passes (and closing the stream early stops the others)."""
    from glasslm.engine.models.llama.prefix_cache import PrefixCache
    from glasslm.engine.models.llama.smollm2 import SmolLM2

    m = SmolLM2(smollm2.model, smollm2.tokenizer, smollm2.metadata, smollm2.load_info, PrefixCache())
    ids = m.encode("Once upon a time")
    runs = continuations(m, ids, 8, [None, 1, 2], stop_ids=[], settings=SamplingConfig(temperature=1.0))
    assert [len(r) for r in runs] == [8, 8, 8]
    assert m.scheduler.passes < 3 * 7
    steps = continuation_steps(m, ids, 50, [None, 1, 2], stop_ids=[], settings=SamplingConfig(temperature=1.0))
    next(steps)
    before = m.scheduler.passes
    steps.close()
    deadline = time.monotonic() + 30
    while m.scheduler.stats()["admitted"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert m.scheduler.stats()["admitted"] == 0  # the other runs stopped and freed their slots ...
    assert m.scheduler.passes - before < 40  # ... long before their 50 tokens
