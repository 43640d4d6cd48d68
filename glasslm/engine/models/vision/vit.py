"""A tiny vision transformer for the 8x8 digits, and its training as a stream of events.

The recipe of Dosovitskiy et al. 2020 ("An Image is Worth 16x16 Words:
Transformers for Image Recognition at Scale"), eq. 1-4, at toy size:

    patches (B, P, p*p)  -> linear embedding + bias      (B*P, C)
    [CLS] row prepended, learned positions added          (B*T, C), T = P + 1
    L pre-norm blocks:   h += proj(attention(norm(h)))    no causal mask
                         h += fc2(relu(fc1(norm(h))))
    [CLS] row (or the mean of all rows), norm, linear     (B, 10) class logits

With mean pooling (`pool="mean"`) there is no [CLS] row: T = P, and the image
is classified from the average of its patch outputs.

What differs from the paper, on purpose: RMSNorm without gain (tensor.py's)
instead of LayerNorm, ReLU instead of GELU, no biases inside attention, no
dropout. The ops come from tensor.py (linear, rmsnorm, relu, add,
cross_entropy) and encoder_ops.py (bias, attention without a mask, [CLS],
pooling), each with its backward; tests/engine/test_vit.py checks the whole
model's gradient against finite differences. Optimizer: Adam from optim.py.

Events of `train_vit(run)`:
    start  {step, steps, n_params, n_train, n_test, patch, n_patches}
    step   {step, loss, lr, images_per_s}                            every step
    eval   {step, test_accuracy, test_loss, train_accuracy}          every eval_interval, first and last
    done   {step, steps, test_accuracy, test_loss, elapsed_s}
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from glasslm.engine.autograd import encoder_ops
from glasslm.engine.autograd import tensor as tt
from glasslm.engine.autograd.optim import AdamRun, Schedule
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.data import digits as digit_data

N_CLASSES = 10
MAX_STEPS = 20_000


@dataclass(frozen=True)
class ViTConfig:
    patch: int = 2  # 2x2 patches: 16 tokens of 4 pixels, enough to see strokes' shapes
    width: int = 32  # channels per token: small, and trains in seconds
    n_head: int = 4  # 8 channels per head
    n_layer: int = 1  # one block already does about as well as a linear classifier on these digits
    mlp: int = 64  # hidden units of each block's MLP (2x the width)
    pool: str = "cls"  # "cls" (the paper's [CLS] token) or "mean" (average of the patch outputs)
    seed: int = 0  # the same initial weights every time

    def validate(self) -> "ViTConfig":
        if self.patch not in digit_data.PATCH_SIZES:
            raise ValueError(f"patch must be one of {digit_data.PATCH_SIZES} (a divisor of 8), not {self.patch}")
        if self.width % self.n_head:
            raise ValueError(f"width ({self.width}) must be divisible by the number of heads ({self.n_head})")
        if self.pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', not {self.pool!r}")
        return self

    @property
    def n_patches(self) -> int:
        return (digit_data.SIDE // self.patch) ** 2

    @property
    def n_tokens(self) -> int:
        return self.n_patches + (self.pool == "cls")


class TinyViT:
    def __init__(self, config: ViTConfig | None = None):
        self.config = cfg = (config or ViTConfig()).validate()
        C, M, pp = cfg.width, cfg.mlp, cfg.patch * cfg.patch
        shapes = {"patch_w": (C, pp), "patch_b": (C,), "cls": (C,), "pos": (cfg.n_tokens, C)}
        for i in range(cfg.n_layer):
            shapes |= {
                f"h{i}.qkv_w": (3 * C, C),
                f"h{i}.proj_w": (C, C),
                f"h{i}.fc1_w": (M, C),
                f"h{i}.fc1_b": (M,),
                f"h{i}.fc2_w": (C, M),
            }
        shapes |= {"head_w": (N_CLASSES, C), "head_b": (N_CLASSES,)}
        self.params = tt.Parameters(shapes)
        rng = np.random.default_rng(cfg.seed)
        for name, shape in shapes.items():
            p = self.params[name].data
            if name.endswith("_b"):
                continue  # biases start at 0
            fan_in = shape[1] if len(shape) == 2 else C
            std = 0.5 / math.sqrt(fan_in) if name in ("cls", "pos") else 1.0 / math.sqrt(fan_in)
            p[...] = rng.normal(0.0, std, shape)
        self.params["head_w"].data[...] *= 0.1  # start near uniform guesses

    @property
    def n_params(self) -> int:
        return self.params.size

    def forward(self, images: np.ndarray, labels: np.ndarray | None = None):
        """images (B, 8, 8) in 0..1 -> (logits Tensor (B, 10), loss Tensor or None, attention list).

        attention: one (B, H, T, T) array per layer; with [CLS], token 0 is [CLS].
        """
        cfg, p = self.config, self.params
        B = images.shape[0]
        patches = digit_data.patchify(images, cfg.patch).reshape(B * cfg.n_patches, -1)  # (B*P, p*p)
        x = encoder_ops.add_bias(tt.linear(encoder_ops.constant(patches), p["patch_w"]), p["patch_b"])  # (B*P, C)
        if cfg.pool == "cls":
            h = encoder_ops.prepend_cls(x, p["cls"], p["pos"], B)  # (B*T, C)
        else:
            h = encoder_ops.add_positions(x, p["pos"], B)  # (B*T, C)
        attention = []
        for i in range(cfg.n_layer):
            a = encoder_ops.full_attention(tt.linear(tt.rmsnorm(h), p[f"h{i}.qkv_w"]), B, cfg.n_tokens, cfg.n_head)
            attention.append(a.aux)  # (B, H, T, T)
            h = tt.add(h, tt.linear(a, p[f"h{i}.proj_w"]))
            m = tt.relu(encoder_ops.add_bias(tt.linear(tt.rmsnorm(h), p[f"h{i}.fc1_w"]), p[f"h{i}.fc1_b"]))  # (B*T, M)
            h = tt.add(h, tt.linear(m, p[f"h{i}.fc2_w"]))
        pooled = encoder_ops.first_rows(h, B) if cfg.pool == "cls" else encoder_ops.mean_rows(h, B)  # (B, C)
        logits = encoder_ops.add_bias(tt.linear(tt.rmsnorm(pooled), p["head_w"]), p["head_b"])  # (B, 10)
        loss = None if labels is None else tt.cross_entropy(logits, labels)
        return logits, loss, attention

    def loss_and_grad(self, images: np.ndarray, labels: np.ndarray) -> float:
        """One forward and backward pass: the gradient lands in params.flat_grad."""
        self.params.zero_grad()
        _, loss, _ = self.forward(images, labels)
        loss.backward()
        return float(loss.data)

    def predict(self, images: np.ndarray) -> dict:
        """Class probabilities and where the pooled token looked, for a few images.

        Returns probs (B, 10) and cls_attention (B, n_layer, H, P): for [CLS]
        pooling, the last row-0 attention to each patch; for mean pooling, the
        attention each patch receives, averaged over the querying patches.
        """
        logits, _, attention = self.forward(images)
        probs = softmax(logits.data)  # (B, 10)
        if self.config.pool == "cls":
            att = np.stack([a[:, :, 0, 1:] for a in attention], axis=1)  # (B, L, H, P)
        else:
            att = np.stack([a.mean(axis=2) for a in attention], axis=1)  # (B, L, H, P)
        return {"probs": probs, "cls_attention": att}


def evaluate(model: TinyViT, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on a set of images."""
    logits, loss, _ = model.forward(x, y)
    return float((logits.data.argmax(axis=1) == y).mean()), float(loss.data)


