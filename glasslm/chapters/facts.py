"""Numbers the prose quotes, taken from the engine: a chapter.md writes `{{ name }}`.

A sentence such as "SmolLM2 has 30 layers" is true only as long as the model
file says so. Typed into prose, such a number can silently disagree with the
code that computes with it; written `{{ smollm2_layers }}`, it is read from the
same config object the demos use (web/markdown.py substitutes it when the page
is rendered, and an unknown name fails the page and its test).

Every fact is cheap: SmolLM2's shapes come from its GGUF metadata (the file is
memory-mapped, no weights are dequantized), the tiny GPT's from GPTConfig, the
data sets' sizes from their loaders. Each is computed once per process.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable


class UnknownFact(KeyError):
    """A chapter asked for a fact that does not exist."""

    def __str__(self) -> str:
        return f"no fact named {self.args[0]!r}; known facts: {', '.join(sorted(FACTS))}"


@functools.lru_cache(maxsize=1)
def _smollm2_reader():
    from glasslm import assets

    return assets.open_gguf(assets.smollm2_gguf_path())


@functools.lru_cache(maxsize=1)
def smollm2_config():
    """SmolLM2's LlamaConfig from its GGUF metadata (no weights loaded)."""
    from glasslm.engine.models.llama.gguf_weights import read_config

    return read_config(_smollm2_reader())


def smollm2_param_count() -> int:
    """Parameters of SmolLM2, counted from its shapes as the weights chapter counts its tensors."""
    c = smollm2_config()
    kv = c.n_kv_heads * c.head_dim
    per_layer = (
        2 * c.d_model * c.d_model
        + 2 * c.d_model * kv  # q, o; k, v
        + 3 * c.d_model * c.d_ff
        + 2 * c.d_model
    )  # gate, up, down; two RMSNorm weights
    lm_head = 0 if c.tied_embeddings else c.vocab_size * c.d_model
    return c.vocab_size * c.d_model + c.n_layers * per_layer + c.d_model + lm_head


def _embedding_share() -> float:
    c = smollm2_config()
    return c.vocab_size * c.d_model / smollm2_param_count()


def smollm2_merge_count() -> int:
    return len(_smollm2_reader().fields["tokenizer.ggml.merges"].data)


def smollm2_format(embedding: bool = False) -> str:
    """The storage format of SmolLM2's shipped matrices (or of its token embedding), from the file."""
    from collections import Counter

    tensors = _smollm2_reader().tensors
    if embedding:
        return next(t.tensor_type.name for t in tensors if t.name == "token_embd.weight")
    kinds = Counter(t.tensor_type.name for t in tensors if t.name.startswith("blk.") and len(t.shape) == 2)
    return kinds.most_common(1)[0][0]


def _arch_lab():
    from glasslm.engine.training import arch_lab

    return arch_lab


@functools.lru_cache(maxsize=1)
def _tiny_gpt():
    from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT

    return GPTConfig(), TinyGPT(GPTConfig()).n_params


def _sft_base_names() -> int:
    from glasslm.engine.post_training.sft import name_split

    return sum(len(names) for names in name_split().train.values())


def smollm2_token_id(token: str) -> int:
    return list(_smollm2_reader().fields["tokenizer.ggml.tokens"].contents()).index(token)


def _arithmetic():
    from glasslm.engine.data import arithmetic_data

    return arithmetic_data


def _written(digits: int, fmt: str) -> int:
    """Characters a model writes for one problem of `digits` digits in format `fmt`."""
    return len(_arithmetic().completion(1, 1, digits, fmt))


def _sequence(digits: int, fmt: str) -> int:
    """Tokens of one training sequence: BOS, question, what the model writes, BOS."""
    return 1 + len(_arithmetic().prompt(1, 1, digits)) + _written(digits, fmt) + 1


def _arithmetic_vocab() -> int:
    return _arithmetic().tokenizer().vocab_size


def _train_config():
    from glasslm.engine.training.train import TrainConfig

    return TrainConfig()


@functools.lru_cache(maxsize=1)
def _first_names():
    from glasslm.engine.data import name_data

    return name_data.first_names()


@functools.lru_cache(maxsize=1)
def _cl100k():
    from glasslm.engine.tokenizers.pretrained_tokenizers import load_cl100k_ranks

    return load_cl100k_ranks()


@functools.lru_cache(maxsize=1)
def _glove_shape() -> tuple[int, int]:
    import numpy as np

    from glasslm import assets

    return tuple(np.load(assets.glove_paths()[0], mmap_mode="r").shape)


@functools.lru_cache(maxsize=1)
def _digits():
    from glasslm.engine.data import digits

    return digits.load()


