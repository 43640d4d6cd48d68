"""TrainingCurve: a tiny GPT training in the kernel, its loss curve and samples drawn as they come.

`train()` runs the engine's own loop, `train_tiny_gpt(run=...)` (the one the
CLI prints and "Train a GPT" streams), and turns its events into synced
traits: the training loss averaged over the steps between two points (about
CURVE_POINTS a run, as the guide's chart), the held-out loss at each eval, and
the newest sampled names. The state lives in a `TrainRun`, so calling `train()`
again continues where the last call stopped; `.model` is the trained TinyGPT,
ready for AttentionMap or a checkpoint (`.model.save(path)`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import traitlets as t

from glasslm.engine.models.tiny.gpt import GPTConfig
from glasslm.engine.training.train import TrainConfig, TrainRun, train_tiny_gpt
from glasslm.widgets.base import GlassWidget

CURVE_POINTS = 200  # training-loss points drawn per run: the loss is averaged between them


class TrainingCurve(GlassWidget):
    """TrainingCurve(steps=300, data=None, model=None, model_config=None, **TrainConfig settings); .train() runs it.

    data: a NameData (name_data.first_names() by default, or name_data.from_text(your lines));
    model: a TinyGPT to train further in place (else a new one, shaped by model_config).
    """

    entry = "training.js"
    step = t.Int(0).tag(sync=True)
    total = t.Int(0).tag(sync=True)
    running = t.Bool(False).tag(sync=True)
    losses = t.List().tag(sync=True)  # [[step, mean training loss since the previous point], ...]
    heldout = t.List().tag(sync=True)  # [[step, held-out loss], ...]
    bigram = t.Float(0.0).tag(sync=True)  # the held-out loss of counting letter pairs: the bar to beat
    samples = t.List(t.Unicode()).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    y_scale = t.Unicode("linear").tag(sync=True)  # "linear" or "log": how the page draws the loss axis

    def __init__(self, steps: int = 300, data=None, model=None, model_config: GPTConfig | None = None, **settings):
        defaults = {"eval_interval": max(1, steps // 10), "sample_interval": max(1, steps // 5)}
        config = replace(TrainConfig(), steps=steps, **{**defaults, **settings})
        self.run = TrainRun.create(model=model, data=data, config=config, model_config=model_config)
        self.events: list[dict] = []
        super().__init__(
            total=config.steps,
            bigram=float(self.run.bigram_heldout_loss),
            status=f"Ready: {config.steps:,} steps. Press Train, or call .train().",
        )
        self.on_msg(self._message)

    @property
    def model(self):
        return self.run.model

    def _message(self, widget, content, buffers):
        if content.get("type") == "train" and not self.running:
            self.train()

    def train(self) -> list[dict]:
        """Run (or continue) the training to its configured step count; returns the events of this call."""
        if self.run.step >= self.run.config.steps:
            self.status = "Already trained: make a new TrainingCurve (or set .run.config) to go further."
            return []
        every = max(1, self.run.config.steps // CURVE_POINTS)
        pending: list[float] = []
        got: list[dict] = []
        self.running = True
        try:
            for event in train_tiny_gpt(run=self.run):
                got.append(event)
                kind = event["type"]
                if kind == "step":
                    pending.append(event["loss"])
                    if event["step"] % every == 0 or event["step"] == self.run.config.steps:
                        with self.hold_sync():
                            self.losses = [*self.losses, [event["step"], float(np.mean(pending))]]
                            self.step = event["step"]
                            self.status = f"Step {event['step']:,} of {self.total:,}"
                        pending = []
                elif kind == "eval" and event["heldout_loss"] is not None:
                    self.heldout = [*self.heldout, [event["step"], float(event["heldout_loss"])]]
                elif kind == "samples":
                    self.samples = list(event["names"])
                elif kind == "done":
                    self.status = event.get("message") or (
                        f"Done: {event['step']:,} steps, held-out loss {event['heldout_loss']:.3f}"
                        if event["heldout_loss"] is not None
                        else "Done."
                    )
        finally:
            self.running = False
            self.events.extend(got)
        return got

    def data(self) -> dict:
        """{"steps", "loss" (one per step), "heldout_steps", "heldout_loss", "samples", "bigram_heldout_loss"}."""
        steps = [e for e in self.events if e["type"] == "step"]
        evals = [e for e in self.events if e["type"] == "eval" and e["heldout_loss"] is not None]
        return {
            "steps": np.array([e["step"] for e in steps]),
            "loss": np.array([e["loss"] for e in steps]),
            "heldout_steps": np.array([e["step"] for e in evals]),
            "heldout_loss": np.array([e["heldout_loss"] for e in evals]),
            "samples": list(self.samples),
            "bigram_heldout_loss": self.bigram,
        }
