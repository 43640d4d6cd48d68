"""One step of data parallelism, run for real: N processes, each a shard of one batch.

`one_ddp_step(world=2)` starts N Python processes (and one more on the whole
batch, for comparison) that each build the same tiny GPT and the same batch of
names, take their share of the rows, and compute their gradient. The N processes
then all-reduce their gradients over gloo (torch.distributed), which is exactly
what DistributedDataParallel does during backward, and report them before and
after. The result shows the learner that the all-reduced mean equals the
gradient one process gets on the whole batch.

Run in a process of its own:  python -m glasslm.torch_gpt.ddp_step --rank R --world N --port P --out FILE
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_WORLD = 4  # processes a learner may start for the demo
MAX_BATCH = 32
SHOWN = 12  # gradient values shown per process: one letter's embedding row
TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_ddp_step(world: int = 2, batch: int = 8, seed: int = 0, letter: str = "a"):
    """Events: {"type": "progress", ...} while the processes start and run, then {"type": "result", ...}."""
    if not (isinstance(world, int) and 2 <= world <= MAX_WORLD):
        raise ValueError(f"processes must be a whole number from 2 to {MAX_WORLD}, got {world!r}")
    if not (isinstance(batch, int) and world <= batch <= MAX_BATCH):
        raise ValueError(f"the batch must hold from {world} (one name per process) to {MAX_BATCH} names, got {batch!r}")
    if len(letter) != 1 or not "a" <= letter <= "z":
        raise ValueError(f"pick one lowercase letter whose embedding gradient to show, got {letter!r}")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="glasslm-ddp-") as tmp:
        port = _free_port()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        procs = []
        for rank, w in [*((r, world) for r in range(world)), (0, 1)]:
            out = Path(tmp) / f"w{w}-r{rank}.json"
            cmd = [
                sys.executable,
                "-m",
                "glasslm.torch_gpt.ddp_step",
                "--rank",
                str(rank),
                "--world",
                str(w),
                "--port",
                str(port if w > 1 else _free_port()),
                "--batch",
                str(batch),
                "--seed",
                str(seed),
                "--letter",
                letter,
                "--out",
                str(out),
            ]
            procs.append((out, subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        yield {
            "type": "progress",
            "message": f"started {world} processes on one batch, and one more on all of it",
            "pids": [p.pid for _, p in procs],
        }
        try:
            for _out, p in procs:
                _, err = p.communicate(timeout=TIMEOUT_S)
                if p.returncode != 0:
                    raise RuntimeError(f"a training process failed: {err.decode(errors='replace')[-400:]}")
        finally:
            for _, p in procs:
                if p.poll() is None:
                    p.kill()
        results = [json.loads(out.read_text()) for out, _ in procs]
    shards, single = results[:-1], results[-1]
    diff = max(abs(a - b) for a, b in zip(shards[0]["reduced"], single["local"]))
    yield {
        "type": "result",
        "processes": shards,
        "single": single,
        "max_abs_diff": diff,
        "loss_sum_of_shares": sum(s["loss_share"] for s in shards),
        "loss_single": single["loss_share"],
        "letter": letter,
        "elapsed_s": time.perf_counter() - began,
    }


def _worker(rank: int, world: int, port: int, batch: int, seed: int, letter: str, out: Path) -> None:
    import numpy as np
    import torch
    import torch.distributed as dist

    from glasslm.engine.data import name_data
    from glasslm.engine.models.tiny.gpt import GPTConfig
    from glasslm.engine.training.train import Docs
    from glasslm.torch_gpt.model import TorchGPT

    torch.set_num_threads(1)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    data = name_data.first_names()
    tok = data.tokenizer
    model = TorchGPT(GPTConfig(vocab_size=tok.vocab_size), tok, seed=0)  # the same start in every process
    rows = np.random.default_rng(seed).choice(len(data.train), batch, replace=False)
    x, y = Docs(data.train, tok).batch(rows, model.config.block_size)  # the whole batch, in every process
    count = int((y >= 0).sum())
    mine = slice(rank, None, world)
    _, loss = model(torch.from_numpy(x[mine]), torch.from_numpy(y[mine]), loss_divisor=count / world)
    loss.backward()
    row = tok.encode(letter)[0]
    local = model.wte.grad[row, :SHOWN].tolist()
    norms_local = {k: float(p.grad.norm()) for k, p in model.named_weights().items()}
    if world > 1:
        for p in model.parameters():  # what DDP does during backward: the mean over processes
            dist.all_reduce(p.grad)
            p.grad /= world
    result = {
        "rank": rank,
        "world": world,
        "names": [data.train[i] for i in rows[mine]],
        "predicted": int((y[mine] >= 0).sum()),
        "loss_share": float(loss) / world,
        "local": local,
        "reduced": model.wte.grad[row, :SHOWN].tolist(),
        "grad_norms": norms_local,
    }
    out.write_text(json.dumps(result))
    if world > 1:
        dist.barrier()  # leave together: a process exiting while gloo still talks to it aborts
        dist.destroy_process_group()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    for name in ("rank", "world", "port", "batch", "seed"):
        ap.add_argument(f"--{name}", type=int, required=True)
    ap.add_argument("--letter", default="a")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    _worker(a.rank, a.world, a.port, a.batch, a.seed, a.letter, a.out)
