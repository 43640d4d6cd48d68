"""`glasslm train`: train the tiny GPT from scratch in the terminal.

Trains on US first names (or a text file, one document per line) with a
progress bar showing the loss and steps per second, prints invented names at
the end, and can save the model as a safetensors file that `glasslm generate
--model FILE` samples from. The loop is the engine's `train_tiny_gpt`
generator, the same one the browser streams.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

PROGRESS_WIDTH = 24  # characters of the progress bar
REDRAW_EVERY_S = 0.1  # progress redraws at most ten times a second


def add_parser(sub) -> None:
    from glasslm.engine.models.tiny.gpt import GPTConfig
    from glasslm.engine.training.train import TrainConfig

    g, t = GPTConfig(), TrainConfig()
    p = sub.add_parser(
        "train",
        help="train the tiny GPT from scratch",
        description="Train the tiny character-level GPT (microgpt's defaults) on names or your own "
        "text, show the loss as it falls, print invented names, and save the model.",
    )
    p.add_argument("--steps", type=int, default=t.steps, help=f"training steps (default {t.steps})")
    p.add_argument("--data", metavar="FILE", help="a UTF-8 text file, one document per line (default: US first names)")
    p.add_argument("--last-names", action="store_true", help="train on US last names instead of first names")
    p.add_argument("--layers", type=int, default=g.n_layer, help=f"transformer blocks (default {g.n_layer})")
    p.add_argument("--embd", type=int, default=g.n_embd, help=f"embedding width (default {g.n_embd})")
    p.add_argument("--heads", type=int, default=g.n_head, help=f"attention heads (default {g.n_head})")
    p.add_argument("--context", type=int, default=g.block_size, help=f"context length (default {g.block_size})")
    p.add_argument("--batch", type=int, default=t.batch_size, help=f"documents per step (default {t.batch_size})")
    p.add_argument("--lr", type=float, default=t.lr, help=f"peak learning rate (default {t.lr})")
    p.add_argument("--optimizer", default=t.optimizer, help=f"adam, sgd or momentum (default {t.optimizer})")
    p.add_argument("--schedule", default=t.schedule, help=f"linear, cosine or constant (default {t.schedule})")
    p.add_argument("--seed", type=int, default=t.seed, help=f"data order and sampling seed (default {t.seed})")
    p.add_argument("--samples", type=int, default=10, help="names to print at the end (default 10)")
    p.add_argument(
        "--temperature",
        type=float,
        default=t.temperature,
        help=f"sampling temperature for those names (default {t.temperature})",
    )
    p.add_argument("--out", metavar="FILE.safetensors", help="save the trained model here")
    t = p.add_argument_group('PyTorch (pip install "glasslm[torch]"): bigger models, GPUs, several processes')
    t.add_argument(
        "--backend",
        choices=("numpy", "torch"),
        default="numpy",
        help="numpy: glasslm's own engine (default); torch: the same model in PyTorch",
    )
    t.add_argument("--device", default="cpu", help="with --backend torch: cpu (default), cuda or mps")
    t.add_argument(
        "--nproc",
        type=int,
        default=1,
        help="with --backend torch: processes, each a shard of every batch (torchrun + DDP; default 1)",
    )
    t.add_argument(
        "--resume",
        metavar="FILE.safetensors",
        help="with --backend torch: continue a run saved with --out, up to --steps in all",
    )
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"glasslm train: {message}", file=sys.stderr)
    return 2


def train_config(args):
    """The run's TrainConfig from the command line (both backends)."""
    from glasslm.engine.training.train import TrainConfig

    return TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        optimizer=args.optimizer,
        schedule=args.schedule,
        seed=args.seed,
        temperature=args.temperature,
        eval_interval=max(1, args.steps // 10),
        n_samples=0,
    )


def model_config_of(args, vocab_size: int):
    """The model's GPTConfig from the command line (not yet checked: each backend has its limits)."""
    from glasslm.engine.models.tiny.gpt import GPTConfig

    return GPTConfig(
        vocab_size=vocab_size, block_size=args.context, n_layer=args.layers, n_embd=args.embd, n_head=args.heads
    )


