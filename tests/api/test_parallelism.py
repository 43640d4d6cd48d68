"""Scaling-laws' "When one machine is not enough": a real data-parallel step whose all-reduced
gradient equals one process's on the whole batch, the ZeRO memory arithmetic, and bad input."""

import pytest

API = "/api/scaling-laws"


def test_status_says_whether_torch_is_here(client):
    d = client.get(f"{API}/data-parallel").json()
    assert d["torch"] is True and d["install"] == 'pip install "glasslm[torch]"'


@pytest.mark.slow
def test_a_real_ddp_step_matches_one_process(client, sse):
    r = client.post(f"{API}/data-parallel", json={"processes": 2, "batch": 6, "letter": "e"})
    assert r.status_code == 200, r.json()
    evs = sse(r.json()["job"])
    result = next(e for e in evs if e["type"] == "result")
    p0, p1 = result["processes"]
    assert len(p0["names"]) == len(p1["names"]) == 3 and set(p0["names"]).isdisjoint(p1["names"])
    assert sorted(p0["names"] + p1["names"]) == sorted(result["single"]["names"])
    assert p0["local"] != p1["local"] and p0["reduced"] == pytest.approx(p1["reduced"], abs=1e-7)
    # the all-reduced mean is the whole batch's gradient, and the loss shares add up to its loss
    assert result["max_abs_diff"] < 1e-6
    mean = [(a + b) / 2 for a, b in zip(p0["local"], p1["local"])]
    assert mean == pytest.approx(result["single"]["local"], abs=1e-6)
    assert result["loss_sum_of_shares"] == pytest.approx(result["loss_single"], abs=1e-5)


def test_memory_per_gpu_is_the_zero_papers(client):
    d = client.post(f"{API}/parallel-memory", json={"params": 7.5e9, "gpus": 64}).json()
    got = {s["name"]: s["bytes_per_gpu"] / 1e9 for s in d["strategies"]}
    assert got["data parallel"] == pytest.approx(120) and got["ZeRO-3"] == pytest.approx(1.875)


@pytest.mark.parametrize(
    "path, body, field, words",
    [
        ("data-parallel", {"processes": 9}, "processes", "at most 4"),
        ("data-parallel", {"processes": 4, "batch": 3}, "batch", "at least one name"),
        ("data-parallel", {"letter": "É"}, "letter", "letter"),
        ("parallel-memory", {"params": 0, "gpus": 8}, "params", "more than 0"),
        ("parallel-memory", {"params": 1e9, "gpus": 0}, "gpus", "at least 1"),
        ("parallel-memory", {"params": 1e30, "gpus": 8}, "params", "at most"),
    ],
)
def test_bad_input_gets_a_sentence(client, path, body, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code in (400, 422), r.json()
    assert r.json()["field"] == field and words in r.json()["error"]