def _dedup():
    from glasslm.engine.pretraining.corpus_cleaning import DedupSettings

    return DedupSettings()


def _band_catch(s: float) -> str:
    """Chance that LSH banding makes a pair of Jaccard similarity s a candidate: 1 - (1 - s^r)^b."""
    d = _dedup()
    rows = d.num_perm // d.bands
    return f"{100 * (1 - (1 - s**rows) ** d.bands):.0f}%"


@functools.lru_cache(maxsize=1)
def _probe_texts() -> list[dict]:
    """The interpretability chapter's text set (its texts.json)."""
    import json
    from importlib import resources

    return json.loads(resources.files("glasslm.chapters.interpretability").joinpath("texts.json").read_text("utf-8"))[
        "texts"
    ]


def _probe_vectors() -> int:
    """Residual vectors read from the text set: every token but each text's first."""
    from glasslm.engine.tokenizers.pretrained_tokenizers import smollm2_tokenizer

    tok = smollm2_tokenizer()
    return sum(len(tok.encode(t["text"])) - 1 for t in _probe_texts())


def _post_training():
    from glasslm.chapters.post_training import api
    from glasslm.engine.post_training import critique, sft

    return api, critique.LoopConfig(), sft.SFTConfig()


def _sft_prompts() -> int:
    from glasslm.engine.post_training.sft import INSTRUCTIONS

    return len(INSTRUCTIONS)


def _diffusion():
    from glasslm.engine.models.vision.diffusion import (
        DiffusionConfig,
        DiffusionTrainConfig,
    )

    return DiffusionConfig(), DiffusionTrainConfig()


def _quality_min_words() -> int:
    from glasslm.engine.pretraining.quality_filters import QualityConfig

    return QualityConfig().min_words


def _reasoning():
    from glasslm.engine.training.scratchpad_training import ReasoningConfig

    return ReasoningConfig()


def _vit_config():
    from glasslm.engine.models.vision.vit import ViTConfig

    return ViTConfig()


def _vit_params() -> int:
    from glasslm.engine.models.vision.vit import TinyViT

    return TinyViT().n_params


def _cl100k_vocab_size() -> int:
    from glasslm.engine.tokenizers.pretrained_tokenizers import CL100K_VOCAB_SIZE

    return CL100K_VOCAB_SIZE


def _tracing():
    from glasslm.engine.interpretability import causal_tracing

    return causal_tracing


def _count(n: int) -> str:
    return f"{n:,}"


