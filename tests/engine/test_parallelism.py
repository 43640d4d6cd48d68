"""Memory per GPU against the figures published in the ZeRO paper (Rajbhandari et al. 2020, Figure 1):
a 7.5B-parameter model on 64 GPUs with K = 12 needs 120 GB per GPU with data parallelism,
31.4 GB with P_os, 16.6 GB with P_os+g and 1.88 GB with P_os+g+p."""

import pytest

from glasslm.engine.training.parallelism import memory_per_gpu


def test_zero_paper_figure_1():
    got = {s.name: s.bytes_per_gpu / 1e9 for s in memory_per_gpu(7.5e9, 64)}
    assert got["data parallel"] == pytest.approx(120, abs=0.05)
    assert got["ZeRO-1"] == pytest.approx(31.4, abs=0.05)
    assert got["ZeRO-2"] == pytest.approx(16.6, abs=0.05)
    assert got["ZeRO-3"] == pytest.approx(1.88, abs=0.005)


def test_one_gpu_is_data_parallel_for_every_strategy():
    sizes = {s.bytes_per_gpu for s in memory_per_gpu(1e6, 1)}
    assert sizes == {16e6}


@pytest.mark.parametrize("params, gpus", [(0, 8), (float("nan"), 8), (1e20, 8), (1e9, 0), (1e9, 2.5)])
def test_bad_sizes_say_what_is_allowed(params, gpus):
    with pytest.raises(ValueError, match="must be"):
        memory_per_gpu(params, gpus)
