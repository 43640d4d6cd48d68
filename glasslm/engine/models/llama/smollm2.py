"""SmolLM2-135M-Instruct, ready to use: tokenizer + weights + forward pass + sampling.

    import glasslm
    m = glasslm.load_smollm2()              # about 3 s the first time in a process
    ids = m.encode("The capital of France is")
    m.logits(ids)                           # (T, V) float32, one row per position
    for event in m.generate(ids, max_tokens=5, settings=glasslm.GREEDY):
        print(event.text, end="")           # " Paris. ..."
    m.chat_ids([{"role": "user", "content": "Hi!"}])   # the chat template applied

This file wires the engine's parts together (gguf_weights.py, llama.py,
kv_cache.py, prefix_cache.py, decode.py, sampling.py, chat_template.py, and
the tokenizer of pretrained_tokenizers.py) and checks inputs. The model is
loaded once per process (lazily, under a lock) and shared between threads:
every call that needs per-sequence state (a KV cache) makes its own.

Every request goes through `prefill`, which starts from the longest prefix of
its tokens already in the prefix cache and runs the model only over the rest;
logits of reused positions come from the kept last-block outputs. So every
demo built on logits, next_logits, score or generate gets the cache for free.

Prefills and decode steps go through `scheduler` (batching.py): the steps of all
requests running at the same time share one batched forward pass.

Left out: speculative decoding.
"""

from __future__ import annotations

import codecs
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from glasslm.engine.basics import sampling
from glasslm.engine.models.llama import decode
from glasslm.engine.models.llama.batching import Scheduler
from glasslm.engine.models.llama.gguf_weights import LlamaConfig, load_weights
from glasslm.engine.models.llama.kv_cache import KVCache
from glasslm.engine.models.llama.llama import Llama, Trace
from glasslm.engine.models.llama.prefix_cache import PrefixCache
from glasslm.engine.tokenizers.chat_template import ChatTemplate

CHAT_SAMPLING = sampling.SamplingConfig(temperature=0.7)  # generate's default: a little variety
TRACE_MAX_TOKENS = 512  # attention maps grow as T^2 per head and layer: keep traces short


@dataclass(frozen=True)
class GenerationEvent:
    """One generated token, streamed as soon as it is chosen."""

    token_id: int
    text: str  # the new text it completes (may be "" mid-way through a UTF-8 character)
    logprob: float  # log p of the token under the (filtered) distribution it was drawn from
    index: int  # 0 for the first generated token
    seconds: float  # time for this token (the first includes the prompt's prefill)
    elapsed: float  # since generate() started: for the first token, time to first token


@dataclass(frozen=True)
class TokenScores:
    """Per-token scores of a text: entry t is about token t+1 given tokens 0..t."""

    ids: list[int]  # (T,) the text's tokens
    logprobs: np.ndarray  # (T-1,) log p(token t+1 | tokens 0..t), natural log
    ranks: np.ndarray  # (T-1,) 1 = the model's top guess was the actual token
    top_ids: np.ndarray  # (T-1, k) the model's k likeliest guesses at each step
    top_probs: np.ndarray  # (T-1, k) their probabilities

    @property
    def mean_loss(self) -> float:
        """Cross-entropy in nats per token: the mean of -log p."""
        return float(-self.logprobs.mean())

    @property
    def perplexity(self) -> float:
        return float(np.exp(self.mean_loss))

    def rows(self, start: int, end: int, k: int) -> "TokenScores":
        """Rows start..end-1 with the top k alternatives (k <= the kept ones)."""
        return TokenScores(
            ids=self.ids[start : end + 1],
            logprobs=self.logprobs[start:end],
            ranks=self.ranks[start:end],
            top_ids=self.top_ids[start:end, :k],
            top_probs=self.top_probs[start:end, :k],
        )

    def join(self, more: "TokenScores") -> "TokenScores":
        """These rows followed by more's."""
        return TokenScores(
            ids=[],
            logprobs=np.concatenate([self.logprobs, more.logprobs]),
            ranks=np.concatenate([self.ranks, more.ranks]),
            top_ids=np.concatenate([self.top_ids, more.top_ids]),
            top_probs=np.concatenate([self.top_probs, more.top_probs]),
        )


