"""Causal tracing: where, inside SmolLM2, does a fact about a subject pass through?

Meng, Bau, Andonian & Belinkov 2022 ("Locating and Editing Factual Associations
in GPT", section 2). Take a prompt the model completes correctly ("The Eiffel
Tower is located in the city of" -> " Paris") and three runs of it:

1. clean: record every hidden state, and the probability p_clean of the answer;
2. corrupted: add Gaussian noise to the token embeddings of the subject
   ("The Eiffel Tower"), with a standard deviation 3 times that of the
   embeddings (the paper's choice; ours is the std of SmolLM2's whole
   embedding table), so the model no longer knows what the subject is. The
   answer's probability falls to p_corrupted (averaged over a few noise
   samples, each with its own fixed seed);
3. corrupted-with-restoration: the corrupted run again, with ONE hidden state
   put back to its clean value, then the rest of the model runs on. If the
   answer comes back, that state carried what the model needed.

The states restored, for each block l and token position p:

- "residual": the residual stream after block l at position p;
- "mlp": the MLP outputs at position p of the WINDOW blocks centred on l
  (blocks l-5 .. l+4, cut at the ends), as the paper does for MLP and
  attention: one block's sublayer alone barely moves a 30-block model;
- "attention": the same with the attention outputs.

The measure is the share of the lost probability that comes back:

    recovered(l, p) = (p_restored - p_corrupted) / (p_clean - p_corrupted)

0 = no better than corrupted, 1 = as good as clean (the tests check both ends:
restoring every position gives 1, restoring none gives 0).

Speed: positions before the subject are identical in the clean and the
corrupted runs, so restoring one changes nothing: their cells are the baseline
exactly and nothing is run. For a restoration at position p, positions before
p are those of the corrupted run (attention is causal), so only positions p..
are run, reading the earlier keys and values from the recorded corrupted run.
All rows of one position (every kind, layer and noise sample) run as one
batch, each row joining at the block where it starts. A column of the heat
maps is one such batch, which is what trace() yields.

Left out: restoring several states at once, the paper's path-dependent
experiments (severing MLPs), and editing (ROME).
Shapes: N noise samples, T tokens, C width, L blocks, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from glasslm.engine.data.files import read_json
from glasslm.engine.models.llama.hooked_llama import attention, last_logits, mlp

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

KINDS = ("residual", "mlp", "attention")
MAX_TRACE_TOKENS = 16  # a trace runs ~3 x L x T^2 / 2 block-positions per noise sample: short prompts only
MAX_NOISE_SAMPLES = 10  # the paper's number; each sample is another full set of restored runs
FACTS_FILE = "causal_facts.json"  # prompts SmolLM2 completes correctly, with their subjects (measured)


def facts() -> list[dict]:
    """[{"prompt", "subject", "answer"}]: facts SmolLM2-135M-Instruct gets right (top-1), for tracing."""
    return read_json(FACTS_FILE)["facts"]


@dataclass(frozen=True)
class TraceConfig:
    noise_samples: int = 3  # the paper averages 10; 3 keep a trace under a minute here
    noise_scale: float = 3.0  # noise std in units of the embeddings' std (Meng et al. 2022, section 2.1)
    window: int = 10  # blocks whose MLP (or attention) outputs are restored together (the paper's 10)
    seed: int = 0

    def validate(self) -> None:
        if not 1 <= self.noise_samples <= MAX_NOISE_SAMPLES:
            raise ValueError(f"noise_samples must be from 1 to {MAX_NOISE_SAMPLES}, got {self.noise_samples}")
        if not 0 < self.noise_scale <= 100:
            raise ValueError(f"noise_scale must be above 0 and at most 100, got {self.noise_scale}")
        if not 1 <= self.window <= 30:
            raise ValueError(f"window must be from 1 to 30 blocks, got {self.window}")


@dataclass(frozen=True)
class Setup:
    """The clean and corrupted runs every restoration compares against."""

    ids: np.ndarray  # (T,)
    subject: tuple[int, int]  # token positions [first, last + 1) of the subject
    answer: int  # the token whose probability is traced: the clean run's top prediction
    config: TraceConfig
    clean_x: list[np.ndarray]  # L+1 residuals (T, C): x_0 the embedding, x_l after block l-1
    clean_attn: list[np.ndarray]  # L attention outputs (T, C)
    clean_mlp: list[np.ndarray]  # L MLP outputs (T, C)
    corrupted_x: list[np.ndarray]  # L+1 residuals (N, T, C)
    corrupted_kv: list[tuple[np.ndarray, np.ndarray]]  # L (keys, values), each (N, T, Hkv, D)
    p_clean: float
    p_corrupted: float  # mean over the noise samples

    def recovered(self, p: np.ndarray) -> np.ndarray:
        """The share of the lost probability that p restores (0 = corrupted, 1 = clean)."""
        return (np.asarray(p) - self.p_corrupted) / (self.p_clean - self.p_corrupted)


def subject_tokens(m: SmolLM2, ids, prompt: str, subject: str) -> tuple[int, int]:
    """Token positions [first, last + 1) that cover the first occurrence of `subject` in `prompt`.

    A token belongs to the subject if any of its characters do, so "Eiffel" in " Eiffel Tower"
    takes the whole " Eiffel" token."""
    at = prompt.find(subject) if subject.strip() else -1
    if at < 0:
        raise ValueError(f"the subject {subject!r} does not appear in the prompt")
    ends = [len(m.decode(list(ids[: i + 1]))) for i in range(len(ids))]  # character end of each token
    starts = [0] + ends[:-1]
    inside = [i for i in range(len(ids)) if starts[i] < at + len(subject) and ends[i] > at]
    return inside[0], inside[-1] + 1


def answer_probability(m: SmolLM2, x_last: np.ndarray, answer: int) -> np.ndarray:
    """p(answer) at the last position of residuals x_L (B, T, C): (B,)."""
    logits = last_logits(m, x_last)  # (B, V) float32
    logits -= logits.max(axis=1, keepdims=True)  # the top logit becomes 0: exp cannot overflow
    picked = logits[:, answer].astype(np.float64)  # (B,)
    np.exp(logits, out=logits)  # in place: B x 49,152 exponentials are much of a column's time
    return np.exp(picked) / logits.sum(axis=1, dtype=np.float64)


def record(m: SmolLM2, x: np.ndarray) -> tuple[list, list, list, list]:
    """Run every block from the embeddings x (B, T, C), keeping (residuals, attention outputs,
    MLP outputs, keys and values) of every block."""
    xs, attns, mlps, kvs = [x], [], [], []
    for layer in range(m.config.n_layers):
        a, kv = attention(m, x, layer)
        x = x + a
        o = mlp(m, x, layer)
        x = x + o
        xs.append(x)
        attns.append(a)
        mlps.append(o)
        kvs.append(kv)
    return xs, attns, mlps, kvs


def noise(m: SmolLM2, T: int, subject: tuple[int, int], config: TraceConfig) -> np.ndarray:
    """(N, T, C) Gaussian noise on the subject's positions, zero elsewhere; sample n uses seed + n."""
    sd = config.noise_scale * float(m.model.w.embed_tokens.std())
    out = np.zeros((config.noise_samples, T, m.config.d_model), dtype=np.float32)
    a, b = subject
    for n in range(config.noise_samples):
        out[n, a:b] = np.random.default_rng(config.seed + n).normal(0.0, sd, (b - a, m.config.d_model))
    return out


