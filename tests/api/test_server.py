"""The server a class can lean on (issue 10): where jobs run, the guard in front of
every request, bounded bodies and streams, and no 500 on the inputs that used to cause one."""

from __future__ import annotations

import importlib
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from glasslm.web import guard
from glasslm.web import jobs as jobs_module
from glasslm.web.app import create_app
from glasslm.web.errors import UNREADABLE_BODY
from glasslm.web.jobs import FINISHED_PER_SESSION, JobManager
from tests.api.jobs import wait_end
from tests.api.local import LOCAL

ROOT = Path(__file__).resolve().parents[2]
LONG_GPT = {"steps": 20000}


# ------------------------------------------------------------ where jobs run


def _started_kinds():
    """(kind, runs in a worker?) for every jobs.start(...) call in the chapters' routers."""
    found = []
    for path in sorted((ROOT / "glasslm" / "chapters").glob("*/api.py")):
        module = importlib.import_module(f"glasslm.chapters.{path.parent.name}.api")
        for kind_expr, source in re.findall(r"jobs\.start\(\s*session,\s*([^,]+),\s*(\S+)", path.read_text()):
            found.append((eval(kind_expr, vars(module)), source.startswith("InWorker(")))
    return found


def test_every_job_kind_is_classified_and_started_where_it_says():
    found = _started_kinds()
    assert len(found) >= 30
    for kind, in_worker in found:
        assert kind in jobs_module.RUNS_IN_WORKER or kind in jobs_module.RUNS_IN_SERVER, kind
        assert (kind in jobs_module.RUNS_IN_WORKER) == in_worker, kind
    assert not set(jobs_module.RUNS_IN_WORKER) & set(jobs_module.RUNS_IN_SERVER)


def test_a_training_run_lives_in_a_worker_process_that_stop_ends(client, sse):
    job = client.post("/api/train-a-gpt/train", json=LONG_GPT).json()["job"]
    summary = client.get(f"/api/jobs/{job}").json()
    assert summary["runs_in"] == "worker"
    process = client.app.state.jobs.get(_session(client), job).process
    assert process.is_alive() and process.pid != __import__("os").getpid()
    sse(job, until=lambda e: e["type"] == "step")  # it trains, its events arrive as before
    client.post(f"/api/jobs/{job}/stop")
    assert wait_end(client, job)["status"] == "stopped"
    process.join(timeout=10)
    assert not process.is_alive()  # the process ended: its memory went back to the system
    # Its state came back with it: the model stopped mid-run can be sampled and saved.
    r = client.post("/api/train-a-gpt/sample", json={"job": job, "n": 2})
    assert r.status_code == 200 and r.json()["step"] > 0


def test_a_worker_that_dies_ends_its_job_with_a_sentence(client):
    import os
    import signal

    job = client.post("/api/train-a-gpt/train", json=LONG_GPT).json()["job"]
    process = client.app.state.jobs.get(_session(client), job).process
    os.kill(process.pid, signal.SIGKILL)
    end = wait_end(client, job)
    assert end["status"] == "error" and "ended unexpectedly" in end["error"]


def test_a_job_that_asks_smollm2_stays_in_the_server():
    jobs = JobManager()
    job = jobs.start("s", "tick", _ticking(3))
    assert job.runs_in == "server" and job.process is None


def _session(client) -> str:
    return client.cookies.get("glasslm_session")


def _ticking(n: int, every: float = 0.0):
    def source(job):
        for i in range(n):
            time.sleep(every)
            yield {"type": "tick", "i": i}

    return source


def _ended(job, timeout: float = 10):
    t0 = time.monotonic()
    while job.running:
        assert time.monotonic() - t0 < timeout
        time.sleep(0.01)
    while not job.events or job.events[-1]["type"] != "end":
        time.sleep(0.01)


def test_finished_jobs_kept_per_learner_are_capped():
    jobs = JobManager(per_session=1)
    started = []
    for _ in range(FINISHED_PER_SESSION + 3):
        started.append(jobs.start("a", "tick", _ticking(1)))
        _ended(started[-1])
        time.sleep(0.01)  # distinct finishing times
    other = jobs.start("b", "tick", _ticking(1))
    _ended(other)
    jobs.reap()
    kept = [j.id for j in started if j.id in jobs._jobs]
    assert kept == [j.id for j in started[-FINISHED_PER_SESSION:]]  # the newest ones
    assert other.id in jobs._jobs  # another learner's are counted apart


