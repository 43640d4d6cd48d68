"""Background jobs: long demo work (training runs, sweeps) that streams events.

A job runs an engine generator of events (plain dicts with a "type") in its
own thread, so the server keeps answering everyone else. Events are kept in
order; a browser reads them over server-sent events from any position (so a
reconnecting tab misses nothing). A job ends when its generator is exhausted,
when it is stopped, or when nobody has listened to it for `orphan_after`
seconds (the learner closed the tab). Finished jobs stay readable for
`keep_finished` seconds so their results (a trained model, say) can still be
saved.

Limits are explicit: at most `per_session` running jobs per browser session,
and `global_limit` on the whole server (2 cores are easily swamped).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from glasslm.web.errors import DemoError

MAX_JOBS_PER_SESSION = 2
MAX_JOBS_GLOBAL = 4
ORPHAN_AFTER_S = 15.0  # stop a running job nobody has listened to for this long
KEEP_FINISHED_S = 1800.0  # forget finished jobs after this long
POLL_S = 0.05  # how often a stream looks for new events


@dataclass
class Job:
    id: str
    session: str
    kind: str
    status: str = "running"  # running | done | stopped | error
    events: list[dict] = field(default_factory=list)
    error: str | None = None
    state: dict[str, Any] = field(default_factory=dict)  # results the chapter keeps (e.g. the model)
    stop_event: threading.Event = field(default_factory=threading.Event)
    listeners: int = 0
    last_seen: float = field(default_factory=time.monotonic)
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"

    def summary(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "events": len(self.events), "error": self.error}


EventSource = Callable[[Job], Iterator[dict]]


class JobManager:
    def __init__(self, per_session: int = MAX_JOBS_PER_SESSION, global_limit: int = MAX_JOBS_GLOBAL,
                 orphan_after: float = ORPHAN_AFTER_S, keep_finished: float = KEEP_FINISHED_S):
        self.per_session, self.global_limit = per_session, global_limit
        self.orphan_after, self.keep_finished = orphan_after, keep_finished
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def start(self, session: str, kind: str, source: EventSource, cooperative: bool = False,
              state: dict | None = None) -> Job:
        """Run `source(job)` in a thread. Raises DemoError(429) past a limit.

        `state` is put in job.state before the thread starts, so a request
        arriving a moment later already finds it.

        A stopped job normally ends at its next event. A `cooperative` source
        promises to watch `job.stop_event` itself and return soon after it is
        set; its last events (a summary, say) then still reach the browser.
        """
        self.reap()
        with self._lock:
            running = [j for j in self._jobs.values() if j.running]
            mine = [j for j in running if j.session == session]
            if len(mine) >= self.per_session:
                raise DemoError(
                    f"You already have {len(mine)} runs going (the limit is {self.per_session} "
                    "per learner). Stop one before starting another.", None, 429)
            if len(running) >= self.global_limit:
                raise DemoError(
                    f"The server is busy with {len(running)} runs (its limit is {self.global_limit}). "
                    "Please try again in a moment.", None, 429)
            job = Job(id=uuid.uuid4().hex[:12], session=session, kind=kind, state=dict(state or {}))
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, source, cooperative), name=f"job-{kind}-{job.id}",
                         daemon=True).start()
        return job

    def _run(self, job: Job, source: EventSource, cooperative: bool) -> None:
        try:
            for event in source(job):
                job.events.append(event)
                if job.stop_event.is_set() and not cooperative:
                    break
            # Stopped whether we broke out or the source itself returned on seeing the stop.
            job.status = "stopped" if job.stop_event.is_set() else "done"
        except DemoError as e:
            job.status, job.error = "error", e.message
        except Exception as e:  # a bug in the engine: report it in the stream, keep serving
            job.status, job.error = "error", f"The run failed: {type(e).__name__}: {e}"
        finally:
            job.finished_at = time.monotonic()
            job.events.append({"type": "end", "status": job.status, "error": job.error})

    def get(self, session: str, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.session != session:
            raise DemoError("That run is not known here (it may have ended long ago, or "
                            "belong to another browser). Start a new one.", None, 404)
        return job

    def stop(self, session: str, job_id: str) -> Job:
        job = self.get(session, job_id)
        job.stop_event.set()
        return job

    def running(self, session: str | None = None) -> list[Job]:
        return [j for j in self._jobs.values() if j.running and (session is None or j.session == session)]

    def reap(self) -> None:
        """Stop orphaned runs and forget old finished ones."""
        now = time.monotonic()
        with self._lock:
            for job in list(self._jobs.values()):
                if job.running and job.listeners == 0 and now - job.last_seen > self.orphan_after:
                    job.stop_event.set()
                if job.finished_at is not None and now - job.finished_at > self.keep_finished:
                    del self._jobs[job.id]

    def stop_all(self) -> None:
        for job in self._jobs.values():
            job.stop_event.set()

    # ------------------------------------------------------------ streaming

    async def stream(self, job: Job, is_disconnected: Callable, after: int = 0):
        """Server-sent events of the job from event number `after` until it ends."""
        job.listeners += 1
        sent = max(0, after)
        try:
            while True:
                events = job.events  # appended by the worker thread; list append is atomic
                while sent < len(events):
                    event = events[sent]
                    sent += 1
                    # No "event:" line: every event arrives at EventSource.onmessage, its
                    # kind in data.type.
                    yield f"id: {sent}\ndata: {json.dumps(event)}\n\n"
                    if event.get("type") == "end":
                        return
                job.last_seen = time.monotonic()
                if await is_disconnected():
                    return
                await asyncio.sleep(POLL_S)
        finally:
            job.listeners -= 1
            job.last_seen = time.monotonic()


def thinned_steps(events: Iterable[dict], steps: int, per_run: int) -> Callable[["Job"], Iterator[dict]]:
    """A job source that passes a training run's events on with its "step" events cut
    to about `per_run` (each carrying the mean loss of the steps since the last one
    sent, and the last step always sent), so a chart gets a readable curve instead
    of thousands of points. Other events pass unchanged; a stopped job ends it."""
    every = max(1, steps // per_run)

    def source(job: "Job") -> Iterator[dict]:
        losses: list[float] = []
        for event in events:
            if job.stop_event.is_set():
                return
            if event["type"] == "step":
                losses.append(event["loss"])
                if event["step"] % every and event["step"] != steps:
                    continue
                event = {**event, "loss": sum(losses) / len(losses)}
                losses = []
            yield event

    return source