def _scores(logits: np.ndarray, targets, k: int) -> "TokenScores":
    """Scores of targets (n,) under logits (n, V): row t's log p, rank and top k."""
    target_ids = np.asarray(targets, dtype=np.int64)
    rows = np.arange(len(target_ids))
    m = logits.max(axis=-1)  # (n,)
    lse = m + np.log(np.exp(logits - m[:, None]).sum(axis=-1, dtype=np.float64))  # (n,) log sum exp
    target = logits[rows, target_ids].astype(np.float64)  # (n,)
    if k == 1:  # the usual request: argmax is many times faster than a partition
        top_ids = logits.argmax(axis=-1)[:, None]  # (n, 1)
    else:
        top_ids = np.argpartition(-logits, k - 1, axis=-1)[:, :k]  # (n, k), unordered
    order = np.argsort(-np.take_along_axis(logits, top_ids, -1), axis=-1, kind="stable")
    top_ids = np.take_along_axis(top_ids, order, -1)  # (n, k), most likely first
    top_logits = np.take_along_axis(logits, top_ids, -1).astype(np.float64)
    return TokenScores(
        ids=[],
        logprobs=target - lse,
        ranks=(logits > logits[rows, target_ids][:, None]).sum(axis=-1) + 1,
        top_ids=top_ids,
        top_probs=np.exp(top_logits - lse[:, None]),
    )


