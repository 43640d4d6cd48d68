"""Supervised fine-tuning (SFT) of the tiny GPT: from a name generator to an instruction follower.

A pretrained ("base") model continues text: trained on a mix of first names
and surnames, it invents something name-shaped, of no kind in particular.
SFT trains the same weights further on examples written in an *instruction
format*: a short prompt, then the response the prompt asks for. Here the
format is

    [BOS] f > e m m a [BOS]      "f>" asks for a female first name
    [BOS] m > j o h n [BOS]      "m>" a male first name
    [BOS] l > s m i t h [BOS]    "l>" a surname

and the loss is counted only on the response (the name and the end token
after it), never on the prompt: the model must learn to *answer* an
instruction, not to write instructions. This is **loss masking**; in
tensor.cross_entropy a target of -1 is not counted, so the mask is just -1
at every prompt position. (Ouyang et al. 2022, "Training language models to
follow instructions with human feedback", section 3: SFT on demonstrations
is the first stage of InstructGPT.)

The census lists (names package) give the data: female-only and male-only
first names (names on both lists are left out, so "f" and "m" are never
contradicted) and the 5,000 most common surnames. Every name is assigned
once to training or held out, so the held-out response loss measures names
neither the base model nor SFT has seen.

What this file adds over train.py: the instruction format, masked batches,
the base model's data (the same names without prompts) and its pretraining
(`pretrain_base`, which a server runs once and lends), response-only loss, and sampling after a
prompt. Left out: multi-turn formats, packing several
examples into one sequence, mixing pretraining data into SFT.

Shapes: B batch (examples), T time (block_size at most), V vocabulary.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd.optim import Adam, Schedule
from glasslm.engine.basics.sampling import log_softmax
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, generate
from glasslm.engine.tokenizers.chars import CharTokenizer

CHARS = "abcdefghijklmnopqrstuvwxyz>"  # 26 letters and the prompt's separator (sorted first: id 0); BOS is id 27
INSTRUCTIONS = {"f>": "a female first name", "m>": "a male first name", "l>": "a surname"}
N_SURNAMES = 5_000  # the most common surnames: as many as there are first names, so neither kind dominates
HELDOUT_FRACTION = 0.1  # one name in ten is never trained on, by the base model or by SFT
SPLIT_SEED = 7  # fixed: every run is measured on the same held-out names
MAX_SAMPLE = 200  # responses per sample_after call
MAX_EXAMPLES = 3_000  # examples per response_loss call: one forward pass of a few MB

BASE_CONFIG = GPTConfig(
    vocab_size=len(CHARS) + 1,
    block_size=20,  # "l>" + the longest surname (13 letters) + BOS fits with room to spare
    n_layer=1,  # one block, as microgpt: it trains in seconds even on a busy machine
    n_embd=32,  # twice microgpt's width: three kinds of names to keep apart
    n_head=4,
)


def tokenizer() -> CharTokenizer:
    """The chapter's character tokenizer: a-z, '>' and BOS (id 27)."""
    return CharTokenizer(CHARS)


@dataclass(frozen=True)
class Example:
    """One instruction-format example: a prompt ("f>") and its response ("emma")."""

    prompt: str
    response: str


@dataclass(frozen=True)
class NameSplit:
    """Each kind of name, split once into training and held-out names."""

    train: dict[str, tuple[str, ...]]  # prompt -> names
    heldout: dict[str, tuple[str, ...]]

    def base_docs(self) -> tuple[list[str], list[str]]:
        """The base model's documents: the same names without prompts (train, held-out)."""
        train = sorted({n for names in self.train.values() for n in names})
        held = sorted({n for names in self.heldout.values() for n in names} - set(train))
        random.Random(SPLIT_SEED).shuffle(train)
        return train, held


@functools.lru_cache(maxsize=1)
def name_split() -> NameSplit:
    """Female-only, male-only first names and common surnames, each split train/held-out."""
    female = set(name_data._read_census("dist.female.first"))
    male = set(name_data._read_census("dist.male.first"))
    first = female | male
    surnames = [s for s in name_data._read_census("dist.all.last") if s not in first][:N_SURNAMES]
    kinds = {"f>": sorted(female - male), "m>": sorted(male - female), "l>": sorted(surnames)}
    train, held = {}, {}
    for prompt, names in kinds.items():
        names = list(names)
        random.Random(SPLIT_SEED).shuffle(names)
        n_held = max(1, round(len(names) * HELDOUT_FRACTION))
        held[prompt], train[prompt] = tuple(names[:n_held]), tuple(names[n_held:])
    return NameSplit(train=train, heldout=held)


def sft_examples(per_instruction: int, seed: int = 0, heldout: bool = False) -> list[Example]:
    """A small instruction set: `per_instruction` examples of each prompt, shuffled."""
    split = name_split()
    source = split.heldout if heldout else split.train
    rng = random.Random(seed)
    out = []
    for prompt, names in source.items():
        k = min(per_instruction, len(names))
        out += [Example(prompt, n) for n in rng.sample(names, k)]
    rng.shuffle(out)
    return out


