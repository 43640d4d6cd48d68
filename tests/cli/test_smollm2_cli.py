"""`glasslm chat` and `glasslm generate --prompt`: streamed answers and clear refusals (exit 2)."""

import io

import pytest

from glasslm.assets import MissingAsset
from glasslm.cli import main


def test_chat_answers_two_turns(monkeypatch, capsys):
    # the second question only makes sense with the first turn in the context
    monkeypatch.setattr("sys.stdin", io.StringIO("What is the capital of France?\nAnd of Italy?\n/reset\n/exit\n"))
    assert main(["chat", "--temperature", "0", "--max-tokens", "16"]) == 0
    cap = capsys.readouterr()
    out = cap.out.splitlines()
    assert "Paris" in out[0] and "Rome" in out[1]
    assert "conversation cleared" in cap.err


def test_generate_continues_the_prompt(capsys):
    assert main(["generate", "--prompt", "The capital of France is", "--temperature", "0", "--max-tokens", "3"]) == 0
    assert capsys.readouterr().out.startswith("The capital of France is Paris")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["chat", "--temperature", "nan"], "--temperature must be"),
        (["chat", "--top-p", "0"], "--top-p must be"),
        (["chat", "--min-p", "1"], "--min-p must be"),
        (["chat", "--top-k", "-1"], "--top-k must be"),
        (["chat", "--max-tokens", "100000"], "--max-tokens must be"),
        (["generate", "--prompt", "  "], "--prompt is empty"),
        (["generate", "--prompt", "hi", "--temperature", "-1"], "--temperature must be"),
        (["generate", "--prompt", "hi", "--model", "x.safetensors"], "not both"),
    ],
)
def test_bad_flags_are_refused(argv, words, capsys):
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_missing_model_says_how_to_install(monkeypatch, capsys):
    def missing():
        raise MissingAsset("The SmolLM2-135M-Instruct model file is not installed. Install it with `make setup`.")

    monkeypatch.setattr("glasslm.engine.models.llama.smollm2.load_smollm2", missing)
    monkeypatch.setattr("sys.stdin", io.StringIO("hi\n"))
    assert main(["chat"]) == 2
    assert "make setup" in capsys.readouterr().err
    assert main(["generate", "--prompt", "hi"]) == 2
    assert "make setup" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, runner, expected",
    [
        (["generate", "--prompt", "hi"], "run_smollm2", "SMOLLM2_TEMPERATURE"),
        (["generate", "--model", "x.safetensors"], "run_tiny_gpt", "TINY_GPT_TEMPERATURE"),
        (["generate", "--prompt", "hi", "--temperature", "1.3"], "run_smollm2", 1.3),
    ],
)
def test_generate_picks_each_models_own_default_temperature(argv, runner, expected, monkeypatch):
    from glasslm.cli import generate

    seen = []
    monkeypatch.setattr(generate, runner, lambda args: seen.append(args.temperature) or 0)
    assert main(argv) == 0
    want = getattr(generate, expected) if isinstance(expected, str) else expected
    assert seen == [want]
    assert generate.SMOLLM2_TEMPERATURE != generate.TINY_GPT_TEMPERATURE


def test_chat_uses_the_servers_one_path_to_the_model(monkeypatch, capsys):
    """`glasslm chat` gets its tokens from openai_api.model_stream, like /v1."""
    from glasslm.web import openai_api

    calls = []
    real = openai_api.model_stream
    monkeypatch.setattr(openai_api, "model_stream", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    monkeypatch.setattr("sys.stdin", io.StringIO("Hi\n"))
    assert main(["chat", "--temperature", "0", "--max-tokens", "3"]) == 0
    assert calls == [3] and capsys.readouterr().out.strip()
