"""`glasslm generate`: sample from a model from the terminal.

With `--model FILE.safetensors` (saved by `glasslm train --out`), the tiny GPT
invents documents - names, by default - each started from BOS and ended when
the model predicts BOS, one per line.
"""

from __future__ import annotations

import math
import sys

from glasslm.engine.gpt import MAX_SAMPLES


def add_parser(sub) -> None:
    p = sub.add_parser("generate", help="sample text from a model",
                       description="Sample from a model. --model FILE: names from a tiny GPT trained "
                                   "with `glasslm train --out FILE`.")
    p.add_argument("--model", metavar="FILE.safetensors", help="a tiny GPT checkpoint from `glasslm train --out`")
    p.add_argument("-n", type=int, default=10, help=f"how many samples (1 to {MAX_SAMPLES}; default 10)")
    p.add_argument("--temperature", type=float, default=0.5,
                   help="below 1: safer, more typical; above 1: wilder; 0: always the likeliest (default 0.5)")
    p.add_argument("--seed", type=int, default=None, help="random seed, for repeatable samples")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"glasslm generate: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    if args.model:
        return run_tiny_gpt(args)
    return _fail("say which model: --model FILE.safetensors (a tiny GPT saved by `glasslm train --out`)")


def run_tiny_gpt(args) -> int:
    """Names from a tiny GPT checkpoint."""
    from glasslm.engine.gpt import CheckpointError, TinyGPT, sample

    if not 1 <= args.n <= MAX_SAMPLES:
        return _fail(f"-n must be from 1 to {MAX_SAMPLES}, got {args.n}")
    if not (math.isfinite(args.temperature) and 0 <= args.temperature <= 10):
        return _fail(f"--temperature must be a number from 0 to 10, got {args.temperature}")
    try:
        model = TinyGPT.from_checkpoint(args.model)
    except CheckpointError as err:
        return _fail(str(err))
    if model.tokenizer is None:
        return _fail(f"{args.model} has no characters stored beside its weights, so its ids cannot be read as text")
    for text in sample(model, n=args.n, temperature=args.temperature, seed=args.seed):
        print(text)
    return 0