class SmolLM2:
    """The loaded model. Read-only after construction, safe to share across threads."""

    def __init__(
        self, model: Llama, tokenizer, metadata: dict, load_info: dict, prefix_cache: PrefixCache | None = None
    ):
        self.model = model
        self.prefix_cache = prefix_cache if prefix_cache is not None else PrefixCache()
        self.scheduler = Scheduler(model)  # decode steps of all generating requests, batched (batching.py)
        self.config: LlamaConfig = model.config
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.load_info = load_info
        self.chat_template = ChatTemplate(metadata["chat_template"], tokenizer)
        self.eos_id = int(metadata.get("eos_token_id", tokenizer.special_tokens["<|im_end|>"]))
        specials = tokenizer.special_tokens
        # A reply ends at <|im_end|> (end of turn); raw text may end at <|endoftext|>.
        self.stop_ids = frozenset({self.eos_id} | {specials[s] for s in ("<|endoftext|>",) if s in specials})

    # ---------------------------------------------------------------- text
    def encode(self, text: str) -> list[int]:
        """Token ids of text; special-token look-alikes are plain text here."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}")
        return self.tokenizer.encode(text)

    def decode(self, ids) -> str:
        return self.tokenizer.decode(self.check_ids(ids, allow_empty=True))

    def token_bytes(self, token_id: int) -> bytes:
        return self.tokenizer.token_bytes(int(token_id))

    def chat_ids(self, messages, add_generation_prompt: bool = True) -> list[int]:
        """The chat template applied: role markers as special tokens, text as text."""
        return self.chat_template.ids(messages, add_generation_prompt)

    def check_ids(self, ids, allow_empty: bool = False, limit: int | None = None) -> list[int]:
        """ids as a list of ints, or ValueError saying what is wrong with them."""
        try:
            ids = [int(i) for i in np.asarray(ids, dtype=np.int64).reshape(-1)]
        except (TypeError, ValueError, OverflowError):
            raise ValueError("token ids must be a list of whole numbers") from None
        if not ids and not allow_empty:
            raise ValueError("the prompt is empty: give at least one token")
        bad = [i for i in ids if not 0 <= i < self.config.vocab_size]
        if bad:
            raise ValueError(f"token ids must be in 0..{self.config.vocab_size - 1}, got {bad[:5]}")
        limit = limit or self.config.context_length
        if len(ids) > limit:
            raise ValueError(f"{len(ids)} tokens is longer than the limit of {limit}")
        return ids

    # ---------------------------------------------------------------- model
    def prefill(
        self, ids, room: int = 0, remember: bool = True, logits: bool = True
    ) -> tuple[KVCache, np.ndarray | None, int]:
        """A KV cache holding ids (with room for `room` more tokens), the logits (V,) after
        the last one, and how many leading tokens were reused from the prefix cache.

        ids must already be checked. The cache keeps every token's last-block output (x),
        so `unembed` gives the logits of any position. With remember=False the caller
        inserts ids into the prefix cache itself (score() adds its scores); with
        logits=False the last logits are not computed (None).
        """
        T = len(ids)
        entry, n = self.prefix_cache.match(ids)
        if entry is not None:
            cache = entry.kv.copy_prefix(n, T + room)
        else:
            cache = self.model.new_cache(T + room, hidden=True)
        last = None
        if n < T:  # only the new tokens run, in passes shared with other requests (batching.py)
            last = self.scheduler.prefill(ids[n:], cache, logits=logits)  # (V,) or None
        if logits and last is None:  # the whole text was seen before: from its last row's kept output
            last = self.model.unembed(cache.x[T - 1 : T])[-1]
        self.prefix_cache.record(n, T - n)
        if remember:
            self.prefix_cache.insert(ids, cache)
        return cache, last, n

    def step(self, token: int, cache: KVCache) -> np.ndarray:
        """Logits (V,) after one more token, appended to cache: a decode step, batched with
        every other request's step that is waiting at the same time (batching.Scheduler)."""
        return self.scheduler.step(token, cache)

    def logits(self, ids) -> np.ndarray:
        """Next-token logits after every prefix: (T, V) float32, row t predicts token t+1."""
        ids = self.check_ids(ids)
        cache, _, _ = self.prefill(ids, logits=False)
        return self.model.unembed(cache.x[: len(ids)])

    def next_logits(self, ids) -> np.ndarray:
        """Logits (V,) float32 for the token after ids (only the last row is computed)."""
        return self.prefill(self.check_ids(ids))[1]

    def score(self, ids, top: int = 1) -> "TokenScores":
        """How likely the model found each token of ids, given the ones before it.

        Token 0 has no context (SmolLM2 adds no BOS token), so T-1 tokens are scored.
        """
        ids = self.check_ids(ids)
        if len(ids) < 2:
            raise ValueError("scoring needs at least two tokens: the first one has nothing before it")
        k = max(1, min(int(top), 50))
        entry, n = self.prefix_cache.match(ids, scored=True)
        known = None  # rows scored by an earlier request with the same start: rows 0..n-2
        if entry is not None and entry.scores.top_ids.shape[1] >= k and n >= 2:
            known = entry.scores.rows(0, min(n, len(ids)) - 1, k)
        start = 0 if known is None else len(known.logprobs)
        cache, _, _ = self.prefill(ids, remember=False, logits=False)
        logits = self.model.unembed(cache.x[start : len(ids) - 1])  # (T-1-start, V): row t predicts t+1
        fresh = _scores(logits, ids[start + 1 :], k)
        scores = fresh if known is None else known.join(fresh)
        scores = TokenScores(ids=ids, **{f: getattr(scores, f) for f in ("logprobs", "ranks", "top_ids", "top_probs")})
        self.prefix_cache.insert(ids, cache, scores)
        return scores

    def trace(
        self, ids, attention: bool = True, mlp: bool = False, residual: bool = True, head: tuple[int, int] | None = None
    ) -> Trace:
        """One forward pass with its insides recorded (see llama.Trace)."""
        ids = self.check_ids(ids, limit=TRACE_MAX_TOKENS)
        if head is not None:
            layer, h = head
            if not (0 <= layer < self.config.n_layers and 0 <= h < self.config.n_heads):
                raise ValueError(
                    f"head must be (layer 0..{self.config.n_layers - 1}, head 0..{self.config.n_heads - 1})"
                )
        trace = Trace(residual=residual, attention=attention, mlp=mlp, head=head)
        self.model.forward(ids, trace=trace)  # the whole text, no prefix cache: a trace shows every position
        return trace

    def trace_last(self, ids, mlp: bool = False) -> Trace:
        """The last token's pass with its residual stream (and MLP activations) recorded.

        What a picture of the newest token needs, as fast as a decode step: the tokens
        before it come from the prefix cache (typing one more word runs only the new
        tokens), then the last one runs traced. Its residuals and logits equal the last
        column of trace(ids) (tested); the attention maps, which need every query, are left out.
        """
        ids = self.check_ids(ids, limit=TRACE_MAX_TOKENS)
        T = len(ids)
        if T > 1:
            before, _, _ = self.prefill(ids[:-1], logits=False)  # remembered: the next keystroke reuses it
            cache = before.copy_prefix(T - 1, T)  # the prefix cache's copy stays as it was
        else:
            cache = self.model.new_cache(1)
        trace = Trace(residual=True, attention=False, mlp=mlp)
        self.model.forward(ids[-1:], cache, trace=trace)
        return trace

    def generate(
        self,
        ids,
        max_tokens: int = 256,
        settings: sampling.SamplingConfig = CHAT_SAMPLING,
        seed: int | None = None,
        stop_ids=None,
    ) -> Iterator[GenerationEvent]:
        """Stream new tokens after `ids` until a stop token or max_tokens, each picked with
        `settings` (sampling.GREEDY for the likeliest token every time).

        Stop tokens (default: <|im_end|> and <|endoftext|>) end the stream and
        are not yielded. The same seed gives the same tokens.
        """
        ids = self.check_ids(ids)
        room = self.config.context_length - len(ids)
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) or not 1 <= max_tokens <= room:
            raise ValueError(
                f"max_tokens must be a whole number from 1 to {room} (the context left), got {max_tokens!r}"
            )
        if not isinstance(settings, sampling.SamplingConfig):
            raise TypeError(f"settings must be a sampling.SamplingConfig, got {type(settings).__name__}")
        stop = self.stop_ids if stop_ids is None else frozenset(int(s) for s in stop_ids)
        return self._generate(ids, int(max_tokens), settings, seed, stop)

    def _generate(self, ids, max_tokens, settings, seed, stop):
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        start = last = time.perf_counter()
        pick = decode.sampler(settings, seed)
        for step in decode.decode(self, ids, max_tokens, pick):
            if step.token in stop:
                return
            now = time.perf_counter()
            yield GenerationEvent(
                token_id=step.token,
                text=text.decode(self.tokenizer.token_bytes(step.token)),
                logprob=float(np.log(step.probs[step.token])),
                index=step.index,
                seconds=now - last,
                elapsed=now - start,
            )
            last = time.perf_counter()

    # ---------------------------------------------------------------- facts
    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part, counted from the loaded tensors."""
        w = self.model.w
        counts = {
            "embedding": int(w.embed_tokens.size),
            "attention": sum(int(lw.qkv_proj.size + lw.o_proj.size) for lw in w.layers),
            "mlp": sum(int(lw.gate_up_proj.size + lw.down_proj.size) for lw in w.layers),
            "norms": int(w.norm.size)
            + sum(int(lw.input_layernorm.size + lw.post_attention_layernorm.size) for lw in w.layers),
            "unembedding": 0 if self.config.tied_embeddings else int(w.lm_head.size),
        }
        counts["total"] = sum(counts.values())
        return counts


_lock = threading.Lock()
_loaded: dict[str, SmolLM2] = {}
# What a page waiting for the model can show: "idle", "loading", "warming" (the first forward
# pass reads the memory-mapped weights from disk), "ready" or "error"; seconds since the start.
_status: dict = {"state": "idle", "started": None, "seconds": None, "error": None}


def load_status() -> dict:
    """The load's state, safe to read from any thread while another loads."""
    s = dict(_status)
    started = s.pop("started")
    if s["state"] in ("loading", "warming") and started is not None:
        s["seconds"] = time.perf_counter() - started
    return s