def prepare(m: SmolLM2, ids, subject: tuple[int, int], config: TraceConfig = TraceConfig()) -> Setup:
    """The clean run and the corrupted runs (one per noise sample) of `ids`."""
    config.validate()
    ids = np.asarray(m.check_ids(ids, limit=MAX_TRACE_TOKENS), dtype=np.int64)  # (T,)
    T = len(ids)
    a, b = subject
    if not 0 <= a < b <= T:
        raise ValueError(f"the subject must be tokens within 0..{T}, got {a}..{b}")
    emb = m.model.w.embed_tokens[ids][None].astype(np.float32)  # (1, T, C)
    clean_x, clean_attn, clean_mlp, _ = record(m, emb)
    answer = int(last_logits(m, clean_x[-1]).argmax())
    corrupted_x, _, _, kvs = record(m, emb + noise(m, T, subject, config))  # (N, T, C) each
    return Setup(
        ids=ids,
        subject=(a, b),
        answer=answer,
        config=config,
        clean_x=[x[0] for x in clean_x],
        clean_attn=[x[0] for x in clean_attn],
        clean_mlp=[x[0] for x in clean_mlp],
        corrupted_x=corrupted_x,
        corrupted_kv=kvs,
        p_clean=float(answer_probability(m, clean_x[-1], answer)[0]),
        p_corrupted=float(answer_probability(m, corrupted_x[-1], answer).mean()),
    )


