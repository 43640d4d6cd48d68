"""What came before transformers: a character-level recurrent network, plain (Elman) or LSTM.

A recurrent network reads one character at a time and carries everything it
knows about the past in one hidden vector h, updated at each step:

    plain RNN (Elman 1990):   h_t = tanh(Wx[x_t] + Whh h_{t-1})
    LSTM (Hochreiter & Schmidhuber 1997):
        i, f, o, g = sigmoid, sigmoid, sigmoid, tanh  of  (Wx[x_t] + Whh h_{t-1})  split in four
        c_t = f * c_{t-1} + i * g          # the cell: a running sum the gates add to and keep
        h_t = o * tanh(c_t)
    logits_t = Wout h_t

Wx[x_t] is a row of Wx: a one-hot character times a matrix, which also plays
the part of a bias (one per character), so there are no separate biases, as in
the tiny GPT. The LSTM's forget-gate rows start at +1 so that f starts near
0.73 and the cell remembers from the first step (Gers et al. 2000).

Unlike a transformer, step t cannot start before step t-1 has finished: the
forward pass is a loop over time, and so is the backward (backpropagation
through time). Every weight is shared by all steps, and the gradient reaching
h_t from a loss k steps later has been multiplied by k Jacobians of the
update: for the plain RNN these shrink it geometrically (Bengio et al. 1994;
Pascanu et al. 2013), which is why it forgets. `gradient_through_time`
measures exactly that.

The hidden sizes are chosen so that each network has about as many weights as
the default tiny GPT (4,192): plain RNN 43 -> 4,171; LSTM 20 -> 4,300.
What this file leaves out: biases, several layers, dropout, gradient clipping.

Shapes: B batch, T time, H hidden, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.models.tiny.gpt import TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer

KINDS = ("rnn", "lstm")
GATES = {"rnn": 1, "lstm": 4}  # rows of Wx and Whh per hidden unit
DEFAULT_HIDDEN = {"rnn": 43, "lstm": 20}  # about 4,192 weights each, like the default tiny GPT
MAX_HIDDEN = 256
MAX_CONTEXT = 128


@dataclass(frozen=True)
class RNNConfig:
    kind: str = "rnn"  # "rnn" (Elman) or "lstm"
    vocab_size: int = 27
    n_hidden: int = 43
    block_size: int = 16  # the longest sequence trained on, as the tiny GPT's context
    init_std: float = 0.08  # the tiny GPT's init; Whh is scaled by 1/sqrt(H) instead (see param init)

    def validate(self) -> RNNConfig:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for name, value, low, high in (
            ("vocab_size", self.vocab_size, 2, 512),
            ("n_hidden", self.n_hidden, 1, MAX_HIDDEN),
            ("block_size", self.block_size, 1, MAX_CONTEXT),
        ):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
        return self


def param_shapes(config: RNNConfig) -> dict[str, tuple[int, ...]]:
    G, H, V = GATES[config.kind], config.n_hidden, config.vocab_size
    return {"wx": (V, G * H), "whh": (G * H, H), "wout": (V, H)}


class CharRNN:
    """A recurrent character model with the tiny GPT's interface (forward, loss, loss_and_grad)."""

    def __init__(self, config: RNNConfig | None = None, seed: int = 0, tokenizer: CharTokenizer | None = None):
        self.config = (config or RNNConfig()).validate()
        self.tokenizer = tokenizer
        self.params = tt.Parameters(param_shapes(self.config))
        rng = np.random.default_rng(seed)
        H = self.config.n_hidden
        p = self.params
        p["wx"].data[:] = rng.normal(0.0, self.config.init_std, p["wx"].shape)
        p["wout"].data[:] = rng.normal(0.0, self.config.init_std, p["wout"].shape)
        # Whh ~ N(0, 1/H): the update neither blows h up nor squashes it at the start.
        p["whh"].data[:] = rng.normal(0.0, 1.0 / np.sqrt(H), p["whh"].shape)
        if self.config.kind == "lstm":
            p["wx"].data[:, H : 2 * H] += 1.0  # forget gate open at the start

    @property
    def n_params(self) -> int:
        return self.params.size

    def param_counts(self) -> dict[str, int]:
        return {name: int(np.prod(shape)) for name, shape in self.params.shapes.items()}

    def step(self, x_t: np.ndarray, state: tuple) -> tuple:
        """One time step: ids (B,) and the state ((h,) or (h, c)) -> the next state."""
        p, H = self.params, self.config.n_hidden
        pre = tt.add(tt.lookup(p["wx"], x_t), tt.linear(state[0], p["whh"]))  # (B, G*H)
        if self.config.kind == "rnn":
            return (tt.tanh(pre),)
        i = tt.sigmoid(tt.columns(pre, 0, H))
        f = tt.sigmoid(tt.columns(pre, H, 2 * H))
        o = tt.sigmoid(tt.columns(pre, 2 * H, 3 * H))
        g = tt.tanh(tt.columns(pre, 3 * H, 4 * H))
        c = tt.add(tt.mul(f, state[1]), tt.mul(i, g))  # (B, H)
        return (tt.mul(o, tt.tanh(c)), c)

    def states(self, idx: np.ndarray) -> list[tuple]:
        """Every step's state, as Tensors whose .grad fills on backward. idx (B, T)."""
        B, T = idx.shape
        zeros = np.zeros((B, self.config.n_hidden))
        state = (tt.Tensor(zeros),) if self.config.kind == "rnn" else (tt.Tensor(zeros), tt.Tensor(zeros.copy()))
        out = []
        for t in range(T):  # the loop a transformer does not have
            state = self.step(idx[:, t], state)
            out.append(state)
        return out

    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None):
        """Logits (B*T, V) in batch-major order, as the tiny GPT's, and the mean loss if targets are given."""
        idx = np.asarray(idx)
        if idx.ndim == 1:
            idx = idx[None, :]
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than the longest trained on ({self.config.block_size})")
        hs = tt.concat_rows([s[0] for s in self.states(idx)])  # (T*B, H), time-major
        logits = tt.linear(hs, self.params["wout"])  # (T*B, V)
        batch_major = logits.data.reshape(T, B, -1).transpose(1, 0, 2).reshape(B * T, -1)
        if targets is None:
            return tt.Tensor(batch_major), None
        time_major = np.asarray(targets).reshape(B, T).T.reshape(-1)
        return tt.Tensor(batch_major), tt.cross_entropy(logits, time_major)

    # The tiny GPT's own two methods: they need only forward() and params, which this model has too.
    loss = TinyGPT.loss
    loss_and_grad = TinyGPT.loss_and_grad


