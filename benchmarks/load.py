"""A class leaning on one server: do the interactive demos stay quick while others train?

Starts `glasslm serve` on a free loopback port (never another address), warms
it up (SmolLM2 loaded, every endpoint of the mix called once), then runs two
phases of the same load, each for a fixed time:

1. LEARNERS simulated learners, each in a loop: one interactive request from
   the mix below (their own text each time), then a think time of a few
   seconds, as a person reading the answer;
2. the same, while 4 training jobs (tiny GPTs of "Train a GPT") run, their
   event streams read as a browser would.

Latency is measured per request at the client. Errors are any answer that is
not 2xx, and any failed connection. The server's resident memory is read from
/proc before the first phase and after the jobs are stopped; the workers'
while the jobs run. Everything stops by itself (the server is stopped at the end).

Run:  .venv/bin/python benchmarks/load.py [--learners 30] [--seconds 60] [--quick]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAINING_JOBS = 4
TRAIN_BODY = {"steps": 20_000, "n_layer": 2, "n_embd": 32, "batch_size": 32}  # longer than a phase: stopped
THINK_S = (1.0, 5.0)  # a learner reads the answer for this long (uniform) before the next request
TIMEOUT_S = 60
WORDS = [
    "river",
    "music",
    "planet",
    "garden",
    "winter",
    "dragon",
    "coffee",
    "silver",
    "market",
    "forest",
    "engine",
    "castle",
    "window",
    "school",
    "letter",
    "doctor",
    "summer",
    "bridge",
    "pocket",
    "circle",
]


def text(rng: random.Random) -> str:
    return "The " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) + " is"


# The interactive mix: (name, method, path, body maker), each as its chapter's page calls it.
MIX = [
    ("next-token", "POST", "/api/next-token/predict", lambda r: {"text": text(r), "k": 10}),
    ("attention", "POST", "/api/attention/maps", lambda r: {"text": text(r), "layer": r.randrange(30)}),
    ("sampling", "POST", "/api/sampling/distribution", lambda r: {"text": text(r), "temperature": 0.8}),
    ("tokens", "POST", "/api/tokens/compare", lambda r: {"text": text(r)}),
    ("embeddings", "POST", "/api/embeddings/neighbours", lambda r: {"word": r.choice(WORDS), "k": 10}),
    ("scaling", "POST", "/api/scaling-laws/optimal", lambda r: {"flops": 10 ** r.uniform(15, 25)}),
    ("page", "GET", "/chapters/attention", None),
]


class Learner:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method: str, path: str, body=None, timeout: float = TIMEOUT_S):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"content-type": "application/json"} if data else {}
        )
        with self.opener.open(req, timeout=timeout) as r:
            return r.status, r.read()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _parents() -> dict[int, int]:
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            out[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return out


def worker_pids(server_pid: int) -> list[int]:
    """The job workers: children of the server's forkserver (the only process that forks them)."""
    parents = _parents()
    servers = [
        pid
        for pid, parent in parents.items()
        if parent == server_pid and b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return [pid for pid, parent in parents.items() if parent in servers]


def run_phase(base: str, learners: int, seconds: float, seed: int) -> list[tuple[str, float, bool]]:
    """(endpoint, milliseconds, ok) for every request the learners made in `seconds`."""
    results: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def learner(i: int):
        rng = random.Random(seed * 1000 + i)
        me = Learner(base)
        time.sleep(rng.uniform(0, THINK_S[1]))  # learners do not all click at once
        while time.monotonic() < end:
            name, method, path, body = rng.choice(MIX)
            t0 = time.perf_counter()
            try:
                status, _ = me.call(method, path, body(rng) if body else None)
                ok = 200 <= status < 300
            except (urllib.error.URLError, OSError):
                ok = False
            with lock:
                results.append((name, (time.perf_counter() - t0) * 1000, ok))
            time.sleep(rng.uniform(*THINK_S))

    threads = [threading.Thread(target=learner, args=(i,), daemon=True) for i in range(learners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + TIMEOUT_S + THINK_S[1])
    return results


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def start_server() -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glasslm",
            "serve",
            "--no-browser",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--max-jobs",
            str(TRAINING_JOBS),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    line = proc.stdout.readline()
    base = line.split(" at ")[1].split()[0].rstrip("/")
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5)
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def table(rows: list[tuple[str, list[tuple[str, float, bool]]]]) -> None:
    print(f"{'phase':<14}{'endpoint':<14}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for phase, results in rows:
        for name in [m[0] for m in MIX] + ["all"]:
            mine = [r for r in results if name == "all" or r[0] == name]
            ms = [r[1] for r in mine]
            print(
                f"{phase:<14}{name:<14}{len(mine):>9}{sum(not r[2] for r in mine):>8}"
                f"{percentile(ms, 50):>9.0f}{percentile(ms, 95):>9.0f}"
            )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--learners", type=int, default=30)
    p.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    p.add_argument("--quick", action="store_true", help="10 learners, 15 s per phase")
    args = p.parse_args()
    if args.quick:
        args.learners, args.seconds = 10, 15.0
    proc, base = start_server()
    try:
        warm = Learner(base)
        rng = random.Random(0)
        for _name, method, path, body in MIX:  # loads SmolLM2, GloVe, the tokenizers: not measured
            warm.call(method, path, body(rng) if body else None, timeout=600)
        time.sleep(2)
        rss_start = rss_mb(proc.pid)
        quiet = run_phase(base, args.learners, args.seconds, seed=1)
        rss_quiet = rss_mb(proc.pid)

        trainers = [Learner(base) for _ in range(TRAINING_JOBS // 2)]  # 2 runs each: the per-learner limit
        jobs = []
        for t in trainers:
            for _ in range(2):
                _, body = t.call("POST", "/api/train-a-gpt/train", TRAIN_BODY)
                jobs.append((t, json.loads(body)["job"]))
        stop_reading = threading.Event()

        def read_events(t: Learner, job: str):  # as the page does: keeps the run from being reaped
            with t.opener.open(f"{base}/api/jobs/{job}/events", timeout=args.seconds + 120) as r:
                for _ in r:
                    if stop_reading.is_set():
                        return

        for t, job in jobs:
            threading.Thread(target=read_events, args=(t, job), daemon=True).start()
        time.sleep(3)  # the workers start
        workers = worker_pids(proc.pid)
        busy = run_phase(base, args.learners, args.seconds, seed=2)
        workers_rss = sum(rss_mb(pid) for pid in workers if Path(f"/proc/{pid}").exists())
        rss_with_jobs = rss_mb(proc.pid)
        for t, job in jobs:
            t.call("POST", f"/api/jobs/{job}/stop")
        stop_reading.set()
        time.sleep(6)  # the workers end, the server forgets nothing it should keep
        rss_end = rss_mb(proc.pid)
        jobs_status = [json.loads(t.call("GET", f"/api/jobs/{job}")[1])["status"] for t, job in jobs]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    table([("no jobs", quiet), (f"{TRAINING_JOBS} jobs", busy)])
    print(
        f"\ntraining jobs: {jobs_status}; {len(workers)} worker processes, {workers_rss:.0f} MB resident in all; "
        f"server {rss_start:.0f} MB at start, {rss_quiet:.0f} MB after the first phase, "
        f"{rss_with_jobs:.0f} MB with jobs, {rss_end:.0f} MB at the end"
    )
    q_ms, b_ms = [r[1] for r in quiet], [r[1] for r in busy]
    # SmolLM2's answers wait for the one shared model; the rest are the server's own work.
    smol = {"next-token", "attention", "sampling"}
    split = {
        f"{kind}_p95_ms{phase}": round(percentile([r[1] for r in rs if (r[0] in smol) == (kind == "smollm2")], 95), 1)
        for phase, rs in (("", quiet), ("_with_jobs", busy))
        for kind in ("smollm2", "other")
    }
    print(
        json.dumps(
            {
                "learners": args.learners,
                "seconds_per_phase": args.seconds,
                "training_jobs": TRAINING_JOBS,
                "requests": len(quiet) + len(busy),
                "errors": sum(not r[2] for r in quiet + busy),
                "interactive_p50_ms": round(percentile(q_ms, 50), 1),
                "interactive_p95_ms": round(percentile(q_ms, 95), 1),
                "interactive_p50_ms_with_jobs": round(percentile(b_ms, 50), 1),
                "interactive_p95_ms_with_jobs": round(percentile(b_ms, 95), 1),
                "server_rss_mb_start": round(rss_start, 1),
                "server_rss_mb_after_no_jobs": round(rss_quiet, 1),
                "server_rss_mb_with_jobs": round(rss_with_jobs, 1),
                "server_rss_mb_end": round(rss_end, 1),
                "worker_processes": len(workers),
                "workers_rss_mb_with_jobs": round(workers_rss, 1),
                **split,
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
                "cores": os.cpu_count(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
