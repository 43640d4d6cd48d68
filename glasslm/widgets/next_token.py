"""NextToken: SmolLM2's probability for every possible next token after a text; the top few drawn as bars.

The numbers are the next-token chapter's: `softmax(m.next_logits(ids))` over
the whole vocabulary. Clicking a bar appends that token to the text, as the
chapter does, and the kernel computes the next distribution.
"""

from __future__ import annotations

import numpy as np
import traitlets as t

from glasslm.engine.basics.sampling import entropy, softmax
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.widgets.base import GlassWidget, smollm2_if

MAX_TOKENS = 512  # the prompt's length in tokens: longer texts take seconds per change on a laptop
MAX_K = 50  # bars drawn


def next_token(model, text: str, k: int) -> dict:
    """{"ids", "probs" (V,), "top": [{id, text, prob}], "entropy_bits"} for the token after `text`."""
    if not text.strip():
        raise ValueError("Type some text: the model predicts the token that comes after it.")
    ids = model.encode(text)
    if len(ids) > MAX_TOKENS:
        raise ValueError(f"That text is {len(ids)} tokens; this widget takes at most {MAX_TOKENS}.")
    probs = softmax(model.next_logits(ids))  # (V,) float64
    top = np.argsort(-probs, kind="stable")[:k]
    return {
        "ids": ids,
        "probs": probs,
        "top": [{**token_piece(model.tokenizer, int(i)), "prob": float(probs[i])} for i in top],
        "entropy_bits": float(entropy(probs) / np.log(2)),
    }


class NextToken(GlassWidget):
    """NextToken(text, k=10, model=None): model is SmolLM2 when None."""

    entry = "next_token.js"
    text = t.Unicode("").tag(sync=True)
    k = t.Int(10).tag(sync=True)
    tokens = t.List().tag(sync=True)  # the text's tokens [{id, text}]
    top = t.List().tag(sync=True)  # [{id, text, prob}] best first
    entropy_bits = t.Float(0.0).tag(sync=True)

    def __init__(self, text: str, k: int = 10, model=None, **kwargs):
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be from 1 to {MAX_K} (got {k})")
        self._model = smollm2_if(model)
        self._result = next_token(self._model, text, k)
        super().__init__(text=text, k=k, **self._state(), **kwargs)

    def _state(self) -> dict:
        r = self._result
        return {
            "tokens": [token_piece(self._model.tokenizer, i) for i in r["ids"]],
            "top": r["top"],
            "entropy_bits": r["entropy_bits"],
        }

    @t.observe("text", "k")
    def _changed(self, change):
        if not self.top:
            return  # still in __init__
        try:
            self._result = next_token(self._model, self.text, max(1, min(self.k, MAX_K)))
        except ValueError as err:
            self.error = str(err)
            return
        with self.hold_sync():
            self.error = ""
            for name, value in self._state().items():
                setattr(self, name, value)

    def data(self) -> dict:
        """{"ids" of the text, "probs" (V,) of the next token, "top" [{id, text, prob}], "entropy_bits"}."""
        return {**self._result, "probs": self._result["probs"].copy()}
