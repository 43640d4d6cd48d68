"""Your model: the tiny GPTs a learner trained or uploaded, kept for their session.

A learner who trains a tiny GPT in train-a-gpt wants to open it up in the later
chapters, not only the default every chapter starts from. The store keeps it,
per browser session (session.py), in the server's memory:

- a run of train-a-gpt that ends (done, or stopped after some steps) is adopted
  when the learner's session next asks (`adopt_job`): its model becomes the
  newest of the session's models;
- an uploaded checkpoint (my_models_api.py) joins the same list;
- `glasslm serve --model FILE` puts one model beside every session's own
  (`server`), counted against no session.

Named limits bound the memory: MAX_MODELS_PER_SESSION (the oldest goes first),
MAX_MODEL_BYTES of weights per model, MAX_SESSIONS (the session unused longest
goes first). Nothing is written to disk: a restart forgets every model, which
the page says (download to keep one).

Chapters call `pick_model(request, session, model_id)` with the id a demo's
model picker sent, and `needs_names(entry)` when a demo only makes sense with
the names vocabulary (26 lowercase letters). `default_tiny_gpt(request)` is
the default they compare with: the one tiny GPT the server trains on first
names (shared_models.py), the same in every chapter.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from fastapi import Request

from glasslm.engine.models.tiny.gpt import TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer
from glasslm.engine.training.train import DEFAULT_STEPS, train_default_tiny_gpt
from glasslm.web.errors import DemoError
from glasslm.web.shared_models import SharedModel, shared_model

MAX_MODELS_PER_SESSION = 3  # a learner compares a few; the oldest is forgotten when a fourth arrives
MAX_MODEL_BYTES = 8_000_000  # weights in memory (float64): a million parameters, far past what the guide trains
MAX_SESSIONS = 16  # learners whose models are kept; the one unused longest is forgotten first
MAX_NAME_CHARS = 60
DEFAULT = "default"  # the id a picker sends for the chapter's own default model
DEFAULT_TINY_GPT = "default tiny GPT"  # the app's shared model: trained once per server, lent to every learner
NAMES_VOCAB = CharTokenizer("abcdefghijklmnopqrstuvwxyz")  # what the names data sets use (name_data)


@dataclass
class MyModel:
    """One stored model and what the picker shows about it."""

    name: str
    model: TinyGPT
    origin: str  # "trained" (in the guide), "uploaded", "server" (glasslm serve --model)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    lineage: str | None = None  # a run resumed later replaces its earlier model rather than adding one
    training: dict | None = None  # how a run of train-a-gpt trained it ({"data", "steps", "batch_size"}), if known

    @property
    def nbytes(self) -> int:
        return int(self.model.params.flat.nbytes)

    @property
    def names_vocab(self) -> bool:
        return self.model.tokenizer == NAMES_VOCAB

    def info(self) -> dict:
        cfg = self.model.config
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "n_params": self.model.n_params,
            "bytes": self.nbytes,
            "n_layer": cfg.n_layer,
            "n_embd": cfg.n_embd,
            "n_head": cfg.n_head,
            "block_size": cfg.block_size,
            "vocab_size": cfg.vocab_size,
            "chars": self.model.tokenizer.chars if self.model.tokenizer else "",
            "names_vocab": self.names_vocab,
        }


def check_size(model: TinyGPT) -> None:
    """Refuse a model whose weights pass MAX_MODEL_BYTES (413), with the sizes in the sentence."""
    nbytes = int(model.params.flat.nbytes)
    if nbytes > MAX_MODEL_BYTES:
        raise DemoError(
            f"This model's weights take {nbytes:,} bytes in memory; a learner's model here may take at most "
            f"{MAX_MODEL_BYTES:,} (about {MAX_MODEL_BYTES // 8:,} parameters). Open bigger ones with "
            "`glasslm serve --model FILE`.",
            "file",
            413,
        )


def check_layout(model: TinyGPT) -> None:
    """Refuse a model built with the architecture lab's switches: the demos that offer "your model"
    (its logit lens, LoRA, the PyTorch twin) read microgpt's layout."""
    if not model.config.microgpt_layout:
        raise DemoError(
            "This checkpoint uses architecture switches (norms, positions, shared key-value heads or MLP kind) "
            "other than microgpt's, which the demos that open your model do not run. Train it with the default "
            "architecture, as `glasslm train` and Train a GPT do.",
            "file",
        )


