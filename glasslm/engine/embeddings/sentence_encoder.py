"""A real sentence encoder: all-MiniLM-L6-v2 (Reimers & Gurevych 2019; Wang et al. 2020), run in numpy.

GloVe gives one vector per word; averaging them loses word order and context.
A sentence encoder is a small transformer *encoder* (BERT's shape: attention with
no mask, every token sees every token) trained so that sentences with similar
meaning get nearby vectors. all-MiniLM-L6-v2 has 6 layers, 384 dimensions and 12
heads (22.6 million weights without BERT's unused pooler), was fine-tuned on about a billion sentence pairs
with a contrastive objective, and turns a text into one vector by averaging its
token vectors (mean pooling) and scaling the result to length 1.

    tokens = [CLS] wordpiece(lowercase(text)) [SEP]
    x = LayerNorm(word[tokens] + position[0..T) + type[0])
    per layer:  x = LayerNorm(x + Wo attention(Wq x, Wk x, Wv x))      (biases throughout)
                x = LayerNorm(x + W2 gelu(W1 x))
    vector = normalise(mean over tokens of x)

WordPiece (the BERT tokenizer, Wu et al. 2016): split on spaces and punctuation,
then cut each word greedily into the longest pieces in the vocabulary, pieces
after the first marked "##".
"""

from __future__ import annotations

import functools
import json
import math
import threading
import unicodedata

import numpy as np

from glasslm import assets

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on texts cut to 256 word pieces
MAX_WORD_CHARS = 100  # BERT treats longer words as unknown


class WordPiece:
    """BERT's uncased tokenizer: basic splitting, then greedy longest-match word pieces."""

    def __init__(self, vocab: list[str]):
        self.vocab = vocab
        self.ids = {w: i for i, w in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]

    @staticmethod
    def _is_punct(ch: str) -> bool:
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
            return True  # ASCII symbols count as punctuation in BERT, e.g. $ and ^
        return unicodedata.category(ch).startswith("P")

    @staticmethod
    def _is_cjk(cp: int) -> bool:
        return (
            0x4E00 <= cp <= 0x9FFF
            or 0x3400 <= cp <= 0x4DBF
            or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F
        )

    def words(self, text: str) -> list[str]:
        """Lowercase, strip accents, drop control characters, split on spaces, punctuation and CJK characters."""
        text = "".join(
            " " if ch.isspace() else ch
            for ch in text
            if ch != "\ufffd" and ord(ch) != 0 and not unicodedata.category(ch).startswith("C") or ch.isspace()
        )
        text = "".join(f" {ch} " if self._is_cjk(ord(ch)) else ch for ch in text)
        out = []
        for word in text.lower().split():
            word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            piece = ""
            for ch in word:
                if self._is_punct(ch):
                    out += [piece, ch] if piece else [ch]
                    piece = ""
                else:
                    piece += ch
            if piece:
                out.append(piece)
        return out

    def pieces(self, word: str) -> list[int]:
        """Greedy longest-match-first: the longest vocabulary piece at each point, or [UNK] for the word."""
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    ids.append(self.ids[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        ids = [i for w in self.words(text) for i in self.pieces(w)]
        return [self.cls, *ids[: MAX_TOKENS - 2], self.sep]


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with Phi from the error function."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class SentenceEncoder:
    def __init__(self, folder=None):
        from safetensors.numpy import load_file

        folder = folder or assets.minilm_dir()
        cfg = json.loads((folder / "config.json").read_text())
        self.layers, self.heads = cfg["num_hidden_layers"], cfg["num_attention_heads"]
        self.dim = cfg["hidden_size"]
        self.w = {
            k.removeprefix("bert."): v.astype(np.float32)
            for k, v in load_file(str(folder / "model.safetensors")).items()
        }
        self.tokenizer = WordPiece((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
        self.n_params = int(sum(v.size for k, v in self.w.items() if not k.startswith("pooler")))

    def hidden(self, ids: list[int]) -> np.ndarray:
        """The last layer's token vectors (T, 384) of one sequence."""
        w, T, H = self.w, len(ids), self.heads
        D = self.dim // H
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:T]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            lin = lambda h, name, p=p: h @ w[p + name + ".weight"].T + w[p + name + ".bias"]  # noqa: E731
            q, k, v = (
                lin(x, f"attention.self.{n}").reshape(T, H, D).transpose(1, 0, 2) for n in ("query", "key", "value")
            )
            s = q @ k.transpose(0, 2, 1) / math.sqrt(D)  # (H, T, T): no mask, every token sees every token
            a = np.exp(s - s.max(axis=-1, keepdims=True))
            a /= a.sum(axis=-1, keepdims=True)
            att = (a @ v).transpose(1, 0, 2).reshape(T, self.dim)
            x = layer_norm(
                x + lin(att, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            x = layer_norm(
                x + lin(gelu(lin(x, "intermediate.dense")), "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x

    def embed(self, text: str) -> np.ndarray:
        """The text's unit-length sentence vector (384,): mean of its token vectors, normalised."""
        v = self.hidden(self.tokenizer.encode(text)).mean(axis=0)
        return v / np.linalg.norm(v)

    def embed_many(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed(t) for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)


_lock = threading.Lock()


@functools.cache
def _load() -> SentenceEncoder:
    return SentenceEncoder()


def sentence_encoder() -> SentenceEncoder:
    """The encoder, loaded once per process (about a second: 90 MB of weights)."""
    with _lock:
        return _load()
