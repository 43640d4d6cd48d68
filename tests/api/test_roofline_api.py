"""Serving's roofline: this machine measured, SmolLM2's decode placed below the roof at half a FLOP
per byte, and its streamed weights consistent with the measured memory speed."""

import pytest


@pytest.mark.slow
def test_roofline_measures_and_places_smollm2(client, sse):
    job = client.post("/api/serving/roofline").json()["job"]
    evs = sse(job)
    assert [e["step"] for e in evs if e["type"] == "progress"] == [1, 2, 3]
    d = next(e for e in evs if e["type"] == "result")
    mach, dec, pre = d["machine"], d["decode"], d["prefill"]
    assert mach["ridge"] == pytest.approx(mach["peak_flops"] / mach["bandwidth"])
    assert dec["intensity"] == 0.5 and pre["intensity"] == pre["tokens"] / 2
    # nothing runs above the roof (a margin for timing noise), and decode is memory-bound here
    assert dec["flops"] <= 1.5 * dec["attainable"] and pre["flops"] <= 1.5 * pre["attainable"]
    assert dec["intensity"] < mach["ridge"]
    assert d["model"]["bytes_per_token"] == 4 * d["model"]["weights_per_token"] > 500e6  # ~135M float32 weights
    assert dec["bandwidth"] == pytest.approx(dec["tok_s"] * d["model"]["bytes_per_token"])
    assert [b["batch"] for b in d["batches"]] == [1, 4, 16, 64]
    assert d["gpu"]["ridge"] == pytest.approx(989e12 / 3.35e12)