class MyModels:
    """Every session's models, newest first, within the named limits. Thread-safe."""

    def __init__(self, server: MyModel | None = None):
        self.server = server
        self._sessions: OrderedDict[str, list[MyModel]] = OrderedDict()
        self._pending: dict[str, list[tuple[object, Callable]]] = {}
        self._lock = threading.Lock()

    def add(
        self,
        session: str,
        model: TinyGPT,
        name: str,
        origin: str,
        lineage: str | None = None,
        training: dict | None = None,
    ) -> MyModel:
        check_size(model)
        check_layout(model)
        entry = MyModel(name=name[:MAX_NAME_CHARS], model=model, origin=origin, lineage=lineage, training=training)
        with self._lock:
            models = [m for m in self._sessions.pop(session, []) if lineage is None or m.lineage != lineage]
            self._sessions[session] = [entry, *models][:MAX_MODELS_PER_SESSION]
            while len(self._sessions) > MAX_SESSIONS:
                gone, _ = self._sessions.popitem(last=False)
                self._pending.pop(gone, None)
        return entry

    def adopt_job(self, session: str, job, take: Callable) -> None:
        """When `job` ends, `take(job)` -> {"model", "name", "lineage"?, "training"?} or None becomes this
        session's newest model (replacing the one of the same lineage: an earlier part of the same run)."""
        with self._lock:
            self._pending.setdefault(session, []).append((job, take))
            self._pending[session] = self._pending[session][-MAX_MODELS_PER_SESSION:]

    def _collect(self, session: str) -> None:
        with self._lock:
            pending = self._pending.get(session, [])
            ended = [(job, take) for job, take in pending if not job.running]
            left = [p for p in pending if p not in ended]
            if left:
                self._pending[session] = left
            else:
                self._pending.pop(session, None)
        for job, take in ended:
            got = take(job)
            if got is not None:
                try:
                    self.add(session, origin="trained", **got)
                except DemoError:  # too big to keep: the chapter that trained it still has it
                    pass

    def list(self, session: str) -> list[MyModel]:
        """The session's models, newest first, then the server's (if any)."""
        self._collect(session)
        with self._lock:
            if session in self._sessions:
                self._sessions.move_to_end(session)
            mine = list(self._sessions.get(session, []))
        return mine + ([self.server] if self.server else [])

    def get(self, session: str, model_id: str) -> MyModel:
        for entry in self.list(session):
            if entry.id == model_id:
                return entry
        raise DemoError(
            "That model is no longer here (the server restarted, or newer models replaced it): "
            "pick another, or train one in Train a GPT.",
            "model",
            404,
        )


def default_tiny_gpt(request: Request) -> SharedModel:
    """The app's default tiny GPT (its training started on first use)."""
    return shared_model(
        request, DEFAULT_TINY_GPT, lambda: SharedModel(train_default_tiny_gpt, DEFAULT_STEPS, DEFAULT_TINY_GPT)
    )


def my_models(request: Request) -> MyModels:
    return request.app.state.my_models


def pick_model(request: Request, session: str, model_id: str) -> MyModel | None:
    """The learner's model a picker chose, or None for the chapter's default."""
    if model_id == DEFAULT:
        return None
    return my_models(request).get(session, model_id)


def needs_names(entry: MyModel, what: str = "This demo") -> None:
    """Refuse a model whose characters are not the names data's 26 letters."""
    if not entry.names_vocab:
        raise DemoError(
            f"{what} needs a model trained on names (the 26 lowercase letters); “{entry.name}” knows "
            f"other characters. Pick the default or a model trained on names.",
            "model",
        )
