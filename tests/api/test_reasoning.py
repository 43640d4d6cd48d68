"""Chapter 25's endpoints: the formats against the data module and a hand example;
a training job whose streamed accuracies are recomputed from the trained models;
votes, budget and ask recomputed from the engine; bad input named."""

import numpy as np
import pytest

from glasslm.chapters.reasoning.api import MAX_BUDGET_PROBLEMS, MAX_TEMPERATURE, MAX_VOTE_PROBLEMS, MAX_WEB_STEPS
from glasslm.engine.data import arithmetic_data as ad
from glasslm.engine.inference.thinking_budget import MAX_VOTES, complete, majority_vote
from glasslm.engine.training.scratchpad_training import exact_match
from tests.api.local import LOCAL

API = "/api/reasoning"
TINY = {"digits": 2, "steps": 30, "n_embd": 16, "seed": 1}


def the_run(client, job):
    return client.app.state.jobs.get(client.cookies.get("glasslm_session"), job).state["reasoning"]


def test_format_matches_a_hand_example():
    from fastapi.testclient import TestClient

    from glasslm.web.app import create_app

    with TestClient(create_app(), base_url=LOCAL) as c:
        d = c.post(f"{API}/format", json={"a": 37, "b": 48, "digits": 2}).json()
    s = d["formats"]["scratchpad"]
    assert s["text"] == "37+48=7+8+0=15;3+4+1=08;>085" and s["prompt_len"] == 6 and s["answer"] == 85
    assert d["formats"]["direct"]["text"] == "37+48=085" and d["sum"] == 85
    assert d["steps"] == ["7+8+0=15;", "3+4+1=08;"]
    tok = ad.tokenizer()
    assert tok.decode(s["ids"]) == s["text"] and s["tokens"] == list(s["text"])
    assert d["alphabet"] == "+0123456789;=>" and d["bos"] == 14


@pytest.mark.parametrize(
    "body,status,field,words",
    [
        ({"a": 370, "b": 4, "digits": 2}, 400, "a", "more than 2 digits"),
        ({"a": 3, "b": 100000, "digits": 5}, 422, "b", "at most 99999"),
        ({"a": -1, "b": 4}, 422, "a", "at least 0"),
        ({"a": 1.5, "b": 4}, 422, "a", "whole number"),
        ({"a": "٣", "b": 4}, 422, "a", ""),
        ({"a": 3, "b": 4, "digits": 9}, 422, "digits", "at most 5"),
        ({"a": 3, "b": 4, "digits": 1}, 422, "digits", "at least 2"),
    ],
)
def test_format_bad_input(client, body, status, field, words):
    r = client.post(f"{API}/format", json=body)
    assert r.status_code == status and r.json()["field"] == field
    assert words in r.json()["error"]


def test_train_streams_accuracies_that_the_models_reproduce(client, sse):
    r = client.post(f"{API}/train", json=TINY)
    assert r.status_code == 200
    d = r.json()
    evs = sse(d["job"])
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "start" and kinds[-2:] == ["done", "end"] and evs[-1]["status"] == "done"
    assert kinds.count("step") == 30 and kinds.count("eval") == 11  # step 0 and every 3rd step
    run = the_run(client, d["job"])
    assert d["n_params"] == {f: m.n_params for f, m in run.models.items()}
    done = evs[-2]
    for fmt, model in run.models.items():
        assert done["accuracy"][fmt] == exact_match(model, run.task, run.task.heldout, fmt)
        texts = complete(model, run.task, run.task.heldout, fmt)
        right = np.mean([ad.parse_answer(t, fmt) == a + b for t, (a, b) in zip(texts, run.task.heldout)])
        assert done["answer_accuracy"][fmt] == pytest.approx(right)
    rows = [e for e in evs if e["type"] == "samples"][-1]["rows"]
    assert (
        rows[0]["scratchpad"]["text"]
        == complete(run.models["scratchpad"], run.task, run.task.heldout[:1], "scratchpad")[0]
    )


