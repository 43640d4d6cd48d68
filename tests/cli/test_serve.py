"""`glasslm serve` as a teacher runs it: its job settings, its warnings, a quiet Ctrl+C."""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from glasslm.cli import build_parser, main
from glasslm.web.limits import MAX_JOBS_GLOBAL, MAX_JOBS_PER_SESSION

ROOT = Path(__file__).resolve().parents[2]


def test_job_limits_are_settings_with_todays_defaults():
    args = build_parser().parse_args(["serve"])
    assert (args.jobs_per_learner, args.max_jobs) == (MAX_JOBS_PER_SESSION, MAX_JOBS_GLOBAL) == (2, 4)
    args = build_parser().parse_args(["serve", "--jobs-per-learner", "3", "--max-jobs", "12"])
    assert (args.jobs_per_learner, args.max_jobs) == (3, 12)


@pytest.mark.parametrize("flag", ["--jobs-per-learner", "--max-jobs"])
def test_silly_job_limits_are_refused(flag, capsys):
    assert main(["serve", "--no-browser", flag, "0"]) == 2
    assert f"{flag} must be between 1 and" in capsys.readouterr().err


@pytest.mark.slow
def test_a_class_server_warns_limits_jobs_and_stops_quietly(tmp_path):
    cache = tmp_path / "cache-is-a-file"
    cache.write_text("x")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "GLASSLM_CACHE": str(cache),
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glasslm",
            "serve",
            "--no-browser",
            "--port",
            "0",
            "--host",
            "0.0.0.0",
            "--max-jobs",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        line = proc.stdout.readline()
        port = int(line.split(":")[2].split("/")[0])
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        for _ in range(300):
            try:
                opener.open(f"{base}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.1)

        def post(path, body):
            req = urllib.request.Request(
                base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
            )
            try:
                with opener.open(req, timeout=30) as r:
                    return r.status, json.load(r)
            except urllib.error.HTTPError as err:
                return err.code, json.load(err)

        status, first = post("/api/train-a-gpt/train", {"steps": 20000})
        assert status == 200
        status, second = post("/api/train-a-gpt/train", {"steps": 20000})
        assert status == 429 and "its limit is 1" in second["error"]  # --max-jobs 1

        got = []

        def listen():  # an open event stream while the server is stopped
            with opener.open(f"{base}/api/jobs/{first['job']}/events", timeout=60) as r:
                for raw in r:
                    got.append(raw)

        threading.Thread(target=listen, daemon=True).start()
        while not got:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 130), err  # 130: the shell's code for "ended by Ctrl+C"
    assert "anyone on your network" in err and str(cache) in err and "GLASSLM_CACHE" in err
    assert "Traceback" not in err and "CancelledError" not in err, err
