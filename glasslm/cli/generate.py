"""`glasslm generate`: sample from a model from the terminal.

With `--model FILE.safetensors` (saved by `glasslm train --out`), the tiny GPT
invents documents - names, by default - each started from BOS and ended when
the model predicts BOS, one per line.

With `--prompt TEXT`, SmolLM2-135M-Instruct continues the text (no chat
template: raw next-token prediction), streaming token by token.
"""

from __future__ import annotations

import math
import sys

from glasslm.cli.chat import MAX_PROMPT_TOKENS, add_sampling_flags, check_sampling_args, load_model, stream_reply
from glasslm.engine.models.tiny.gpt import MAX_SAMPLES

# Each model's default temperature, chosen for what it makes: the tiny GPT's names
# read best a little cooler than its learned distribution; SmolLM2 continues text
# at the same warmth `glasslm chat` uses.
TINY_GPT_TEMPERATURE = 0.5
SMOLLM2_TEMPERATURE = 0.7


def add_parser(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="sample text from a model",
        description="Sample from a model. --model FILE: names from a tiny GPT trained with `glasslm train --out FILE`.",
    )
    p.add_argument("--model", metavar="FILE.safetensors", help="a tiny GPT checkpoint from `glasslm train --out`")
    p.add_argument("-n", type=int, default=10, help=f"how many samples (1 to {MAX_SAMPLES}; default 10)")
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="below 1: safer, more typical; above 1: wilder; 0: always the likeliest "
        f"(default {TINY_GPT_TEMPERATURE} for --model, {SMOLLM2_TEMPERATURE} for --prompt)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed, for repeatable samples")
    p.add_argument(
        "--prompt",
        metavar="TEXT",
        default=None,
        help="SmolLM2-135M-Instruct continues TEXT (the sampling flags below apply)",
    )
    add_sampling_flags(p, temperature=None, include_temperature=False)
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"glasslm generate: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    if args.model and args.prompt is not None:
        return _fail("give either --model FILE (a tiny GPT) or --prompt TEXT (SmolLM2), not both")
    if args.prompt is not None:
        if args.temperature is None:
            args.temperature = SMOLLM2_TEMPERATURE
        return run_smollm2(args)
    if args.model:
        if args.temperature is None:
            args.temperature = TINY_GPT_TEMPERATURE
        return run_tiny_gpt(args)
    return _fail(
        "say which model: --model FILE.safetensors (a tiny GPT saved by `glasslm train --out`) "
        "or --prompt TEXT (SmolLM2 continues it)"
    )


def run_smollm2(args) -> int:
    """SmolLM2 continues the prompt, streamed to stdout."""
    problem = check_sampling_args(args)
    if problem:
        return _fail(problem)
    if not args.prompt.strip():
        return _fail("--prompt is empty: give some text for SmolLM2 to continue")
    model, code = load_model("generate")
    if model is None:
        return code
    ids = model.encode(args.prompt)
    if len(ids) > MAX_PROMPT_TOKENS:
        return _fail(f"--prompt is {len(ids)} tokens long; the limit is {MAX_PROMPT_TOKENS}")
    sys.stdout.write(args.prompt)
    stream_reply(model, ids, args)
    print()
    return 0


def run_tiny_gpt(args) -> int:
    """Names from a tiny GPT checkpoint."""
    from glasslm.engine.models.tiny.gpt import CheckpointError, TinyGPT, sample

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
