"""Models the server trains once in the background and lends to every learner, read-only.

Two chapters start from a tiny GPT nobody asked to train: the generation
chapter's default name model and post-training's base model. Each is trained
by an engine generator (`pretrain_default_tiny_gpt`, `sft.pretrain_base`)
whose events this class reads in a thread: "start" (the bigram baseline),
"step", "done" (held-out loss, seconds) and a last "model". The models belong
to the app (`app.state.shared_models`), so a fresh app trains its own.

`wait_job(request, session, shared, kind, info)` is the endpoint both chapters
need: ready at once when trained, else a job streaming the training progress
until the model is ready (it does not start a second training).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterator

from fastapi import Request

from glasslm.engine.models.tiny.gpt import TinyGPT
from glasslm.web.errors import DemoError

POLL_S = 0.2  # how often a waiting job looks at the training's progress


class SharedModel:
    """A model trained once, in the background, by train() -> events ending in {"type": "model", "model"}."""

    def __init__(self, train: Callable[[], Iterator[dict]], steps: int, what: str):
        self._train_events, self.steps, self.what = train, steps, what
        self.model: TinyGPT | None = None
        self.step = 0
        self.heldout_loss: float | None = None
        self.bigram_heldout_loss: float | None = None
        self.seconds: float | None = None
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Begin training (at most once)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._train, name=f"shared-{self.what}", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> TinyGPT | None:
        """Start training if needed and wait for it (for scripts and tests)."""
        self.start()
        self._thread.join(timeout)
        return self.model

    @property
    def training(self) -> bool:
        return self._thread is not None and self.model is None and self.error is None

    def _train(self) -> None:
        model = None
        try:
            for event in self._train_events():
                if event["type"] == "start":
                    self.bigram_heldout_loss = event["bigram_heldout_loss"]
                elif event["type"] == "step":
                    self.step = event["step"]
                elif event["type"] == "done":
                    self.heldout_loss, self.seconds = event["heldout_loss"], event["elapsed_s"]
                elif event["type"] == "model":
                    model = event["model"]
        except Exception as err:  # reported to whoever waits for the model
            self.error = f"training the {self.what} failed: {err}"
            return
        self.model = model

    def progress(self) -> dict:
        return {
            "step": self.step,
            "steps": self.steps,
            "ready": self.model is not None,
            "heldout_loss": self.heldout_loss,
            "bigram_heldout_loss": self.bigram_heldout_loss,
            "seconds": self.seconds,
            "error": self.error,
        }


def shared_model(request: Request, name: str, make: Callable[[], SharedModel]) -> SharedModel:
    """The app's shared model called name (made by make() on first use); its training started."""
    state = request.app.state
    with state.shared_models_lock:
        shared = state.shared_models.get(name)
        if shared is None:
            shared = state.shared_models[name] = make()
    shared.start()
    if shared.error:
        raise DemoError(shared.error, None, 500)
    return shared


def ready_model(shared: SharedModel) -> TinyGPT:
    """The trained model, or a 409 saying it is still training."""
    if shared.model is None:
        raise DemoError(
            f"The {shared.what} is still training ({shared.step:,} of {shared.steps:,} steps); "
            "try again in a few seconds.",
            None,
            409,
        )
    return shared.model


def wait_job(request: Request, session: str, shared: SharedModel, kind: str, info: Callable[[], dict]) -> dict:
    """{"ready": True, **info()} when trained; else {"ready": False, "job", "steps"} for a job that
    streams {"type": "progress", "step", "steps"} and ends with {"type": "ready", **info()}."""
    if shared.model is not None:
        return {"ready": True, "job": None, **info()}

    def events(job):
        last = -1
        while not job.stop_event.is_set():
            p = shared.progress()
            if p["error"]:
                raise DemoError(p["error"], None, 500)
            if p["ready"]:
                yield {"type": "ready", **info()}
                return
            if p["step"] != last:
                last = p["step"]
                yield {"type": "progress", "step": p["step"], "steps": p["steps"]}
            time.sleep(POLL_S)

    job = request.app.state.jobs.start(session, kind, events)
    return {"ready": False, "job": job.id, "steps": shared.steps}
