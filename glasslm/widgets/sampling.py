"""SamplingKnobs: temperature, top-k, top-p and min-p applied to SmolLM2's real next-token logits.

The logits are computed once per text; each knob change reruns the sampling
chapter's `filter_stages` (model distribution, then each rule in the order
sampling.py applies them), whose last stage is exactly the distribution a
token would be drawn from.
"""

from __future__ import annotations

import numpy as np
import traitlets as t

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.inference.sampling_lab import filter_stages
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.widgets.base import GlassWidget, smollm2_if
from glasslm.widgets.next_token import MAX_TOKENS

SHOW = 12  # tokens drawn: the model's favourites, in its own order


class SamplingKnobs(GlassWidget):
    """SamplingKnobs(text, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, model=None)."""

    entry = "sampling.js"
    text = t.Unicode("").tag(sync=True)
    temperature = t.Float(1.0).tag(sync=True)
    top_k = t.Int(0).tag(sync=True)
    top_p = t.Float(1.0).tag(sync=True)
    min_p = t.Float(0.0).tag(sync=True)
    rows = t.List().tag(sync=True)  # [{id, text, model, final}] for the model's SHOW favourites
    stages = t.List().tag(sync=True)  # [{name, survivors, kept_mass, entropy_bits}]

    def __init__(self, text: str, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, model=None, **kwargs):
        self._model = smollm2_if(model)
        if not text.strip():
            raise ValueError("Type some text: the knobs act on the distribution of the token after it.")
        ids = self._model.encode(text)
        if len(ids) > MAX_TOKENS:
            raise ValueError(f"That text is {len(ids)} tokens; this widget takes at most {MAX_TOKENS}.")
        self._logits = self._model.next_logits(ids)  # (V,)
        self._stages = filter_stages(self._logits, SamplingConfig(temperature, top_k, top_p, min_p))
        super().__init__(
            text=text, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, **self._state(), **kwargs
        )

    def _state(self) -> dict:
        model, final = self._stages[0].probs, self._stages[-1].probs
        top = np.argsort(-model, kind="stable")[:SHOW]
        rows = [
            {**token_piece(self._model.tokenizer, int(i)), "model": float(model[i]), "final": float(final[i])}
            for i in top
        ]
        stages = [
            {"name": s.name, "survivors": s.survivors, "kept_mass": s.kept_mass, "entropy_bits": s.entropy_bits}
            for s in self._stages
        ]
        return {"rows": rows, "stages": stages}

    @t.observe("temperature", "top_k", "top_p", "min_p")
    def _knob(self, change):
        if not self.rows:
            return  # still in __init__
        try:
            config = SamplingConfig(self.temperature, self.top_k, self.top_p, self.min_p)
        except ValueError as err:
            self.error = str(err)
            return
        self._stages = filter_stages(self._logits, config)
        with self.hold_sync():
            self.error = ""
            for name, value in self._state().items():
                setattr(self, name, value)

    def data(self) -> dict:
        """{"logits" (V,), "stages": {name: probs (V,)}, "final" (V,): what a token is drawn from}."""
        return {
            "logits": np.array(self._logits),
            "stages": {s.name: s.probs.copy() for s in self._stages},
            "final": self._stages[-1].probs.copy(),
        }
