"""A small convolutional network for the 8x8 digits, and its training beside the tiny ViT.

The idea of LeCun et al. 1998 ("Gradient-Based Learning Applied to Document
Recognition", LeNet-5), at toy size: slide a few small filters over the image,
keep the largest response in each 2x2 square, repeat, then classify.

    image (B, 1, 8, 8)
    conv 3x3, 8 filters, padding 1, + bias, ReLU   (B, 8, 8, 8)    feature maps 1
    max-pool 2x2                                   (B, 8, 4, 4)
    conv 3x3, 16 filters, padding 1, + bias, ReLU  (B, 16, 4, 4)   feature maps 2
    max-pool 2x2                                   (B, 16, 2, 2)
    flatten, linear + bias                         (B, 10)         class logits

A filter's 9 (or 72) weights are shared by every position of the image, which
is why this network needs about a fifth of the ViT's weights: it is told in
advance that a stroke means the same thing wherever it is, where the ViT must
learn that from data.

conv2d is computed by im2col: every 3x3 window of the (padded) input becomes
one row of a matrix, so the convolution is one matrix multiply, and its
backward is two (weights, and windows) plus adding each window's gradient back
where it came from (col2im). max_pool2d sends each square's gradient to the
one input that was largest (the first, on ties, as torch does).
tests/engine/test_cnn.py checks both against torch.nn.functional.conv2d and
max_pool2d, and the whole model's gradient against torch.

Shapes: B batch, C channels in, F filters, H W height width, k kernel side.

Events of `train_cnn_and_vit(...)`:
    start  {steps, batch_size, models: {cnn: {n_params, ...}, vit: {n_params, ...}}, n_train, n_test}
    step   {step, losses: {cnn, vit}}                      every step
    eval   {step, test_accuracy: {cnn, vit}}               every eval_interval, first and last
    done   {step, test_accuracy, images_per_s: {cnn, vit}, elapsed_s}
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from glasslm.engine.autograd import encoder_ops as E
from glasslm.engine.autograd import tensor as T_
from glasslm.engine.autograd.optim import Adam, Schedule
from glasslm.engine.data import digits as digit_data
from glasslm.engine.models.vision.vit import TinyViT, ViTConfig

N_CLASSES = 10
MAX_STEPS = 5_000
MAX_FILTERS = 32


# ------------------------------------------------------------------ ops


def conv2d(x: T_.Tensor, w: T_.Tensor, b: T_.Tensor, pad: int = 1) -> T_.Tensor:
    """Cross-correlation, stride 1: x (B, C, H, W), w (F, C, k, k), b (F,) -> (B, F, H', W')."""
    B, C, H, W = x.data.shape
    F, _, k, _ = w.data.shape
    xp = np.pad(x.data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (B, C, H+2p, W+2p)
    Ho, Wo = H + 2 * pad - k + 1, W + 2 * pad - k + 1
    windows = sliding_window_view(xp, (k, k), axis=(2, 3))  # (B, C, Ho, Wo, k, k), a view
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(B * Ho * Wo, C * k * k)  # im2col: one window per row
    wm = w.data.reshape(F, C * k * k)
    out = (cols @ wm.T + b.data).reshape(B, Ho, Wo, F).transpose(0, 3, 1, 2)  # (B, F, Ho, Wo)

    def backward(g):  # g (B, F, Ho, Wo)
        gm = g.transpose(0, 2, 3, 1).reshape(B * Ho * Wo, F)
        w.add_grad((gm.T @ cols).reshape(w.data.shape))
        b.add_grad(gm.sum(axis=0))
        gcols = (gm @ wm).reshape(B, Ho, Wo, C, k, k)
        gxp = np.zeros_like(xp)
        for i in range(k):  # col2im: each kernel offset adds its slice of every window back
            for j in range(k):
                gxp[:, :, i : i + Ho, j : j + Wo] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        x.add_grad(gxp[:, :, pad : pad + H, pad : pad + W])

    return T_.Tensor(out, (x, w, b), backward)


def max_pool2d(x: T_.Tensor, size: int = 2) -> T_.Tensor:
    """The largest value of each size x size square: (B, C, H, W) -> (B, C, H/size, W/size)."""
    B, C, H, W = x.data.shape
    if H % size or W % size:
        raise ValueError(f"max_pool2d needs sides divisible by {size}, got {H}x{W}")
    Ho, Wo = H // size, W // size
    sq = x.data.reshape(B, C, Ho, size, Wo, size).transpose(0, 1, 2, 4, 3, 5).reshape(B, C, Ho, Wo, size * size)
    pick = sq.argmax(axis=-1)  # (B, C, Ho, Wo): the first largest, in reading order
    out = np.take_along_axis(sq, pick[..., None], axis=-1)[..., 0]

    def backward(g):  # g (B, C, Ho, Wo)
        gsq = np.zeros_like(sq)
        np.put_along_axis(gsq, pick[..., None], g[..., None], axis=-1)
        x.add_grad(gsq.reshape(B, C, Ho, Wo, size, size).transpose(0, 1, 2, 4, 3, 5).reshape(B, C, H, W))

    return T_.Tensor(out, (x,), backward)


def flatten(x: T_.Tensor) -> T_.Tensor:
    """(B, ...) -> (B, rest): the last feature maps as one vector per image."""
    shape = x.data.shape

    def backward(g):
        x.add_grad(g.reshape(shape))

    return T_.Tensor(x.data.reshape(shape[0], -1), (x,), backward)


# ------------------------------------------------------------------ the model


@dataclass(frozen=True)
class CNNConfig:
    filters1: int = 8  # first-layer filters: enough for edges and strokes in a few directions
    filters2: int = 16  # second-layer filters: combinations of those
    kernel: int = 3  # 3x3 filters with padding 1 keep each map the image's size
    seed: int = 0

    def validate(self) -> CNNConfig:
        for name in ("filters1", "filters2"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or not 1 <= v <= MAX_FILTERS:
                raise ValueError(f"{name} must be a whole number from 1 to {MAX_FILTERS}, got {v!r}")
        if self.kernel not in (3, 5):
            raise ValueError(f"kernel must be 3 or 5, got {self.kernel!r}")
        return self


class TinyCNN:
    def __init__(self, config: CNNConfig | None = None):
        self.config = cfg = (config or CNNConfig()).validate()
        k, F1, F2 = cfg.kernel, cfg.filters1, cfg.filters2
        side = digit_data.SIDE // 4  # two 2x2 poolings
        shapes = {
            "conv1_w": (F1, 1, k, k),
            "conv1_b": (F1,),
            "conv2_w": (F2, F1, k, k),
            "conv2_b": (F2,),
            "head_w": (N_CLASSES, F2 * side * side),
            "head_b": (N_CLASSES,),
        }
        self.params = T_.Parameters(shapes)
        rng = np.random.default_rng(cfg.seed)
        for name, shape in shapes.items():
            if not name.endswith("_b"):
                fan_in = math.prod(shape[1:])
                self.params[name].data[...] = rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)  # He init for ReLU
        self.params["head_w"].data[...] *= 0.1  # start near uniform guesses

    @property
    def n_params(self) -> int:
        return self.params.size

    def param_counts(self) -> dict[str, int]:
        return {name: int(np.prod(shape)) for name, shape in self.params.shapes.items()}

    def forward(self, images: np.ndarray, labels: np.ndarray | None = None, trace: dict | None = None):
        """images (B, 8, 8) in 0..1 -> (logits Tensor (B, 10), loss Tensor or None).

        Pass a dict as `trace` to have it filled with each layer's feature maps after ReLU.
        """
        p, k = self.params, self.config.kernel
        x = E.constant(np.asarray(images, dtype=T_.DTYPE)[:, None])  # (B, 1, 8, 8)
        a1 = T_.relu(conv2d(x, p["conv1_w"], p["conv1_b"], pad=k // 2))  # (B, F1, 8, 8)
        a2 = T_.relu(conv2d(max_pool2d(a1), p["conv2_w"], p["conv2_b"], pad=k // 2))  # (B, F2, 4, 4)
        logits = E.add_bias(T_.linear(flatten(max_pool2d(a2)), p["head_w"]), p["head_b"])  # (B, 10)
        if trace is not None:
            trace["maps1"], trace["maps2"] = a1.data, a2.data
        loss = None if labels is None else T_.cross_entropy(logits, labels)
        return logits, loss

    def loss_and_grad(self, images: np.ndarray, labels: np.ndarray) -> float:
        self.params.zero_grad()
        _, loss = self.forward(images, labels)
        loss.backward()
        return float(loss.data)

    def look(self, image: np.ndarray) -> dict:
        """What the network sees in one (8, 8) image: class probabilities and both layers' feature maps."""
        trace: dict = {}
        logits, _ = self.forward(image[None], trace=trace)
        z = logits.data[0] - logits.data[0].max()
        probs = np.exp(z) / np.exp(z).sum()
        return {
            "probs": probs,
            "maps1": trace["maps1"][0],
            "maps2": trace["maps2"][0],
            "filters1": self.params["conv1_w"].data[:, 0].copy(),
        }


