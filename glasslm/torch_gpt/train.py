"""Training the tiny GPT with PyTorch: one device, or N processes with DistributedDataParallel.

The recipe and the data are the numpy trainer's (glasslm.engine.training.train):
the same TrainConfig, the same documents and batches (shuffled_rows with the same
seed), Adam with the same betas, the same learning-rate schedule. Events are the
same dicts too (start, step, eval, done), so the command line draws one progress
bar for either backend.

Data parallelism (DDP). Every process builds the same global batch, keeps its
share of the rows (rank, rank + N, ...) and runs forward and backward on them;
DDP then all-reduces the gradients (their mean over processes) while backward
runs. For the N processes to take exactly the step one process would take on the
whole batch, each process divides its summed loss by the *global* number of
predicted characters and multiplies by N: the mean DDP takes then equals the
single-process gradient of the mean loss.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.distributed as dist

from glasslm.engine.data.name_data import NameData
from glasslm.engine.models.tiny.gpt import GPTConfig
from glasslm.engine.training.train import EVAL_CHUNK, MAX_EVAL_DOCS, Docs, TrainConfig, shuffled_rows
from glasslm.torch_gpt.model import TorchGPT, training_memory_bytes

# Sizes the torch trainer accepts: past the numpy trainer's, still a "tiny" GPT.
TORCH_LIMITS = {"max_layers": 24, "max_embd": 1024, "max_heads": 32, "max_context": 1024}
DEVICES = ("cpu", "cuda", "mps")


class SetupError(ValueError):
    """A device, process count or size that cannot work here; the message says why."""


@dataclass
class Dist:
    """Where this process sits: rank among world processes (1 process: rank 0 of 1)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> "Dist":
        """The rank and world size torchrun puts in the environment (none: a single process)."""
        if "WORLD_SIZE" not in os.environ:
            return cls()
        return cls(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))


