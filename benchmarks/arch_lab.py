"""How long the architecture lab's default runs take, and what they show.

- lab: the transformer chapter's default pair, DEMO_DEPTH layers with and without
  residual connections, LabConfig's default steps and batch, trained in turns;
- tour: the four tour_configs models (microgpt, + RoPE, + grouped-query, + SwiGLU),
  TOUR_STEPS steps each.
Both as the server's worker runs them (one thread, the engine's generator to
the end). Goal: each default run under about 30 s on a 2-core laptop.

Run:  .venv/bin/python benchmarks/arch_lab.py
The last line is one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glasslm.engine.models.tiny.gpt import GPTConfig  # noqa: E402
from glasslm.engine.training.arch_lab import (  # noqa: E402
    DEMO_DEPTH,
    TOUR_STEPS,
    LabConfig,
    tour_configs,
    train_side_by_side,
)


def timed(configs, lab: LabConfig) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    done = next(e for e in train_side_by_side(configs, lab) if e["type"] == "done")
    return time.perf_counter() - t0, done["runs"]


def main() -> None:
    with threadpool_limits(1):
        pair = [
            ("residual", GPTConfig(n_layer=DEMO_DEPTH)),
            ("no residual", GPTConfig(n_layer=DEMO_DEPTH, residual=False)),
        ]
        lab_s, lab = timed(pair, LabConfig())
        tour_s, tour = timed(tour_configs(), LabConfig(steps=TOUR_STEPS))
    print(f"{'run':<28}{'weights':>9}{'held-out':>10}{'steps/s':>9}{'grad block 1':>14}{'grad last':>11}")
    for r in lab + tour:
        g = r["grad_norms"]
        print(
            f"{r['name']:<28}{r['n_params']:>9,}{r['heldout_loss']:>10.3f}{r['steps_per_s']:>9.0f}{g[0]:>14.2e}{g[-1]:>11.2e}"
        )
    print(f"\nlab default ({DEMO_DEPTH} layers, {LabConfig.steps} steps x 2 models): {lab_s:.1f} s")
    print(f"tour default (4 models x {TOUR_STEPS} steps): {tour_s:.1f} s")
    print(
        json.dumps(
            {
                "lab_default_s": round(lab_s, 2),
                "tour_default_s": round(tour_s, 2),
                "lab_heldout_residual_nats": round(lab[0]["heldout_loss"], 4),
                "lab_heldout_no_residual_nats": round(lab[1]["heldout_loss"], 4),
                "lab_first_block_grad_residual": lab[0]["grad_norms"][0],
                "lab_first_block_grad_no_residual": lab[1]["grad_norms"][0],
                "tour_heldout_nats": [round(r["heldout_loss"], 4) for r in tour],
            }
        )
    )


if __name__ == "__main__":
    main()
