"""kv_cache_timing: the memory formula against real KVCache sizes and hand-derived
numbers; the cached and recomputed next-token logits agree (no wall-clock asserts)."""

import numpy as np
import pytest

from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.inference.kv_cache_timing import filler_ids, measure_length, memory_row, memory_rows, time_decoding
from glasslm.engine.models.llama.kv_cache import KVCache


@pytest.mark.parametrize("context", [1, 7, 512])
def test_formula_matches_a_real_cache(smollm2, context):
    cfg = smollm2.config
    row = memory_rows(cfg, bytes_per_value=4, context=context)[0]
    assert row["cache_bytes"] == smollm2.model.new_cache(context).nbytes
    assert row["cache_bytes"] == KVCache(cfg.n_layers, cfg.n_kv_heads, cfg.head_dim, context).nbytes


def test_smollm2_figures_by_hand(smollm2):
    row = memory_rows(smollm2.config, bytes_per_value=2)[0]
    # 2 x 30 layers x 3 kv heads x 64 dims x 8192 tokens x 2 bytes
    assert row["cache_bytes"] == 2 * 30 * 3 * 64 * 8192 * 2 == 188_743_680
    assert row["cache_bytes_without_gqa"] == 3 * row["cache_bytes"]
    assert row["gqa_saving"] == pytest.approx(2 / 3)
    assert row["per_token_bytes"] == 23_040


def test_published_rows_come_from_model_facts(smollm2):
    rows = memory_rows(smollm2.config, bytes_per_value=2)[1:]
    assert [r["name"] for r in rows] == [p.name for p in PUBLISHED]
    llama = next(r for r in rows if r["name"] == "Llama 2 70B")
    assert llama["cache_bytes"] == 2 * 80 * 8 * 128 * 4096 * 2 == 1_342_177_280  # 1.25 GiB per sequence
    assert llama["gqa_saving"] == pytest.approx(1 - 8 / 64)
    gpt3 = next(r for r in rows if r["name"] == "GPT-3")
    assert gpt3["gqa_saving"] == 0 and gpt3["cache_bytes"] == 2 * 96 * 96 * 128 * 2048 * 2
    assert all(r["source"] for r in rows)
    capped = memory_rows(smollm2.config, bytes_per_value=1, context=100_000)
    assert [r["context"] for r in capped] == [8192] + [min(100_000, p.context) for p in PUBLISHED]


def test_memory_row_scales_linearly():
    a = memory_row("x", 2, 4, 2, 8, 10, 4)
    b = memory_row("x", 2, 4, 2, 8, 20, 4)
    assert b["cache_bytes"] == 2 * a["cache_bytes"] == 2 * 2 * 2 * 2 * 8 * 10 * 4


def test_cached_and_recomputed_steps_agree(smollm2):
    ids = filler_ids(smollm2.encode, 17, "The cat sat on the mat.")
    assert len(ids) == 17
    p = measure_length(smollm2.model, ids, 12, repeats=1)
    assert p.length == 12 and p.max_logit_diff < 2e-3
    assert p.cache_bytes == 2 * 30 * 3 * 64 * 13 * 4
    assert p.with_cache > 0 and p.without_cache > 0 and p.prefill > 0
    # the decode step's logits are the model's logits at that position
    full = smollm2.logits(ids[:13])[-1]
    cache = smollm2.model.new_cache(13)
    smollm2.model.prefill(ids[:12], cache)
    step = smollm2.model.forward(ids[12:13], cache, last_only=True)[-1]
    np.testing.assert_allclose(step, full, atol=2e-3)


def test_time_decoding_streams_each_length_and_stops(smollm2):
    ids = filler_ids(smollm2.encode, 10, "Hello there.")
    points = list(time_decoding(smollm2.model, ids, [3, 6], repeats=1))
    assert [p["length"] for p in points] == [3, 6]
    assert all(p["speedup"] == pytest.approx(p["without_cache_s"] / p["with_cache_s"]) for p in points)
    assert list(time_decoding(smollm2.model, ids, [3, 6], should_stop=lambda: True)) == []
    with pytest.raises(ValueError):
        measure_length(smollm2.model, ids, 10)
