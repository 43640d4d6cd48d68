"""What the prefix cache saves: a 512-token text scored cold, again, with a few characters
added, and with a word changed in its middle (issue 18).

    .venv/bin/python benchmarks/prefix_cache.py        # about a minute on 2 cores

Each request is SmolLM2.score(ids, top=1), the call the next-token and probability
demos make for every keystroke (it needs every position's logits, not only the last).
Milliseconds, p50 over REPEATS rounds; each round starts from an empty cache:
  cold_ms_ctx512              the text, nothing cached
  repeat_ms_ctx512            the same text again
  append_one_token_ms_ctx512  the text plus a few characters (one or two new tokens)
  edit_middle_ms_ctx512       a word in the middle replaced: recomputed from there on
  next_logits_append_ms_ctx512  the append, for a demo that needs only the last logits
  cache_mb                    the cache's memory after a round
Measured with 1 and 2 BLAS threads (threadpoolctl): keys suffixed _1t and _2t; the
unsuffixed keys are the better of the two. The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from glasslm.engine.models.llama.prefix_cache import PrefixCache
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2

PARAGRAPH = (
    "The history of computing is a story of people building machines that follow instructions. "
    "Early calculators added numbers with gears; later, relays and vacuum tubes made logic fast, "
    "and the transistor made it small enough to fit in a pocket. "
)
CONTEXT = 512
REPEATS = 5


def timed_ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def one_round(m: SmolLM2, text: str, round_: int) -> dict[str, float]:
    m.prefix_cache.clear()
    ids = m.encode(text)
    middle = len(text) // 2
    cut = text.index(" ", middle)
    edited = m.encode(text[:cut] + " purple" + text[text.index(" ", cut + 1) :])
    appended = m.encode(text + f" and {round_}")
    more = m.encode(text + f" or {round_}")
    return {
        "cold_ms_ctx512": timed_ms(lambda: m.score(ids, top=1)),
        "repeat_ms_ctx512": timed_ms(lambda: m.score(ids, top=1)),
        "append_one_token_ms_ctx512": timed_ms(lambda: m.score(appended, top=1)),
        "next_logits_append_ms_ctx512": timed_ms(lambda: m.next_logits(more)),
        "edit_middle_ms_ctx512": timed_ms(lambda: m.score(edited, top=1)),
        "cache_mb": m.prefix_cache.stats()["mb"],
    }


def main() -> None:
    base = load_smollm2()
    m = SmolLM2(base.model, base.tokenizer, base.metadata, base.load_info, PrefixCache())
    ids = m.encode(PARAGRAPH * 40)[: CONTEXT - 4]  # room for the appended characters
    text = m.decode(ids)
    results: dict[str, float] = {"context_tokens": len(m.encode(text))}
    print(f"{'measure':34} {'1 thread':>10} {'2 threads':>10}")
    per_threads = {}
    for threads in (1, 2):
        with threadpool_limits(threads):
            one_round(m, text, -1)  # warm-up: BLAS buffers, page cache
            rounds = [one_round(m, text, r) for r in range(REPEATS)]
        per_threads[threads] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    for key in per_threads[1]:
        a, b = per_threads[1][key], per_threads[2][key]
        print(f"{key:34} {a:10.1f} {b:10.1f}")
        results[f"{key}_1t"], results[f"{key}_2t"] = a, b
        results[key] = max(a, b) if key == "cache_mb" else min(a, b)
    results["repeat_speedup"] = results["cold_ms_ctx512"] / results["repeat_ms_ctx512"]
    results["append_speedup"] = results["cold_ms_ctx512"] / results["append_one_token_ms_ctx512"]
    print(
        f"append is {results['append_speedup']:.0f}x faster than cold, repeat {results['repeat_speedup']:.0f}x "
        f"(targets: <= 150 ms and >= 10x)"
    )
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
