"""The guide's table of contents: every chapter's order, title and promise.

This is the one place that orders and names chapters. A chapter *exists* when
its folder glasslm/chapters/<slug with underscores>/ holds a chapter.md; the
guide lists only existing chapters, so the plan below can run ahead of the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

CHAPTERS_DIR = Path(__file__).resolve().parent

PARTS = {
    1: "The core idea",
    2: "Inside the model",
    3: "Training",
    4: "Generating",
    5: "From model to assistant",
    6: "Beyond text",
}


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str
    title: str
    part: int
    promise: str  # one sentence: what the learner will have done by the end
    minutes: int  # reading and playing time

    @property
    def package(self) -> str:
        return self.slug.replace("-", "_")

    @property
    def folder(self) -> Path:
        return CHAPTERS_DIR / self.package

    @property
    def exists(self) -> bool:
        return (self.folder / "chapter.md").exists()

    @property
    def part_title(self) -> str:
        return PARTS[self.part]


PLAN = [
    Chapter(
        1,
        "next-token",
        "An LLM predicts the next token",
        1,
        "Watch a real LLM guess what comes next in your own sentence, and score a whole sentence.",
        10,
    ),
    Chapter(
        2, "weights", "Weights are knobs", 1, "Turn the knobs of a model by hand, then count the knobs of real ones.", 8
    ),
    Chapter(
        3,
        "learning-loop",
        "The learning loop",
        1,
        "Let gradient descent find a weight for you, and see learning rates crawl, converge and blow up.",
        12,
    ),
    Chapter(
        4,
        "neurons",
        "Neurons and networks",
        1,
        "Train a small neural network live and watch its decision boundary bend around the data.",
        15,
    ),
    Chapter(
        5,
        "autograd",
        "Autograd: how gradients are computed",
        1,
        "Type any expression and step its backward pass node by node.",
        12,
    ),
    Chapter(
        6,
        "probability-and-loss",
        "Probability and loss",
        1,
        "Measure how surprised a real LLM is by your text, token by token.",
        10,
    ),
    Chapter(
        7, "tokens", "Tokens", 2, "Split your text with four tokenizers and train your own BPE, merge by merge.", 15
    ),
    Chapter(
        8,
        "embeddings",
        "Embeddings: the geometry of meaning",
        2,
        "Fly through real word vectors and do arithmetic with meaning.",
        15,
    ),
    Chapter(9, "attention", "Attention", 2, "Click a word and see where a real model's heads look.", 15),
    Chapter(10, "transformer", "The transformer block", 2, "Follow one token through every layer of a real model.", 15),
    Chapter(
        11,
        "train-a-gpt",
        "Train a GPT",
        3,
        "Train a GPT from scratch in your browser session, watch it learn names, and race it against an RNN.",
        25,
    ),
    Chapter(
        12,
        "pretraining-data",
        "Pretraining data",
        3,
        "Clean a corpus: find duplicates and low-quality text, and count the cost.",
        10,
    ),
    Chapter(
        13,
        "scaling-laws",
        "Scaling laws",
        3,
        "Train a family of tiny GPTs and fit the power law their losses follow.",
        15,
    ),
    Chapter(
        14, "sampling", "Sampling", 4, "Turn temperature, top-k and top-p and watch a real distribution change.", 12
    ),
    Chapter(
        15,
        "generation",
        "Generation, one token at a time",
        4,
        "Step a model through generating text, token by token.",
        10,
    ),
    Chapter(
        16,
        "kv-cache",
        "The KV cache",
        4,
        "Measure how much a cache speeds up generation, and what it costs in memory.",
        12,
    ),
    Chapter(
        17, "serving", "Serving a model", 4, "Trace one chat request through this very server, with real timings.", 10
    ),
    Chapter(
        18,
        "context-window",
        "The context window",
        4,
        "Find where a model's memory runs out, with a needle in a haystack.",
        12,
    ),
    Chapter(
        19,
        "post-training",
        "Post-training: from base model to assistant",
        5,
        "Teach a tiny model your own preferences.",
        20,
    ),
    Chapter(
        20, "fine-tuning", "Fine-tuning and quantization", 5, "Adapt a model with LoRA and shrink one to 4 bits.", 15
    ),
    Chapter(21, "prompting", "Prompting", 5, "Measure which prompting technique really helps a small model.", 12),
    Chapter(
        22, "rag", "Retrieval-augmented generation", 5, "Give a model your own documents to read before it answers.", 12
    ),
    Chapter(23, "agents", "Agents", 5, "Watch a model think, call tools and read their results.", 12),
    Chapter(24, "hallucination", "Hallucination and calibration", 5, "Measure when a model is confidently wrong.", 12),
    Chapter(25, "reasoning", "Reasoning", 5, "See a scratchpad and majority voting raise a model's accuracy.", 15),
    Chapter(26, "evaluation", "Evaluation", 5, "Score a model on a benchmark and rank models by your own votes.", 12),
    Chapter(27, "vision", "Vision", 6, "Train a tiny vision transformer and a small CNN on handwritten digits.", 20),
    Chapter(28, "diffusion", "Diffusion", 6, "Train a tiny diffusion model and watch it turn noise into shapes.", 15),
    Chapter(
        29,
        "interpretability",
        "Interpretability",
        6,
        "Look inside a model with the logit lens and a sparse autoencoder.",
        15,
    ),
]


class Registry:
    """The existing chapters, in order, with lookup and neighbours."""

    def __init__(self, plan: list[Chapter] = PLAN):
        self.plan = plan

    @cached_property
    def chapters(self) -> list[Chapter]:
        return [c for c in self.plan if c.exists]

    def get(self, slug: str) -> Chapter | None:
        return next((c for c in self.chapters if c.slug == slug), None)

    def neighbours(self, chapter: Chapter) -> tuple[Chapter | None, Chapter | None]:
        i = self.chapters.index(chapter)
        prev = self.chapters[i - 1] if i > 0 else None
        nxt = self.chapters[i + 1] if i + 1 < len(self.chapters) else None
        return prev, nxt

    def by_part(self) -> list[tuple[int, str, list[Chapter]]]:
        return [
            (n, title, [c for c in self.chapters if c.part == n])
            for n, title in PARTS.items()
            if any(c.part == n for c in self.chapters)
        ]