# ------------------------------------------------------------------ masked batches


def encode_example(tok: CharTokenizer, ex: Example) -> tuple[list[int], int]:
    """The example's ids [BOS] + prompt + response + [BOS], and how many ids are prompt (BOS included)."""
    prompt = [tok.bos, *tok.encode(ex.prompt)]
    return [*prompt, *tok.encode(ex.response), tok.bos], len(prompt)


def masked_batch(tok: CharTokenizer, examples: list[Example], block_size: int, mask_prompt: bool = True):
    """Inputs x (B, T) and targets y (B, T); y is -1 where the loss must not count.

    Target t is the id after input t. Targets that are prompt ids are masked
    (with mask_prompt), and so is padding after a shorter example's end.
    The first counted target is the response's first character, predicted
    from the prompt's last id.
    """
    encoded = [encode_example(tok, ex) for ex in examples]
    T = max(len(ids) for ids, _ in encoded) - 1
    if T > block_size:
        raise ValueError(
            f"an example is {T + 1} ids long; the model's context is {block_size}: "
            "use a shorter name or a model with a longer context"
        )
    x = np.full((len(examples), T), tok.bos, dtype=np.int64)  # (B, T) padding is BOS, never predicted from
    y = np.full((len(examples), T), -1, dtype=np.int64)  # (B, T)
    for b, (ids, n_prompt) in enumerate(encoded):
        x[b, : len(ids) - 1] = ids[:-1]
        y[b, : len(ids) - 1] = ids[1:]
        if mask_prompt:
            y[b, : n_prompt - 1] = -1  # targets 0..n_prompt-2 are the prompt's own ids
    return x, y


def token_losses(model: TinyGPT, ex: Example) -> dict:
    """Each target of one example with its loss -log p and whether SFT counts it."""
    tok = model.tokenizer
    x, y_all = masked_batch(tok, [ex], model.config.block_size, mask_prompt=False)
    _, y = masked_batch(tok, [ex], model.config.block_size)
    logits, _ = model.forward(x)
    logp = log_softmax(logits.data)  # (T, V)
    ids, _ = encode_example(tok, ex)
    rows = []
    for t, target in enumerate(y_all[0]):
        rows.append(
            {
                "context": tok.decode(ids[: t + 1], show_bos=True),
                "target": tok.token_text(target),
                "loss": float(-logp[t, target]),
                "counted": bool(y[0, t] >= 0),
            }
        )
    counted = [r["loss"] for r in rows if r["counted"]]
    return {
        "tokens": [tok.token_text(i) for i in ids],
        "targets": rows,
        "masked_loss": float(np.mean(counted)),
        "unmasked_loss": float(np.mean([r["loss"] for r in rows])),
    }


def response_loss(model: TinyGPT, examples: list[Example]) -> float:
    """Mean loss per response id (name characters and the end BOS), nats; prompts not counted."""
    if not 1 <= len(examples) <= MAX_EXAMPLES:
        raise ValueError(f"response_loss takes 1 to {MAX_EXAMPLES:,} examples, got {len(examples):,}")
    x, y = masked_batch(model.tokenizer, examples, model.config.block_size)
    return model.loss(x, y)


def instruction_matrix(model: TinyGPT, per_kind: int = 200) -> dict[str, dict[str, float]]:
    """Held-out response loss of each kind of name under each prompt: rows prompt, columns kind.

    A model that follows the instructions has its lowest loss on the diagonal:
    a female name is likely after "f>" and unlikely after "l>".
    """
    held = name_split().heldout
    out: dict[str, dict[str, float]] = {}
    for prompt in INSTRUCTIONS:
        out[prompt] = {
            kind: response_loss(model, [Example(prompt, n) for n in names[:per_kind]]) for kind, names in held.items()
        }
    return out


# ------------------------------------------------------------------ sampling after a prompt


def sample_after(
    model: TinyGPT, prompt_ids: list[int], n: int = 10, temperature: float = 1.0, seed: int | None = 0
) -> list[list[int]]:
    """n responses to one prompt (ids, usually starting with BOS), each ending before BOS.

    gpt.generate from a prompt rather than BOS alone; a response stops at
    BOS or when it could no longer end inside the context (so it can be trained on).
    """
    tok = model.tokenizer
    if not 1 <= n <= MAX_SAMPLE:
        raise ValueError(f"n must be from 1 to {MAX_SAMPLE}, got {n}")
    if not (math.isfinite(temperature) and 0 < temperature <= 10):
        raise ValueError(f"temperature must be above 0 and at most 10, got {temperature!r}")
    block = model.config.block_size
    if not 1 <= len(prompt_ids) < block:
        raise ValueError(f"the prompt must be 1 to {block - 1} ids long, got {len(prompt_ids)}")
    idx = np.tile(np.asarray(prompt_ids, dtype=np.int64), (n, 1))  # (n, P)
    room = block - len(prompt_ids)  # prompt + response + the end BOS must fit a training example
    return generate(model, idx, tok.bos, temperature, np.random.default_rng(seed), max_new=room)


