"""`glasslm train --backend torch`: the tiny GPT trained by PyTorch, on one device or N processes.

With `--nproc N` (N > 1) this command starts N copies of itself under torchrun
(`python -m torch.distributed.run --standalone --nproc-per-node N -m glasslm train ...`);
each copy sees torchrun's RANK and WORLD_SIZE, joins the process group and trains
its shard of every batch (glasslm/torch_gpt/train.py). For several machines, run
torchrun yourself with its usual rendezvous options, e.g. on each of two machines:

    torchrun --nnodes 2 --nproc-per-node 1 --node-rank R --rdzv-backend c10d \\
             --rdzv-endpoint HOST:29500 -m glasslm train --backend torch --data FILE ...

Only process 0 prints and writes files. Checkpoints are the numpy engine's
safetensors format (`glasslm generate --model FILE` samples them); beside one
goes FILE.state.pt, the optimizer and data state that `--resume FILE` continues.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

MAX_TEXT_BYTES = 64 * 2**20  # a text file for torch: up to 64 MB (numpy's limit is 1 MB)
MAX_DOCS = 2_000_000  # lines


def _fail(message: str) -> int:
    print(f"glasslm train: {message}", file=sys.stderr)
    return 2


def max_processes(device: str) -> int:
    """How many processes --nproc may ask for here: one per core on the CPU, one per GPU with CUDA."""
    import torch

    if device == "cuda":
        return max(1, torch.cuda.device_count())
    if device == "mps":
        return 1
    return os.cpu_count() or 1


def _load_data(args):
    from glasslm.engine.data import name_data

    if not args.data:
        return name_data.last_names() if args.last_names else name_data.first_names()
    path = Path(args.data)
    if not path.is_file():
        raise ValueError(f"--data {args.data}: no such file")
    return name_data.from_text(path.read_bytes(), source=path.name, max_bytes=MAX_TEXT_BYTES, max_docs=MAX_DOCS)


def run(args) -> int:
    try:
        import torch
    except ImportError:
        return _fail('--backend torch needs PyTorch, which is not installed: pip install "glasslm[torch]"')
    from glasslm.cli.train import _bar, model_config_of, train_config
    from glasslm.engine.models.tiny.gpt import TinyGPT, sample
    from glasslm.torch_gpt import train as tt
    from glasslm.torch_gpt.model import load_checkpoint, save_checkpoint

    d = tt.Dist.from_env()
    out = Path(args.out) if args.out else None
    if out and out.suffix != ".safetensors":
        return _fail(f"--out must name a .safetensors file, got {args.out!r}")
    if out and not out.resolve().parent.is_dir():
        return _fail(f"the folder for --out ({out.parent}) does not exist")
    if args.resume and not Path(args.resume).with_name(Path(args.resume).name + ".state.pt").is_file():
        return _fail(
            f"--resume {args.resume}: there is no {args.resume}.state.pt beside it to continue from "
            "(it is written with --out by --backend torch)"
        )
    if args.device not in tt.DEVICES:
        return _fail(f"--device must be one of {', '.join(tt.DEVICES)}, got {args.device!r}")
    limit = max_processes(args.device)
    if d.world == 1 and not 1 <= args.nproc <= limit:
        return _fail(
            f"--nproc must be from 1 to {limit} on {args.device} here "
            f"({'one per CPU core' if args.device == 'cpu' else 'one per device'}), got {args.nproc}"
        )
    try:
        data = _load_data(args)
        config = train_config(args).validate()
        model_config = model_config_of(args, data.tokenizer.vocab_size).validate(**tt.TORCH_LIMITS)
        if d.world == 1 and args.nproc > 1:
            # Check everything once here, then let torchrun start the N workers.
            tt.TorchRun.create(data, config, model_config, args.device, tt.Dist(0, args.nproc))
            return _launch(args)
        tt.init_distributed(d, args.device)
        torch.manual_seed(0)
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // d.world))
        run_ = tt.TorchRun.create(data, config, model_config, args.device, d)
        if args.resume:
            resumed = load_checkpoint(args.resume, tt.TORCH_LIMITS)
            if resumed.config != run_.model.config or resumed.tokenizer.chars != data.tokenizer.chars:
                raise ValueError(
                    f"--resume {args.resume} was trained with other sizes or other data; "
                    "give the same --data and sizes as that run"
                )
            run_.model.load_state_dict(resumed.state_dict())
            run_.load_state(torch.load(args.resume + ".state.pt", weights_only=False))
            if run_.step >= config.steps:
                raise ValueError(f"{args.resume} has already done {run_.step:,} steps: ask for more with --steps")
    except ValueError as err:  # DataError, SetupError and bad settings: the message says what to change
        return _fail(str(err))

    say = print if d.main else (lambda *a, **k: None)
    say(
        f"training a {run_.model.n_params:,}-parameter GPT with PyTorch on {run_.device}"
        f"{f' in {d.world} processes' if d.world > 1 else ''}, {len(data.train):,} documents ({data.source}); "
        f"held-out: {len(data.heldout):,}",
        file=sys.stderr,
    )
    interactive, heldout, last_draw, first, final = sys.stderr.isatty(), None, 0.0, None, None
    for ev in tt.train_torch(run_):
        if ev["type"] == "eval":
            heldout = ev["heldout_loss"]
            if not interactive and ev["step"]:
                say(f"step {ev['step']:,}: held-out loss {heldout:.3f}", file=sys.stderr)
        elif ev["type"] == "step" and interactive and d.main:
            now = time.perf_counter()
            first = first or (ev["step"], now)
            if now - last_draw > 0.1 or ev["step"] == config.steps:
                rate = (ev["step"] - first[0]) / max(now - first[1], 1e-9)
                print(_bar(ev["step"], config.steps, ev["loss"], heldout, rate), end="", file=sys.stderr, flush=True)
                last_draw = now
        elif ev["type"] == "done":
            final = ev
    if interactive:
        say(file=sys.stderr)
    if final["diverged"]:
        return _fail(final["message"])
    if d.main:
        print(
            f"done: {final['step']:,} steps in {final['elapsed_s']:.1f} s ({final['tokens_per_s']:,.0f} tokens/s); "
            f"train loss {final['train_loss']:.3f}, held-out loss {final['heldout_loss']:.3f}",
            file=sys.stderr,
        )
    if d.main and out:
        save_checkpoint(run_.model, out)
        state_path = out.with_name(out.name + ".state.pt")
        torch.save(run_.state(), str(state_path) + ".partial")
        os.replace(str(state_path) + ".partial", state_path)
        say(f"saved the model to {out}  (try: glasslm generate --model {out})", file=sys.stderr)
    if d.main and args.samples:
        weights = {k: v.detach().cpu().double().numpy() for k, v in run_.model.named_weights().items()}
        numpy_model = TinyGPT(run_.model.config, tokenizer=data.tokenizer, limits=tt.TORCH_LIMITS)
        for name, w in weights.items():
            numpy_model.params[name].data[...] = w
        for name in sample(numpy_model, n=args.samples, temperature=args.temperature, seed=args.seed):
            print(name)
    if d.world > 1:  # every process waits for the first to finish writing, then they leave together
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return 0


def _launch(args) -> int:
    """Start args.nproc copies of this very command under torchrun, on this machine."""
    # The workers learn their number from torchrun (WORLD_SIZE), so --nproc is left
    # out: torchrun's own parser would also take it for its --nproc-per-node.
    argv, skip = [], False
    for a in args.argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            argv.append(a)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={args.nproc}",
        "-m",
        "glasslm",
        *argv,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // args.nproc))}
    return subprocess.run(cmd, env=env).returncode
