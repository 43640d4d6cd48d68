"""`glasslm tokenize`: split text into tokens from the terminal.

Shows each token's id and its text (spaces as ·, newlines as ↵) under
GPT-4's cl100k_base or SmolLM2's tokenizer, and the counts, so the guide's
the tokens chapter can be tried on a file or a pipe.
"""

from __future__ import annotations

import sys

from glasslm.assets import MissingAsset

MAX_CHARS = 1_000_000  # a megabyte of text is plenty for a terminal listing
TOKENIZERS = ("cl100k", "smollm2")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "tokenize",
        help="split text into tokens",
        description="Split TEXT (or standard input) into tokens and show their ids.",
    )
    p.add_argument("text", nargs="?", help="the text (default: read standard input)")
    p.add_argument(
        "--tokenizer",
        "-t",
        choices=TOKENIZERS,
        default="cl100k",
        help="cl100k (GPT-4's) or smollm2 (SmolLM2's); default cl100k",
    )
    p.add_argument("--ids", action="store_true", help="print only the ids, space-separated")
    p.set_defaults(func=run)


def load(name: str):
    from glasslm.engine.tokenizers import pretrained_tokenizers

    return pretrained_tokenizers.cl100k_tokenizer() if name == "cl100k" else pretrained_tokenizers.smollm2_tokenizer()


def visible(piece: bytes) -> str:
    return piece.decode("utf-8", errors="backslashreplace").replace(" ", "·").replace("\n", "↵").replace("\t", "→")


def run(args) -> int:
    text = args.text if args.text is not None else sys.stdin.read(MAX_CHARS + 1)
    if not text:
        print("Nothing to tokenize: give some text, e.g. glasslm tokenize 'strawberry'.", file=sys.stderr)
        return 2
    if len(text) > MAX_CHARS:
        print(f"That text is longer than {MAX_CHARS:,} characters; give a shorter one.", file=sys.stderr)
        return 2
    try:
        tok = load(args.tokenizer)
    except MissingAsset as e:
        print(e, file=sys.stderr)
        return 2
    pieces = tok.encode_pieces(text)
    if args.ids:
        print(" ".join(str(i) for i, _ in pieces))
        return 0
    for i, piece in pieces:
        print(f"{i:>7}  {visible(piece)}")
    n = len(pieces)
    print(
        f"{n:,} tokens, {len(text):,} characters, {len(text) / max(n, 1):.2f} characters per token ({args.tokenizer})"
    )
    return 0