def gradient_through_time(model: CharRNN, idx: np.ndarray, targets: np.ndarray) -> dict[str, list[float]]:
    """How much of the gradient reaches each earlier step: entry k is k steps before the last.

    L is the loss of the last position's prediction only, so every bit of
    gradient that reaches an earlier h_t has travelled back through the
    recurrence. For each sequence, ||dL/dh_{T-1-k}|| is divided by
    ||dL/dh_{T-1}||; the ratios are averaged over the batch as a geometric mean
    (the mean of their logarithms), because they spread over orders of
    magnitude and a plain mean would follow the one or two largest. Entry 0 is
    therefore 1. idx, targets (B, T). An LSTM also gets "c": the same for its
    cell, the path built to carry memory further back.
    """
    idx = np.asarray(idx)
    states = model.states(idx)
    logits = tt.linear(states[-1][0], model.params["wout"])  # (B, V)
    loss = tt.cross_entropy(logits, np.asarray(targets)[:, -1])
    model.params.zero_grad()
    loss.backward()
    model.params.zero_grad()

    def ratios(j):
        norms = np.stack(
            [np.linalg.norm(s[j].grad, axis=1) if s[j].grad is not None else np.zeros(len(idx)) for s in states], axis=1
        )[:, ::-1]  # (B, T): k steps back
        with np.errstate(divide="ignore"):
            logs = np.log(norms) - np.log(norms[:, :1])
        return np.exp(logs.mean(axis=0)).tolist()

    return {"h": ratios(0), **({"c": ratios(1)} if model.config.kind == "lstm" else {})}