@dataclass(frozen=True)
class ViTTrainConfig:
    steps: int = 1500  # about 95% held-out accuracy with the default model
    batch_size: int = 64  # images per step
    lr: float = 0.003  # Adam's rate; the schedule decays it linearly to 0
    eval_interval: int = 100  # held-out accuracy 15 times per default run
    seed: int = 0  # the order the images are drawn in

    def validate(self) -> "ViTTrainConfig":
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be from 1 to {MAX_STEPS:,}, not {self.steps}")
        if self.batch_size < 1 or self.lr <= 0 or not math.isfinite(self.lr) or self.eval_interval < 1:
            raise ValueError("batch_size and eval_interval must be at least 1 and lr a positive number")
        return self


@dataclass
class ViTRun(AdamRun):
    """Everything a training run changes: resuming means calling train_vit again with it.
    ViTRun.create(ViTConfig | None, ViTTrainConfig | None) starts one."""

    model_class = TinyViT
    config_class = ViTTrainConfig


def train_vit(run: ViTRun):
    """Train (or continue) a run, yielding events (see the module docstring)."""
    data = digit_data.load()
    cfg, model = run.config, run.model
    schedule = Schedule(cfg.lr, cfg.steps, "linear")
    yield {
        "type": "start",
        "step": run.step,
        "steps": cfg.steps,
        "n_params": model.n_params,
        "n_train": len(data.train_y),
        "n_test": len(data.test_y),
        "patch": model.config.patch,
        "n_patches": model.config.n_patches,
        "config": asdict(model.config),
    }

    def eval_event():
        acc, loss = evaluate(model, data.test_x, data.test_y)
        train_acc, _ = evaluate(model, data.train_x[:500], data.train_y[:500])
        return {"type": "eval", "step": run.step, "test_accuracy": acc, "test_loss": loss, "train_accuracy": train_acc}

    t0 = time.perf_counter()
    if run.step == 0:
        yield eval_event()
    last = None
    while run.step < cfg.steps:
        rows = run.rng.integers(0, len(data.train_y), cfg.batch_size)
        t = time.perf_counter()
        loss = model.loss_and_grad(data.train_x[rows], data.train_y[rows])
        lr = schedule(run.step)
        run.opt.step([model.params.flat_grad], lr)
        run.step += 1
        yield {
            "type": "step",
            "step": run.step,
            "loss": loss,
            "lr": lr,
            "images_per_s": cfg.batch_size / max(time.perf_counter() - t, 1e-9),
        }
        if run.step % cfg.eval_interval == 0 or run.step == cfg.steps:
            last = eval_event()
            yield last
    if last is None:
        last = eval_event()
    yield {
        "type": "done",
        "step": run.step,
        "steps": cfg.steps,
        "test_accuracy": last["test_accuracy"],
        "test_loss": last["test_loss"],
        "elapsed_s": time.perf_counter() - t0,
    }
