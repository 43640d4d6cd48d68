"""Published facts about models that cannot run here, each with its source.

glasslm computes everything it can from the models it runs. For frontier and
historical models it can only quote what their authors published; every
figure below names the paper (and table) it comes from. Models whose sizes
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
    source: str

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    def as_dict(self) -> dict:
        return {**asdict(self), "head_dim": self.head_dim}


PUBLISHED = [
    PublishedModel("GPT-2 (XL)", 2019, 1.5e9, 48, 1600, 25, 25, 1024, None,
                   "Radford et al. 2019, 'Language Models are Unsupervised Multitask Learners', Table 2"),
    PublishedModel("GPT-3", 2020, 175e9, 96, 12288, 96, 96, 2048, 300e9,
                   "Brown et al. 2020, 'Language Models are Few-Shot Learners', Tables 2.1 and 2.2"),
    PublishedModel("Chinchilla", 2022, 70e9, 80, 8192, 64, 64, 2048, 1.4e12,
                   "Hoffmann et al. 2022, 'Training Compute-Optimal Large Language Models', Tables 1 and 4"),
    PublishedModel("Llama 2 70B", 2023, 70e9, 80, 8192, 64, 8, 4096, 2e12,
                   "Touvron et al. 2023, 'Llama 2: Open Foundation and Fine-Tuned Chat Models', Table 1 and Section 2.2"),
    PublishedModel("Llama 3.1 405B", 2024, 405e9, 126, 16384, 128, 8, 131072, 15.6e12,
                   "Llama Team 2024, 'The Llama 3 Herd of Models', Table 3 and Section 3"),
]


def published(name: str) -> PublishedModel:
    for m in PUBLISHED:
        if m.name == name:
            return m
    raise KeyError(f"no published figures for {name!r}; known: {', '.join(m.name for m in PUBLISHED)}")
