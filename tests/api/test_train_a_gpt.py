"""Chapter 11's endpoints: training runs as jobs (stream, stop, resume, download),
their limits, and bad input answered with a sentence naming the field."""

import time

import pytest
from fastapi.testclient import TestClient

from glasslm.engine.autograd.optim import Schedule
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import TinyGPT, sample
from glasslm.web.app import create_app
from glasslm.web.jobs import JobManager
from tests.api.jobs import wait_end
from tests.api.local import LOCAL

API = "/api/train-a-gpt"
LONG = {"steps": 20000, "batch_size": 64}  # minutes of work: always stopped by the test


def test_a_run_streams_losses_samples_and_attention(client, sse):
    r = client.post(f"{API}/train", json={"steps": 120, "batch_size": 4})
    assert r.status_code == 200
    d = r.json()
    assert d["n_params"] == 4192
    evs = sse(d["job"])
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "start" and kinds[-2:] == ["done", "end"] and evs[-1]["status"] == "done"
    start = evs[0]
    assert start["bigram_heldout_loss"] == pytest.approx(d["bigram_heldout_loss"])
    assert start["schedule"][0] == [0, 0.01]
    held = [e["heldout_loss"] for e in evs if e["type"] == "eval"]
    assert held[0] > 3.2 and held[-1] < held[0] - 0.4  # it learned
    assert 0 < kinds.count("step") <= 200 and [e for e in evs if e["type"] == "step"][-1]["step"] == 120
    assert len([e for e in evs if e["type"] == "samples"][-1]["names"]) == 10
    att = [e for e in evs if e["type"] == "attention"][-1]
    probe = name_data.first_names().heldout[0][:15]  # a held-out name of the data being learned
    assert att["probe"] == probe and att["tokens"] == ["<BOS>", *probe] and len(att["layers"][0]) == 4


def test_stop_resume_and_download(client, tmp_path, sse):
    job = client.post(f"{API}/train", json=LONG).json()["job"]
    evs = sse(job, until=lambda e: e["type"] == "step")
    assert client.get(f"{API}/model", params={"job": job}).status_code == 409  # still training
    assert client.post(f"{API}/resume", json={"job": job}).status_code == 409
    client.post(f"/api/jobs/{job}/stop")
    assert wait_end(client, job)["status"] == "stopped"
    stopped_at = [e for e in sse(job) if e["type"] == "step"][-1]["step"]
    assert stopped_at >= evs[-1]["step"]

    r = client.post(f"{API}/resume", json={"job": job})
    assert r.status_code == 200
    job2 = r.json()["job"]
    assert r.json()["step"] >= stopped_at
    evs2 = sse(job2, until=lambda e: e["type"] == "step")
    assert evs2[0]["type"] == "start" and evs2[0]["step"] == r.json()["step"]
    assert "eval" not in [e["type"] for e in evs2[:2]]  # no second step-0 evaluation
    assert evs2[-1]["step"] > r.json()["step"]
    client.post(f"/api/jobs/{job2}/stop")
    wait_end(client, job2)

    r = client.get(f"{API}/model", params={"job": job2})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    path = tmp_path / "m.safetensors"
    path.write_bytes(r.content)
    model = TinyGPT.from_checkpoint(path)
    names = client.post(f"{API}/sample", json={"job": job2, "n": 5, "seed": 3}).json()["names"]
    assert sample(model, n=5, seed=3) == names  # the file holds exactly the run's model


def test_resume_a_finished_run_needs_more_steps(client, sse):
    job = client.post(f"{API}/train", json={"steps": 20}).json()["job"]
    wait_end(client, job)
    r = client.post(f"{API}/resume", json={"job": job})
    assert r.status_code == 409 and "larger number of steps" in r.json()["error"]
    r = client.post(f"{API}/resume", json={"job": job, "steps": 10})
    assert r.status_code == 400 and r.json()["field"] == "steps"
    r = client.post(f"{API}/resume", json={"job": job, "steps": 30})
    assert r.status_code == 200
    steps = [e["step"] for e in sse(r.json()["job"]) if e["type"] == "step"]
    assert steps[0] == 21 and steps[-1] == 30


def test_a_third_concurrent_run_is_refused(client):
    jobs = [client.post(f"{API}/train", json=LONG).json()["job"] for _ in range(2)]
    r = client.post(f"{API}/train", json=LONG)
    assert r.status_code == 429 and "Stop one" in r.json()["error"]
    for j in jobs:
        client.post(f"/api/jobs/{j}/stop")
    for j in jobs:
        assert wait_end(client, j)["status"] == "stopped"
    assert client.post(f"{API}/train", json={"steps": 5}).status_code == 200


def test_a_closed_tab_leaves_no_running_job(sse):
    jobs = JobManager(orphan_after=0.2)
    with TestClient(create_app(jobs=jobs), base_url=LOCAL, raise_server_exceptions=False) as c:
        job = c.post(f"{API}/train", json=LONG).json()["job"]
        sse(job, via=c, until=lambda e: e["type"] == "step")  # the tab reads a little, then is closed
        time.sleep(0.4)
        jobs.reap()
        assert wait_end(c, job)["status"] == "stopped"
        assert jobs.running() == []


