"""How quickly the guide answers with a big "your model": `glasslm serve --model FILE` for a
checkpoint far past what the guide trains (6 layers, width 384, context 256: about 10.7 M
parameters, 43 MB as PyTorch's float32), through the same endpoints the demos call.

Run from the repository root: ``.venv/bin/python benchmarks/your_model.py [FILE]``.
FILE defaults to such a model with random weights (its speed does not depend on what it
learned), written to a temporary folder; pass one trained with
``glasslm train --backend torch --layers 6 --embd 384 --heads 6 --context 256 --data TEXT --out FILE``.

Measured, median of 5 after one warm-up, each through the ASGI app (tests' TestClient):
- loading the checkpoint (serve.load_server_model, as `serve --model` does);
- one step of generation's step-by-step demo at its longest context (MAX_TINY_STEPS characters);
- sampling's /distribution for a prompt as long as the model's context;
- interpretability's /tiny-lens (every head's attention and the lens) for its longest text.
The numpy forward pass rereads the whole context at every step (no KV cache), which is
why generation caps a learner's model at MAX_TINY_STEPS characters.
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from glasslm.chapters.generation.api import MAX_TINY_STEPS
from glasslm.chapters.interpretability.api import MAX_TINY_TEXT
from glasslm.cli.serve import load_server_model
from glasslm.engine.models.tiny.gpt import CHECKPOINT_LIMITS, GPTConfig, TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer
from glasslm.web.app import create_app

REPEATS = 5
BIG = GPTConfig(vocab_size=28, block_size=256, n_layer=6, n_embd=384, n_head=6)


def timed(fn) -> float:
    fn()  # warm-up
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(path: Path) -> dict:
    t0 = time.perf_counter()
    entry = load_server_model(str(path))
    load_s = time.perf_counter() - t0
    model, tok = entry.model, entry.model.tokenizer
    app = create_app(model=entry)
    letters = [c for c in tok.chars if c.strip()] or list(tok.chars)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        mid = c.get("/api/my-models").json()["models"][0]["id"]
        steps = min(model.config.block_size, MAX_TINY_STEPS)
        ids = [tok.bos] + [tok.encode(letters[i % len(letters)])[0] for i in range(steps - 1)]

        def post(url, body):
            r = c.post(url, json=body)
            assert r.status_code == 200, r.text

        step_s = timed(lambda: post("/api/generation/tiny/step", {"ids": ids, "model": mid}))
        prompt = "".join(letters[i % len(letters)] for i in range(model.config.block_size - 1))
        dist_s = timed(lambda: post("/api/sampling/distribution", {"text": prompt, "model": mid}))
        text = prompt[: min(MAX_TINY_TEXT, model.config.block_size - 1)]
        lens_s = timed(lambda: post("/api/interpretability/tiny-lens", {"text": text, "model": mid}))
    rows = [
        ("load the checkpoint", load_s, ""),
        (f"generation step, {steps} characters of context", step_s, ""),
        (f"sampling distribution, {len(prompt) + 1} characters", dist_s, ""),
        (f"tiny-lens, {len(text) + 1} characters", lens_s, "attention of every head + lens"),
    ]
    print(f"model: {path.name}, {model.n_params:,} parameters, {path.stat().st_size / 1e6:.1f} MB on disk")
    print(f"{'what':<48}{'seconds':>10}")
    for what, s, note in rows:
        print(f"{what:<48}{s:>10.3f}  {note}")
    return {
        "params": model.n_params,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "load_s": round(load_s, 3),
        "generation_step_s": round(step_s, 4),
        "sampling_distribution_s": round(dist_s, 4),
        "tiny_lens_s": round(lens_s, 4),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            file = Path(sys.argv[1])
        else:
            big = TinyGPT(BIG, tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz "), limits=CHECKPOINT_LIMITS)
            file = big.save(Path(tmp) / "random-6x384.safetensors")
        print(json.dumps(main(file)))
