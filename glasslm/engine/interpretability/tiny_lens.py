"""The logit lens and the attention maps of a tiny GPT: any checkpoint, a learner's own included.

logit_lens.py reads SmolLM2's residual stream; this file does the same for the
tiny GPT (models/tiny/gpt.py), whose last step has no final norm:

    logits = x_L @ lm_head^T                                    (T, V)

so the lens after layer l is simply x_l @ lm_head^T: what the model would
predict if it stopped after l layers. Row 0 is the normalized embedding alone
(a bigram guess, read through the same head); at l = L the lens IS the
model's output. Beside it, every head's attention weights from the same pass
(gpt.TinyGPT.trace), so one call shows where the model looks and what it
predicts, layer by layer.

Left out: the tuned lens (Belrose et al. 2023), and texts longer than the
model's context (the first block_size characters are read).
Shapes: L layers, H heads, T characters (BOS included), C width, V vocabulary, k top tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.models.tiny.gpt import TinyGPT


@dataclass(frozen=True)
class TinyLens:
    tokens: list[str]  # T characters read, "<BOS>" first
    attention: list[np.ndarray]  # L arrays (H, T, T): row t = where position t looks
    top_ids: np.ndarray  # (L+1, T, k) the lens's likeliest next characters, best first
    top_probs: np.ndarray  # (L+1, T, k) their probabilities (softmax over all V)
    logits: np.ndarray  # (T, V) the model's own output (= the lens at l = L)


def residuals(model: TinyGPT, ids: list[int]) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(L+1 residuals (T, C), L attention maps (H, T, T), logits (T, V)) of one forward pass."""
    trace: dict = {}
    logits, _ = model.forward(np.array([ids]), trace=trace)
    x0 = tt.rmsnorm(tt.Tensor(trace["embedding"][0])).data  # (T, C): the forward pass normalizes the embedding
    stream = [x0] + [r[0] for r in trace.get("residual", [])]
    return stream, [a[0] for a in trace.get("attention", [])], logits.data


def tiny_lens(model: TinyGPT, text: str, k: int = 3) -> TinyLens:
    """Attention maps and the logit lens of `model` reading [BOS] + text."""
    tok = model.tokenizer
    ids = [tok.bos, *tok.encode(text)][: model.config.block_size]
    stream, attention, logits = residuals(model, ids)
    lm_head = model.params["lm_head"].data  # (V, C)
    probs = np.stack([softmax(x @ lm_head.T) for x in stream])  # (L+1, T, V)
    top = np.argsort(-probs, axis=-1, kind="stable")[..., :k]  # (L+1, T, k)
    return TinyLens(
        tokens=[tok.token_text(i) for i in ids],
        attention=attention,
        top_ids=top,
        top_probs=np.take_along_axis(probs, top, axis=-1),
        logits=logits,
    )
