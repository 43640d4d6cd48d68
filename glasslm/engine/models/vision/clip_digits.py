"""A CLIP-style pair of encoders: digit images and digit names, trained to agree.

Radford et al. 2021 ("Learning Transferable Visual Models From Natural
Language Supervision", Figure 3) train an image encoder and a text encoder
together so that an image and its caption land close together in one shared
space. Here the images are the 8x8 digits and the captions their names,
"zero" to "nine":

    image encoder  64 pixels -> linear -> ReLU -> linear -> unit vector   (B, E)
    text encoder   characters -> (char + position embeddings), averaged
                   -> linear -> ReLU -> linear -> unit vector              (K, E)
    logits         exp(s) * image . text,  s a learned log-temperature    (B, K)

Each step takes G groups of ten images, one of each digit, and the ten names.
Within a group image i and name i belong together, so the loss is CLIP's
symmetric cross-entropy (InfoNCE, van den Oord et al. 2018): pick the right
name for each image (rows) and the right image for each name (columns),
averaged. `clip_loss` is one fused op with its backward; the test checks the
whole model's gradient against finite differences.

Zero-shot use, as in the paper: nothing here is ever trained to output a
class. To classify an image, encode the candidate names and pick the one whose
vector is most similar. Any lowercase word of letters can be a candidate,
including misspellings, and gets a similarity.

Left out: the paper's transformers for both encoders (tiny MLPs suffice for
8x8 digits and ten names), its huge batches, the clamp on the temperature
(kept instead by MAX_LOG_SCALE, as the paper's 100).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd import encoder_ops
from glasslm.engine.autograd import tensor as tt
from glasslm.engine.autograd.optim import AdamRun, Schedule
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.data import digits as digit_data

ALPHABET = "abcdefghijklmnopqrstuvwxyz"
MAX_NAME_CHARS = 12  # "seven" is 5; room for longer made-up words
MAX_LOG_SCALE = math.log(100.0)  # the paper clips the logit scale at 100
MAX_STEPS = 10_000


class NameError_(ValueError):
    """A candidate name the text encoder cannot read."""


def encode_name(name: str) -> np.ndarray:
    """'seven' -> ids into ALPHABET. Refuses anything but 1-12 lowercase letters a-z."""
    if not name or len(name) > MAX_NAME_CHARS:
        raise NameError_(f"a name must have 1 to {MAX_NAME_CHARS} letters (“{name[:20]}” has {len(name)})")
    bad = sorted({c for c in name if c not in ALPHABET})
    if bad:
        raise NameError_(f"the text encoder reads only the letters a-z; “{name[:20]}” has {' '.join(bad)}")
    return np.array([ALPHABET.index(c) for c in name])


@dataclass(frozen=True)
class ClipConfig:
    embed: int = 16  # the shared space: 16 dimensions for 10 concepts
    hidden: int = 64  # hidden units in each encoder's MLP
    char_dim: int = 16  # width of the character and position embeddings
    init_log_scale: float = math.log(1 / 0.07)  # the paper's initial temperature 0.07
    seed: int = 0


class ClipDigits:
    def __init__(self, config: ClipConfig | None = None):
        self.config = cfg = config or ClipConfig()
        Hd, Em, Cd = cfg.hidden, cfg.embed, cfg.char_dim
        shapes = {
            "img.w1": (Hd, digit_data.SIDE**2),
            "img.b1": (Hd,),
            "img.w2": (Em, Hd),
            "txt.chars": (len(ALPHABET), Cd),
            "txt.pos": (MAX_NAME_CHARS, Cd),
            "txt.w1": (Hd, Cd),
            "txt.b1": (Hd,),
            "txt.w2": (Em, Hd),
            "log_scale": (1,),
        }
        self.params = tt.Parameters(shapes)
        rng = np.random.default_rng(cfg.seed)
        for name, shape in shapes.items():
            if name.endswith("b1"):
                continue
            fan_in = shape[1] if name.endswith(("w1", "w2")) else 1
            self.params[name].data[...] = rng.normal(0.0, 1.0 / math.sqrt(fan_in), shape)
        self.params["log_scale"].data[...] = cfg.init_log_scale

    @property
    def n_params(self) -> int:
        return self.params.size

    def encode_images(self, images: np.ndarray) -> tt.Tensor:
        """(B, 8, 8) -> (B, E) unit vectors."""
        p = self.params
        x = encoder_ops.constant(images.reshape(len(images), -1))  # (B, 64)
        h = tt.relu(encoder_ops.add_bias(tt.linear(x, p["img.w1"]), p["img.b1"]))  # (B, hidden)
        return encoder_ops.l2_normalize(tt.linear(h, p["img.w2"]))  # (B, E)

    def encode_names(self, names: list[str]) -> tt.Tensor:
        """K names -> (K, E) unit vectors. Each name: mean over its letters of (char + position)."""
        p = self.params
        ids = [encode_name(n) for n in names]
        chars = encoder_ops.embed_rows(p["txt.chars"], np.concatenate(ids))  # (sum of lengths, Cd)
        pos = encoder_ops.embed_rows(p["txt.pos"], np.concatenate([np.arange(len(i)) for i in ids]))
        # averaging matrix: row k has 1/len_k over name k's letters
        avg = np.zeros((len(ids), sum(len(i) for i in ids)))
        start = 0
        for k, i in enumerate(ids):
            avg[k, start : start + len(i)] = 1.0 / len(i)
            start += len(i)
        summed = tt.add(chars, pos)  # (L, Cd)
        pooled = _matmul_const(avg, summed)  # (K, Cd)
        h = tt.relu(encoder_ops.add_bias(tt.linear(pooled, p["txt.w1"]), p["txt.b1"]))  # (K, hidden)
        return encoder_ops.l2_normalize(tt.linear(h, p["txt.w2"]))  # (K, E)

    def logits(self, img: tt.Tensor, txt: tt.Tensor) -> np.ndarray:
        """Scaled cosine similarities (B, K), as numbers."""
        return math.exp(min(float(self.params["log_scale"].data[0]), MAX_LOG_SCALE)) * (img.data @ txt.data.T)

    def loss(self, images: np.ndarray, groups: int) -> tt.Tensor:
        """images (groups*10, 8, 8): group g holds one image of each digit 0..9 in order."""
        img = self.encode_images(images)
        txt = self.encode_names(list(digit_data.NAMES))
        return clip_loss(img, txt, self.params["log_scale"], groups)

    def loss_and_grad(self, images: np.ndarray, groups: int) -> float:
        self.params.zero_grad()
        loss = self.loss(images, groups)
        loss.backward()
        return float(loss.data)


def _matmul_const(a: np.ndarray, x: tt.Tensor) -> tt.Tensor:
    """a (K, L) constant @ x (L, C) -> (K, C)."""

    def backward(g):
        x.add_grad(a.T @ g)

    return tt.Tensor(a @ x.data, (x,), backward)


def clip_loss(img: tt.Tensor, txt: tt.Tensor, log_scale: tt.Tensor, groups: int) -> tt.Tensor:
    """CLIP's symmetric InfoNCE. img (G*K, E), txt (K, E) unit rows, log_scale (1,).

    For each group g: S = exp(s) img_g txt^T (K, K), the right pairs on the diagonal;
    loss = mean over groups of (CE over rows + CE over columns) / 2.
    d loss / d S = (softmax_rows(S) - I + softmax_cols(S) - I) / (2 G K).
    """
    K, Em = txt.data.shape
    G = groups
    s = min(float(log_scale.data[0]), MAX_LOG_SCALE)
    scale = math.exp(s)
    I3 = img.data.reshape(G, K, Em)
    cos = I3 @ txt.data.T  # (G, K, K)
    S = scale * cos
    pr = softmax(S, axis=2)  # (G, K, K) over names, per image
    pc = softmax(S, axis=1)  # (G, K, K) over images, per name
    diag = np.arange(K)
    loss = -(np.log(pr[:, diag, diag]).sum() + np.log(pc[:, diag, diag]).sum()) / (2 * G * K)

    def backward(g):
        eye = np.eye(K)
        dS = (pr - eye + pc - eye) * (float(g) / (2 * G * K))  # (G, K, K)
        dcos = dS * scale
        img.add_grad((dcos @ txt.data).reshape(G * K, Em))
        txt.add_grad(np.einsum("gij,gie->je", dcos, I3))
        if float(log_scale.data[0]) < MAX_LOG_SCALE:  # clipped: no gradient past the cap
            log_scale.add_grad(np.array([(dS * S).sum()]))

    return tt.Tensor(np.array(loss), (img, txt, log_scale), backward)


def zero_shot(model: ClipDigits, images: np.ndarray, names: list[str] | tuple[str, ...] = digit_data.NAMES) -> dict:
    """Classify images by their most similar name. Returns cosine (B, K), probs (B, K), pick (B,)."""
    img = model.encode_images(images)
    txt = model.encode_names(list(names))
    cos = img.data @ txt.data.T  # (B, K)
    probs = softmax(model.logits(img, txt))  # (B, K)
    return {"cosine": cos, "probs": probs, "pick": cos.argmax(axis=1)}


def showcase(data: digit_data.Digits) -> np.ndarray:
    """Indices of the first held-out image of each digit 0..9: the rows of the similarity matrix shown."""
    return np.array([int(np.nonzero(data.test_y == d)[0][0]) for d in range(10)])


@dataclass(frozen=True)
class ClipTrainConfig:
    steps: int = 600  # zero-shot accuracy passes 90% within a few hundred steps
    groups: int = 8  # 8 groups of ten images (one per digit) per step
    lr: float = 0.003  # Adam's rate, decayed linearly to 0
    eval_interval: int = 50  # zero-shot accuracy 12 times per default run
    seed: int = 0

    def validate(self) -> "ClipTrainConfig":
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be from 1 to {MAX_STEPS:,}, not {self.steps}")
        if self.groups < 1 or self.eval_interval < 1 or not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError("groups and eval_interval must be at least 1 and lr a positive number")
        return self


@dataclass
class ClipRun(AdamRun):
    """A CLIP training run: ClipRun.create(ClipConfig | None, ClipTrainConfig | None) starts one."""

    model_class = ClipDigits
    config_class = ClipTrainConfig


def train_clip(run: ClipRun):
    """Train (or continue) a run, yielding events:

    start  {step, steps, n_params, n_train, n_test, names}
    step   {step, loss, lr, temperature}                        every step
    eval   {step, zero_shot_accuracy, cosine (10 x 10), temperature}   every eval_interval, first and last
    done   {step, steps, zero_shot_accuracy, elapsed_s}
    """
    data = digit_data.load()
    cfg, model = run.config, run.model
    by_digit = [np.nonzero(data.train_y == d)[0] for d in range(10)]
    shown = showcase(data)
    schedule = Schedule(cfg.lr, cfg.steps, "linear")
    yield {
        "type": "start",
        "step": run.step,
        "steps": cfg.steps,
        "n_params": model.n_params,
        "n_train": len(data.train_y),
        "n_test": len(data.test_y),
        "names": list(digit_data.NAMES),
    }

    def temperature():
        return 1.0 / math.exp(min(float(model.params["log_scale"].data[0]), MAX_LOG_SCALE))

    def eval_event():
        acc = float((zero_shot(model, data.test_x)["pick"] == data.test_y).mean())
        cos = zero_shot(model, data.test_x[shown])["cosine"]
        return {
            "type": "eval",
            "step": run.step,
            "zero_shot_accuracy": acc,
            "cosine": cos.round(4).tolist(),
            "temperature": temperature(),
        }

    t0 = time.perf_counter()
    last = None
    if run.step == 0:
        last = eval_event()
        yield last
    while run.step < cfg.steps:
        rows = np.stack([[run.rng.choice(idx) for idx in by_digit] for _ in range(cfg.groups)]).reshape(-1)
        loss = model.loss_and_grad(data.train_x[rows], cfg.groups)
        lr = schedule(run.step)
        run.opt.step([model.params.flat_grad], lr)
        run.step += 1
        yield {"type": "step", "step": run.step, "loss": loss, "lr": lr, "temperature": temperature()}
        if run.step % cfg.eval_interval == 0 or run.step == cfg.steps:
            last = eval_event()
            yield last
    if last is None:
        last = eval_event()
    yield {
        "type": "done",
        "step": run.step,
        "steps": cfg.steps,
        "zero_shot_accuracy": last["zero_shot_accuracy"],
        "elapsed_s": time.perf_counter() - t0,
    }
