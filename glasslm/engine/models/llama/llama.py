"""The Llama architecture in numpy: SmolLM2's forward pass, every step visible.

One block, as in Llama (Touvron et al. 2023) and SmolLM2 (Allal et al. 2025):

    x = embed_tokens[ids]                                   (T, C)
    repeat n_layers times:
        h = RMSNorm(x) * input_layernorm                    (T, C)
        q, k, v = h @ qkv_proj, split; RoPE on q and k      (T, H, D) (T, Hkv, D) x2
        a = softmax(q k^T / sqrt(D) + causal mask) v        (T, H, D)  each query head h
                                                            uses kv head h // (H/Hkv): GQA
        x = x + a @ o_proj                                  (T, C)     residual add
        h = RMSNorm(x) * post_attention_layernorm
        g, u = h @ gate_up_proj, split                      (T, F) x2
        x = x + (silu(g) * u) @ down_proj                   (T, C)     SwiGLU (Shazeer 2020)
    logits = RMSNorm(x) * norm @ embed_tokens^T             (T, V)     tied unembedding

RMSNorm(x) = x / sqrt(mean(x^2) + eps) (Zhang & Sennrich 2019).
RoPE: basics/rope.py. Shapes: T new tokens, S = past + T keys, C width, H query heads,
Hkv key/value heads, G = H/Hkv, D head dim, F MLP width, V vocabulary.

`forward(ids, cache)` runs T new tokens after the `cache.length` tokens already
in the KV cache (kv_cache.py): a prompt's prefill is one call with all its
tokens, each decode step one call with one token. Without a cache the whole
sequence is recomputed. An optional `Trace` records what the chapters draw;
with `trace=None` nothing extra is computed or kept.

Several sequences run through one pass, `_forward_many`: their rows are stacked so
every weight matrix is read once for all of them, and attention runs per sequence over
its own keys at its own positions (`attend`). Two callers share it: `forward_batch(seqs,
caches)`, each of B sequences continuing its own cache with its own new tokens (one for
a decode step, a prompt's for a prefill; batching.py schedules it, `decode_batch` is the
one-token-each case), and the line of single forwards that arrive while another runs
(first come, first served): on a busy server several learners' short prompts cost about
one prompt's time, since a pass over a few tokens mostly waits on reading the weights
(540 MB) from memory.

Left out: training (no backward pass), dropout,
anything SmolLM2 does not use (biases, sliding windows, RoPE scaling).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from glasslm.engine.basics.rope import apply_rope_complex, rope_angles, rope_rotations
from glasslm.engine.models.llama.gguf_weights import LlamaConfig, LlamaWeights
from glasslm.engine.models.llama.kv_cache import KVCache

MAX_COMBINED_TOKENS = 512  # rows of one combined pass (the prefill's chunks are 256)


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """x / sqrt(mean(x^2) + eps) * weight, over the last axis. x: (T, C)."""
    if x.shape[0] == 1:  # decoding: one row, the same sum as a scalar (a third of the numpy calls)
        return x * (weight * np.float32(1.0 / np.sqrt(np.dot(x[0], x[0]) / x.shape[-1] + eps)))
    ms = np.einsum("tc,tc->t", x, x)[:, None] / x.shape[-1]  # (T, 1) mean square
    return x * (weight / np.sqrt(ms + eps))  # (T, C)


def silu(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), with sigmoid(x) = (1 + tanh(x/2)) / 2 (no overflow)."""
    return x * (0.5 + 0.5 * np.tanh(0.5 * x))


def silu_(x: np.ndarray) -> np.ndarray:
    """silu computed in place in x (the decode loop avoids new arrays)."""
    t = x * 0.5
    np.tanh(t, out=t)
    t *= 0.5
    t += 0.5
    x *= t
    return x


