"""The app itself: pages, JSON twins, sources, errors, sessions and jobs."""

import threading
import time

import pytest

from glasslm.chapters.registry import PLAN, Registry
from glasslm.web.errors import DemoError
from glasslm.web.guard import MAX_BODY_BYTES
from glasslm.web.jobs import JobManager


def test_index_lists_existing_chapters(client):
    r = client.get("/")
    assert r.status_code == 200
    for c in Registry().chapters:
        assert f'href="/chapters/{c.slug}"' in r.text
    # a chapter whose folder does not exist yet is not listed
    missing = [c for c in PLAN if not c.exists]
    for c in missing:
        assert f'/chapters/{c.slug}"' not in r.text


def test_every_chapter_page_renders_with_its_demos(client):
    for c in Registry().chapters:
        r = client.get(f"/chapters/{c.slug}")
        assert r.status_code == 200, c.slug
        assert c.title.split(":")[0] in r.text
        twin = client.get(f"/api/chapters/{c.slug}").json()
        for demo in twin["demos"]:
            assert f'data-demo="{demo}"' in r.text
        assert client.get(f"/chapters/{c.slug}/demo.js").status_code == 200


def test_registry_plan_is_consistent():
    assert [c.number for c in PLAN] == list(range(1, 30))
    assert len({c.slug for c in PLAN}) == 29


def test_unknown_chapter_is_a_readable_404(client):
    r = client.get("/chapters/no-such-thing")
    assert r.status_code == 404
    assert "no chapter called 'no-such-thing'" in r.json()["error"]


def test_source_shows_engine_code_only(client):
    r = client.get("/api/source", params={"name": "glasslm.engine.basics.linear:mse"})
    assert r.status_code == 200
    assert r.json()["source"].startswith("def mse(")
    assert client.get("/api/source", params={"name": "os:system"}).status_code == 400
    assert client.get("/api/source", params={"name": "glasslm.engine.basics.linear:nope"}).status_code == 404


