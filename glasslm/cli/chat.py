"""`glasslm chat`: talk with SmolLM2-135M-Instruct in the terminal.

The reply streams token by token as glasslm's numpy engine produces it. The
whole conversation is sent through the model's chat template each turn (the
KV cache is rebuilt per reply: simple, and fast enough for a 135M model).
Tokens come from the same function as the server's /v1 API
(glasslm.web.openai_api.model_stream), so both run the model the same way.
When the conversation outgrows the context, the oldest turns are dropped.

Type a message and press Enter. `/reset` starts over, `/exit` (or Ctrl-D) ends.
Also here: the SmolLM2 helpers `glasslm generate --prompt` shares.
"""

from __future__ import annotations

import math
import sys

MAX_TOKENS_LIMIT = 4096  # per reply; the context is 8192 and long replies get slow
MAX_PROMPT_TOKENS = 4096  # longest prompt accepted, in tokens


def add_sampling_flags(p, temperature: float | None, include_temperature: bool = True) -> None:
    """The SmolLM2 sampling flags (shared with `glasslm generate --prompt`)."""
    if include_temperature:
        p.add_argument(
            "--temperature",
            type=float,
            default=temperature,
            help=f"0: always the likeliest token; higher: more varied (default {temperature})",
        )
    p.add_argument(
        "--top-p",
        type=float,
        default=1.0,
        help="nucleus: keep the likeliest tokens up to this total probability, in (0, 1] (default 1 = off)",
    )
    p.add_argument("--top-k", type=int, default=0, help="keep only the k likeliest tokens (default 0 = off)")
    p.add_argument(
        "--min-p",
        type=float,
        default=0.0,
        help="drop tokens under this fraction of the likeliest one, in [0, 1) (default 0 = off)",
    )
    p.add_argument(
        "--max-tokens", type=int, default=256, help=f"longest reply, in tokens (1 to {MAX_TOKENS_LIMIT}; default 256)"
    )


def add_parser(sub) -> None:
    p = sub.add_parser(
        "chat",
        help="chat with SmolLM2-135M-Instruct in the terminal",
        description="Chat with SmolLM2-135M-Instruct, run by glasslm's numpy engine. Replies "
        "stream token by token. /reset starts over, /exit or Ctrl-D ends.",
    )
    p.add_argument(
        "--system",
        default=None,
        help="system prompt (default: the one in the model file, 'You are a helpful AI assistant "
        "named SmolLM, trained by Hugging Face')",
    )
    add_sampling_flags(p, temperature=0.7)
    p.add_argument("--seed", type=int, default=None, help="random seed, for repeatable replies")
    p.set_defaults(func=run)


def fail(prog: str, message: str) -> int:
    print(f"glasslm {prog}: {message}", file=sys.stderr)
    return 2


def check_sampling_args(args) -> str | None:
    """A sentence naming the first bad flag, or None."""
    if not (math.isfinite(args.temperature) and 0 <= args.temperature <= 100):
        return f"--temperature must be a number from 0 to 100, got {args.temperature}"
    if not (math.isfinite(args.top_p) and 0 < args.top_p <= 1):
        return f"--top-p must be in (0, 1], got {args.top_p}"
    if args.top_k < 0:
        return f"--top-k must be 0 (off) or more, got {args.top_k}"
    if not (math.isfinite(args.min_p) and 0 <= args.min_p < 1):
        return f"--min-p must be in [0, 1), got {args.min_p}"
    if not 1 <= args.max_tokens <= MAX_TOKENS_LIMIT:
        return f"--max-tokens must be from 1 to {MAX_TOKENS_LIMIT}, got {args.max_tokens}"
    return None


def load_model(prog: str):
    """(model, None) or (None, exit code) after saying what is missing."""
    from glasslm.assets import MissingAsset
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    try:
        return load_smollm2(), None
    except MissingAsset as err:
        return None, fail(prog, str(err))


def stream_reply(model, ids, args, out=None) -> tuple[str, int]:
    """Print the generated text as it comes; return (text, number of tokens)."""
    # the server's one path to the model
    from glasslm.engine.basics.sampling import SamplingConfig
    from glasslm.web.openai_api import model_stream

    out = out or sys.stdout
    pieces = []
    settings = SamplingConfig(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, min_p=args.min_p)
    for event in model_stream(model, ids, args.max_tokens, settings, args.seed):
        out.write(event.text)
        out.flush()
        pieces.append(event.text)
    return "".join(pieces), len(pieces)


def run(args) -> int:
    problem = check_sampling_args(args)
    if problem:
        return fail("chat", problem)
    interactive = sys.stdin.isatty()
    if interactive:
        print("Loading SmolLM2-135M-Instruct...", file=sys.stderr)
    model, code = load_model("chat")
    if model is None:
        return code
    if interactive:
        print("Ready. Type a message; /reset starts over, /exit or Ctrl-D ends.", file=sys.stderr)
    system = [{"role": "system", "content": args.system}] if args.system else []
    turns: list[dict] = []
    limit = model.config.context_length - args.max_tokens
    while True:
        if interactive:
            print("\nyou> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip() in ("/exit", "/quit"):
            break
        if text.strip() == "/reset":
            turns = []
            print("(conversation cleared)", file=sys.stderr)
            continue
        if not text.strip():
            continue
        turns.append({"role": "user", "content": text})
        ids = model.chat_ids(system + turns)
        while len(ids) > limit and len(turns) > 1:
            turns = turns[2:] if len(turns) > 2 else turns[1:]  # drop the oldest exchange
            print("(the oldest turns no longer fit in the context and were dropped)", file=sys.stderr)
            ids = model.chat_ids(system + turns)
        if len(ids) > limit:
            turns.pop()
            print(f"(that message is too long: {len(ids)} tokens, the limit is {limit})", file=sys.stderr)
            continue
        if interactive:
            print("smollm2> ", end="", file=sys.stderr, flush=True)
        reply, _ = stream_reply(model, ids, args)
        print()
        turns.append({"role": "assistant", "content": reply})
    return 0
