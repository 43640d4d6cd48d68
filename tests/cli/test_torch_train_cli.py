"""`glasslm train --backend torch`: bigger sizes, a text file, resume, torchrun with 2 processes,
and one clear sentence (exit code 2, nothing written) for each bad request."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from glasslm.cli import main  # noqa: E402
from glasslm.engine.models.tiny.gpt import TinyGPT  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def text_file(tmp_path) -> Path:
    lines = [f"the {w} sat on the {v} mat" for w in ("cat", "dog", "fox", "owl", "bee") for v in ("red", "big", "old")]
    path = tmp_path / "book.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_torch_trains_past_numpys_limits_on_a_text_file_and_resumes(tmp_path, capsys):
    out = tmp_path / "big.safetensors"
    argv = [
        "train",
        "--backend",
        "torch",
        "--data",
        str(text_file(tmp_path)),
        "--layers",
        "1",
        "--embd",
        "288",
        "--heads",
        "6",
        "--context",
        "136",
        "--batch",
        "4",
        "--steps",
        "6",
        "--samples",
        "0",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "PyTorch on cpu" in cap.err and "saved the model" in cap.err and cap.out == ""
    m = TinyGPT.from_checkpoint(out)  # the numpy engine opens it, though it could not train it
    assert (m.config.n_embd, m.config.block_size) == (288, 136)
    assert (tmp_path / "big.safetensors.state.pt").is_file()
    assert main([*argv[:-4], "--steps", "9", "--samples", "0", "--resume", str(out), "--out", str(out)]) == 0
    assert main([*argv[:-4], "--steps", "9", "--samples", "0", "--resume", str(out)]) == 2
    assert "already done 9 steps" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--nproc", "64"], "--nproc must be from 1 to"),
        (["--nproc", "0"], "--nproc must be from 1 to"),
        (["--device", "tpu"], "--device must be one of"),
        (["--layers", "99"], "n_layer"),
        (["--embd", "2048"], "n_embd"),
        (["--data", "/nonexistent/book.txt"], "no such file"),
        (["--optimizer", "sgd"], "uses Adam"),
        (["--resume", "/nonexistent/x.safetensors"], "no /nonexistent/x.safetensors.state.pt"),
        (["--layers", "24", "--embd", "1024", "--heads", "16", "--context", "1024", "--batch", "512"], "GiB"),
    ],
)
def test_bad_requests_get_one_sentence_and_write_nothing(tmp_path, capsys, extra, words):
    out = tmp_path / "m.safetensors"
    assert main(["train", "--backend", "torch", "--steps", "3", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_binary_data_file_is_refused(tmp_path, capsys):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["train", "--backend", "torch", "--data", str(blob)]) == 2
    assert "binary" in capsys.readouterr().err


def test_numpy_backend_refuses_torch_only_flags(capsys):
    assert main(["train", "--nproc", "2"]) == 2
    assert "--backend torch" in capsys.readouterr().err


def test_cuda_path_says_why_without_a_gpu(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the cuda path runs instead of refusing")
    assert main(["train", "--backend", "torch", "--device", "cuda"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


@pytest.mark.slow
def test_nproc_2_runs_two_processes_under_torchrun(tmp_path):
    out = tmp_path / "ddp.safetensors"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "glasslm",
            "train",
            "--backend",
            "torch",
            "--nproc",
            "2",
            "--batch",
            "8",
            "--steps",
            "20",
            "--samples",
            "0",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "in 2 processes" in r.stderr and r.stderr.count("saved the model") == 1
    assert TinyGPT.from_checkpoint(out).n_params == 4192