def test_oversized_body_is_refused_and_server_keeps_serving(client):
    r = client.post(
        "/api/weights/one-weight", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert "too large" in r.json()["error"]
    assert client.get("/healthz").status_code == 200


def test_malformed_json_is_a_sentence(client):
    r = client.post("/api/weights/one-weight", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "JSON" in r.json()["error"]


def test_session_cookie_is_set_once(client):
    r = client.get("/healthz")
    assert "glasslm_session" in r.cookies
    assert "glasslm_session" not in client.get("/healthz").cookies  # kept, not renewed


# ------------------------------------------------------------------ jobs


def ticking(n, dt=0.01):
    def source(job):
        for i in range(n):
            time.sleep(dt)
            yield {"type": "tick", "i": i}
        job.state["result"] = n

    return source


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


def test_job_runs_to_the_end_and_keeps_its_result():
    jobs = JobManager()
    job = jobs.start("s1", "tick", ticking(5))
    assert wait_for(lambda: job.status == "done")
    assert [e["i"] for e in job.events if e["type"] == "tick"] == [0, 1, 2, 3, 4]
    assert job.events[-1] == {"type": "end", "status": "done", "error": None}
    assert jobs.get("s1", job.id).state["result"] == 5


def test_job_limits_per_session_and_global():
    jobs = JobManager(per_session=2, global_limit=3)
    for _ in range(2):
        jobs.start("a", "tick", ticking(1000))
    with pytest.raises(DemoError) as e:
        jobs.start("a", "tick", ticking(1))
    assert e.value.status == 429 and "Stop one" in e.value.message
    jobs.start("b", "tick", ticking(1000))
    with pytest.raises(DemoError) as e:
        jobs.start("c", "tick", ticking(1))
    assert e.value.status == 429 and "busy" in e.value.message
    jobs.stop_all()


def test_stop_and_other_sessions_cannot_touch_a_job():
    jobs = JobManager()
    job = jobs.start("a", "tick", ticking(10_000))
    with pytest.raises(DemoError):
        jobs.stop("b", job.id)
    jobs.stop("a", job.id)
    assert wait_for(lambda: job.status == "stopped")


def test_orphaned_job_is_stopped():
    jobs = JobManager(orphan_after=0.05)
    job = jobs.start("a", "tick", ticking(10_000))
    time.sleep(0.1)
    jobs.reap()
    assert wait_for(lambda: job.status == "stopped")


def test_engine_failure_ends_the_job_with_a_message():
    def broken(job):
        yield {"type": "tick"}
        raise ValueError("boom")

    jobs = JobManager()
    job = jobs.start("a", "broken", broken)
    assert wait_for(lambda: job.status == "error")
    assert "boom" in job.error


def test_sse_stream_over_http(client):
    app_jobs = client.app.state.jobs
    client.get("/healthz")
    session = client.cookies["glasslm_session"]
    job = app_jobs.start(session, "tick", ticking(3))
    with client.stream("GET", f"/api/jobs/{job.id}/events") as r:
        body = "".join(r.iter_text())
    assert body.count("data: ") == 4 and '"type": "end"' in body
    # resuming after event 2 sends only the rest
    with client.stream("GET", f"/api/jobs/{job.id}/events", params={"after": 2}) as r:
        assert "".join(r.iter_text()).count("data: ") == 2
    assert client.get(f"/api/jobs/{job.id}").json()["status"] == "done"
    # someone else's job is not visible
    other = app_jobs.start("someone-else", "tick", ticking(1))
    assert client.get(f"/api/jobs/{other.id}/events").status_code == 404


def test_concurrent_requests_are_served_while_a_job_runs(client):
    client.get("/healthz")
    job = client.app.state.jobs.start(client.cookies["glasslm_session"], "tick", ticking(10_000, 0.001))
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(client.post("/api/weights/one-weight", json={"w": 0.3}).status_code)
        )
        for _ in range(4)
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results == [200] * 4
    client.post(f"/api/jobs/{job.id}/stop")
    assert wait_for(lambda: job.status == "stopped")


def test_a_source_that_returns_on_stop_is_reported_stopped():
    def polite(job):
        for i in range(10_000):
            if job.stop_event.is_set():
                return
            time.sleep(0.001)
            if i % 10 == 0:
                yield {"type": "tick", "i": i}

    jobs = JobManager()
    job = jobs.start("a", "polite", polite)
    time.sleep(0.05)
    jobs.stop("a", job.id)
    assert wait_for(lambda: job.status == "stopped")


def test_validation_sentence_keeps_a_field_called_query():
    from glasslm.web.errors import validation_sentence

    err = {"type": "string_too_short", "loc": ("body", "query"), "msg": "", "input": "", "ctx": {"min_length": 1}}
    assert validation_sentence(err) == "“query” is empty: please type something."
    err = {"type": "missing", "loc": ("query", "name"), "msg": "", "input": None}
    assert validation_sentence(err) == "“name” is missing: please give a value."


def test_an_error_inside_a_list_points_at_the_list_control(client):
    r = client.post(
        "/api/weights/few-inputs",
        content='{"weights": [1, "x", 3], "bias": 0}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["field"] == "weights"
    assert "weights.1" in r.json()["error"]


def test_a_cooperative_source_gets_its_last_word_after_a_stop():
    def summarising(job):
        i = 0
        while not job.stop_event.is_set():
            time.sleep(0.001)
            i += 1
            yield {"type": "tick", "i": i}
        yield {"type": "summary", "ticks": i}

    jobs = JobManager()
    job = jobs.start("a", "sum", summarising, cooperative=True)
    time.sleep(0.05)
    jobs.stop("a", job.id)
    assert wait_for(lambda: job.status == "stopped")
    assert job.events[-2]["type"] == "summary" and job.events[-1]["type"] == "end"


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg")


def test_thinned_steps_sends_mean_losses_every_few_steps_and_the_last():
    import threading
    from types import SimpleNamespace

    from glasslm.web.jobs import thinned_steps

    run = (
        [{"type": "start"}] + [{"type": "step", "step": s, "loss": float(s)} for s in range(1, 11)] + [{"type": "done"}]
    )
    job = SimpleNamespace(stop_event=threading.Event())
    out = list(thinned_steps(iter(run), steps=10, per_run=3)(job))  # every 3 steps, and step 10
    assert [e["type"] for e in out] == ["start", "step", "step", "step", "step", "done"]
    assert [(e["step"], e["loss"]) for e in out[1:-1]] == [(3, 2.0), (6, 5.0), (9, 8.0), (10, 10.0)]
    job.stop_event.set()
    assert list(thinned_steps(iter(run), steps=10, per_run=3)(job)) == []