# ------------------------------------------------------------------ training beside the ViT


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    logits = model.forward(x)[0]
    return float((logits.data.argmax(axis=1) == y).mean())


@dataclass(frozen=True)
class CompareConfig:
    steps: int = 500  # both models see the same 500 batches: the CNN is near its best, the ViT on its way
    batch_size: int = 64
    lr: float = 0.003  # the ViT chapter's Adam rate, for both
    eval_interval: int = 50
    seed: int = 0

    def validate(self) -> CompareConfig:
        if not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be from 1 to {MAX_STEPS:,}, not {self.steps}")
        if self.batch_size < 1 or not (math.isfinite(self.lr) and self.lr > 0) or self.eval_interval < 1:
            raise ValueError("batch_size and eval_interval must be at least 1 and lr a positive number")
        return self


def train_cnn_and_vit(
    config: CompareConfig | None = None,
    cnn_config: CNNConfig | None = None,
    models: dict | None = None,
    should_stop=lambda: False,
):
    """Train a TinyCNN and the default TinyViT on the same batches, yielding events (module docstring).

    Pass `models` (an empty dict) to receive the two models as they train.
    """
    cfg = (config or CompareConfig()).validate()
    data = digit_data.load()
    run = {"cnn": TinyCNN(cnn_config), "vit": TinyViT(ViTConfig())}
    if models is not None:
        models.update(run)
    opts = {name: Adam([m.params.flat], cfg.lr) for name, m in run.items()}
    busy = {name: 0.0 for name in run}
    schedule = Schedule(cfg.lr, cfg.steps, "linear")
    rng = np.random.default_rng(cfg.seed)
    yield {
        "type": "start",
        "steps": cfg.steps,
        "batch_size": cfg.batch_size,
        "n_train": len(data.train_y),
        "n_test": len(data.test_y),
        "models": {
            "cnn": {"n_params": run["cnn"].n_params, "param_counts": run["cnn"].param_counts()},
            "vit": {"n_params": run["vit"].n_params},
        },
    }

    def eval_event(step):
        return {
            "type": "eval",
            "step": step,
            "test_accuracy": {name: accuracy(m, data.test_x, data.test_y) for name, m in run.items()},
        }

    began = time.perf_counter()
    last = eval_event(0)
    yield last
    for step in range(1, cfg.steps + 1):
        if should_stop():
            yield {"type": "stopped", "step": step - 1}
            return
        rows = rng.integers(0, len(data.train_y), cfg.batch_size)
        lr = schedule(step - 1)
        losses = {}
        for name, m in run.items():
            t0 = time.perf_counter()
            losses[name] = m.loss_and_grad(data.train_x[rows], data.train_y[rows])
            opts[name].step([m.params.flat_grad], lr)
            busy[name] += time.perf_counter() - t0
        yield {"type": "step", "step": step, "losses": losses, "lr": lr}
        if step % cfg.eval_interval == 0 or step == cfg.steps:
            last = eval_event(step)
            yield last
    yield {
        "type": "done",
        "step": cfg.steps,
        "steps": cfg.steps,
        "test_accuracy": last["test_accuracy"],
        "images_per_s": {name: cfg.steps * cfg.batch_size / b for name, b in busy.items()},
        "elapsed_s": time.perf_counter() - began,
    }
