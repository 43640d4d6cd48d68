"""Chapter 13's endpoints: a small sweep streamed to the end, its fit recomputed
from its own numbers, a stopped sweep keeping its finished runs, the 20-tokens
rule, and bad input answered with a sentence naming the field."""

import math

import pytest

from glasslm.engine.data.model_facts import published
from glasslm.engine.pretraining.scaling import fit_power_law, frontier

API = "/api/scaling-laws"


def test_presets_show_their_plans(client):
    d = client.get(f"{API}/presets").json()
    quick = d["presets"]["quick"]
    assert len(quick["runs"]) == len(quick["widths"]) * len(quick["token_budgets"])
    for r in quick["runs"]:
        assert r["flops"] == pytest.approx(6 * r["n_params"] * r["tokens"])


@pytest.mark.slow
def test_a_sweep_streams_runs_and_its_fit_is_its_own(client, sse):
    r = client.post(f"{API}/sweep", json={"preset": "quick", "widths": [4, 8]})
    assert r.status_code == 200
    d = r.json()
    assert len(d["runs"]) == 6
    evs = sse(d["job"])
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "plan" and kinds[-2:] == ["done", "end"] and kinds.count("run") == 6, (kinds, evs[-1])
    runs = evs[-2]["runs"]
    assert all(0 < r["heldout_loss"] < math.log(27) for r in runs)
    # within one width, more tokens give a lower held-out loss
    for w in (4, 8):
        losses = [r["heldout_loss"] for r in runs if r["width"] == w]
        assert losses == sorted(losses, reverse=True)
    pts = [(r["flops"], r["heldout_loss"]) for r in runs]
    fit = client.post(f"{API}/fit", json={"job": d["job"], "points": "all"}).json()
    law = fit_power_law([c for c, _ in pts], [l for _, l in pts])
    assert fit["law"]["b"] == pytest.approx(law.b) and fit["law"]["a"] == pytest.approx(law.a)
    assert fit["used"] == list(range(6))
    fr = client.post(f"{API}/fit", json={"job": d["job"], "points": "frontier"}).json()
    assert fr["used"] == frontier(pts)
    assert fr["curve"][0][0] == pytest.approx(min(c for c, _ in pts))
    three = client.post(f"{API}/fit", json={"job": d["job"], "points": "all", "irreducible": True}).json()
    assert 0 <= three["law"]["e"] < min(l for _, l in pts)
    assert three["law"]["rmse_log"] <= fit["law"]["rmse_log"] + 1e-12  # one more parameter fits at least as well


def test_stop_keeps_the_finished_runs(client, sse):
    job = client.post(f"{API}/sweep", json={"preset": "standard"}).json()["job"]
    sse(job, until=lambda e: e["type"] == "run")  # the first run has finished
    client.post(f"/api/jobs/{job}/stop")
    evs = sse(job)
    assert evs[-1] == {"type": "end", "status": "stopped", "error": None}
    stopped = evs[-2]
    assert stopped["type"] == "stopped" and 1 <= len(stopped["runs"]) < 16
    r = client.post(f"{API}/fit", json={"job": job, "irreducible": True})
    if len(stopped["frontier"]) < 3:
        assert r.status_code == 409 and "at least 3" in r.json()["error"]


def test_optimal_rule_and_gpt3(client):
    d = client.post(f"{API}/optimal", json={"flops": 6 * 20 * 1e18}).json()
    assert d["params"] == pytest.approx(1e9) and d["tokens"] == pytest.approx(2e10)
    assert d["check_flops"] == pytest.approx(6 * 20 * 1e18)
    gpt3 = next(m for m in d["models"] if m["name"] == "GPT-3")
    g = published("GPT-3")
    assert gpt3["tokens_per_param"] == pytest.approx(300 / 175)
    n_opt = math.sqrt(6 * g.params * g.train_tokens / (6 * 20))
    assert gpt3["optimal_params"] == pytest.approx(n_opt) and gpt3["params_vs_optimal"] > 3
    chin = next(m for m in d["models"] if m["name"] == "Chinchilla")
    assert chin["params_vs_optimal"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "path, body, status, field, words",
    [
        ("sweep", {"preset": "huge"}, 422, "preset", "quick"),
        ("sweep", {"widths": [5]}, 400, "widths", "not on offer"),
        ("sweep", {"widths": []}, 422, "widths", "at least 1"),
        ("sweep", {"preset": "standard", "widths": [4, 8, 16, 24, 32, 48]}, 413, "widths", "at most"),
        ("optimal", {"flops": 0}, 422, "flops", "at least"),
        ("optimal", {"flops": 5e-324}, 422, "flops", "at least"),
        ("optimal", {"flops": 1e40}, 422, "flops", "at most"),
        ("optimal", {"flops": 1e20, "tokens_per_param": -1}, 422, "tokens_per_param", "at least"),
        ("optimal", {"flops": 1e30, "tokens_per_param": 1e-300}, 422, "tokens_per_param", "at least"),
        ("fit", {"job": "nope"}, 404, None, "not known"),
        ("fit", {"job": "x" * 65}, 422, "job", "at most"),
    ],
)
def test_bad_input_gets_a_sentence(client, path, body, status, field, words):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.json()
    assert r.json().get("field") == field and words in r.json()["error"], r.json()


def test_nan_compute_is_refused(client):
    r = client.post(f"{API}/optimal", content='{"flops": NaN}', headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "flops"


def test_fit_refuses_a_job_that_is_not_a_sweep(client):
    job = client.post("/api/train-a-gpt/train", json={"steps": 5}).json()["job"]
    r = client.post(f"{API}/fit", json={"job": job})
    assert r.status_code == 404 and "not a sweep" in r.json()["error"]
