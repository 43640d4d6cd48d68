"""The roofline's arithmetic by hand, and the measurements checked against each other: the machine's
measured peak bounds any product it runs, and a decode step cannot beat the memory it must stream."""

import time

import numpy as np
import pytest

from glasslm.engine.inference.roofline import H100, Machine, intensity, measure_bandwidth, measure_peak_flops


def test_intensity_and_the_roof_by_hand():
    assert intensity(1) == 0.5 and intensity(16) == 8 and intensity(128) == 64
    assert intensity(1, bytes_per_weight=2) == 1.0  # 16-bit weights: twice the intensity
    m = Machine(peak_flops=100e9, bandwidth=10e9)
    assert m.ridge == 10
    assert m.attainable(0.5) == 5e9 and m.attainable(10) == 100e9 and m.attainable(1000) == 100e9
    gpu = Machine(H100["peak_flops"], H100["bandwidth"])
    assert 290 < gpu.ridge < 300  # decode at batch 1 (0.5-1 FLOP/byte) is far below it


def test_a_measured_peak_bounds_a_smaller_product():
    peak = measure_peak_flops(n=256, seconds=0.05)
    a = np.ones((256, 256), dtype=np.float32)
    t0 = time.perf_counter()
    for _ in range(5):
        a @ a
    achieved = 5 * 2 * 256**3 / (time.perf_counter() - t0)
    assert 1e8 < peak and achieved < 3 * peak  # same machine, same library: the same order of speed


def test_bandwidth_is_a_plausible_memory_speed():
    bw = measure_bandwidth(mb=32, seconds=0.05)
    assert 1e8 < bw < 1e13


def test_a_pass_serves_at_least_one_token():
    with pytest.raises(ValueError, match="at least one token"):
        intensity(0)
