"""The KV cache: keys and values of every past token, kept so decoding is cheap.

Without a cache, generating token t means running the whole model over all t
tokens again. With one, each layer stores the keys and values it computed for
earlier tokens; a new token only computes its own q, k, v and attends over the
stored ones. (Keys and values of a token never change once computed, because
attention is causal: a token never sees the future.)

Memory, the formula the kv-cache chapter checks against `nbytes`:

    bytes = 2 (k and v) x layers x kv_heads x head_dim x context x bytes_per_value

Grouped-query attention shrinks it: SmolLM2 has 9 query heads but stores only 3
key/value heads, a third of what full multi-head attention would need.

One cache belongs to one request (one sequence); it is preallocated for
`capacity` tokens so the decode loop never allocates. Left out: paging, quantized caches, sliding windows.
"""

from __future__ import annotations

import numpy as np


def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, context: int, bytes_per_value: int = 4) -> int:
    """The cache's size from its formula (float32 = 4 bytes, float16 = 2)."""
    return 2 * n_layers * n_kv_heads * head_dim * context * bytes_per_value


class KVCache:
    """Preallocated keys and values for one sequence of at most `capacity` tokens.

    kt: (L, Hkv, D, capacity) float32, the keys stored transposed, so that one
    query's scores q K^T read K^T as one (D, S) matrix per head, the layout
    that makes decoding's scores about twice as fast;
    v: (L, Hkv, capacity, D) float32.
    `length` tokens are filled; a forward pass writes its new tokens at
    positions length .. length+T-1 in every layer (`store`), reads positions
    0 .. length+T-1 (`keys`, `keys_t`, `values`), and then calls `advance(T)` once.
    """

    def __init__(self, n_layers: int, n_kv_heads: int, head_dim: int, capacity: int, width: int = 0):
        if capacity < 1:
            raise ValueError(f"a KV cache needs room for at least one token, got capacity={capacity}")
        self.capacity = int(capacity)
        self.kt = np.zeros((n_layers, n_kv_heads, head_dim, self.capacity), dtype=np.float32)  # (L, Hkv, D, S)
        self.v = np.zeros((n_layers, n_kv_heads, self.capacity, head_dim), dtype=np.float32)  # (L, Hkv, S, D)
        # With width = C, also the last block's output for every token (S, C): a prefix
        # cache then gives the logits of reused positions without running the blocks again.
        self.x = np.zeros((self.capacity, width), dtype=np.float32) if width else None
        self.length = 0

    @classmethod
    def for_config(cls, config, capacity: int, hidden: bool = False) -> "KVCache":
        return cls(config.n_layers, config.n_kv_heads, config.head_dim, capacity, config.d_model if hidden else 0)

    @property
    def nbytes(self) -> int:
        """Bytes held by the cache (both tensors, at full capacity, plus the hidden rows if kept)."""
        return self.kt.nbytes + self.v.nbytes + (self.x.nbytes if self.x is not None else 0)

    def copy_prefix(self, n: int, capacity: int) -> "KVCache":
        """A new cache of `capacity` tokens holding this one's first n tokens (this one is only read)."""
        if not 0 <= n <= min(self.length, capacity):
            raise ValueError(f"cannot copy {n} tokens of a cache of {self.length} into room for {capacity}")
        L, Hkv, D, _ = self.kt.shape
        out = KVCache(L, Hkv, D, capacity, self.x.shape[1] if self.x is not None else 0)
        out.kt[..., :n] = self.kt[..., :n]
        out.v[:, :, :n] = self.v[:, :, :n]
        if self.x is not None:
            out.x[:n] = self.x[:n]
        out.length = n
        return out

    @property
    def used_bytes(self) -> int:
        """Bytes of the filled part: the formula with context = length."""
        return self.nbytes * self.length // self.capacity

    def check_room(self, n_new: int) -> None:
        if self.length + n_new > self.capacity:
            raise ValueError(
                f"the KV cache holds {self.capacity} tokens and already has {self.length}: "
                f"no room for {n_new} more (make a larger cache)"
            )

    def store(self, layer: int, k: np.ndarray, v: np.ndarray) -> None:
        """Write the new tokens' keys and values, k and v: (Hkv, T, D)."""
        T = k.shape[1]
        self.kt[layer, :, :, self.length : self.length + T] = k.transpose(0, 2, 1)
        self.v[layer, :, self.length : self.length + T] = v

    def keys(self, layer: int, end: int) -> np.ndarray:
        return self.kt[layer, :, :, :end].transpose(0, 2, 1)  # (Hkv, S, D), a view

    def keys_t(self, layer: int, end: int) -> np.ndarray:
        return self.kt[layer, :, :, :end]  # (Hkv, D, S), a view

    def values(self, layer: int, end: int) -> np.ndarray:
        return self.v[layer, :, :end]  # (Hkv, S, D), a view

    def advance(self, n: int) -> None:
        self.length += n

    def truncate(self, length: int) -> None:
        """Forget everything after `length` tokens (e.g. to re-decode from there)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate a cache of {self.length} tokens to {length}")
        self.length = length
