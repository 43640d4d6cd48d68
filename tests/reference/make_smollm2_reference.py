"""Reference logits for SmolLM2 from an independent implementation.

Hugging Face transformers (with torch) loads the SAME GGUF file that glasslm
reads (its own GGUF reader, dequantizer and Llama code: nothing shared with
glasslm's engine) and computes logits for a few prompts. The numbers are saved
to `smollm2_logits.npz` beside this script, which the test suite compares
against without needing torch:

    ids_<n>       (T,)      the prompt's token ids
    topk_idx_<n>  (T, K)    reference top-K token ids per position
    topk_val_<n>  (T, K)    their logits
    slice_<n>     (T, M)    logits of the fixed token ids in `slice_ids`
    slice_ids     (M,)      a fixed random sample of the vocabulary (seed 0)

Token ids come from the `tokenizers` library (the GGUF's vocabulary and merges,
as transformers converts them); the prompts avoid digits after whitespace, the
one place where that conversion differs from llama.cpp's `smollm` pre-tokenizer.

Run from the repository root (offline):
    HF_HUB_OFFLINE=1 .venv/bin/python tests/reference/make_smollm2_reference.py
Also importable: `reference_logits(ids)` returns full (T, V) float32 logits,
used by the live comparison test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for glasslm
OUT = Path(__file__).with_name("smollm2_logits.npz")
TOP_K = 20
SLICE = 256
CHAT_PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
)
PROMPTS = [
    "The capital of France is",
    "Once upon a time, there was a little robot who wanted to learn how to paint.",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    CHAT_PROMPT,
    # a longer text, to check RoPE and attention far from the start
    (
        "Gradient descent is an optimisation method. It starts from a guess, measures how the loss "
        "changes when each weight moves a little, and steps every weight downhill. "
    )
    * 6
    + "The learning rate sets",
]


def load_reference():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from glasslm.assets import smollm2_gguf_path

    path = smollm2_gguf_path()
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    model.eval()
    return tok, model


def reference_logits(ids, model=None) -> np.ndarray:
    import torch

    if model is None:
        model = load_reference()[1]
    with torch.no_grad():
        out = model(torch.tensor([list(ids)], dtype=torch.long))
    return out.logits[0].float().numpy()  # (T, V)


def main() -> None:
    tok, model = load_reference()
    rng = np.random.default_rng(0)
    V = model.config.vocab_size
    slice_ids = np.sort(rng.choice(V, size=SLICE, replace=False))
    arrays = {"slice_ids": slice_ids.astype(np.int32)}
    for n, prompt in enumerate(PROMPTS):
        ids = tok(prompt, add_special_tokens=False)["input_ids"]
        logits = reference_logits(ids, model)  # (T, V)
        top = np.argsort(-logits, axis=1)[:, :TOP_K]  # (T, K)
        arrays[f"ids_{n}"] = np.asarray(ids, dtype=np.int32)
        arrays[f"topk_idx_{n}"] = top.astype(np.int32)
        arrays[f"topk_val_{n}"] = np.take_along_axis(logits, top, axis=1).astype(np.float32)
        arrays[f"slice_{n}"] = logits[:, slice_ids].astype(np.float32)
        last = logits[-1]
        best = np.argsort(-last)[:2]
        print(
            f"prompt {n}: {len(ids)} tokens; next: {tok.decode([best[0]])!r} "
            f"(margin {last[best[0]] - last[best[1]]:.3f} over {tok.decode([best[1]])!r})"
        )
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