def test_votes_budget_and_ask_recomputed_from_the_engine(client, sse):
    job = client.post(f"{API}/train", json=TINY).json()["job"]
    assert sse(job)[-1]["status"] == "done"
    run = the_run(client, job)

    r = client.post(f"{API}/votes", json={"job": job, "n_votes": 3, "temperature": 1.0, "n_problems": 12, "seed": 5})
    assert r.status_code == 200
    votes = [e for e in sse(r.json()["job"]) if e["type"] == "votes"]
    assert [e["done"] for e in votes] == [10, 12]
    last = votes[-1]
    for fmt in ad.FORMATS:
        ex = last["example"][fmt]
        assert ex["answers"] == [ad.parse_answer(t, fmt) for t in ex["samples"]]
        assert (ex["vote"], ex["votes"]) == majority_vote(ex["answers"])
        assert all(0 <= v <= 1 for v in last["curves"][fmt]) and len(last["curves"][fmt]) == 3

    r = client.post(f"{API}/budget", json={"job": job, "n_problems": 20})
    assert r.status_code == 200 and r.json()["digits"] == 2
    points = [e for e in sse(r.json()["job"]) if e["type"] == "budget"]
    assert [p["think_tokens"] for p in points] == [0, 9, 18]
    pairs = run.task.heldout[:20]
    for p in points:
        texts = complete(run.models["scratchpad"], run.task, pairs, "scratchpad", think_steps=p["think_steps"])
        assert p["accuracy"] == pytest.approx(
            np.mean([ad.parse_answer(t, "scratchpad") == a + b for t, (a, b) in zip(texts, pairs)])
        )

    a, b = run.task.heldout[0]
    d = client.post(f"{API}/ask", json={"job": job, "a": a, "b": b}).json()
    assert d["heldout"] is True and d["sum"] == a + b and d["question"] == ad.prompt(a, b, 2)
    assert d["scratchpad"]["text"] == complete(run.models["scratchpad"], run.task, [(a, b)], "scratchpad")[0]
    train_pair = next(p for p in [(1, 2), (3, 4), (5, 6)] if not run.task.is_heldout(*p))
    assert (
        client.post(f"{API}/ask", json={"job": job, "a": train_pair[0], "b": train_pair[1]}).json()["heldout"] is False
    )

    r = client.post(f"{API}/ask", json={"job": job, "a": 123, "b": 4})
    assert r.status_code == 400 and r.json()["field"] == "a" and "trained on 2-digit sums" in r.json()["error"]


def test_a_run_still_training_cannot_be_asked(client, sse):
    job = client.post(f"{API}/train", json={"digits": 5, "steps": MAX_WEB_STEPS}).json()["job"]
    sse(job, until=lambda e: e["type"] == "start")
    for url, body in (("votes", {}), ("budget", {}), ("ask", {"a": 1, "b": 2})):
        r = client.post(f"{API}/{url}", json={"job": job, **body})
        assert r.status_code == 409 and "still training" in r.json()["error"]
    client.post(f"/api/jobs/{job}/stop")
    assert sse(job)[-1]["status"] == "stopped"
    assert client.post(f"{API}/ask", json={"job": job, "a": 1, "b": 2}).status_code == 200  # stopped: usable


@pytest.mark.parametrize(
    "url,body,status,field,words",
    [
        ("train", {"digits": 6}, 422, "digits", "at most 5"),
        ("train", {"steps": MAX_WEB_STEPS + 1}, 422, "steps", f"at most {MAX_WEB_STEPS}"),
        ("train", {"steps": 0}, 422, "steps", "at least 1"),
        ("train", {"n_embd": 30}, 400, "n_embd", "multiple of 4"),
        ("train", {"n_embd": 128}, 422, "n_embd", "at most 64"),
        ("votes", {"job": "nope"}, 404, None, ""),
        ("votes", {"job": ""}, 422, "job", ""),
        ("votes", {"job": "x" * 65}, 422, "job", ""),
        ("votes", {"job": "nope", "temperature": "NaN"}, 422, "temperature", ""),
        (
            "votes",
            {"job": "nope", "temperature": MAX_TEMPERATURE + 1},
            422,
            "temperature",
            f"at most {MAX_TEMPERATURE:g}",
        ),
        ("votes", {"job": "nope", "n_votes": MAX_VOTES + 1}, 422, "n_votes", f"at most {MAX_VOTES}"),
        ("votes", {"job": "nope", "n_problems": MAX_VOTE_PROBLEMS + 1}, 422, "n_problems", ""),
        ("budget", {"job": "nope", "n_problems": MAX_BUDGET_PROBLEMS + 1}, 422, "n_problems", ""),
        ("budget", {"job": "nope", "n_problems": 0}, 422, "n_problems", ""),
        ("ask", {"job": "nope", "a": 1}, 422, "b", ""),
    ],
)
def test_bad_input_is_named(client, url, body, status, field, words):
    r = client.post(f"{API}/{url}", json=body)
    assert r.status_code == status, r.json()
    if field:
        assert r.json()["field"] == field
    assert words in r.json()["error"]


def test_a_job_of_another_kind_is_not_a_run(client, sse):
    job = client.post("/api/train-a-gpt/train", json={"steps": 3}).json()["job"]
    sse(job)
    r = client.post(f"{API}/votes", json={"job": job})
    assert r.status_code == 404 and "not a training run of this chapter" in r.json()["error"]
