"""How long a learner waits after moving a slider or clicking, per interactive endpoint.

Run from the repository root: ``.venv/bin/python benchmarks/interactive.py``
(a minute or two; SmolLM2 loads first). Words after it run only the endpoints
whose name contains one of them (``benchmarks/interactive.py typing``).

Each endpoint is called through the ASGI app in-process (FastAPI's TestClient:
the same routing, validation and JSON encoding as the server, no network),
with the demo's default inputs and the slider moved across its range, as a
learner dragging it would. Its first call is timed apart ("first"): it may
fill a per-text cache (a trace, a pass over the text set) that every later
move then reads. Then ``REPEATS`` calls give p50 and p95 in milliseconds.
The target is a p95 under 300 ms on an idle 2-core machine.

Typing is an interaction too: the logit lens and the next-token bars get a new
text each call (another word typed after the default), so no answer is read from a
cache. As on the page, the lens's whole table is asked for after its last column: it
reuses the columns of the text before the new word and that last column (the lens at
a position reads only the text up to it), and computes any other new column.

The last line printed is one JSON object: per endpoint, p50_ms, p95_ms and
first_ms, and the number over the target.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from fastapi.testclient import TestClient

from glasslm.web.app import create_app

REPEATS = 20
TARGET_MS = 300.0
LOCAL = "http://127.0.0.1"  # the server answers only its own loopback Host names (web/guard.py)
TEXT = "The capital of France is"
WORDS = "and the river that runs through it is called the Seine which flows to the sea".split()


def typed(i: int) -> str:
    """The default text with one more word typed, a different one each call, so no cache has seen it."""
    return f"{TEXT} {WORDS[i % len(WORDS)]}" + (f" {i // len(WORDS)}" if i >= len(WORDS) else "")


def sweep(lo, hi, step):
    return list(np.arange(lo, hi + 1e-9, step))


# (name, method, path, body for the i-th move)
CASES = [
    (
        "context-window: window slider",
        "POST",
        "/api/context-window/fit",
        lambda i: {
            "messages": [
                {"role": "user", "content": "I am planning a trip to Lisbon next spring."},
                {"role": "assistant", "content": "Lisbon is beautiful in spring."},
            ],
            "window": int(sweep(64, 512, 24)[i % 19]),
            "policy": "turns",
            "with_fact": True,
        },
    ),
    (
        "embeddings: sinusoidal Channels slider",
        "POST",
        "/api/embeddings/sinusoidal",
        lambda i: {"positions": 48, "channels": int(sweep(8, 128, 8)[i % 16])},
    ),
    (
        "interpretability: neuron Block slider",
        "POST",
        "/api/interpretability/neurons",
        lambda i: {"layer": 1 + i % 30, "neuron": 0, "k": 8},
    ),
    (
        "transformer: logit lens, first answer to typing",
        "POST",
        "/api/transformer/lens",
        lambda i: {"text": typed(i), "k": 3, "last_only": True},
    ),
    (
        "transformer: logit lens, whole table after it",
        "POST",
        "/api/transformer/lens",
        lambda i: {"text": typed(i), "k": 3},
    ),
    ("attention: layer slider", "POST", "/api/attention/maps", lambda i: {"text": TEXT, "layer": i % 30}),
    (
        "attention: query click",
        "POST",
        "/api/attention/steps",
        lambda i: {"text": TEXT, "layer": 3, "head": i % 9, "token": i % 5},
    ),
    (
        "sampling: temperature slider",
        "POST",
        "/api/sampling/distribution",
        lambda i: {"text": TEXT, "temperature": float(sweep(0, 2, 0.1)[i % 21]), "show": 12},
    ),
    ("next-token: typing", "POST", "/api/next-token/predict", lambda i: {"text": typed(i), "k": 10}),
    (
        "probability-and-loss: temperature slider",
        "POST",
        "/api/probability-and-loss/softmax",
        lambda i: {"logits": [2.0, 1.0, 0.5, -1.0], "temperature": float(sweep(0.1, 3, 0.15)[i % 20])},
    ),
    (
        "neurons: activation x slider",
        "POST",
        "/api/neurons/activations",
        lambda i: {"name": "relu", "x": float(sweep(-4, 4, 0.5)[i % 17])},
    ),
    (
        "weights: one-weight slider",
        "POST",
        "/api/weights/one-weight",
        lambda i: {"w": float(sweep(-2, 2, 0.25)[i % 17])},
    ),
]


def percentile(xs, q):
    return float(np.percentile(np.asarray(xs), q))


def main() -> None:
    only = sys.argv[1:]  # words: run only the endpoints whose name contains one of them
    rows = []
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=True) as client:
        t0 = time.perf_counter()
        client.get("/api/context-window/config")  # loads SmolLM2 (timed apart: the server preloads it)
        load_s = time.perf_counter() - t0
        for name, method, path, body in CASES:
            if only and not any(word in name for word in only):
                continue
            times = []
            for i in range(REPEATS + 1):
                t = time.perf_counter()
                r = client.request(method, path, json=body(i))
                times.append(1000 * (time.perf_counter() - t))
                if r.status_code != 200:
                    raise SystemExit(f"{name}: {path} answered {r.status_code}: {r.text[:300]}")
            first, rest = times[0], times[1:]
            rows.append(
                {
                    "endpoint": name,
                    "path": path,
                    "first_ms": round(first, 1),
                    "p50_ms": round(percentile(rest, 50), 1),
                    "p95_ms": round(percentile(rest, 95), 1),
                }
            )
            print(f"  {name}: done", flush=True)

    print(f"\nSmolLM2 load in this process: {load_s:.1f} s (the server does this in the background at start)")
    print(f"{REPEATS} moves per endpoint after a first call; target p95 < {TARGET_MS:.0f} ms\n")
    w = max(len(r["endpoint"]) for r in rows)
    print(f"{'endpoint':<{w}}  {'first':>9}  {'p50':>9}  {'p95':>9}")
    for r in rows:
        flag = "" if r["p95_ms"] < TARGET_MS else "  over target"
        print(f"{r['endpoint']:<{w}}  {r['first_ms']:>7.1f}ms  {r['p50_ms']:>7.1f}ms  {r['p95_ms']:>7.1f}ms{flag}")
    over = [r["endpoint"] for r in rows if r["p95_ms"] >= TARGET_MS]
    print(
        json.dumps(
            {
                "target_p95_ms": TARGET_MS,
                "repeats": REPEATS,
                "smollm2_load_s": round(load_s, 2),
                "endpoints": {
                    r["endpoint"]: {"path": r["path"], **{k: r[k] for k in ("p50_ms", "p95_ms", "first_ms")}}
                    for r in rows
                },
                "over_target": over,
            }
        )
    )


if __name__ == "__main__":
    main()