def _bar(step: int, total: int, loss: float, heldout: float | None, steps_per_s: float) -> str:
    done = int(PROGRESS_WIDTH * step / total)
    held = f"  held-out {heldout:.3f}" if heldout is not None else ""
    return (
        f"\r[{'#' * done}{'.' * (PROGRESS_WIDTH - done)}] {step:,}/{total:,}  loss {loss:.3f}{held}"
        f"  {steps_per_s:,.0f} steps/s"
    )


def run(args) -> int:
    if args.backend == "torch":
        from glasslm.cli.train_torch import run as run_torch

        return run_torch(args)
    if args.device != "cpu" or args.nproc != 1 or args.resume:
        return _fail(
            "--device, --nproc and --resume need --backend torch (PyTorch); the numpy engine trains in this one process"
        )

    from glasslm.engine.data import name_data
    from glasslm.engine.models.tiny.gpt import TinyGPT, sample
    from glasslm.engine.training.train import TrainRun, train_tiny_gpt

    if args.out and not args.out.endswith(".safetensors"):
        return _fail(f"--out must name a .safetensors file, got {args.out!r}")
    if args.out and not Path(args.out).resolve().parent.is_dir():
        return _fail(f"the folder for --out ({Path(args.out).parent}) does not exist")
    if not math.isfinite(args.temperature):
        return _fail("--temperature must be a finite number")
    try:
        if args.data:
            path = Path(args.data)
            if not path.is_file():
                return _fail(f"--data {args.data}: no such file")
            if path.stat().st_size > name_data.MAX_TEXT_BYTES:
                return _fail(
                    f"--data {args.data} is {path.stat().st_size:,} bytes; the limit is {name_data.MAX_TEXT_BYTES:,}"
                )
            data = name_data.from_text(path.read_bytes(), source=path.name)
        else:
            data = name_data.last_names() if args.last_names else name_data.first_names()
        config = train_config(args).validate()
        model_config = model_config_of(args, data.tokenizer.vocab_size).validate()
        if not 0 <= args.samples <= 100:
            return _fail(f"--samples must be from 0 to 100, got {args.samples}")
        model = TinyGPT(model_config, tokenizer=data.tokenizer)
        run_ = TrainRun.create(model=model, data=data, config=config)
    except ValueError as err:  # DataError and bad settings: the message says what to change
        return _fail(str(err))

    print(
        f"training a {model.n_params:,}-parameter GPT on {len(data.train):,} documents ({data.source}); "
        f"held-out: {len(data.heldout):,}; bigram baseline {run_.bigram_heldout_loss:.3f} nats",
        file=sys.stderr,
    )
    heldout, last_draw, first, final = None, 0.0, None, None  # first: (step, time) of the first step seen
    interactive = sys.stderr.isatty()
    for ev in train_tiny_gpt(run=run_):
        kind = ev["type"]
        if kind == "eval":
            heldout = ev["heldout_loss"]
            if not interactive and ev["step"]:
                print(f"step {ev['step']:,}: held-out loss {heldout:.3f}", file=sys.stderr)
        elif kind == "step":
            now = time.perf_counter()
            first = first or (ev["step"], now)
            if interactive and (now - last_draw > REDRAW_EVERY_S or ev["step"] == config.steps):
                rate = (ev["step"] - first[0]) / max(now - first[1], 1e-9)
                print(_bar(ev["step"], config.steps, ev["loss"], heldout, rate), end="", file=sys.stderr, flush=True)
                last_draw = now
        elif kind == "done":
            final = ev
    if interactive:
        print(file=sys.stderr)
    if final["diverged"]:
        return _fail(final["message"])
    print(
        f"done: {final['step']:,} steps in {final['elapsed_s']:.1f} s; train loss {final['train_loss']:.3f}, "
        f"held-out loss {final['heldout_loss']:.3f} (bigram baseline {final['bigram_heldout_loss']:.3f})",
        file=sys.stderr,
    )
    if args.samples:
        for name in sample(model, n=args.samples, temperature=args.temperature, seed=args.seed):
            print(name)
    if args.out:
        model.save(args.out)
        print(f"saved the model to {args.out}  (try: glasslm generate --model {args.out})", file=sys.stderr)
    return 0