def mlp_columns(h: np.ndarray, gate_up: np.ndarray, F: int) -> np.ndarray:
    """SwiGLU's activations silu(gate) * up for several tokens, as (F, T) columns.

    The same numbers as silu(h @ gate) * (h @ up), computed transposed:
    (gate_up^T h^T) puts each of gate and up in a contiguous block of rows, so
    silu and the product run over contiguous memory instead of every other half
    row, and the products with the weights' transposed views are a few percent
    faster in OpenBLAS for T of about a hundred (measured in benchmarks/llama.py).
    h: (T, C); gate_up: (C, 2F) with gate | up columns.
    """
    gu = gate_up.T @ h.T  # (2F, T): gate rows then up rows
    act = silu_(gu[:F])  # (F, T), computed in place
    act *= gu[F:]  # silu(gate) * up
    return act


def softmax_columns_(x: np.ndarray) -> np.ndarray:
    """softmax down axis 1 (each column of each matrix sums to 1), in place in x."""
    x -= x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x


def softmax_(x: np.ndarray) -> np.ndarray:
    """softmax over the last axis, in place in x.

    basics.sampling.softmax is the readable one (float64, a new array); this
    one reuses the float32 scores buffer because the decode step runs it on
    every layer of every token, where a new array each time is measurable."""
    x -= x.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


def causal_bias(past: int, T: int) -> np.ndarray | None:
    """The causal mask as an additive (T, S) bias: the query at position past+t sees keys
    0..past+t (0) and not the later ones (-inf). None for one token, which sees every key."""
    if T == 1:
        return None
    hidden = np.arange(past + T)[None, :] > (past + np.arange(T))[:, None]  # (T, S)
    return np.where(hidden, -np.inf, 0.0).astype(np.float32)


