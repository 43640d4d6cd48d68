"""The next-token chapter: SmolLM2's real next-token distribution, and a sentence's probability.

Endpoints:
- POST /predict: the learner's text as tokens, and the model's top-k candidates
  for the next token with their probabilities (softmax of the real logits),
  plus the entropy of the whole distribution;
- POST /score: every token of the text with p(token | the tokens before it);
  their product is the probability of the whole text (sent as a log, since it
  underflows quickly), and the perplexity;
- GET /timeline: where LLMs sit (AI > machine learning > deep learning >
  transformers > LLMs) and a short dated timeline. These are facts, not
  computations; served as JSON so the page has a JSON twin like every demo.
"""

from __future__ import annotations

import math

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, Field

from glasslm.engine.basics.sampling import entropy, softmax
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_TEXT_CHARS = 2000  # a paragraph or two
MAX_TOKENS = 512  # one forward pass over 512 tokens takes about a second on 2 cores
MAX_K = 30  # candidates shown


class PredictRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    k: int = Field(10, ge=1, le=MAX_K, description="how many candidates to return")


@router.post("/predict")
def predict(req: PredictRequest):
    m = load_smollm2()
    ids = encode_text(m, req.text, MAX_TOKENS)
    logits = m.next_logits(ids)  # (V,)
    probs = softmax(logits)  # (V,) float64
    top = np.argsort(-probs, kind="stable")[: req.k]
    return {
        "tokens": [token_piece(m.tokenizer, i) for i in ids],
        "candidates": [
            {**token_piece(m.tokenizer, i), "prob": float(probs[i]), "logit": float(logits[i])} for i in top
        ],
        "top_mass": float(probs[top].sum()),
        "entropy_bits": float(entropy(probs) / math.log(2)),
        "vocab_size": m.config.vocab_size,
    }


class ScoreRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


@router.post("/score")
def score(req: ScoreRequest):
    m = load_smollm2()
    ids = encode_text(
        m, req.text, MAX_TOKENS, at_least=2, why="the first token has nothing before it to be predicted from"
    )
    s = m.score(ids, top=1)
    tokens = [{**token_piece(m.tokenizer, ids[0]), "prob": None, "logprob": None, "rank": None, "guess": None}]
    for t, tok in enumerate(ids[1:]):
        tokens.append(
            {
                **token_piece(m.tokenizer, tok),
                "prob": float(np.exp(s.logprobs[t])),
                "logprob": float(s.logprobs[t]),
                "rank": int(s.ranks[t]),
                "guess": {**token_piece(m.tokenizer, int(s.top_ids[t, 0])), "prob": float(s.top_probs[t, 0])},
            }
        )
    total = float(s.logprobs.sum())
    return {
        "tokens": tokens,
        "scored": len(ids) - 1,
        "total_logprob": total,
        "log10_probability": total / math.log(10),
        "mean_loss": s.mean_loss,
        "perplexity": s.perplexity,
        "top_guess_share": float((s.ranks == 1).mean()),
    }


NESTING = [
    {"name": "Artificial intelligence", "what": "machines doing tasks that seem to need intelligence, by any method"},
    {"name": "Machine learning", "what": "behaviour learned from data instead of written as rules"},
    {"name": "Deep learning", "what": "neural networks with many layers, trained by gradient descent"},
    {"name": "Transformers", "what": "networks built from attention layers (2017)"},
    {"name": "Large language models", "what": "transformers trained on vast text to predict the next token"},
]

TIMELINE = [
    {
        "year": 1958,
        "name": "Perceptron",
        "what": "Rosenblatt's machine learns the weights of one artificial neuron from examples.",
    },
    {
        "year": 1986,
        "name": "Backpropagation",
        "what": "Rumelhart, Hinton and Williams show how to train networks with hidden layers.",
    },
    {
        "year": 2012,
        "name": "AlexNet",
        "what": "A deep convolutional network trained on GPUs wins the ImageNet contest by a wide margin.",
    },
    {
        "year": 2017,
        "name": "Transformer",
        "what": '"Attention Is All You Need" (Vaswani et al.) replaces recurrence with attention.',
    },
    {
        "year": 2020,
        "name": "GPT-3",
        "what": "175 billion parameters; does new tasks from a few examples in the prompt.",
    },
    {"year": 2022, "name": "ChatGPT", "what": "An instruction-tuned chat assistant reaches the public."},
]


@router.get("/timeline")
def timeline():
    return {"nesting": NESTING, "timeline": TIMELINE}