def answers(model: TinyGPT, prompt: str, n: int = 10, temperature: float = 1.0, seed: int = 0) -> list[str]:
    """n responses to an instruction prompt such as "f>", as text."""
    tok = model.tokenizer
    return [tok.decode(r) for r in sample_after(model, [tok.bos, *tok.encode(prompt)], n, temperature, seed)]


# ------------------------------------------------------------------ training


@dataclass(frozen=True)
class SFTConfig:
    steps: int = 200  # a couple of hundred small steps: enough to learn three prompts, seconds on a laptop
    batch_size: int = 16  # examples per step
    lr: float = 0.003  # below pretraining's 0.01: fine-tuning should adjust, not overwrite
    per_instruction: int = 400  # examples of each prompt: small next to the 9,000 names the base model saw
    mask_prompt: bool = True  # count the loss only on responses
    eval_interval: int = 50  # held-out response loss this often
    seed: int = 0  # example choice and order

    def validate(self) -> "SFTConfig":
        for name, low, high in (
            ("steps", 1, 5_000),
            ("batch_size", 1, 256),
            ("per_instruction", 1, 2_000),
            ("eval_interval", 1, 5_000),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not low <= v <= high:
                raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {v!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise ValueError(f"lr must be a number above 0 and at most 1, got {self.lr!r}")
        return self


def clone(model: TinyGPT) -> TinyGPT:
    """An independent copy of a model (same config, tokenizer and weights)."""
    twin = TinyGPT(model.config, tokenizer=model.tokenizer)
    twin.params.flat[:] = model.params.flat
    return twin


def sft(model: TinyGPT, config: SFTConfig | None = None, heldout: list[Example] | None = None):
    """Fine-tune `model` in place on the instruction set, yielding events.

    step {step, loss, lr}; eval {step, heldout_loss} (the held-out response
    loss, before the first step and every eval_interval); done {step, heldout_loss}.
    """
    cfg = (config or SFTConfig()).validate()
    tok = model.tokenizer
    train = sft_examples(cfg.per_instruction, cfg.seed)
    heldout = heldout or sft_examples(100, 0, heldout=True)
    opt = Adam([model.params.flat], cfg.lr, 0.9, 0.99)
    schedule = Schedule(cfg.lr, cfg.steps, "linear")
    rng = np.random.default_rng(cfg.seed)
    yield {"type": "eval", "step": 0, "heldout_loss": response_loss(model, heldout)}
    order, cursor = rng.permutation(len(train)), 0
    for step in range(cfg.steps):
        if cursor + cfg.batch_size > len(order):
            order, cursor = rng.permutation(len(train)), 0
        batch = [train[i] for i in order[cursor : cursor + cfg.batch_size]]
        cursor += cfg.batch_size
        x, y = masked_batch(tok, batch, model.config.block_size, cfg.mask_prompt)
        loss = model.loss_and_grad(x, y)
        if not math.isfinite(loss):
            raise ValueError(f"the loss became {loss} at step {step + 1}: lower the learning rate")
        lr = schedule(step)
        opt.step([model.params.flat_grad], lr)
        yield {"type": "step", "step": step + 1, "loss": loss, "lr": lr}
        if (step + 1) % cfg.eval_interval == 0 or step + 1 == cfg.steps:
            yield {"type": "eval", "step": step + 1, "heldout_loss": response_loss(model, heldout)}
    yield {"type": "done", "step": cfg.steps, "heldout_loss": response_loss(model, heldout)}


# ------------------------------------------------------------------ the base model


BASE_STEPS = 1_000  # pretraining steps of the base model: most of the fall in held-out loss is over by then
BASE_BATCH = 16  # names per pretraining step


def base_data() -> name_data.NameData:
    """The base model's training data: every training name of every kind, no prompts."""
    train, held = name_split().base_docs()
    return name_data.NameData(
        train=train,
        heldout=held,
        tokenizer=tokenizer(),
        source="US census first names and surnames (names package), no prompts",
    )


def pretrain_base(steps: int = BASE_STEPS, seed: int = 0):
    """Train a base model on unlabelled names, yielding train_tiny_gpt's events (not the
    attention maps), then a last {"type": "model", "model": TinyGPT}."""
    from glasslm.engine.training.train import TrainConfig, train_tiny_gpt

    model = TinyGPT(BASE_CONFIG, seed=seed, tokenizer=tokenizer())
    config = TrainConfig(
        steps=steps,
        batch_size=BASE_BATCH,
        eval_interval=max(1, steps // 5),
        sample_interval=steps,
        attention_interval=steps * 2,
        n_samples=0,
        seed=seed,
    )
    for event in train_tiny_gpt(model, base_data(), config):
        if event["type"] == "attention":
            continue
        if event["type"] == "done" and event["diverged"]:
            raise ValueError(event["message"])
        yield event
    yield {"type": "model", "model": model}
