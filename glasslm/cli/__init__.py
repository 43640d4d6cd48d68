"""The `glasslm` command: serve the guide (the default), or run the engine's
main jobs from a terminal.

Each sub-command lives in its own module under glasslm/cli/ and exposes
`add_parser(subparsers)`, which registers the command and sets `func`, a
callable taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Sub-command modules, in the order `--help` lists them.
COMMANDS = ("serve", "train", "generate", "chat", "tokenize")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glasslm",
        description="glasslm: an interactive guide to how LLMs work, computed live. "
        "With no command, serves the guide and opens it in the browser.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"glasslm.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    # `glasslm` alone, or `glasslm --port 9000`, means serve.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    args.argv = argv  # as given: `train --nproc N` starts N copies of itself under torchrun
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