def pick_device(name: str, d: Dist) -> torch.device:
    """The torch device for this process, or SetupError saying why it is not available."""
    if name not in DEVICES:
        raise SetupError(f"--device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise SetupError("--device cuda: this machine has no CUDA GPU that PyTorch can use; use --device cpu")
        if d.world > torch.cuda.device_count():
            raise SetupError(f"{d.world} processes need {d.world} GPUs; this machine has {torch.cuda.device_count()}")
        return torch.device("cuda", d.local_rank)
    if name == "mps":
        if not torch.backends.mps.is_available():
            raise SetupError("--device mps: Apple's Metal backend is not available here; use --device cpu")
        if d.world > 1:
            raise SetupError("--device mps runs one process only (torch.distributed has no mps backend)")
        return torch.device("mps")
    return torch.device("cpu")


def check_memory(config: GPTConfig, batch_size: int, device: torch.device) -> None:
    """SetupError when training this size plainly cannot fit in the device's free memory."""
    need = training_memory_bytes(config, batch_size)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
    else:
        free = _available_ram()
    if free is not None and need > free:
        raise SetupError(
            f"this model and batch need at least {need / 2**30:.1f} GiB to train, and the "
            f"{device.type} has {free / 2**30:.1f} GiB free: use fewer layers, a narrower model, "
            "a shorter context or a smaller batch"
        )


def _available_ram() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class TorchRun:
    """Everything a torch training run changes, so it can be saved and resumed."""

    model: TorchGPT
    data: NameData
    config: TrainConfig
    optimizer: torch.optim.Optimizer
    device: torch.device
    dist: Dist
    train_docs: Docs
    heldout_docs: Docs
    rng: np.random.Generator
    step: int = 0
    order: np.ndarray | None = None
    cursor: int = 0
    recent: list = field(default_factory=list)

    @classmethod
    def create(
        cls,
        data: NameData,
        config: TrainConfig,
        model_config: GPTConfig,
        device: str = "cpu",
        dist_: Dist | None = None,
        init_seed: int = 0,
    ) -> "TorchRun":
        d = dist_ or Dist()
        config = config.validate()
        if config.optimizer != "adam":
            raise SetupError(
                "the torch trainer uses Adam, as the numpy trainer's default; "
                f"--optimizer {config.optimizer} is only in the numpy trainer"
            )
        mc = GPTConfig(**{**asdict(model_config), "vocab_size": data.tokenizer.vocab_size}).validate(**TORCH_LIMITS)
        dev = pick_device(device, d)
        check_memory(mc, config.batch_size, dev)
        if config.batch_size < d.world:
            raise SetupError(
                f"a batch of {config.batch_size} documents cannot be shared by {d.world} processes: "
                f"use --batch {d.world} or more"
            )
        model = TorchGPT(mc, data.tokenizer, seed=init_seed).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(config.beta1, config.beta2), eps=1e-8)
        return cls(
            model=model,
            data=data,
            config=config,
            optimizer=opt,
            device=dev,
            dist=d,
            train_docs=Docs(data.train, data.tokenizer),
            heldout_docs=Docs(data.heldout, data.tokenizer),
            rng=np.random.default_rng(config.seed),
        )

    # ------------------------------------------------------------ resuming

    def state(self) -> dict:
        """Optimizer moments, step, data order and random state: what a resumed run needs."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "order": self.order,
            "cursor": self.cursor,
            "rng": self.rng.bit_generator.state,
            "recent": self.recent,
            "train_config": asdict(self.config),
        }

    def load_state(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.order, self.cursor = int(state["step"]), state["order"], int(state["cursor"])
        self.rng.bit_generator.state = state["rng"]
        self.recent = list(state["recent"])


def heldout_loss(model: TorchGPT, docs: Docs, device: torch.device) -> float | None:
    """Mean loss per predicted character over up to MAX_EVAL_DOCS held-out documents."""
    total, count = 0.0, 0
    with torch.no_grad():
        for lo in range(0, min(len(docs), MAX_EVAL_DOCS), EVAL_CHUNK):
            rows = np.arange(lo, min(lo + EVAL_CHUNK, len(docs), MAX_EVAL_DOCS))
            x, y = docs.batch(rows, model.config.block_size)
            _, loss = model(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device), loss_divisor=1.0)
            total += float(loss)
            count += int((y >= 0).sum())
    mean = total / count
    return mean if math.isfinite(mean) else None


def train_torch(run: TorchRun):
    """Train (or continue) a TorchRun to run.config.steps, yielding the numpy trainer's events.

    Under torchrun (run.dist.world > 1) every process must call this; the
    process group must already be initialised (see init_distributed).
    """
    cfg, d, dev = run.config, run.dist, run.device
    model = run.model
    net = model
    if d.world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    schedule = cfg.lr_schedule()
    block = model.config.block_size
    yield {
        "type": "start",
        "step": run.step,
        "steps": cfg.steps,
        "n_params": model.n_params,
        "vocab": model.config.vocab_size,
        "n_train": len(run.data.train),
        "n_heldout": len(run.data.heldout),
        "config": asdict(model.config),
        "train_config": asdict(cfg),
        "processes": d.world,
        "device": str(dev),
    }
    if run.step == 0 and d.main:
        yield {
            "type": "eval",
            "step": 0,
            "heldout_loss": heldout_loss(model, run.heldout_docs, dev),
            "train_loss": None,
        }
    tokens, busy, began, first_step = 0, 0.0, time.perf_counter(), run.step
    diverged, message, last_eval = False, "", None
    while run.step < cfg.steps:
        rows, run.order, run.cursor = shuffled_rows(run.rng, len(run.train_docs), run.order, run.cursor, cfg.batch_size)
        x, y = run.train_docs.batch(rows, block, run.rng)  # the global batch, the same in every process
        count = int((y >= 0).sum())
        mine = slice(d.rank, None, d.world)
        t0 = time.perf_counter()
        for group in run.optimizer.param_groups:
            group["lr"] = schedule(run.step)
        run.optimizer.zero_grad(set_to_none=True)
        xs, ys = torch.from_numpy(x[mine]).to(dev), torch.from_numpy(y[mine]).to(dev)
        _, loss = net(xs, ys, loss_divisor=count / d.world)  # see the module docstring
        loss.backward()
        run.optimizer.step()
        mean = loss.detach() / d.world  # this process's share of the global mean loss
        if d.world > 1:
            dist.all_reduce(mean)
        loss_value = float(mean)
        busy += time.perf_counter() - t0
        if not math.isfinite(loss_value):
            diverged = True
            message = (
                f"the loss became {loss_value} at step {run.step + 1}: training diverged. "
                "Lower the learning rate and start again."
            )
            break
        run.step += 1
        tokens += count
        run.recent.append(loss_value)
        del run.recent[:-50]
        yield {
            "type": "step",
            "step": run.step,
            "loss": loss_value,
            "lr": schedule(run.step - 1),
            "tokens_per_s": tokens / max(busy, 1e-9),
        }
        if d.main and (run.step % cfg.eval_interval == 0 or run.step == cfg.steps):
            last_eval = heldout_loss(model, run.heldout_docs, dev)
            yield {
                "type": "eval",
                "step": run.step,
                "heldout_loss": last_eval,
                "train_loss": float(np.mean(run.recent)),
            }
    done = run.step - first_step
    yield {
        "type": "done",
        "step": run.step,
        "steps": cfg.steps,
        "heldout_loss": None if diverged else last_eval,
        "train_loss": float(np.mean(run.recent)) if run.recent else None,
        "steps_per_s": done / busy if busy else None,
        "tokens_per_s": tokens / busy if busy else None,
        "elapsed_s": time.perf_counter() - began,
        "diverged": diverged,
        "message": message,
    }


def init_distributed(d: Dist, device: str) -> None:
    """Join torchrun's process group: gloo on CPU, nccl on CUDA GPUs."""
    if d.world > 1 and not dist.is_initialized():
        if device == "cuda":
            torch.cuda.set_device(d.local_rank)
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
