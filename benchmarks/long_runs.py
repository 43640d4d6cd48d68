"""How long the guide's long demos take at their default settings, against the old defaults timed in the same run.

Run from the repository root: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/long_runs.py``
(a few minutes on an idle machine; much longer on a busy one).

Issue 13 found four first runs far over the ~15 s a learner waits for happily, timed on
an idle 2-core machine: ViT with 1x1 patches 49 s, reasoning's training 41 s, the quick
scaling sweep 29 s, BPE Play 27 s. The machine these run on is shared, so absolute
times swing with its load; each new default is timed right after the old one, in the
same process, and the ratio between them is what this script reports. "idle estimate"
is that ratio times the idle time measured for the old default.

- ViT: 1,500 steps of 1x1 patches (old) against the 400 the page now sets for 1x1;
- reasoning: 4-digit sums for 400 steps (old) against 3 digits for 300 (new);
- scaling laws: the quick sweep with budgets 10k/30k/90k characters (old) against 5k/15k/45k (new);
- BPE Play: the page paces itself to PLAY_SECONDS (12 s) whatever the number of merges,
  one replay step at most every 250 ms; the old pace was 250 ms per merge. The merges of
  the page's default text at its default 350 tokens are counted here.

The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from glasslm.engine.models.vision.vit import (
    ViTConfig,
    ViTRun,
    ViTTrainConfig,
    train_vit,
)
from glasslm.engine.pretraining.scaling import SweepConfig, sweep
from glasslm.engine.tokenizers.bpe_regex import train_tokenizer
from glasslm.engine.training.scratchpad_training import (
    ReasoningConfig,
    ReasoningRun,
    train_reasoning,
)

IDLE_OLD_S = {"vit_1x1": 49.0, "reasoning": 41.0, "scaling_sweep": 29.0, "bpe_play": 27.0}  # issue 13
PLAY_SECONDS, PLAY_MIN_MS, PLAY_MAX_MS = 12, 40, 250  # as in glasslm/chapters/tokens/demo.js


def bpe_default_text() -> str:
    """The training text the tokens page starts with (a template literal in its demo.js)."""
    js = (Path(__file__).resolve().parents[1] / "glasslm/chapters/tokens/demo.js").read_text()
    body = js.split("const TRAINING_TEXT = `", 1)[1].split("`;", 1)[0]
    return body.replace("\\\n", "")


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def drain(events) -> None:
    for _ in events:
        pass


def vit(steps: int) -> None:
    run = ViTRun.create(
        ViTConfig(patch=1, width=32, n_head=4, n_layer=1, mlp=64, pool="cls", seed=0),
        ViTTrainConfig(steps=steps, batch_size=64, lr=0.003, seed=0, eval_interval=max(1, steps // 20)),
    )
    drain(train_vit(run))


def reasoning(digits: int, steps: int) -> None:
    drain(train_reasoning(ReasoningRun(ReasoningConfig(digits=digits, steps=steps, eval_interval=max(1, steps // 10)))))


def scaling(budgets: tuple[int, ...]) -> None:
    drain(sweep(SweepConfig(token_budgets=budgets)))


def main() -> None:
    rows = []
    pairs = {
        "vit_1x1": (lambda: vit(1500), lambda: vit(400)),
        "reasoning": (lambda: reasoning(4, 400), lambda: reasoning(3, 300)),
        "scaling_sweep": (lambda: scaling((10_000, 30_000, 90_000)), lambda: scaling((5_000, 15_000, 45_000))),
    }
    out = {}
    for name, (old, new) in pairs.items():
        old_s, new_s = timed(old), timed(new)
        ratio = new_s / old_s
        out[name] = {
            "old_s": round(old_s, 1),
            "new_s": round(new_s, 1),
            "ratio": round(ratio, 3),
            "idle_estimate_s": round(ratio * IDLE_OLD_S[name], 1),
        }
        rows.append((name, old_s, new_s, ratio, ratio * IDLE_OLD_S[name]))
        print(
            f"{name:<14} old {old_s:7.1f} s   new {new_s:7.1f} s   ratio {ratio:5.2f}   "
            f"idle estimate {ratio * IDLE_OLD_S[name]:5.1f} s",
            flush=True,
        )
    _, trace = train_tokenizer(bpe_default_text(), 350)
    merges = len(trace)
    pace_ms = max(PLAY_MIN_MS, min(PLAY_MAX_MS, PLAY_SECONDS * 1000 / merges))
    play_s = merges * pace_ms / 1000
    out["bpe_play"] = {
        "merges": merges,
        "pace_ms": round(pace_ms, 1),
        "play_s": round(play_s, 1),
        "old_play_s": round(merges * PLAY_MAX_MS / 1000, 1),
    }
    print(f"{'bpe_play':<14} {merges} merges at {pace_ms:.0f} ms: {play_s:.1f} s (old pace: {merges * 0.25:.1f} s)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
