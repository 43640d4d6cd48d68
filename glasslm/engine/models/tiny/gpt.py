"""The tiny GPT: a character-level transformer trained from scratch in seconds.

Its default configuration is that of Karpathy's ~200-line pure-Python
"microgpt": token and learned position embeddings, an RMSNorm, then per layer
a pre-norm causal self-attention block and a pre-norm ReLU MLP block, each added
back to the residual stream, and an untied output layer. No biases, and RMSNorm
without a learned gain. With the defaults that is 4,192 parameters.

    x = rmsnorm(wte[tokens] + wpe[positions])                    # (N, C)
    per layer:  x = x + wo @ attention(wq, wk, wv @ rmsnorm(x))  # (N, C)
                x = x + fc2 @ relu(fc1 @ rmsnorm(x))             # (N, C)
    logits = lm_head @ x                                         # (N, V)

(GPT: Radford et al. 2018/2019; RMSNorm: Zhang & Sennrich 2019; the layer
layout and weight names follow microgpt.)

Architecture switches (GPTConfig; the defaults are microgpt's, above), so the
architecture lab can train the upgrades that lead to a model like SmolLM2:
- residual: False drops the "x +" of both blocks (He et al. 2016 added it);
- norm "rmsnorm" / "layernorm" (Ba et al. 2016) / "none", at "pre" (before
  each block, inside the residual branch) or "post" (after the sum, as in the
  original transformer); both norms without learned gain, like microgpt's;
- positions "learned" (wpe) / "sinusoidal" (a fixed table, basics/sinusoid.py)
  / "rope" (queries and keys rotated, rotary.py; Su et al. 2021) / "none";
- n_kv_head below n_head: grouped-query attention (Ainslie et al. 2023), 1: multi-query;
- mlp "relu" / "gelu" / "swiglu" (Shazeer 2020), SwiGLU's hidden width cut to
  2/3 so its three matrices hold about as many weights as the other two.

What this file adds over tensor.py: the model, its config, a trace of the
attention weights and activations, checkpoints in safetensors with the config
and the characters beside the weights, and the one decode loop (`generate`)
that samples names from BOS or continues a prompt.
What it leaves out: dropout, weight decay, KV cache (sampling recomputes the
short context), tied embeddings, biases.

Shapes: B batch, T time, N = B*T rows, C channels (n_embd), H heads, D head
dim, V vocabulary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.basics.sinusoid import sinusoidal
from glasslm.engine.models.tiny.rotary import rotate_qk
from glasslm.engine.tokenizers.chars import CharTokenizer

# Limits that keep a model trainable on a laptop in a learner's session.
MAX_LAYERS = 8
MAX_LAB_LAYERS = 16  # the architecture lab may go deeper, to watch gradients fade without residuals
NORMS = ("rmsnorm", "layernorm", "none")
NORM_POSITIONS = ("pre", "post")
POSITIONS = ("learned", "sinusoidal", "rope", "none")
MLPS = ("relu", "gelu", "swiglu")
MAX_EMBD = 256
MAX_HEADS = 16
MAX_CONTEXT = 128
MAX_VOCAB = 512
MAX_SAMPLES = 200  # names per sample() call
# Checkpoints may be bigger than what the guide trains: a model trained with
# PyTorch (glasslm.torch_gpt) still loads here, for sampling and inspection.
CHECKPOINT_LIMITS = {"max_layers": 24, "max_embd": 1024, "max_heads": 32, "max_context": 1024}


class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded; the message says why."""


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 27  # 26 lowercase letters + BOS, as in microgpt
    block_size: int = 16  # context length: nearly every first name fits in 15 letters + BOS
    n_layer: int = 1  # one block is enough to learn name-shaped strings, and trains in seconds
    n_embd: int = 16  # width of the residual stream: microgpt's size
    n_head: int = 4  # four heads of 4 dimensions each: enough to see distinct patterns
    mlp_ratio: int = 4  # MLP width 4 x n_embd = 64, the usual transformer ratio
    init_std: float = 0.08  # microgpt's Gaussian init: small enough that early losses are ~log(V)
    # Architecture switches (module docstring); checkpoints saved before they existed load with these defaults.
    residual: bool = True
    norm: str = "rmsnorm"
    norm_position: str = "pre"
    positions: str = "learned"
    n_kv_head: int | None = None  # None: one key-value head per query head
    mlp: str = "relu"

    @property
    def microgpt_layout(self) -> bool:
        """True when every architecture switch is at microgpt's default (what the PyTorch twin and LoRA run)."""
        return (self.residual, self.norm, self.norm_position, self.positions, self.kv_heads, self.mlp) == (
            True,
            "rmsnorm",
            "pre",
            "learned",
            self.n_head,
            "relu",
        )

    @property
    def kv_heads(self) -> int:
        return self.n_head if self.n_kv_head is None else self.n_kv_head

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def mlp_hidden(self) -> int:
        """The MLP's hidden width: mlp_ratio x n_embd, or 2/3 of it (rounded) for SwiGLU's three matrices."""
        width = self.mlp_ratio * self.n_embd
        return max(1, round(2 * width / 3)) if self.mlp == "swiglu" else width

    def validate(
        self,
        max_layers: int = MAX_LAYERS,
        max_embd: int = MAX_EMBD,
        max_heads: int = MAX_HEADS,
        max_context: int = MAX_CONTEXT,
    ) -> "GPTConfig":
        """Raise ValueError saying which size is wrong and what is allowed.

        The default limits are the numpy trainer's; pass larger ones for models
        trained elsewhere (CHECKPOINT_LIMITS, or glasslm.torch_gpt's).
        """
        checks = [
            ("vocab_size", self.vocab_size, 2, MAX_VOCAB),
            ("block_size (context)", self.block_size, 1, max_context),
            ("n_layer (layers)", self.n_layer, 1, max_layers),
            ("n_embd (embedding width)", self.n_embd, 1, max_embd),
            ("n_head (heads)", self.n_head, 1, max_heads),
            ("mlp_ratio", self.mlp_ratio, 1, 8),
        ]
        for name, value, low, high in checks:
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(
                f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}): "
                "each head gets an equal share of the channels"
            )
        if not (isinstance(self.init_std, (int, float)) and 0 < self.init_std <= 1):
            raise ValueError(f"init_std must be a number in (0, 1], got {self.init_std!r}")
        for name, value, choices in (
            ("norm", self.norm, NORMS),
            ("norm_position", self.norm_position, NORM_POSITIONS),
            ("positions", self.positions, POSITIONS),
            ("mlp", self.mlp, MLPS),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        if not isinstance(self.residual, bool):
            raise ValueError(f"residual must be true or false, got {self.residual!r}")
        K = self.kv_heads
        if not isinstance(K, (int, np.integer)) or isinstance(K, bool) or not 1 <= K <= self.n_head:
            raise ValueError(
                f"n_kv_head (key-value heads) must be a whole number from 1 to n_head ({self.n_head}), got {K!r}"
            )
        if self.n_head % K:
            raise ValueError(
                f"n_head ({self.n_head}) must be divisible by n_kv_head ({K}): "
                "each key-value head serves the same number of query heads"
            )
        if self.positions == "rope" and self.head_dim % 2:
            raise ValueError(f"RoPE turns pairs of numbers, so the head size ({self.head_dim}) must be even")
        if self.positions == "sinusoidal" and self.n_embd % 2:
            raise ValueError(f"sinusoidal positions come in sine-cosine pairs, so n_embd ({self.n_embd}) must be even")
        return self


def param_shapes(config: GPTConfig) -> dict[str, tuple[int, ...]]:
    """Every weight's name (as in the checkpoint) and shape, (out, in) for matrices."""
    C, V, T, F = config.n_embd, config.vocab_size, config.block_size, config.mlp_hidden
    KD = config.kv_heads * config.head_dim  # width of k and v: C unless heads share them
    shapes = {"wte": (V, C), "wpe": (T, C), "lm_head": (V, C)}
    if config.positions != "learned":
        del shapes["wpe"]
    for i in range(config.n_layer):
        # wq, wk, wv must stay consecutive: the forward pass runs them as one (C + 2 KD, C) matrix.
        shapes[f"layer{i}.attn_wq"] = (C, C)
        shapes[f"layer{i}.attn_wk"] = (KD, C)
        shapes[f"layer{i}.attn_wv"] = (KD, C)
        shapes[f"layer{i}.attn_wo"] = (C, C)
        if config.mlp == "swiglu":  # gate then fc1, consecutive: run as one (2F, C) matrix
            shapes[f"layer{i}.mlp_gate"] = (F, C)
        shapes[f"layer{i}.mlp_fc1"] = (F, C)
        shapes[f"layer{i}.mlp_fc2"] = (C, F)
    return shapes


def layer_names(config: GPTConfig, i: int) -> list[str]:
    """The weights of block i (for its gradient norm)."""
    return [name for name in param_shapes(config) if name.startswith(f"layer{i}.")]


class TinyGPT:
    """The model: parameters in one flat buffer, a forward pass of fused ops."""

    def __init__(
        self,
        config: GPTConfig | None = None,
        seed: int = 0,
        tokenizer: CharTokenizer | None = None,
        limits: dict | None = None,
    ):
        self.config = (config or GPTConfig()).validate(**(limits or {}))
        tt.keep_freed_memory()  # once per process: see its docstring
        if tokenizer is not None and tokenizer.vocab_size != self.config.vocab_size:
            raise ValueError(
                f"the tokenizer has {tokenizer.vocab_size} ids but the config says vocab_size={self.config.vocab_size}"
            )
        self.tokenizer = tokenizer
        self.params = tt.Parameters(param_shapes(self.config))
        rng = np.random.default_rng(seed)
        self.params.flat[:] = rng.normal(0.0, self.config.init_std, self.params.size)
        p = self.params
        self._layers = [
            (
                p.joined(f"layer{i}.attn_wq", f"layer{i}.attn_wv"),
                p[f"layer{i}.attn_wo"],
                p.joined(f"layer{i}.mlp_gate", f"layer{i}.mlp_fc1")
                if self.config.mlp == "swiglu"
                else p[f"layer{i}.mlp_fc1"],
                p[f"layer{i}.mlp_fc2"],
            )
            for i in range(self.config.n_layer)
        ]
        cfg = self.config
        self._norm = {"rmsnorm": tt.rmsnorm, "layernorm": tt.layernorm, "none": None}[cfg.norm]
        self._act = {"relu": tt.relu, "gelu": tt.gelu, "swiglu": tt.swiglu}[cfg.mlp]
        # A fixed table at the token embeddings' scale (init_std), so neither drowns the other.
        self._table = (
            sinusoidal(cfg.block_size, cfg.n_embd).astype(np.float64) * cfg.init_std
            if cfg.positions == "sinusoidal"
            else None
        )

    # ------------------------------------------------------------ forward

    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None, trace: dict | None = None):
        """Logits (N, V) as a Tensor, and the mean loss Tensor if targets are given.

        idx (B, T) ints; targets (B, T) ints with -1 for positions not counted.
        Pass a dict as `trace` to have it filled with the attention weights
        (per layer (B, H, T, T)) and the activations (per stage (B, T, C)).
        """
        idx = np.asarray(idx)
        if idx.ndim == 1:
            idx = idx[None, :]
        B, T = idx.shape
        cfg = self.config
        if T > cfg.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than the context ({cfg.block_size})")
        p = self.params
        if cfg.positions == "learned":
            x = tt.embed(p["wte"], p["wpe"], idx)  # (N, C)
        else:
            x = tt.lookup(p["wte"], idx)  # (N, C); RoPE and "none" add nothing here
            if self._table is not None:
                x = tt.add(x, tt.Tensor(np.tile(self._table[:T], (B, 1))))  # a constant: no gradient kept
        if trace is not None:
            trace["embedding"] = x.data.reshape(B, T, -1)
        if self._norm is not None:
            x = self._norm(x)  # (N, C)
        for wqkv, wo, fc1, fc2 in self._layers:
            a = None

            def attend(h, wqkv=wqkv, wo=wo):
                nonlocal a
                qkv = tt.linear(h, wqkv)  # (N, C + 2 KD)
                if cfg.positions == "rope":
                    qkv = rotate_qk(qkv, B, T, cfg.n_head, cfg.kv_heads)
                a = tt.causal_attention(qkv, B, T, cfg.n_head, cfg.kv_heads)  # (N, C)
                return tt.linear(a, wo)

            x = self._sublayer(x, attend)
            h = None

            def mlp(u, fc1=fc1, fc2=fc2):
                nonlocal h
                h = self._act(tt.linear(u, fc1))  # (N, F)
                return tt.linear(h, fc2)

            x = self._sublayer(x, mlp)
            if trace is not None:
                trace.setdefault("attention", []).append(a.aux)  # (B, H, T, T)
                trace.setdefault("mlp_hidden", []).append(h.data.reshape(B, T, -1))
                trace.setdefault("residual", []).append(x.data.reshape(B, T, -1))
        logits = tt.linear(x, p["lm_head"])  # (N, V)
        if trace is not None:
            trace["logits"] = logits.data.reshape(B, T, -1)
        if targets is None:
            return logits, None
        return logits, tt.cross_entropy(logits, np.asarray(targets))

    def _sublayer(self, x: tt.Tensor, block: Callable[[tt.Tensor], tt.Tensor]) -> tt.Tensor:
        """One block with the configured norm and residual: pre-norm x + f(norm(x)), post-norm norm(x + f(x))."""
        norm = self._norm or (lambda t: t)
        if self.config.norm_position == "pre":
            out = block(norm(x))
            return tt.add(x, out) if self.config.residual else out
        out = block(x)
        return norm(tt.add(x, out) if self.config.residual else out)

    def loss(self, idx: np.ndarray, targets: np.ndarray) -> float:
        """Mean cross-entropy (nats per token), no gradients kept."""
        return float(self.forward(idx, targets)[1].data)

    def loss_and_grad(self, idx: np.ndarray, targets: np.ndarray) -> float:
        """One forward and backward pass: the gradient lands in params.flat_grad."""
        self.params.zero_grad()
        _, loss = self.forward(idx, targets)
        loss.backward()
        return float(loss.data)

    def trace(self, text: str) -> dict:
        """Attention weights and activations for one document ([BOS] + text)."""
        if self.tokenizer is None:
            raise ValueError("this model has no tokenizer attached: pass one to TinyGPT(...)")
        ids = [self.tokenizer.bos, *self.tokenizer.encode(text)][: self.config.block_size]
        out: dict = {"tokens": [self.tokenizer.token_text(i) for i in ids]}
        self.forward(np.array([ids]), trace=out)
        return out

    # ------------------------------------------------------------ inspection

    def param_counts(self) -> dict[str, int]:
        """Number of weights in each tensor, by checkpoint name."""
        return {name: int(np.prod(shape)) for name, shape in self.params.shapes.items()}

    def layer_grad_norms(self) -> list[float]:
        """The size (L2 norm) of the gradient now in params.flat_grad, block by block, first to last."""
        g, off = self.params.flat_grad, self.params.offsets
        norms = []
        for i in range(self.config.n_layer):
            names = layer_names(self.config, i)
            lo, hi = off[names[0]][0], off[names[-1]][1]  # a block's weights are consecutive
            norms.append(float(np.sqrt(g[lo:hi] @ g[lo:hi])))
        return norms

    @property
    def n_params(self) -> int:
        return self.params.size

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> weights (views into the flat buffer)."""
        return {name: self.params[name].data for name in self.params}

    # ------------------------------------------------------------ checkpoints

    def save(self, path: str | Path) -> Path:
        """Write the weights as safetensors, with the config and characters as metadata."""
        from safetensors.numpy import save_file

        path = Path(path)
        meta = {"glasslm": "tiny-gpt", "config": json.dumps(asdict(self.config))}
        if self.tokenizer is not None:
            meta["chars"] = self.tokenizer.chars
        save_file({k: np.ascontiguousarray(v) for k, v in self.state_dict().items()}, str(path), metadata=meta)
        return path

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> "TinyGPT":
        """Load a model saved by `save`; a damaged or foreign file raises CheckpointError."""
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"no checkpoint file at {path}")
        try:
            with safe_open(str(path), framework="np") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except Exception as err:  # safetensors raises several types for damaged headers and data
            raise CheckpointError(
                f"{path.name} is not a readable safetensors file ({err}); "
                "save a model with `glasslm train --out FILE.safetensors`"
            ) from None
        if meta.get("glasslm") != "tiny-gpt" or "config" not in meta:
            raise CheckpointError(f"{path.name} is a safetensors file but not a glasslm tiny GPT (no config inside)")
        try:
            raw = json.loads(meta["config"])
            if not isinstance(raw, dict):
                raise ValueError(f"the config must be a JSON object of settings, not {type(raw).__name__}")
            known = {f.name for f in fields(GPTConfig)}
            config = GPTConfig(**{k: v for k, v in raw.items() if k in known}).validate(**CHECKPOINT_LIMITS)
            tokenizer = CharTokenizer(meta["chars"]) if "chars" in meta else None
            model = cls(config, tokenizer=tokenizer, limits=CHECKPOINT_LIMITS)
        except (ValueError, TypeError) as err:
            raise CheckpointError(f"{path.name} has an invalid config: {err}") from None
        expected = param_shapes(config)
        if set(tensors) != set(expected):
            missing = sorted(set(expected) - set(tensors))
            extra = sorted(set(tensors) - set(expected))
            raise CheckpointError(f"{path.name} does not match its config: missing {missing}, unexpected {extra}")
        for name, shape in expected.items():
            w = tensors[name]
            # float64 (the numpy trainer's) and float32 (the PyTorch trainer's, glasslm.torch_gpt) are
            # read, float32 widened exactly; anything else (integers, float16) is refused rather than
            # converted: it means a file made by something else, whose numbers may not mean what we expect.
            if w.dtype not in (np.float64, np.float32):
                raise CheckpointError(
                    f"{path.name}: {name} holds {w.dtype} numbers; a tiny GPT checkpoint holds "
                    "float64 (numpy) or float32 (PyTorch) weights (save one with `glasslm train "
                    "--out FILE.safetensors`)"
                )
            if w.shape != shape:
                raise CheckpointError(f"{path.name}: {name} has shape {w.shape}, the config says {shape}")
            if not np.all(np.isfinite(w)):
                raise CheckpointError(f"{path.name}: {name} contains NaN or infinite values")
            model.params[name].data[...] = w
        return model


def generate(
    model: TinyGPT,
    idx: np.ndarray,
    stop: int,
    temperature: float = 0.0,
    rng: np.random.Generator | None = None,
    max_new: int | None = None,
    force: Callable[[int, np.ndarray], None] | None = None,
) -> list[list[int]]:
    """Continue each row of idx (B, P) one character at a time; each row's new ids, up to `stop`.

    The one tiny-GPT decode loop (gpt.sample, sft.sample_after and the
    thinking budget all run it). Every step recomputes the whole short
    context (no KV cache), takes the last position's logits and picks the
    next id: the argmax at temperature 0 (ties: the lowest id), otherwise an
    inverse-CDF draw from softmax(logits / temperature). A row ends when it
    writes `stop` (not included in its output); all end when the context is
    full or after max_new characters. force(step, nxt), if given, may change
    the picked ids (B,) in place before they are written: the thinking budget
    writes its end-of-work mark that way.
    """
    B, P = idx.shape
    limit = model.config.block_size - P + 1  # a forward pass takes up to block_size ids
    limit = limit if max_new is None else min(limit, int(max_new))
    rng = rng if rng is not None else np.random.default_rng(0)
    done = np.zeros(B, dtype=bool)
    out: list[list[int]] = [[] for _ in range(B)]
    with np.errstate(all="ignore"):  # a diverged model's inf logits still give an id, not a warning
        for step in range(limit):
            logits, _ = model.forward(idx)
            z = logits.data.reshape(B, idx.shape[1], -1)[:, -1]  # (B, V): the next-character scores
            if temperature == 0:
                nxt = z.argmax(axis=-1)  # (B,)
            else:
                p = softmax(z, temperature)  # (B, V)
                nxt = np.minimum((p.cumsum(axis=-1) < rng.random((B, 1))).sum(axis=-1), p.shape[1] - 1)  # inverse CDF
            if force is not None:
                force(step, nxt)
            for i in np.nonzero(~done)[0]:
                if nxt[i] == stop:
                    done[i] = True
                else:
                    out[i].append(int(nxt[i]))
            if done.all():
                break
            idx = np.concatenate([idx, nxt[:, None]], axis=1)  # (B, t+1)
    return out


def sample(
    model: TinyGPT,
    tokenizer: CharTokenizer | None = None,
    n: int = 10,
    temperature: float = 0.5,
    seed: int | None = 0,
    max_len: int | None = None,
) -> list[str]:
    """Invent n documents, each started from BOS and ended when the model emits BOS.

    The n samples run side by side as one batch. temperature divides the
    logits (below 1: safer, more typical names; 0: always the most likely
    character). max_len defaults to the context length.
    """
    tokenizer = tokenizer or model.tokenizer
    if tokenizer is None:
        raise ValueError("sample needs the tokenizer the model was trained with")
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"n must be from 1 to {MAX_SAMPLES}, got {n}")
    if not (np.isfinite(temperature) and 0 <= temperature <= 10):
        raise ValueError(f"temperature must be a number from 0 to 10, got {temperature!r}")
    idx = np.full((n, 1), tokenizer.bos, dtype=np.int64)  # (n, 1): every sample starts at BOS
    out = generate(model, idx, tokenizer.bos, temperature, np.random.default_rng(seed), max_len)
    return [tokenizer.decode(ids) for ids in out]
