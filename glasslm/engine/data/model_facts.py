"""Published facts about models that cannot run here, each with its source.

glasslm computes everything it can from the models it runs. For frontier and
historical models it can only quote what their authors published; every
figure below names the table or section (or released file) it comes from. Models whose sizes
were never published (GPT-4, Claude, Gemini) are left out: rumours are not
facts. Derived numbers (a KV cache's size, training FLOPs) are computed from
these with their formulas where they are shown, never typed in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PublishedModel:
    name: str
    year: int
    params: float  # total parameters, as published
    layers: int
    d_model: int
    heads: int
    kv_heads: int  # = heads without grouped-query attention
    context: int  # tokens
    train_tokens: float | None  # tokens seen in pre-training, as published
    sources: tuple[tuple[str, str], ...]  # (which fields, where exactly they are published)

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    @property
    def source(self) -> str:
        """Every field's source in one line, as the tables print it."""
        return "; ".join(f"{fields}: {where}" for fields, where in self.sources)

    def as_dict(self) -> dict:
        return {**asdict(self), "head_dim": self.head_dim, "source": self.source}


# Each field names the table or section that really holds it: a paper's
# architecture table often leaves out the context or the head count, which
# then come from its text or from the configuration its authors released.
PUBLISHED = [
    PublishedModel(
        "GPT-2 (XL)",
        2019,
        1.5e9,
        48,
        1600,
        25,
        25,
        1024,
        None,
        (
            (
                "parameters, layers, width",
                ("Radford et al. 2019, 'Language Models are Unsupervised Multitask Learners', Table 2"),
            ),
            ("context", "the same paper, Section 2.3"),
            ("heads", "the hparams.json OpenAI released with the 1558M model (n_head 25)"),
        ),
    ),
    PublishedModel(
        "GPT-3",
        2020,
        175e9,
        96,
        12288,
        96,
        96,
        2048,
        300e9,
        (
            (
                "parameters, layers, width, heads",
                ("Brown et al. 2020, 'Language Models are Few-Shot Learners', Table 2.1"),
            ),
            ("context", "the same paper, Section 2.1"),
            ("training tokens", "the same paper, Table 2.1's caption and Table 2.2"),
        ),
    ),
    PublishedModel(
        "Chinchilla",
        2022,
        70e9,
        80,
        8192,
        64,
        64,
        2048,
        1.4e12,
        (
            (
                "parameters, layers, width, heads",
                ("Hoffmann et al. 2022, 'Training Compute-Optimal Large Language Models', Table 4"),
            ),
            ("training tokens", "the same paper, Table 1"),
            (
                "context",
                (
                    "not stated for Chinchilla: Gopher's context of 2,048 tokens (Rae et al. 2021, Section 3), "
                    "whose setup Chinchilla follows (Hoffmann et al. 2022, Section 4.1)"
                ),
            ),
        ),
    ),
    PublishedModel(
        "Llama 2 70B",
        2023,
        70e9,
        80,
        8192,
        64,
        8,
        4096,
        2e12,
        (
            (
                "parameters, context, training tokens, use of GQA",
                ("Touvron et al. 2023, 'Llama 2: Open Foundation and Fine-Tuned Chat Models', Table 1"),
            ),
            ("layers, width, heads, kv heads", "the config.json Meta released with Llama-2-70b"),
        ),
    ),
    PublishedModel(
        "Llama 3.1 405B",
        2024,
        405e9,
        126,
        16384,
        128,
        8,
        131072,
        15.6e12,
        (
            ("layers, width, heads, kv heads", "Llama Team 2024, 'The Llama 3 Herd of Models', Table 3"),
            ("parameters, training tokens", "the same paper, Section 1"),
            ("context (128K tokens)", "the same paper, Section 3.4"),
        ),
    ),
]


def published(name: str) -> PublishedModel:
    for m in PUBLISHED:
        if m.name == name:
            return m
    raise KeyError(f"no published figures for {name!r}; known: {', '.join(m.name for m in PUBLISHED)}")
