"""The probability-and-loss chapter: softmax, cross-entropy, entropy, perplexity.

Endpoints:
- POST /softmax: logits (and a temperature) -> probabilities, step by step
  (subtract the max, exponentiate, divide by the sum);
- POST /top-logits: SmolLM2's real top logits after a text, to start the
  softmax demo from a real model's numbers;
- POST /cross-entropy: the loss -log p of a probability p given to the right
  answer, with the curve of -log p;
- POST /entropy: the entropy and perplexity of a distribution the learner
  edits (weights, normalised here);
- POST /text-loss: SmolLM2's loss on every token of the learner's text, the
  mean (the cross-entropy a training run would report) and its perplexity.
"""

from __future__ import annotations

import math

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, Field

from glasslm.engine.basics.sampling import entropy, softmax, softmax_steps
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.web.errors import DemoError
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_TEXT_CHARS = 2000  # a paragraph or two
MAX_TOKENS = 512  # one forward pass over 512 tokens takes about a second on 2 cores
MAX_LOGIT = 50.0  # larger logits only saturate the softmax; the sliders stay well inside
MAX_ITEMS = 12  # bars in the hand-made distributions
CURVE_POINTS = 200  # points on the -log p curve


class SoftmaxRequest(BaseModel):
    logits: list[float] = Field(min_length=2, max_length=MAX_ITEMS)
    temperature: float = Field(1.0, ge=0.05, le=10, allow_inf_nan=False)


@router.post("/softmax")
def softmax_by_steps(req: SoftmaxRequest):
    z = np.array(req.logits, dtype=np.float64)
    if not np.all(np.isfinite(z)) or np.abs(z).max() > MAX_LOGIT:
        raise DemoError(f"Every logit must be a finite number between -{MAX_LOGIT:g} and {MAX_LOGIT:g}.", "logits")
    s = softmax_steps(z, req.temperature)
    return {
        "logits": z.tolist(),
        "temperature": req.temperature,
        "scaled": s.scaled.tolist(),
        "shifted": s.shifted.tolist(),
        "exps": s.exps.tolist(),
        "sum_exps": s.sum_exps,
        "probs": s.probs.tolist(),
        "entropy_bits": float(entropy(s.probs) / math.log(2)),
    }


class TopLogitsRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    k: int = Field(5, ge=2, le=MAX_ITEMS)


@router.post("/top-logits")
def top_logits(req: TopLogitsRequest):
    m = load_smollm2()
    ids = encode_text(m, req.text, MAX_TOKENS, field="text", at_least=1)
    logits = m.next_logits(ids)  # (V,)
    top = np.argsort(-logits, kind="stable")[: req.k]
    probs = softmax(logits)
    return {
        "tokens": [token_text(m.tokenizer, i) for i in top],
        "ids": top.tolist(),
        "logits": logits[top].astype(float).tolist(),
        "probs_full_vocab": probs[top].tolist(),
        "vocab_size": m.config.vocab_size,
    }


class CrossEntropyRequest(BaseModel):
    p: float = Field(gt=0, le=1, allow_inf_nan=False, description="probability given to the right answer")


@router.post("/cross-entropy")
def cross_entropy(req: CrossEntropyRequest):
    grid = np.linspace(0.005, 1.0, CURVE_POINTS)
    return {
        "p": req.p,
        "loss_nats": -math.log(req.p),
        "loss_bits": -math.log2(req.p),
        "curve": np.column_stack([grid, -np.log(grid)]).round(5).tolist(),
    }


class EntropyRequest(BaseModel):
    weights: list[float] = Field(min_length=2, max_length=MAX_ITEMS)


@router.post("/entropy")
def entropy_of(req: EntropyRequest):
    w = np.array(req.weights, dtype=np.float64)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.max() > 1e6:
        raise DemoError("Every weight must be a finite number from 0 to 1,000,000.", "weights")
    if w.sum() == 0:
        raise DemoError("At least one weight must be above zero, or there is no distribution.", "weights")
    p = w / w.sum()
    h = float(entropy(p))
    return {
        "probs": p.tolist(),
        "entropy_nats": h,
        "entropy_bits": h / math.log(2),
        "perplexity": math.exp(h),
        "max_bits": math.log2(len(p)),
        "n": len(p),
    }


class TextLossRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


@router.post("/text-loss")
def text_loss(req: TextLossRequest):
    m = load_smollm2()
    ids = encode_text(
        m, req.text, MAX_TOKENS, at_least=2, why="the first token has nothing before it to be predicted from"
    )
    s = m.score(ids, top=1)
    losses = -s.logprobs  # (T-1,) nats
    tokens = [{"id": ids[0], "text": token_text(m.tokenizer, ids[0]), "loss": None, "prob": None, "guess": None}]
    for t, tok in enumerate(ids[1:]):
        tokens.append(
            {
                "id": tok,
                "text": token_text(m.tokenizer, tok),
                "loss": float(losses[t]),
                "prob": float(np.exp(-losses[t])),
                "guess": token_text(m.tokenizer, int(s.top_ids[t, 0])),
            }
        )
    worst = int(np.argmax(losses)) + 1
    V = m.config.vocab_size
    return {
        "tokens": tokens,
        "mean_loss": s.mean_loss,
        "mean_loss_bits": s.mean_loss / math.log(2),
        "perplexity": s.perplexity,
        "uniform_loss": math.log(V),
        "uniform_perplexity": V,
        "worst": {"index": worst, "text": tokens[worst]["text"], "loss": tokens[worst]["loss"]},
    }
