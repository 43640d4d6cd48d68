"""How quickly glasslm.widgets answer in a notebook, and how big their front ends are.

Run from the repository root: ``.venv/bin/python benchmarks/widgets.py`` (about a minute).

Measured in this process (no kernel, no browser: the kernel's share of an answer):
- the bundled ES module of each widget (the guide's components and D3 inlined), in KB;
- making each widget on SmolLM2 (model loaded and warm) or a tiny GPT, best of three;
- the kernel's answer to a control: a new layer/head in AttentionMap, a new temperature in
  SamplingKnobs, a new text in NextToken (one SmolLM2 pass), best of three;
- TrainingCurve.train() for 1,000 steps (the examples' run) against train_tiny_gpt alone, to show
  what the streaming of traits costs;
- each example notebook run top to bottom by nbclient in a fresh ipykernel.

The machine has 2 shared cores, so absolute times are noisy. The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.training.train import TrainConfig, train_tiny_gpt
from glasslm.widgets import AttentionMap, LogitLens, NextToken, SamplingKnobs, TokenStrip, TrainingCurve
from glasslm.widgets.bundle import WIDGET_JS, bundle

ROOT = Path(__file__).resolve().parent.parent
TEXT = "The cat sat on the mat because it was tired"
STEPS = 1000


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    out = {}
    sizes = {p.stem: len(bundle(p.name).encode()) / 1000 for p in sorted(WIDGET_JS.glob("*.js")) if p.stem != "common"}
    print(f"{'widget front end':<20}{'bundle KB':>10}")
    for name, kb in sizes.items():
        print(f"{name:<20}{kb:>10.0f}")
    out["bundle_kb_max"] = round(max(sizes.values()), 1)

    m = load_smollm2()
    m.next_logits(m.encode("warm up"))
    make = {
        "attention_smollm2": lambda: AttentionMap(TEXT),
        "next_token": lambda: NextToken(TEXT),
        "sampling": lambda: SamplingKnobs(TEXT),
        "lens": lambda: LogitLens(TEXT),
        "token_strip": lambda: TokenStrip(TEXT),
    }
    print(f"\n{'make a widget':<28}{'ms':>8}")
    for name, fn in make.items():
        ms = 1000 * best(fn)
        out[f"make_{name}_ms"] = round(ms, 1)
        print(f"{name:<28}{ms:>8.2f}")

    att, knobs, nt = AttentionMap(TEXT), SamplingKnobs(TEXT), NextToken(TEXT)
    flips = iter(range(1, 10**6))  # every call a new value: an unchanged trait answers nothing
    answers = {
        "attention_layer_head": lambda: setattr(att, "layer", next(flips) % att.n_layers),
        "sampling_temperature": lambda: setattr(knobs, "temperature", 0.5 + (next(flips) % 7) / 10),
        "next_token_new_text": lambda: setattr(nt, "text", f"{TEXT} and {next(flips)}"),
    }
    print(f"\n{'kernel answer to a control':<28}{'ms':>8}")
    for name, fn in answers.items():
        ms = 1000 * best(fn)
        out[f"answer_{name}_ms"] = round(ms, 2)
        print(f"{name:<28}{ms:>8.2f}")

    def engine_alone():
        for _ in train_tiny_gpt(config=TrainConfig(steps=STEPS, eval_interval=STEPS // 10, sample_interval=STEPS // 5)):
            pass

    alone = best(engine_alone, 1)
    widget = best(lambda: TrainingCurve(steps=STEPS).train(), 1)
    out["train_1000_steps_engine_s"] = round(alone, 2)
    out["train_1000_steps_widget_s"] = round(widget, 2)
    print(f"\n{STEPS:,} training steps: engine alone {alone:.2f} s, in TrainingCurve {widget:.2f} s")

    import nbclient
    import nbformat

    os.environ["PYTHONPATH"] = str(ROOT)
    print(f"\n{'example notebook':<28}{'s':>8}")
    for path in sorted((ROOT / "examples").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
        s = time.perf_counter() - start
        out[f"example_{path.stem}_s"] = round(s, 1)
        print(f"{path.stem:<28}{s:>8.1f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
