"""LogitLens: the transformer walk-through, read layer by layer with the logit lens.

For each position of the text, what SmolLM2 would predict if it stopped after
each block: the residual stream after that block put through the model's own
final norm and unembedding (the transformer chapter's `logit_lens`), next to
the model's real prediction at the end: which layer first puts the answer on
top, and how sure each layer is.
"""

from __future__ import annotations

import numpy as np
import traitlets as t

from glasslm.engine.interpretability.logit_lens import MAX_LENS_ROWS, logit_lens, residual_norms
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.widgets.base import GlassWidget, smollm2_if


class LogitLens(GlassWidget):
    """LogitLens(text, model=None): model is SmolLM2 when None."""

    entry = "lens.js"
    text = t.Unicode("").tag(sync=True)
    tokens = t.List(t.Unicode()).tag(sync=True)
    position = t.Int(-1).tag(sync=True)  # the token whose next-token guesses are drawn; -1 = the last
    layers = t.List().tag(sync=True)  # per position: [{layer, text, prob, norm}] for the embedding and each block
    final = t.List().tag(sync=True)  # per position: the model's real top next token {text, prob}

    def __init__(self, text: str, model=None, **kwargs):
        self._model = m = smollm2_if(model)
        if not text.strip():
            raise ValueError("Type some text to look through the layers of.")
        ids = m.encode(text)
        rows_per_token = m.config.n_layers + 1
        if len(ids) * rows_per_token > MAX_LENS_ROWS:
            raise ValueError(
                f"That text is {len(ids)} tokens; the lens reads at most {MAX_LENS_ROWS // rows_per_token} at once."
            )
        trace = m.trace(ids, attention=False, residual=True)
        self._lens = logit_lens(m, trace.residuals, k=1)
        self._norms = residual_norms(trace.residuals)  # (L+1, T)
        self._logits = trace.logits  # (T, V)
        words = lambda ids_: [token_text(m.tokenizer, int(i)) for i in ids_]  # noqa: E731
        z = self._logits - self._logits.max(axis=-1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # (T, V)
        top = p.argmax(axis=-1)
        L1, T = self._lens.top_ids.shape[:2]
        layers = [
            [
                {
                    "layer": l,
                    "text": token_text(m.tokenizer, int(self._lens.top_ids[l, i, 0])),
                    "prob": float(self._lens.top_probs[l, i, 0]),
                    "norm": float(self._norms[l, i]),
                }
                for l in range(L1)
            ]
            for i in range(T)
        ]
        final = [{"text": token_text(m.tokenizer, int(top[i])), "prob": float(p[i, top[i]])} for i in range(T)]
        super().__init__(text=text, tokens=words(ids), layers=layers, final=final, **kwargs)

    def data(self) -> dict:
        """{"tokens", "top_ids" (L+1, T, 1), "top_probs" (L+1, T, 1), "entropy" (L+1, T), "norms" (L+1, T)}."""
        return {
            "tokens": list(self.tokens),
            "top_ids": self._lens.top_ids.copy(),
            "top_probs": self._lens.top_probs.copy(),
            "entropy": self._lens.entropy.copy(),
            "norms": self._norms.copy(),
        }
