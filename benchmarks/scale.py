"""How fast the tiny GPT trains in numpy and in PyTorch, small and big, on one and two processes.

- small: microgpt's configuration (1 layer, 16 wide, 4 heads, context 16) on
  first names, batch 32;
- big: 6 layers, 256 wide, 8 heads, context 128, on a text file (the guide's own
  prose, one paragraph line per document), batch 16;
each as tokens (predicted characters) per second of training steps, numpy
(glasslm's engine, float64) and torch (float32) with one thread, then the big
model with 2 DDP processes (gloo, one thread each: the same total cores as
torch with 2 threads) and its largest loss difference from one process over the
same steps and global batches. On a machine with a CUDA GPU it also times the big
model there (else null).

Run:  .venv/bin/python benchmarks/scale.py [--quick]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from glasslm.engine.autograd.optim import Adam  # noqa: E402
from glasslm.engine.data import name_data  # noqa: E402
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT  # noqa: E402
from glasslm.engine.training.train import Docs, TrainConfig  # noqa: E402
from glasslm.torch_gpt import train as tg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIG = dict(n_layer=6, n_embd=256, n_head=8, block_size=128)


def prose_data() -> name_data.NameData:
    """The guide's chapters as plain text lines: a real text file every install has."""
    lines = []
    for md in sorted((ROOT / "glasslm" / "chapters").glob("*/chapter.md")):
        lines += [ln.strip() for ln in md.read_text(encoding="utf-8").splitlines() if len(ln.strip()) > 20]
    text = "\n".join(ln[:1000] for ln in lines)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(text)
    return name_data.from_text(Path(f.name).read_bytes(), source="the guide's prose")


def numpy_tok_s(data, config: GPTConfig, batch: int, steps: int) -> float:
    model = TinyGPT(config, tokenizer=data.tokenizer, limits=tg.TORCH_LIMITS)
    opt = Adam([model.params.flat], 0.01, 0.85, 0.99)
    docs, rng = Docs(data.train, data.tokenizer), np.random.default_rng(0)
    tokens, busy = 0, 0.0
    with threadpool_limits(1):
        for i in range(steps + 2):
            x, y = docs.batch(rng.integers(0, len(docs), batch), config.block_size, rng)
            t0 = time.perf_counter()
            model.loss_and_grad(x, y)
            opt.step([model.params.flat_grad], 0.01)
            if i >= 2:  # two warm-up steps
                busy += time.perf_counter() - t0
                tokens += int((y >= 0).sum())
    return tokens / busy


def torch_tok_s(data, config: GPTConfig, batch: int, steps: int, device="cpu", threads=1):
    torch.set_num_threads(threads)
    cfg = TrainConfig(steps=steps, batch_size=batch, eval_interval=10**5, n_samples=0)
    run = tg.TorchRun.create(data, cfg, config, device)
    losses, done = [], None
    for e in tg.train_torch(run):
        if e["type"] == "step":
            losses.append(e["loss"])
        elif e["type"] == "done":
            done = e
    return done["tokens_per_s"], losses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank, world, port, data, config, batch, steps, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    cfg = TrainConfig(steps=steps, batch_size=batch, eval_interval=10**5, n_samples=0)
    run = tg.TorchRun.create(data, cfg, config, dist_=tg.Dist(rank, world))
    events = list(tg.train_torch(run))
    if rank == 0:
        done = events[-1]
        torch.save({"tok_s": done["tokens_per_s"], "losses": [e["loss"] for e in events if e["type"] == "step"]}, out)
    torch.distributed.destroy_process_group()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    args = ap.parse_args()
    small_steps, big_steps = (40, 4) if args.quick else (300, 20)
    names, prose = name_data.first_names(), prose_data()
    small = GPTConfig(vocab_size=names.tokenizer.vocab_size)
    big = GPTConfig(vocab_size=prose.tokenizer.vocab_size, **BIG)

    res = {
        "numpy_tok_s_small": numpy_tok_s(names, small, 32, small_steps),
        "torch_cpu_tok_s_small": torch_tok_s(names, small, 32, small_steps)[0],
        "numpy_tok_s_big": numpy_tok_s(prose, big, 16, big_steps),
    }
    res["torch_cpu_tok_s_big"], single = torch_tok_s(prose, big, 16, big_steps)
    res["torch_cpu_tok_s_big_2threads"], _ = torch_tok_s(prose, big, 16, big_steps, threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ddp.pt"
        torch.multiprocessing.spawn(_ddp_worker, args=(2, _free_port(), prose, big, 16, big_steps, out), nprocs=2)
        ddp = torch.load(out)
    res["ddp2_tok_s_big"] = ddp["tok_s"]
    res["ddp_loss_max_abs_diff"] = float(np.max(np.abs(np.array(ddp["losses"]) - np.array(single))))
    res["cuda_tok_s_big"] = torch_tok_s(prose, big, 16, big_steps, "cuda")[0] if torch.cuda.is_available() else None

    print(f"{'measure':<42}{'tokens/s':>12}")
    for k, v in res.items():
        print(f"{k:<42}{'n/a' if v is None else f'{v:,.1f}' if v >= 1 else f'{v:.2e}':>12}")
    print(
        f"big model: {BIG}, {len(prose.train):,} lines of the guide's prose; "
        f"torch/numpy big: {res['torch_cpu_tok_s_big'] / res['numpy_tok_s_big']:.2f}x; "
        f"2 DDP processes / 1 process: {res['ddp2_tok_s_big'] / res['torch_cpu_tok_s_big']:.2f}x"
    )
    print(json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in res.items()}))


if __name__ == "__main__":
    main()