def test_own_text_trains_with_its_own_characters(client, sse):
    text = "\n".join(["kaffee", "tee", "kakao", "milch", "wasser", "saft", "limonade", "bier"])
    job = client.post(f"{API}/train", json={"data": "text", "text": text, "steps": 10}).json()["job"]
    evs = sse(job)
    assert evs[0]["vocab"] == len(set(text.replace("\n", ""))) + 1
    assert all(set(n) <= set(text) for n in [e for e in evs if e["type"] == "samples"][-1]["names"])


def test_schedule_matches_the_engine(client):
    d = client.post(f"{API}/schedule", json={"lr": 0.02, "steps": 500, "schedule": "cosine", "warmup": 50}).json()
    s = Schedule(0.02, 500, "cosine", 50)
    assert all(lr == pytest.approx(s(step)) for step, lr in d["points"])
    assert client.post(f"{API}/schedule", json={"steps": 10, "warmup": 10}).json()["field"] == "warmup"


def test_speed_measures_both_engines(client):
    d = client.post(f"{API}/speed").json()
    assert d["scalar_steps_per_s"] > 0 and d["vectorized_steps_per_s"] > 0
    assert d["ratio"] == pytest.approx(d["vectorized_steps_per_s"] / d["scalar_steps_per_s"], rel=1e-9)
    assert d["scalar_graph_nodes"] > 10_000  # one Value per multiply and add


@pytest.mark.parametrize(
    "body, field, status, words",
    [
        ('{"lr": NaN}', "lr", 422, "finite"),
        ('{"lr": Infinity}', "lr", 422, "finite"),
        ('{"lr": 1e9}', "lr", 422, "at most"),
        ('{"lr": 0}', "lr", 422, "more than"),
        ('{"steps": 1000000000}', "steps", 422, "at most"),
        ('{"batch_size": 100000}', "batch_size", 422, "at most"),
        ('{"n_embd": 4096}', "n_embd", 422, "at most"),
        ('{"n_layer": 100}', "n_layer", 422, "at most"),
        ('{"block_size": 5000}', "block_size", 422, "at most"),
        ('{"n_embd": 16, "n_head": 3}', "n_head", 400, "divisible"),
        ('{"optimizer": "magic"}', "optimizer", 422, "one of"),
        ('{"warmup": 50, "steps": 10}', "warmup", 400, "shorter"),
        ('{"data": "text", "text": ""}', "text", 400, "empty"),
        ('{"data": "text", "text": "one line only"}', "text", 400, "at least 2"),
        ('{"data": "text", "text": "bin\\u0000ary\\nstuff"}', "text", 400, "binary"),
    ],
)
def test_bad_settings_are_answered_with_a_sentence(client, body, field, status, words):
    r = client.post(f"{API}/train", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and words in r.json()["error"]
    assert client.app.state.jobs.running() == []


def test_oversized_text_is_refused():
    big = "abc\n" * (name_data.MAX_TEXT_BYTES // 4 + 1)
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as c:
        r = c.post(f"{API}/train", json={"data": "text", "text": big})
        assert r.status_code == 422 and r.json()["field"] == "text" and "too long" in r.json()["error"]


def test_unknown_jobs(client):
    assert client.post(f"{API}/resume", json={"job": "nope"}).status_code == 404
    assert client.get(f"{API}/model", params={"job": "nope"}).status_code == 404
    assert client.post(f"{API}/sample", json={"job": "nope"}).status_code == 404


def test_inspect_a_saved_checkpoint(client, tmp_path):
    from glasslm.engine.models.tiny.gpt import GPTConfig
    from glasslm.engine.tokenizers.chars import CharTokenizer

    tok = CharTokenizer("abcxyz")
    m = TinyGPT(GPTConfig(vocab_size=7, n_embd=8, n_head=2), seed=4, tokenizer=tok)
    body = m.save(tmp_path / "m.safetensors").read_bytes()
    r = client.post(
        f"{API}/inspect", params={"n": 4, "seed": 2}, content=body, headers={"content-type": "application/octet-stream"}
    )
    assert r.status_code == 200
    d = r.json()
    assert d["n_params"] == m.n_params and d["chars"] == "abcxyz" and d["config"]["n_embd"] == 8
    assert d["names"] == sample(m, n=4, seed=2)


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b"", 400, "empty"),
        (b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}", 400, "not a tiny GPT checkpoint"),
        (bytes(range(256)) * 8, 400, "not a tiny GPT checkpoint"),
        (b"x" * 1_600_000, 413, "at most"),
    ],
)
def test_a_corrupted_or_oversized_upload_is_refused(client, body, status, words):
    r = client.post(f"{API}/inspect", content=body, headers={"content-type": "application/octet-stream"})
    assert r.status_code == status, r.text
    assert r.json()["field"] == "file" and words in r.json()["error"]


def test_the_server_wide_limit_counts_every_learner():
    jobs = JobManager(per_session=2, global_limit=3)
    app = create_app(jobs=jobs)
    with (
        TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as a,
        TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as b,
    ):
        started = [a.post(f"{API}/train", json=LONG).json()["job"] for _ in range(2)]
        started.append(b.post(f"{API}/train", json=LONG).json()["job"])
        r = b.post(f"{API}/train", json=LONG)  # b has only one run, but the server is full
        assert r.status_code == 429 and "server is busy" in r.json()["error"]
        for j in started[:2]:
            a.post(f"/api/jobs/{j}/stop")
        b.post(f"/api/jobs/{started[2]}/stop")
        for c, j in ((a, started[0]), (a, started[1]), (b, started[2])):
            assert wait_end(c, j)["status"] == "stopped"