def test_events_past_the_end_end_at_once_and_keep_nothing_alive(client):
    jobs = client.app.state.jobs
    client.get("/healthz")
    session = _session(client)
    done = jobs.start(session, "tick", _ticking(2))
    _ended(done)
    r = client.get(f"/api/jobs/{done.id}/events", params={"after": 100000})
    assert r.status_code == 200 and r.text == ""
    r = client.get(f"/api/jobs/{done.id}/events", headers={"Last-Event-ID": "3"})  # 2 ticks + end: nothing more
    assert r.text == ""
    running = jobs.start(session, "tick", _ticking(10_000, every=0.01))
    t0 = time.monotonic()
    r = client.get(f"/api/jobs/{running.id}/events", params={"after": 100000})
    assert r.text == "" and time.monotonic() - t0 < 30 and running.listeners == 0
    jobs.stop(session, running.id)


def test_streams_end_when_the_server_closes():
    jobs = JobManager()
    job = jobs.start("s", "tick", _ticking(10_000, every=0.01))
    jobs.closing = True

    async def never():
        return False

    async def read():
        return [chunk async for chunk in jobs.stream(job, never, 0)]

    import asyncio

    asyncio.run(asyncio.wait_for(read(), 10))  # returns instead of waiting for the run's end
    jobs.stop_all()


# ------------------------------------------------------------ the guard