def times(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """x @ weight for a block of rows x (N, C) and weight (C, M), computed as (weight^T x^T)^T.

    The same sums; OpenBLAS runs the transposed form about a fifth faster for the
    few rows of a batched decode step (4 to 64), and no slower for a prefill's hundreds
    (measured on SmolLM2's matrices, 1 thread). Returns an (N, M) view of an (M, N) array."""
    return (weight.T @ x.T).T


def attend(q: np.ndarray, kt: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Causal attention of T new queries over one sequence's S keys (the last T are theirs).

    q: (T, H, D) queries after RoPE; kt: (Hkv, D, S) keys as the cache stores them;
    v: (Hkv, S, D). Returns the outputs (T, H*D), head h = kv*G + g using kv head
    h // G (GQA), and the weights (Hkv, G*T, S), row g*T + t for head kv*G + g at token t.
    """
    T, H, D = q.shape
    Hkv, _, S = kt.shape
    G = H // Hkv
    scale = np.float32(1.0 / np.sqrt(D))
    if T == 1:  # a decode step: one query per head sees every key
        att = softmax_((q.reshape(Hkv, G, D) * scale) @ kt)  # (Hkv, G, S)
        return (att @ v).reshape(1, H * D), att  # (Hkv, G, D) -> (1, H*D)
    # Keys as rows and queries as columns: the softmax then reduces down columns, which
    # numpy vectorizes along rows, about twice as fast as reducing many short rows.
    qt = q.reshape(T, Hkv, G, D).transpose(1, 3, 2, 0).reshape(Hkv, D, G * T) * scale  # (Hkv, D, G*T)
    scores = kt.transpose(0, 2, 1) @ qt  # (Hkv, S, G*T)
    scores.reshape(Hkv, S, G, T)[...] += causal_bias(S - T, T).T[:, None, :]  # -inf on future keys
    att = softmax_columns_(scores).transpose(0, 2, 1)  # (Hkv, G*T, S) view, rows sum to 1
    out = (att @ v).reshape(H, T, D)  # (H, T, D)
    return out.transpose(1, 0, 2).reshape(T, H * D), att


@dataclass
class Trace:
    """What to record during one forward pass (set the switches, read the lists).

    Memory grows with T^2 for attention: keep traced sequences short (a few
    hundred tokens).
    """

    residual: bool = True  # residual stream after the embedding and after each block
    attention: bool = True  # attention weights of every head of every layer
    mlp: bool = False  # SwiGLU activations silu(g) * u of every layer
    head: tuple[int, int] | None = None  # (layer, query head) whose q, k, v to keep
    # Filled by the forward pass:
    residuals: list = field(default_factory=list)  # n_layers+1 arrays (T, C)
    attentions: list = field(default_factory=list)  # n_layers arrays (H, T, S)
    mlp_acts: list = field(default_factory=list)  # n_layers arrays (T, F)
    q: np.ndarray | None = None  # (T, D) chosen head's queries, after RoPE
    k: np.ndarray | None = None  # (S, D) its key/value head's keys, after RoPE
    v: np.ndarray | None = None  # (S, D) its values
    logits: np.ndarray | None = None  # (T, V)


@dataclass
class _Pass:
    """One forward pass waiting in line, and its answer once run."""

    ids: np.ndarray  # (T,) checked
    past: int
    cache: KVCache | None
    trace: Trace | None
    last_only: bool
    want_logits: bool
    done: bool = False
    logits: np.ndarray | None = None
    error: Exception | None = None


class Llama:
    """A read-only model: weights plus the forward pass. Safe to share across threads
    (all per-sequence state lives in the KVCache a caller passes in).

    One forward pass runs at a time (a lock): on a 2-core machine, passes run at
    once only fight over the cores and BLAS threads (four concurrent generations
    took 2.5-3x longer without the lock). Single forwards waiting for it are served
    in order, several together (forward). Generating requests do not queue on it
    step by step: their prompts and decode steps share batched passes
    (forward_batch, scheduled by batching.Scheduler). Both run the same multi-sequence
    pass, _forward_many; a lone single forward takes _forward, its one-sequence form.
    """

    def __init__(self, weights: LlamaWeights):
        self._lock = threading.Lock()
        self._line: list[_Pass] = []  # passes waiting for the lock, oldest first
        self._line_lock = threading.Lock()
        self.w = weights
        self.config: LlamaConfig = weights.config
        cfg = self.config
        # RoPE's rotation for every position the model was trained for: (context, D/2) complex
        self._rot = rope_rotations(*rope_angles(np.arange(cfg.context_length), cfg.head_dim, cfg.rope_theta))

    def new_cache(self, capacity: int | None = None, hidden: bool = False) -> KVCache:
        """An empty KV cache for one sequence of up to `capacity` tokens (with `hidden`,
        it also keeps each token's last-block output, for a prefix cache)."""
        capacity = capacity or self.config.context_length
        if capacity > self.config.context_length:
            raise ValueError(f"capacity {capacity} exceeds the model's context of {self.config.context_length}")
        return KVCache.for_config(self.config, capacity, hidden)

    def forward(
        self,
        ids,
        cache: KVCache | None = None,
        trace: Trace | None = None,
        last_only: bool = False,
        logits: bool = True,
    ) -> np.ndarray | None:
        """Logits (T, V) float32 for the T new tokens `ids` (or (1, V) if last_only).

        With a cache, the tokens continue the cache's sequence and are added to it.
        logits=False skips the unembedding and returns None (the cache is all the caller wants).

        Passes asked for while another runs wait in line, first come first served; the
        thread whose turn comes runs the waiting untraced ones as one pass (_forward_many).
        """
        item = _Pass(*self._check(ids, cache), cache, trace, last_only, logits)
        with self._line_lock:
            self._line.append(item)
        with self._lock:
            while not item.done:  # the line is run in order, up to and including this pass
                self._run_line()
        if item.error is not None:
            raise item.error
        return item.logits

    def _check(self, ids, cache: KVCache | None) -> tuple[np.ndarray, int]:
        """(ids as int64 (T,), past tokens): ValueError for ids the model cannot run."""
        cfg = self.config
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)  # (T,)
        if ids.shape[0] == 0:
            raise ValueError("forward needs at least one token")
        if ids.min() < 0 or ids.max() >= cfg.vocab_size:
            raise ValueError(f"token ids must be in 0..{cfg.vocab_size - 1}")
        past = cache.length if cache is not None else 0
        if past + len(ids) > cfg.context_length:
            raise ValueError(f"{past + len(ids)} tokens exceed the model's context of {cfg.context_length}")
        if cache is not None:
            cache.check_room(len(ids))
        return ids, past

    def _run_line(self) -> None:
        """Run the first waiting pass with those behind it, up to MAX_COMBINED_TOKENS (called
        with the lock held). Reading the weights once for all of them costs little more than
        for one: a few learners' short prompts cost about one prompt's time."""
        with self._line_lock:
            batch = [self._line.pop(0)]
            tokens = len(batch[0].ids)
            while self._line and tokens + len(self._line[0].ids) <= MAX_COMBINED_TOKENS:
                tokens += len(self._line[0].ids)
                batch.append(self._line.pop(0))
        try:
            if len(batch) == 1:
                b = batch[0]
                b.logits = self._forward(b.ids, b.cache, b.trace, b.last_only, b.want_logits)
            else:
                for b, out in zip(batch, self._forward_many(batch)[0]):
                    b.logits = out
        except Exception as e:  # noqa: BLE001  (handed to each waiting caller, raised in its own thread)
            for b in batch:
                b.error = e
        for b in batch:
            b.done = True

    def _forward(self, ids, cache, trace, last_only, want_logits=True) -> np.ndarray | None:
        """One sequence's pass: _forward_many's maths for a single pass, plus the one-row
        shortcuts of a decode step (products of one row as x @ W) and of last_only (below)."""
        cfg, w = self.config, self.w
        ids, past = self._check(ids, cache)
        T = ids.shape[0]
        rot = self._rot[past : past + T, None]  # (T, 1, D/2): e^{i angle} for each new position

        x = w.embed_tokens[ids]  # (T, C), our own copy (fancy indexing): updated in place
        if trace is not None and trace.residual:
            trace.residuals.append(x.copy())
        # With last_only, the last block's output is read only at the last position:
        # there, only that query is attended with and only its row goes through
        # o_proj and the MLP (keys and values of every position are still made and cached).
        keep_hidden = cache is not None and cache.x is not None
        trim_last_block = last_only and trace is None and T > 1 and not keep_hidden
        for layer, lw in enumerate(w.layers):
            h = rms_norm(x, lw.input_layernorm, cfg.norm_eps)  # (T, C)
            q, k, v = self._qkv(h @ lw.qkv_proj, rot)
            if trim_last_block and layer == cfg.n_layers - 1:
                q, x = q[-1:], x[-1:]  # (1, H, D), (1, C): the last position sees all S keys
            x += self._attention(layer, q, k, v, cache, trace) @ lw.o_proj  # (T, C) residual add
            act = self._mlp_(x, lw)  # (T, F)
            if trace is not None:
                if trace.mlp:
                    trace.mlp_acts.append(np.ascontiguousarray(act))
                if trace.residual:
                    trace.residuals.append(x.copy())
        if keep_hidden:
            cache.x[past : past + T] = x  # (T, C) before the final norm: unembed() turns rows into logits
        if cache is not None:
            cache.advance(T)
        if not want_logits:
            return None
        if last_only:
            x = x[-1:]
        logits = self.unembed(x)  # (T, V)
        if trace is not None:
            trace.logits = logits
        return logits

    def _forward_many(self, passes: list[_Pass]) -> tuple[list[np.ndarray | None], np.ndarray | None]:
        """Several sequences' passes at once, each with its own new tokens continuing its own
        cache (or none) at its own position: the waiting line's passes and forward_batch's.

        Their N = sum T rows are stacked into one (N, C) block, so every product with the
        weights reads the weights once for all rows, computed transposed (`times`, faster for
        a few rows); attention runs per sequence, over its own keys (`attend`). Each result
        (and trace) equals forward(p.ids, p.cache, p.trace, p.last_only) alone. Also returns
        every pass's logits stacked in one array (they are views into it; None if none wanted)."""
        cfg, w = self.config, self.w
        ends = np.cumsum([len(p.ids) for p in passes])  # row ranges [end - T, end) per pass
        spans = [(int(e) - len(p.ids), int(e)) for p, e in zip(passes, ends)]
        pos = np.concatenate([np.arange(p.past, p.past + len(p.ids)) for p in passes])  # (N,) positions
        rot = self._rot[pos][:, None]  # (N, 1, D/2)
        x = w.embed_tokens[np.concatenate([p.ids for p in passes])]  # (N, C)
        traced = [(p.trace, a, b) for p, (a, b) in zip(passes, spans) if p.trace is not None]
        for trace, a, b in traced:
            if trace.residual:
                trace.residuals.append(x[a:b].copy())
        out = np.empty((len(pos), cfg.n_heads * cfg.head_dim), dtype=np.float32)  # attention outputs
        for layer, lw in enumerate(w.layers):
            h = rms_norm(x, lw.input_layernorm, cfg.norm_eps)  # (N, C)
            q, k, v = self._qkv(np.ascontiguousarray(times(h, lw.qkv_proj)), rot)  # one weight read for all rows
            for p, (a, b) in zip(passes, spans):  # each sequence over its own past
                out[a:b] = self._attention(layer, q[a:b], k[a:b], v[a:b], p.cache, p.trace)  # (T, H*D)
            x += times(out, lw.o_proj)  # (N, C) residual add
            act = self._mlp_(x, lw)  # (N, F)
            for trace, a, b in traced:
                if trace.mlp:
                    trace.mlp_acts.append(np.ascontiguousarray(act[a:b]))
                if trace.residual:
                    trace.residuals.append(x[a:b].copy())
        for p, (a, b) in zip(passes, spans):
            if p.cache is not None:
                if p.cache.x is not None:
                    p.cache.x[p.past : p.past + b - a] = x[a:b]
                p.cache.advance(b - a)  # a Python int: lengths end up in JSON
        # every pass's logit rows (its last row with last_only) through one read of the unembedding
        rows = [np.arange(b - 1 if p.last_only else a, b) if p.want_logits else [] for p, (a, b) in zip(passes, spans)]
        picked = np.concatenate(rows).astype(np.int64)
        logits = self.unembed(x[picked]) if len(picked) else None  # (rows, V)
        bounds = np.cumsum([0] + [len(r) for r in rows])
        results = [logits[i:j] if p.want_logits else None for p, i, j in zip(passes, bounds, bounds[1:])]
        for p, got in zip(passes, results):
            if p.trace is not None:
                p.trace.logits = got
        return results, logits

    def _qkv(self, qkv: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Queries (T, H, D) and keys (T, Hkv, D) after RoPE, and values (T, Hkv, D), from rows of
        qkv ((T, (H + 2Hkv) D), the product with qkv_proj) at the positions whose rotations are rot."""
        cfg = self.config
        H, Hkv, D = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        qk = apply_rope_complex(qkv[:, : (H + Hkv) * D].reshape(-1, H + Hkv, D), rot)  # (T, H+Hkv, D)
        return qk[:, :H], qk[:, H:], qkv[:, (H + Hkv) * D :].reshape(-1, Hkv, D)

    def _attention(self, layer, q, k, v, cache, trace) -> np.ndarray:
        """One sequence's causal self-attention in block `layer`: the (Tq, H*D) outputs before
        o_proj for its Tq queries (T, or 1 when only the last is needed), from its T new keys
        and values (T, Hkv, D), which go into the cache and join its past ones."""
        k, v = k.transpose(1, 0, 2), v.transpose(1, 0, 2)  # (Hkv, T, D)
        if cache is not None:
            S = cache.length + k.shape[1]  # the past keys and these T new ones
            cache.store(layer, k, v)
            kt, v = cache.keys_t(layer, S), cache.values(layer, S)  # (Hkv, D, S), as the cache stores them
        else:
            kt = k.transpose(0, 2, 1)  # (Hkv, D, T) view
        out, att = attend(q, kt, v)
        if trace is not None:
            self._record_attention(trace, layer, q, kt.transpose(0, 2, 1), v, att, q.shape[0], kt.shape[2])
        return out

    def _mlp_(self, x: np.ndarray, lw) -> np.ndarray:
        """SwiGLU's residual add, in place in x (T, C); returns its activations (T, F)."""
        F = self.config.d_ff
        h = rms_norm(x, lw.post_attention_layernorm, self.config.norm_eps)  # (T, C)
        if x.shape[0] == 1:
            gu = h @ lw.gate_up_proj  # (1, 2F)
            act = silu_(gu[:, :F])  # (1, F) view into gu, computed in place
            act *= gu[:, F:]  # silu(gate) * up
            x += lw.down_proj.T @ act[0]  # (C,) residual add: rows of the stored (C, F) array
            return act
        act = mlp_columns(h, lw.gate_up_proj, F)  # (F, T): the same sums with tokens as columns
        x += (lw.down_proj.T @ act).T  # (T, C) residual add
        return act.T  # (T, F), a view: silu(gate) * up per token

    def decode_batch(self, tokens, caches: list[KVCache]) -> np.ndarray:
        """Logits (B, V) for one new token in each of B sequences: forward_batch with one
        token per sequence. Row b equals forward([tokens[b]], caches[b])."""
        return self.forward_batch([[t] for t in np.asarray(tokens).reshape(-1)], caches)

    def forward_batch(self, seqs, caches: list[KVCache], logits: bool = True) -> np.ndarray | None:
        """Logits (B, V) after the last of the new tokens seqs[b] of each of B sequences, each
        continuing its own cache (a decode step is one token; a joining request's prompt, many).

        One _forward_many pass with a last-row-only pass per sequence: every weight matrix
        is read once for all their rows. Row b equals forward(seqs[b], caches[b])[-1].
        """
        with self._lock:
            return self._forward_batch(seqs, caches, logits)

    def _forward_batch(self, seqs, caches: list[KVCache], want_logits: bool = True) -> np.ndarray | None:
        if not seqs or len(seqs) != len(caches) or min(np.size(s) for s in seqs) == 0:
            raise ValueError(f"forward_batch needs tokens for each of {len(caches)} caches, got {len(seqs)} lists")
        passes = [_Pass(*self._check(s, c), c, None, True, want_logits) for s, c in zip(seqs, caches)]
        return self._forward_many(passes)[1]  # (B, V): each sequence's last row; all checked before any pass

    def unembed(self, x: np.ndarray) -> np.ndarray:
        """Logits (T, V) from last-block outputs x (T, C): the final RMSNorm, then the tied
        embedding read as an unembedding; one row as (V, C) @ (C,), the faster form."""
        x = rms_norm(x, self.w.norm, self.config.norm_eps)  # (T, C)
        return (self.w.lm_head @ x[0])[None, :] if x.shape[0] == 1 else times(x, self.w.lm_head.T)

    def prefill(
        self, ids, cache: KVCache, chunk: int = 256, last_only: bool = False, logits: bool = True
    ) -> np.ndarray | None:
        """forward() in chunks of `chunk` tokens, so attention's (T, S) scores stay
        small for long prompts; the logits are the same as one big forward."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        parts = []
        for start in range(0, len(ids), chunk):
            end = min(start + chunk, len(ids))
            last = end == len(ids)
            parts.append(
                self.forward(ids[start:end], cache, last_only=last_only, logits=logits and (last or not last_only))
            )
        if not logits:
            return None
        return parts[-1] if last_only else np.concatenate(parts)  # (T, V) or (1, V)

    def _record_attention(self, trace, layer, q, k, v, att, T, S):
        cfg = self.config
        if trace.attention:
            trace.attentions.append(att.reshape(cfg.n_heads, T, S).copy())  # (H, T, S)
        if trace.head is not None and trace.head[0] == layer:
            head = trace.head[1]
            if not 0 <= head < cfg.n_heads:
                raise ValueError(f"head must be in 0..{cfg.n_heads - 1}, got {head}")
            kv = head // cfg.group_size
            trace.q = np.array(q[:, head])  # (T, D)
            trace.k = np.array(k[kv])  # (S, D)
            trace.v = np.array(v[kv])  # (S, D)
