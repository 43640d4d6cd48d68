"""`glasslm train` and `glasslm generate --model`: output, files, and clear refusals (exit code 2)."""

import pytest

from glasslm.cli import main
from glasslm.engine.models.tiny.gpt import TinyGPT


def test_train_saves_a_model_that_generate_reads(tmp_path, capsys):
    out = tmp_path / "names.safetensors"
    assert main(["train", "--steps", "40", "--samples", "3", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert len(cap.out.splitlines()) == 3  # the three names, nothing else on stdout
    assert "held-out loss" in cap.err and "bigram baseline" in cap.err and "saved the model" in cap.err
    assert TinyGPT.from_checkpoint(out).n_params == 4192
    assert main(["generate", "--model", str(out), "-n", "4", "--seed", "3"]) == 0
    names = capsys.readouterr().out.splitlines()
    assert len(names) == 4 and all(n.isalpha() and n.islower() for n in names if n)


def test_size_flags_and_own_text(tmp_path, capsys):
    data = tmp_path / "words.txt"
    data.write_text("\n".join(["apple", "banana", "cherry", "date", "elder", "fig", "grape"]) + "\n")
    out = tmp_path / "m.safetensors"
    argv = [
        "train",
        "--data",
        str(data),
        "--steps",
        "5",
        "--layers",
        "2",
        "--embd",
        "8",
        "--heads",
        "2",
        "--context",
        "8",
        "--batch",
        "4",
        "--samples",
        "0",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    m = TinyGPT.from_checkpoint(out)
    assert (m.config.n_layer, m.config.n_embd, m.config.n_head, m.config.block_size) == (2, 8, 2, 8)
    assert m.tokenizer.chars == "".join(sorted(set("applebananacherrydateelderfiggrape")))


@pytest.mark.parametrize(
    "argv, words",
    [
        (["train", "--lr", "nan"], "lr must be a finite number"),
        (["train", "--lr", "inf"], "lr must be a finite number"),
        (["train", "--steps", "100000000"], "steps must be"),
        (["train", "--layers", "500"], "n_layer"),
        (["train", "--embd", "10", "--heads", "4"], "divisible"),
        (["train", "--optimizer", "magic"], "optimizer must be"),
        (["train", "--data", "/nonexistent/file.txt"], "no such file"),
        (["train", "--out", "model.bin"], ".safetensors"),
        (["generate"], "--model"),
        (["generate", "--model", "/nonexistent.safetensors"], "no checkpoint file"),
    ],
)
def test_bad_input_exits_2_with_a_sentence(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_binary_data_and_corrupt_checkpoint(tmp_path, capsys):
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    assert main(["train", "--data", str(binary)]) == 2
    assert "binary" in capsys.readouterr().err
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    assert main(["generate", "--model", str(bad)]) == 2
    assert "not a readable safetensors file" in capsys.readouterr().err
