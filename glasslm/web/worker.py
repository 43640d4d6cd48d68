"""Running a job's events in a worker process, so training never slows the pages.

A training run is pure numpy for minutes: as a thread in the server it shares
the interpreter and the BLAS threads with every learner's clicks. In its own
process, started from a "forkserver" (a clean process that forks workers,
never the many-threaded server itself), it runs at a lower priority with its
own BLAS-thread budget, and when it ends, or is stopped, the process exits and
its memory goes back to the system.

The protocol is the standard library's: the job's source factory, arguments
and starting state are pickled to the worker; the worker sends back
("event", dict) for each event, then ("state", dict) with the job's state as
it ended (a trained model, say), then ("end", (status, error)). While it runs, the
state is also sent every STATE_EVERY_S, so a demo can look at a model mid-run.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from dataclasses import dataclass, field
from typing import Any, Callable

WORKER_NICE = 10  # where SCHED_IDLE is missing (not Linux): a lower priority at least
STATE_EVERY_S = 2.0  # how stale the server's copy of a running job's state may get (a model mid-run)
WORKER_BLAS_THREADS = 1  # each worker's matrix products use one thread: 2 cores, several workers
# Imported once in the forkserver, so each worker starts in a fraction of a second: the
# routers whose job sources run in workers (their sources travel by name).
PRELOAD = ["numpy", "glasslm.web.worker"] + [
    f"glasslm.chapters.{c}.api"
    for c in (
        "train_a_gpt",
        "vision",
        "diffusion",
        "reasoning",
        "scaling_laws",
        "neurons",
        "post_training",
        "fine_tuning",
        "embeddings",
        "transformer",
    )
]

_context = None


def context():
    """The multiprocessing context every worker comes from (started on first use)."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


class InWorker:
    """A job source to run in a worker process: `factory(*args)` gives the source.

    factory must be a module-level function (it travels by name) and args must
    pickle. In a router, `jobs.start(s, kind, make_source(run), ...)` becomes
    `jobs.start(s, kind, InWorker(make_source, run), ...)`.
    """

    def __init__(self, factory: Callable, *args: Any):
        self.factory, self.args = factory, args


def yield_the_cores() -> None:
    """Run this process only when the server has nothing to do (Linux's SCHED_IDLE), else
    at a low priority: a niced process still takes a share of its session's time, and
    the interactive requests of a class should not wait for any training run."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(WORKER_NICE)


def warm_up() -> None:
    """Start the forkserver now (it imports PRELOAD), so the first run starts at once."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()


@dataclass
class WorkerJob:
    """What a source sees of its job inside the worker: the stop signal and the state."""

    stop_event: Any
    state: dict = field(default_factory=dict)


def main(conn, stop_event, payload: bytes, cooperative: bool) -> None:
    """The worker process: run the source, send its events, its final state and its end."""
    from threadpoolctl import threadpool_limits

    from glasslm.web.errors import DemoError

    yield_the_cores()
    threadpool_limits(WORKER_BLAS_THREADS)
    status, error = "done", None
    try:
        factory, args, state = pickle.loads(payload)
        job = WorkerJob(stop_event, state)
        sent_state = time.monotonic()
        for event in factory(*args)(job):
            conn.send(("event", event))
            if time.monotonic() - sent_state > STATE_EVERY_S:  # the model as it is now, for mid-run demos
                conn.send(("state", job.state))
                sent_state = time.monotonic()
            if stop_event.is_set() and not cooperative:
                break
        status = "stopped" if stop_event.is_set() else "done"
    except DemoError as e:
        status, error = "error", e.message
    except Exception as e:  # a bug in the engine: report it in the stream
        status, error = "error", f"The run failed: {type(e).__name__}: {e}"
    try:
        conn.send(("state", job.state))
    except Exception:  # noqa: BLE001  (no job, or its state would not pickle: the events still stand)
        pass
    conn.send(("end", (status, error)))
    conn.close()