def window(setup: Setup, layer: int, n_layers: int) -> range:
    """The blocks whose sublayer outputs a restoration centred on `layer` puts back."""
    w = setup.config.window
    return range(max(0, layer - w // 2), min(n_layers, layer - (-w // 2)))


def restore_column(m: SmolLM2, setup: Setup, p: int) -> dict[str, np.ndarray]:
    """p(answer) with one state at position p restored, for every kind and block: {kind: (L,)},
    each the mean over the noise samples. One batch of 3 x L x N rows over positions p..T-1."""
    L, N = m.config.n_layers, setup.config.noise_samples
    T = len(setup.ids)
    # row r: (kind, layer l, noise sample n); it joins the batch at block `first`
    rows = [(k, layer, n) for k in range(len(KINDS)) for layer in range(L) for n in range(N)]
    first = [layer + 1 if k == 0 else window(setup, layer, L).start for k, layer, _ in rows]
    x = np.zeros((0, T - p, m.config.d_model), dtype=np.float32)  # (active rows, T-p, C)
    active: list[int] = []
    for block in range(L + 1):
        joining = [r for r in range(len(rows)) if first[r] == block]
        if joining:
            new = np.stack([setup.corrupted_x[block][rows[r][2], p:] for r in joining])  # (J, T-p, C)
            for j, r in enumerate(joining):
                if KINDS[rows[r][0]] == "residual":  # restores the state after block l = x_{l+1} = x_block
                    new[j, 0] = setup.clean_x[block][p]
            x = np.concatenate([x, new])
            active += joining
        if block == L:
            break
        noise_of = np.array([rows[r][2] for r in active])
        keys, values = setup.corrupted_kv[block]
        a, _ = attention(m, x, block, (keys[noise_of, :p], values[noise_of, :p]))  # (B, T-p, C)
        a[restoring(setup, rows, active, "attention", block), 0] = setup.clean_attn[block][p]
        x = x + a
        o = mlp(m, x, block)  # (B, T-p, C)
        o[restoring(setup, rows, active, "mlp", block), 0] = setup.clean_mlp[block][p]
        x = x + o
    probs = answer_probability(m, x, setup.answer)  # (3 L N,) in `active` order
    per_row = np.empty(len(rows))
    per_row[active] = probs
    per_row = per_row.reshape(len(KINDS), L, N).mean(axis=2)  # (3, L)
    return {kind: per_row[i] for i, kind in enumerate(KINDS)}


def restoring(setup: Setup, rows: list, active: list, kind: str, block: int) -> np.ndarray:
    """Indices into the batch of the rows whose `kind` output at `block` is put back."""
    L = len(setup.clean_attn)
    hit = [i for i, r in enumerate(active) if KINDS[rows[r][0]] == kind and block in window(setup, rows[r][1], L)]
    return np.array(hit, dtype=np.int64)


def trace(m: SmolLM2, setup: Setup) -> Iterator[dict]:
    """One column of the three heat maps per position: {"position", "computed", kind: (L,) p(answer)}.

    Positions before the subject come first and cost nothing (their cells are p_corrupted exactly);
    then the subject's first position onwards, one batch each."""
    L = m.config.n_layers
    for p in range(len(setup.ids)):
        if p < setup.subject[0]:
            yield {"position": p, "computed": False, **{k: np.full(L, setup.p_corrupted) for k in KINDS}}
        else:
            yield {"position": p, "computed": True, **restore_column(m, setup, p)}


def work(setup: Setup, p: int) -> int:
    """Relative cost of position p's column (the tokens it runs), for progress and ETA."""
    return 0 if p < setup.subject[0] else len(setup.ids) - p


def restored_probability(m: SmolLM2, setup: Setup, kind: str, layer: int, positions) -> float:
    """p(answer) of the corrupted runs with `kind`'s state(s) at block `layer` restored at every
    position in `positions` (any number, none included), run the plain way: every position,
    every block. restore_column's reference, and the way to restore several positions at once."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    L = m.config.n_layers
    at = np.asarray(list(positions), dtype=np.int64)
    blocks = window(setup, layer, L) if kind != "residual" else range(0)
    x = setup.corrupted_x[0].copy()  # (N, T, C)
    for block in range(L):
        a, _ = attention(m, x, block)
        if kind == "attention" and block in blocks:
            a[:, at] = setup.clean_attn[block][at]
        x = x + a
        o = mlp(m, x, block)
        if kind == "mlp" and block in blocks:
            o[:, at] = setup.clean_mlp[block][at]
        x = x + o
        if kind == "residual" and block == layer:
            x[:, at] = setup.clean_x[block + 1][at]
    return float(answer_probability(m, x, setup.answer).mean())


def peaks(setup: Setup, columns: list[dict]) -> dict[str, dict]:
    """Per kind, the cell that recovers most: {kind: {"layer", "position", "recovered"}}, over every
    position ("all") and over the subject's tokens only ("subject"). The residual at the last
    position in the last blocks is trivially near 1 (it is the answer itself), so the subject's
    peak is the informative one for that kind."""
    a, b = setup.subject
    out = {}
    for kind in KINDS:
        r = setup.recovered(np.stack([c[kind] for c in columns], axis=1))  # (L, positions so far)
        pos = np.array([c["position"] for c in columns])
        out[kind] = {}
        for name, keep in (("all", np.ones(len(pos), bool)), ("subject", (pos >= a) & (pos < b))):
            if not keep.any():
                continue
            sub = np.where(keep[None, :], r, -np.inf)
            layer, j = np.unravel_index(int(np.argmax(sub)), sub.shape)
            out[kind][name] = {"layer": int(layer), "position": int(pos[j]), "recovered": float(r[layer, j])}
    return out
