"""Background jobs: long demo work (training runs, sweeps) that streams events.

A job runs an engine generator of events (plain dicts with a "type"). Events
are kept in order; a browser reads them over server-sent events from any
position (so a reconnecting tab misses nothing). A job ends when its generator
is exhausted, when it is stopped, or when nobody has listened to it for
`orphan_after` seconds (the learner closed the tab).

Where a job runs (every kind is listed in RUNS_IN_WORKER / RUNS_IN_SERVER):
- in a worker process (worker.py) when it is mostly numpy of its own (tiny
  models training): the server stays quick, Stop ends the process, and its
  memory is returned when it ends. Its router passes `InWorker(factory, *args)`.
- as a thread in the server when it mostly asks SmolLM2 (or another shared
  model) questions: those go through the server's one shared copy of the
  weights (540 MB) rather than a private copy per worker; or when it is short,
  or reads state the server's requests share while it runs.

Limits are explicit: at most `per_session` running jobs per browser session,
`global_limit` on the whole server (2 cores are easily swamped); `glasslm
serve --jobs-per-learner/--max-jobs` set them. Finished jobs stay readable for
`keep_finished` seconds so their results (a trained model, say) can still be
saved, but only the newest `finished_per_session` of each learner.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from glasslm.web import worker
from glasslm.web.errors import DemoError
from glasslm.web.limits import FINISHED_PER_SESSION, MAX_JOBS_GLOBAL, MAX_JOBS_PER_SESSION  # noqa: F401
from glasslm.web.memory import return_freed_memory
from glasslm.web.worker import InWorker

STOP_GRACE_S = 3.0  # a stopped worker that has not ended by then is terminated
# Every chapter's kind of job, and why it runs where it does (tests/api/test_server.py checks the list).
RUNS_IN_WORKER = {  # tiny models trained from scratch: minutes of numpy of their own
    "train-a-gpt-recurrent": "trains a tiny GPT, an RNN and an LSTM side by side",
    "train-a-gpt": "trains a tiny GPT",
    "vision-vit": "trains a tiny vision transformer",
    "vision-clip": "trains a tiny CLIP",
    "diffusion": "trains a tiny diffusion model",
    "reasoning": "trains two tiny GPTs on additions",
    "scaling-sweep": "trains a sweep of tiny GPTs",
    "mlp": "trains a small MLP",
    "post-training-sft": "fine-tunes the tiny base GPT",
    "post-training-dpo": "tunes the tiny base GPT with DPO",
    "fine-tuning-lora": "pretrains a tiny GPT, then fine-tunes it in full and with LoRA",
    "transformer-lab": "trains two tiny GPTs of different architectures side by side",
    "transformer-tour": "trains microgpt's architecture upgraded step by step towards SmolLM2's",
    "vision-cnn": "trains a small CNN beside a ViT, whose models /cnn/look reads",
    "embeddings-word2vec": "trains small word vectors",
    "transformer-seq2seq": "trains an encoder-decoder, which /seq2seq/translate reads",
}
RUNS_IN_SERVER = {  # asks the shared SmolLM2 (one 540 MB copy, batched by the server), or only watches
    "recall": "SmolLM2 recalls door codes through a context window",
    "serving-batch": "fires requests at the server's own SmolLM2 scheduler",
    "serving-speculate": "SmolLM2 decodes with and without speculation",
    "serving-roofline": "measures this process's matrix products, memory and SmolLM2 (a few seconds)",
    "scaling-ddp-step": "starts its own torch processes and waits for them",
    "embeddings-ann-build": "builds a faiss index the app keeps for searching (a few seconds, in faiss's C++)",
    "agents-react": "SmolLM2 answers an agent's steps",
    "attention-cost": "times SmolLM2's attention",
    "needle": "SmolLM2 reads long contexts",
    "evaluation-benchmark": "SmolLM2 answers benchmark questions",
    "evaluation-arena": "SmolLM2 answers arena prompts",
    "fine-tuning-quantize": "SmolLM2's answers with quantized weights",
    "generation-tiny-gpt": "watches the server's one shared tiny GPT pretraining",
    "hallucination-run": "SmolLM2 answers fact questions",
    "interp-sae": "an autoencoder on SmolLM2's activations, read from the shared model",
    "interp-patch": "SmolLM2 with patched activations",
    "interp-trace": "SmolLM2 with noised and restored states (reads the server's one copy of the weights)",
    "kv-cache-timing": "times SmolLM2's decoding with and without a cache",
    "post-training-compare": "SmolLM2 base and instruct answer the same prompts",
    "post-training-base": "watches the server's one shared tiny base GPT pretraining",
    "post-training-critique": "SmolLM2 critiques and revises",
    "prompting-run": "SmolLM2 answers with each prompting technique",
    "prompting-own": "SmolLM2 answers the learner's prompt",
    "rag-answer": "SmolLM2 answers with retrieved passages",
    "reasoning-votes": "short samples from the two tiny GPTs a finished run left in the server",
    "reasoning-budget": "short greedy runs of a tiny GPT a finished run left in the server",
    "sampling-continuations": "SmolLM2 continues a prompt",
    "serving-chat": "SmolLM2 chats through the server's scheduler",
}
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
    process: Any = None  # the worker process, for jobs that run in one

    @property
    def runs_in(self) -> str:
        return "worker" if self.process is not None else "server"

    @property
    def running(self) -> bool:
        return self.status == "running"

    def summary(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "events": len(self.events),
            "error": self.error,
            "runs_in": self.runs_in,
        }


EventSource = Callable[[Job], Iterator[dict]]


class JobManager:
    def __init__(
        self,
        per_session: int = MAX_JOBS_PER_SESSION,
        global_limit: int = MAX_JOBS_GLOBAL,
        orphan_after: float = ORPHAN_AFTER_S,
        keep_finished: float = KEEP_FINISHED_S,
        finished_per_session: int = FINISHED_PER_SESSION,
    ):
        self.per_session, self.global_limit = per_session, global_limit
        self.finished_per_session = finished_per_session
        self.closing = False  # set when the server shuts down: open streams end at once
        self.orphan_after, self.keep_finished = orphan_after, keep_finished
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def start(
        self,
        session: str,
        kind: str,
        source: EventSource | InWorker,
        cooperative: bool = False,
        state: dict | None = None,
    ) -> Job:
        """Run `source(job)` in a thread, or in a worker process if it is an InWorker.
        Raises DemoError(429) past a limit.

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
                    "per learner). Stop one before starting another.",
                    None,
                    429,
                )
            if len(running) >= self.global_limit:
                raise DemoError(
                    f"The server is busy with {len(running)} runs (its limit is {self.global_limit}). "
                    "Please try again in a moment.",
                    None,
                    429,
                )
            job = Job(id=uuid.uuid4().hex[:12], session=session, kind=kind, state=dict(state or {}))
            if isinstance(source, InWorker):
                # Pickled here, so a source that cannot travel fails now, in the request.
                payload = pickle.dumps((source.factory, source.args, job.state))
                ctx = worker.context()
                job.stop_event = ctx.Event()
                receive, send = ctx.Pipe(duplex=False)
                job.process = ctx.Process(
                    target=worker.main,
                    args=(send, job.stop_event, payload, cooperative),
                    name=f"glasslm-job-{kind}",
                    daemon=True,
                )
                target, args = self._follow, (job, receive)
            else:
                target, args = self._run, (job, source, cooperative)
            self._jobs[job.id] = job
        if job.process is not None:  # outside the lock: a fork takes a moment
            job.process.start()
            send.close()  # the worker holds the only writing end now: its exit is the pipe's EOF
            job.last_seen = time.monotonic()  # a slow start is not the learner's absence
        threading.Thread(target=target, args=args, name=f"job-{kind}-{job.id}", daemon=True).start()
        return job

    def _follow(self, job: Job, receive) -> None:
        """Pass a worker's events on to the job, until it ends (or is ended after a Stop).

        A worker that dies without its "end" closes its end of the pipe: recv() then
        raises EOFError. The pipe, not is_alive(), is the signal: a worker that sent
        its last events and exited between two polls has left them in the pipe, and
        is_alive() of a forkserver child also turns false if the forkserver ends."""
        stopped_at = None
        try:
            while True:
                if receive.poll(POLL_S):
                    kind, value = receive.recv()
                    if kind == "event":
                        job.events.append(value)
                    elif kind == "state":
                        job.state.update(value)
                    else:
                        job.status, job.error = value
                        break
                if job.stop_event.is_set():
                    stopped_at = stopped_at or time.monotonic()
                    if time.monotonic() - stopped_at > STOP_GRACE_S:
                        job.process.terminate()
                        job.status = "stopped"
                        break
        except (EOFError, OSError):  # the worker died without a word (killed, out of memory)
            job.status = "stopped" if job.stop_event.is_set() else "error"
            if job.status == "error":
                job.error = "The run's worker process ended unexpectedly; please start it again."
        except Exception as e:  # a message that would not unpickle here: a bug, reported in the stream
            job.process.terminate()
            job.status, job.error = "error", f"The run failed: {type(e).__name__}: {e}"
        finally:
            job.process.join(timeout=STOP_GRACE_S)
            if job.process.is_alive():
                job.process.kill()
                job.process.join()
            receive.close()
            self._end(job)

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
            self._end(job)

    @staticmethod
    def _end(job: Job) -> None:
        job.finished_at = time.monotonic()
        job.events.append({"type": "end", "status": job.status, "error": job.error})
        return_freed_memory()

    def get(self, session: str, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.session != session:
            raise DemoError(
                "That run is not known here (it may have ended long ago, or "
                "belong to another browser). Start a new one.",
                None,
                404,
            )
        return job

    def stop(self, session: str, job_id: str) -> Job:
        job = self.get(session, job_id)
        job.stop_event.set()
        return job

    def running(self, session: str | None = None) -> list[Job]:
        return [j for j in self._jobs.values() if j.running and (session is None or j.session == session)]

    def reap(self) -> None:
        """Stop orphaned runs; forget old finished ones, and all but each learner's newest few."""
        now = time.monotonic()
        with self._lock:
            kept: dict[str, int] = {}
            newest_first = sorted(self._jobs.values(), key=lambda j: j.finished_at or 0.0, reverse=True)
            for job in newest_first:
                if job.running and job.listeners == 0 and now - job.last_seen > self.orphan_after:
                    job.stop_event.set()
                if job.finished_at is None:
                    continue
                kept[job.session] = kept.get(job.session, 0) + 1
                if now - job.finished_at > self.keep_finished or kept[job.session] > self.finished_per_session:
                    del self._jobs[job.id]

    def stop_all(self) -> None:
        """At shutdown: stop every run; workers end at once (the server is going away)."""
        self.closing = True
        for job in list(self._jobs.values()):
            job.stop_event.set()
            if job.process is not None and job.process.is_alive():
                job.process.terminate()

    # ------------------------------------------------------------ streaming

    async def stream(self, job: Job, is_disconnected: Callable, after: int = 0):
        """Server-sent events of the job from event number `after` until it ends.

        Asking for events past the last one ends the stream at once (they cannot
        come: the job ended, or the number is not one this job gave), without
        counting as a listener that keeps the job alive."""
        sent = max(0, after)
        ended = bool(job.events) and job.events[-1].get("type") == "end"
        if sent > len(job.events) or (sent == len(job.events) and ended):
            return
        job.listeners += 1
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
                if self.closing or await is_disconnected():
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


def averaged_steps(events: Iterator[dict], every: int, last: int) -> Iterator[dict]:
    """Step events thinned to one in `every` (and step `last`), each carrying the mean of its
    "losses" since the one before: a run of several models sends a readable curve, not every step."""
    sums: dict[str, list[float]] = {}
    for event in events:
        if event["type"] == "step":
            for name, v in event["losses"].items():
                sums.setdefault(name, []).append(v)
            if event["step"] % every and event["step"] != last:
                continue
            event = {**event, "losses": {name: sum(v) / len(v) for name, v in sums.items()}}
            sums = {}
        yield event