# name -> how to compute its text. Names say what and of which model; values are
# formatted as the prose prints them (thousands separated by commas).
FACTS: dict[str, Callable[[], str]] = {
    "smollm2_layers": lambda: _count(smollm2_config().n_layers),
    "smollm2_heads": lambda: _count(smollm2_config().n_heads),
    "smollm2_kv_heads": lambda: _count(smollm2_config().n_kv_heads),
    "smollm2_group_size": lambda: _count(smollm2_config().group_size),
    "smollm2_head_dim": lambda: _count(smollm2_config().head_dim),
    "smollm2_sqrt_head_dim": lambda: f"{math.sqrt(smollm2_config().head_dim):g}",
    "smollm2_width": lambda: _count(smollm2_config().d_model),
    "smollm2_mlp_width": lambda: _count(smollm2_config().d_ff),
    "smollm2_vocab": lambda: _count(smollm2_config().vocab_size),
    "smollm2_ln_vocab": lambda: f"{math.log(smollm2_config().vocab_size):.1f}",
    "smollm2_rope_theta": lambda: _count(int(smollm2_config().rope_theta)),
    "smollm2_params": lambda: _count(smollm2_param_count()),
    "smollm2_params_millions": lambda: f"{smollm2_param_count() / 1e6:.0f}",
    "smollm2_embedding_share": lambda: f"{100 * _embedding_share():.0f}%",
    "smollm2_float32_mb": lambda: _count(round(smollm2_param_count() * 4 / 1e6)),
    "smollm2_matrices": lambda: _count(7 * smollm2_config().n_layers),  # q k v o gate up down per block
    "smollm2_merges": lambda: _count(smollm2_merge_count()),
    "smollm2_matrix_format": lambda: smollm2_format(),
    "smollm2_embedding_format": lambda: smollm2_format(embedding=True),
    "smollm2_im_start_id": lambda: str(smollm2_token_id("<|im_start|>")),
    "smollm2_im_end_id": lambda: str(smollm2_token_id("<|im_end|>")),
    "sft_base_names": lambda: _count(_sft_base_names()),
    "arithmetic_vocab": lambda: _count(_arithmetic_vocab()),
    "arithmetic_step_chars": lambda: _count(_arithmetic().STEP_CHARS),
    "arithmetic_direct_chars": lambda: _count(_written(4, "direct")),
    "arithmetic_scratchpad_chars": lambda: _count(_written(4, "scratchpad")),
    "arithmetic_sequence_ratio": lambda: f"{_sequence(4, 'scratchpad') / _sequence(4, 'direct'):.1f}",
    "compare_tokens": lambda: _count(_post_training()[0].MAX_COMPARE_TOKENS),
    "dpo_samples": lambda: _count(_post_training()[0].MEASURE_SAMPLES),
    "critique_tokens": lambda: _count(_post_training()[1].max_new_tokens),
    "critique_temperature": lambda: f"{_post_training()[1].temperature:g}",
    "sft_per_prompt": lambda: _count(_post_training()[2].per_instruction),
    "sft_examples": lambda: _count(_sft_prompts() * _post_training()[2].per_instruction),
    "reasoning_layers": lambda: _count(_reasoning().n_layer),
    "reasoning_batch": lambda: _count(_reasoning().batch_size),
    "reasoning_heldout": lambda: _count(_reasoning().n_heldout),
    "tiny_gpt_params": lambda: _count(_tiny_gpt()[1]),
    "tiny_gpt_vocab": lambda: _count(_tiny_gpt()[0].vocab_size),
    "tiny_gpt_ln_vocab": lambda: f"{math.log(_tiny_gpt()[0].vocab_size):.2f}",
    "tiny_gpt_context": lambda: _count(_tiny_gpt()[0].block_size),
    "tiny_gpt_layers": lambda: _count(_tiny_gpt()[0].n_layer),
    "tiny_gpt_heads": lambda: _count(_tiny_gpt()[0].n_head),
    "tiny_gpt_lr": lambda: f"{_train_config().lr:g}",
    "arch_lab_max_layers": lambda: _count(_arch_lab().MAX_LAB_LAYERS),
    "arch_lab_depth": lambda: _count(_arch_lab().DEMO_DEPTH),
    "arch_lab_steps": lambda: _count(_arch_lab().LabConfig.steps),
    "arch_lab_batch": lambda: _count(_arch_lab().LabConfig.batch_size),
    "arch_tour_steps": lambda: _count(_arch_lab().TOUR_STEPS),
    "arch_tour_layers": lambda: _count(_arch_lab().TOUR_DEPTH),
    "arch_tour_kv_heads": lambda: _count(_arch_lab().tour_configs()[2][1].kv_heads),
    "first_names": lambda: _count(len(_first_names().train) + len(_first_names().heldout)),
    "first_names_train": lambda: _count(len(_first_names().train)),
    "cl100k_vocab": lambda: _count(_cl100k_vocab_size()),
    "cl100k_merges": lambda: _count(len(_cl100k()) - 256),
    "glove_words": lambda: _count(_glove_shape()[0]),
    "glove_dim": lambda: _count(_glove_shape()[1]),
    "digits_total": lambda: _count(len(_digits().train_y) + len(_digits().test_y)),
    "digits_heldout": lambda: _count(len(_digits().test_y)),
    "dedup_hashes": lambda: _count(_dedup().num_perm),
    "dedup_bands": lambda: _count(_dedup().bands),
    "dedup_rows": lambda: _count(_dedup().num_perm // _dedup().bands),
    "dedup_catch_50": lambda: _band_catch(0.5),
    "dedup_catch_60": lambda: _band_catch(0.6),
    "probe_texts": lambda: _count(len(_probe_texts())),
    "probe_topics": lambda: _count(len({t["topic"] for t in _probe_texts()})),
    "probe_vectors": lambda: _count(_probe_vectors()),
    "trace_noise_scale": lambda: f"{_tracing().TraceConfig().noise_scale:g}",
    "trace_noise_samples": lambda: _count(_tracing().TraceConfig().noise_samples),
    "trace_window": lambda: _count(_tracing().TraceConfig().window),
    "trace_max_tokens": lambda: _count(_tracing().MAX_TRACE_TOKENS),
    "trace_facts": lambda: _count(len(_tracing().facts())),
    "diffusion_hidden": lambda: _count(_diffusion()[0].hidden),
    "diffusion_uncond_one_in": lambda: f"{1 / _diffusion()[1].uncond_prob:g}",
    "quality_min_words": lambda: _count(_quality_min_words()),
    "vit_params": lambda: _count(_vit_params()),
    "vit_layers": lambda: _count(_vit_config().n_layer),
    "vit_width": lambda: _count(_vit_config().width),
    "vit_heads": lambda: _count(_vit_config().n_head),
}


@functools.cache
def value(name: str) -> str:
    """The text of fact `name`; UnknownFact if there is none."""
    if name not in FACTS:
        raise UnknownFact(name)
    return FACTS[name]()
