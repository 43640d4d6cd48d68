"""How long a full causal trace takes, and where its peaks are (issue 17).

    .venv/bin/python benchmarks/causal_tracing.py        # a few minutes on 2 cores (four full traces)

Two of the measured facts (causal_facts.json), each traced in full with the demo's
default settings (TraceConfig(): 3 noise samples, a window of 10 blocks): every kind
(residual, MLP, attention), block and position. Goal: under a minute for a short prompt
on 2 cores. Printed per prompt: tokens, seconds with 1 and with 2 BLAS threads (keys
suffixed _1t and _2t, the unsuffixed key the better: on a busy machine two threads can be
far slower than one), and per kind the peak cell (block, token, share of the lost
probability recovered), over every position and over the subject's tokens. The last line
printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from glasslm.engine.interpretability import causal_tracing as ct
from glasslm.engine.models.llama.smollm2 import load_smollm2

PROMPTS = ("Eiffel Tower", "Vladimir Putin")  # subjects of the facts traced: a long and a short trace


def main() -> None:
    m = load_smollm2()
    results: dict = {}
    for fact in [f for f in ct.facts() if f["subject"] in PROMPTS]:
        ids = m.encode(fact["prompt"])
        name = fact["subject"].lower().replace(" ", "_")
        for threads in (1, 2):
            with threadpool_limits(threads):
                start = time.perf_counter()
                setup = ct.prepare(m, ids, ct.subject_tokens(m, ids, fact["prompt"], fact["subject"]))
                columns = list(ct.trace(m, setup))
                results[f"{name}_trace_s_{threads}t"] = round(time.perf_counter() - start, 1)
        results[f"{name}_trace_s"] = min(results[f"{name}_trace_s_{t}t"] for t in (1, 2))
        peaks = ct.peaks(setup, columns)
        tokens = [m.decode([i]) for i in ids]
        print(
            f"{fact['prompt']!r} -> {m.decode([setup.answer])!r}: {len(ids)} tokens, subject {setup.subject}, "
            f"p clean {setup.p_clean:.3f}, with noise {setup.p_corrupted:.3f}, traced in "
            f"{results[f'{name}_trace_s_1t']:.1f} s (1 thread), {results[f'{name}_trace_s_2t']:.1f} s (2 threads)"
        )
        for kind in ct.KINDS:
            for where, p in peaks[kind].items():
                print(
                    f"  {kind:9} peak ({where:7}): block {p['layer']:2}, token {p['position']} "
                    f"{tokens[p['position']]!r:10} recovered {p['recovered']:.2f}"
                )
                results[f"{name}_{kind}_{where}_peak"] = [p["layer"], p["position"], round(p["recovered"], 3)]
        results[f"{name}_tokens"] = len(ids)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)  # other work on the machine slows every number
    print(f"load average (1 min) at the end: {results['load_average_1min']}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
