"""The KV cache: decoding with it gives the logits of recomputing everything,
and its size is the formula 2 x layers x kv_heads x head_dim x context x bytes."""

import numpy as np
import pytest

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.models.llama.kv_cache import KVCache, kv_cache_bytes


def test_cached_decode_equals_full_recompute(smollm2):
    prompt = smollm2.encode("Once upon a time, a small robot")
    rest = smollm2.encode(" found a red umbrella in the rain and")
    cache = smollm2.model.new_cache(len(prompt) + len(rest))
    steps = [smollm2.model.forward(prompt, cache)[-1]]  # prefill
    for tok in rest:
        steps.append(smollm2.model.forward([tok], cache)[-1])  # one token at a time
    full = smollm2.model.forward(prompt + rest)  # (T, V): no cache at all
    np.testing.assert_allclose(np.stack(steps), full[len(prompt) - 1 :], atol=2e-4, rtol=0)
    assert cache.length == len(prompt) + len(rest)


def test_last_position_only_equals_the_full_passs_last_row(smollm2):
    """last_only takes other paths (one query in the last block, the one-row RMSNorm,
    scores from the cache's transposed keys or from fresh keys): the same numbers."""
    ids = smollm2.encode("A quiet lake at dawn reflects the mountains")
    full = smollm2.model.forward(ids)  # (T, V)
    no_cache = smollm2.model.forward(ids, last_only=True)  # (1, V)
    cache = smollm2.model.new_cache(len(ids))
    with_cache = smollm2.model.prefill(ids[:-1], cache, last_only=True)
    step = smollm2.model.forward(ids[-1:], cache, last_only=True)  # a decode step
    np.testing.assert_allclose(no_cache[0], full[-1], atol=2e-4, rtol=0)
    np.testing.assert_allclose(with_cache[0], full[-2], atol=2e-4, rtol=0)
    np.testing.assert_allclose(step[0], full[-1], atol=2e-4, rtol=0)
    np.testing.assert_allclose(smollm2.model.forward(ids[:1])[0], full[0], atol=2e-4, rtol=0)  # one token, no cache
    keys = cache.keys(3, len(ids))  # (Hkv, S, D) read back from the transposed store
    assert keys.shape == (smollm2.config.n_kv_heads, len(ids), smollm2.config.head_dim)
    np.testing.assert_array_equal(keys.transpose(0, 2, 1), cache.keys_t(3, len(ids)))


def test_truncate_and_redecode_gives_the_same_logits(smollm2):
    ids = smollm2.encode("The river bank was muddy")
    cache = smollm2.model.new_cache(len(ids) + 1)
    first = smollm2.model.forward(ids, cache)[-1]
    cache.truncate(len(ids) - 1)
    again = smollm2.model.forward(ids[-1:], cache)[-1]
    np.testing.assert_allclose(again, first, atol=2e-4, rtol=0)


def test_size_matches_the_formula(smollm2):
    cfg = smollm2.config
    cache = smollm2.model.new_cache(512)
    assert cache.nbytes == kv_cache_bytes(cfg.n_layers, cfg.n_kv_heads, cfg.head_dim, 512, 4)
    assert cache.nbytes == 2 * 30 * 3 * 64 * 512 * 4  # SmolLM2: 11.25 MiB for 512 tokens
    assert cache.used_bytes == 0
    smollm2.model.forward([1, 2, 3], cache)
    assert cache.used_bytes == kv_cache_bytes(30, 3, 64, 3)


def test_full_cache_refuses_more_tokens():
    cache = KVCache(2, 1, 4, capacity=3)
    cache.advance(3)
    with pytest.raises(ValueError, match="no room"):
        cache.check_room(1)
    with pytest.raises(ValueError):
        cache.truncate(4)
    with pytest.raises(ValueError):
        KVCache(2, 1, 4, capacity=0)


def test_concurrent_requests_share_the_model_safely(smollm2):
    """Each call has its own cache: threads decoding at once get the serial answers."""
    from concurrent.futures import ThreadPoolExecutor

    prompts = [
        smollm2.encode(t) for t in ("The capital of France is", "Once upon a time", "def add(a, b):", "Water boils at")
    ]

    def run(ids):
        return [
            e.token_id
            for e in smollm2.generate(ids, max_tokens=4, settings=SamplingConfig(temperature=0.8), seed=len(ids))
        ]

    serial = [run(p) for p in prompts]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(run, prompts))
    assert parallel == serial