@pytest.mark.parametrize(
    "host, ok",
    [
        ("127.0.0.1:8765", True),
        ("localhost", True),
        ("[::1]:8765", True),
        ("LOCALHOST:80", True),
        ("evil.example", False),
        ("evil.example:8765", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
    ],
)
def test_only_loopback_host_names_are_answered(client, host, ok):
    r = client.get("/api/chapters", headers={"host": host})
    assert (r.status_code == 200) == ok
    if not ok:
        assert r.status_code == 421 and "address it was started on" in r.json()["error"]


def test_the_host_given_with_dash_dash_host_is_answered_too():
    with TestClient(create_app(hosts=("192.168.1.20",)), base_url="http://192.168.1.20:8765") as c:
        assert c.get("/api/chapters").status_code == 200
    assert guard.host_name("::1") == "[::1]" and guard.host_name("[::1]:80") == "[::1]"


def test_listening_on_every_address_answers_addresses_but_not_names():
    app = create_app(hosts=("0.0.0.0",))
    with TestClient(app, base_url="http://10.0.0.7:8765") as c:
        assert c.get("/api/chapters").status_code == 200
        assert c.get("/api/chapters", headers={"host": "[fe80::1]:8765"}).status_code == 200
        assert c.get("/api/chapters", headers={"host": "rebound.evil.example:8765"}).status_code == 421


@pytest.mark.parametrize(
    "path",
    [
        "/api/generation/tiny/train",
        "/api/post-training/base",
        "/api/train-a-gpt/speed",
        "/api/pretraining-data/flop-rate",
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"origin": "null"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_other_sites_cannot_start_work(client, path, headers):
    r = client.post(path, headers=headers)
    assert r.status_code == 403 and "Another web site" in r.json()["error"]


def test_the_guides_own_pages_and_reads_from_anywhere_still_work(client):
    same = {"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"}
    assert client.post("/api/scaling-laws/optimal", json={"flops": 1e20}, headers=same).status_code == 200
    assert client.get("/api/chapters", headers={"origin": "http://evil.example"}).status_code == 200


def test_a_body_must_be_declared_json_or_the_endpoints_upload_type(client):
    r = client.post("/api/scaling-laws/optimal", content=b'{"flops": 1e20}', headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    r = client.post("/api/train-a-gpt/inspect", content=b"\x00" * 64, headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/octet-stream" in r.json()["error"]
    r = client.post("/api/scaling-laws/optimal", content=b"{}", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 415  # only the inspect upload declares octet-stream
    r = client.post(
        "/api/scaling-laws/optimal",
        content=b'{"flops": 1e20}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200


def test_pages_carry_security_headers(client):
    for path in ("/", "/chapters/tokens", "/api/chapters", "/static/js/page.js"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    page = client.get("/chapters/tokens").text
    assert "<script>" not in page  # no inline script: the CSP would block it


def test_a_chunked_body_is_counted_as_it_arrives(client):
    sent = []

    def chunks():
        for _ in range(100):
            sent.append(1)
            yield b" " * 100_000  # 10 MB in all, with no Content-Length

    r = client.post("/api/scaling-laws/optimal", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


# ------------------------------------------------------------ no 500


@pytest.mark.parametrize(
    "body",
    [
        b'{"k": ' + b"9" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"word": "\xff\xfe"}',
    ],
)
def test_unreadable_json_gets_the_guides_sentence(client, body):
    r = client.post("/api/embeddings/neighbours", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == UNREADABLE_BODY


def test_not_json_at_all_and_pydantic_words_do_not_leak(client):
    r = client.post("/api/embeddings/neighbours", content=b"hello", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["error"]
    r = client.post("/api/embeddings/neighbours", json={"word": "king", "k": 1e30})
    assert r.status_code == 422 and r.json()["field"] == "k"
    assert "Input should" not in r.json()["error"] and "1e+30" in r.json()["error"]


def test_a_wrong_method_gets_a_sentence(client):
    r = client.delete("/api/chapters")
    assert r.status_code == 405 and r.json()["error"] == "/api/chapters does not answer DELETE requests."


@pytest.mark.parametrize(
    "name",
    [
        "glasslm.engine.models.tiny.gpt:np",
        "glasslm.engine.models.tiny.gpt:json.loads",
        "glasslm.engine.models.tiny.gpt:dataclass",
        "glasslm.engine.data.files:Path.home",
        "glasslm.engine.gpt:np",
    ],
)
def test_source_names_leading_outside_the_engine_are_not_found(client, name):
    r = client.get("/api/source", params={"name": name})
    assert r.status_code == 404 and "no engine code" in r.json()["error"]


def _checkpoint(tmp_path, config_meta: str | None = None, dtype=None) -> bytes:
    from safetensors.numpy import save_file

    from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
    from glasslm.engine.tokenizers.chars import CharTokenizer

    m = TinyGPT(GPTConfig(vocab_size=7, n_embd=8, n_head=2), seed=4, tokenizer=CharTokenizer("abcxyz"))
    path = m.save(tmp_path / "m.safetensors")
    if config_meta is not None or dtype is not None:
        meta = {
            "glasslm": "tiny-gpt",
            "chars": "abcxyz",
            "config": config_meta if config_meta is not None else json.dumps(m.config.__dict__),
        }
        save_file(
            {k: np.ascontiguousarray(v).astype(dtype or v.dtype) for k, v in m.state_dict().items()},
            str(path),
            metadata=meta,
        )
    return path.read_bytes()


@pytest.mark.parametrize(
    "config, dtype, words",
    [
        ("[1, 2]", None, "must be a JSON object"),
        ("null", None, "must be a JSON object"),
        (None, np.int32, "holds int32"),
        (None, np.float16, "holds float16"),
    ],
)
def test_odd_checkpoints_are_refused_with_a_sentence(client, tmp_path, config, dtype, words):
    body = _checkpoint(tmp_path, config, dtype)
    r = client.post("/api/train-a-gpt/inspect", content=body, headers={"content-type": "application/octet-stream"})
    assert r.status_code == 400 and words in r.json()["error"], r.json()


def test_generate_refuses_an_odd_checkpoint_without_a_traceback(tmp_path, capsys):
    from glasslm.cli import main

    path = tmp_path / "odd.safetensors"
    path.write_bytes(_checkpoint(tmp_path, "[1, 2]"))
    assert main(["generate", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert "must be a JSON object" in err and "Traceback" not in err


@pytest.mark.parametrize("make", ["file", "under-a-file"])
def test_an_unusable_cache_folder_is_named_with_the_fix(tmp_path, monkeypatch, make):
    from glasslm import assets

    (tmp_path / "cache").write_text("not a folder")
    target = tmp_path / "cache" if make == "file" else tmp_path / "cache" / "glasslm"
    monkeypatch.setenv("GLASSLM_CACHE", str(target))
    with pytest.raises(assets.UnusableCache, match="GLASSLM_CACHE"):
        assets.cache_dir()
    app = create_app()

    @app.get("/needs-cache")
    def needs_cache():
        return str(assets.cache_dir())

    with TestClient(app, base_url=LOCAL) as c:
        r = c.get("/needs-cache")
    assert r.status_code == 503 and str(target) in r.json()["error"]