def preload() -> None:
    """Load the model and run one short forward pass, so that the first request finds it warm.

    Meant for a background thread at server start: a request that arrives meanwhile
    waits on the same lock, and load_status() says how far the load has got.
    """
    start = time.perf_counter()
    _status.update(state="loading", started=start, seconds=None, error=None)
    try:
        m = load_smollm2()
        _status.update(state="warming")
        m.next_logits(m.encode("Hello"))  # touches every weight once: the slow part of a cold start
    except Exception as e:  # MissingAsset and friends: the demos report it themselves on use
        _status.update(state="error", error=str(e), seconds=time.perf_counter() - start)
        return
    _status.update(state="ready", seconds=time.perf_counter() - start)


def load_smollm2() -> SmolLM2:
    """The process's one SmolLM2 (loaded on first call; MissingAsset if not installed)."""
    with _lock:
        if "model" not in _loaded:
            from glasslm import assets
            from glasslm.engine.tokenizers.pretrained_tokenizers import smollm2_tokenizer

            start = time.perf_counter()
            mine = _status["state"] in ("idle", "error")  # else preload() is reporting this load
            if mine:
                _status.update(state="loading", started=start, seconds=None, error=None)
            try:
                path = assets.smollm2_gguf_path()  # raises MissingAsset with the install command
                weights = load_weights(path)  # opens the GGUF only if the cache must be built
                # The tokenizer reads the same metadata, saved with the cache: no second parse of the file.
                tokenizer = smollm2_tokenizer(weights.gguf_fields)
                info = dict(weights.load_info, total_seconds=time.perf_counter() - start)
                _loaded["model"] = SmolLM2(Llama(weights), tokenizer, weights.metadata, info)
            except Exception as e:
                if mine:
                    _status.update(state="error", error=str(e), seconds=time.perf_counter() - start)
                raise
            if mine:
                _status.update(state="ready", seconds=info["total_seconds"])
        return _loaded["model"]
