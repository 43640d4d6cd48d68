"""How long the default runs of the recurrent-network and CNN sections take, and what they reach.

1. train-a-gpt, "Before transformers": the tiny GPT, a plain RNN and an LSTM
   (about 4,200 weights each) trained side by side, 1,000 steps of one name
   (glasslm.engine.training.recurrent.train_side_by_side, the web demo's default).
2. vision, "Before the ViT": a small CNN and the default tiny ViT trained on the
   same 500 batches of 64 digits (glasslm.engine.models.vision.cnn.train_cnn_and_vit).

Each run is timed whole (wall clock, one BLAS thread), as a learner waits for it;
the goal is under 30 s each on 2 shared cores.

Run:  .venv/bin/python benchmarks/rnn_cnn.py
The last line is one JSON object.
"""

from __future__ import annotations

import json
import time

from threadpoolctl import threadpool_limits

from glasslm.engine.models.vision.cnn import train_cnn_and_vit
from glasslm.engine.training.recurrent import train_side_by_side


def timed(events):
    t0 = time.perf_counter()
    start = done = None
    for e in events:
        start = start or e
        done = e
    return start, done, time.perf_counter() - t0


def main():
    with threadpool_limits(1):
        rs, rd, rnn_s = timed(train_side_by_side())
        cs, cd, cnn_s = timed(train_cnn_and_vit())
    print("1. GPT vs RNN vs LSTM on first names, 1,000 steps of 1 name")
    print(f"{'model':8s} {'weights':>8s} {'held-out loss':>14s} {'steps/s':>9s}")
    for name in ("gpt", "rnn", "lstm"):
        print(
            f"{name:8s} {rs['models'][name]['n_params']:8,d} {rd['heldout'][name]:14.4f} {rd['steps_per_s'][name]:9.0f}"
        )
    print(f"whole run: {rnn_s:.1f} s")
    print("2. CNN vs ViT on the 8x8 digits, 500 steps of 64 images")
    print(f"{'model':8s} {'weights':>8s} {'held-out acc':>13s} {'images/s':>9s}")
    for name in ("cnn", "vit"):
        print(
            f"{name:8s} {cs['models'][name]['n_params']:8,d} {cd['test_accuracy'][name]:13.3f} "
            f"{cd['images_per_s'][name]:9.0f}"
        )
    print(f"whole run: {cnn_s:.1f} s")
    print(
        json.dumps(
            {
                "recurrent_default_run_s": round(rnn_s, 2),
                **{f"{n}_heldout_loss_nats": round(rd["heldout"][n], 4) for n in ("gpt", "rnn", "lstm")},
                **{f"{n}_steps_per_s": round(rd["steps_per_s"][n], 1) for n in ("gpt", "rnn", "lstm")},
                "cnn_default_run_s": round(cnn_s, 2),
                **{f"{n}_test_accuracy": round(cd["test_accuracy"][n], 4) for n in ("cnn", "vit")},
                **{f"{n}_images_per_s": round(cd["images_per_s"][n], 1) for n in ("cnn", "vit")},
            }
        )
    )


if __name__ == "__main__":
    main()
