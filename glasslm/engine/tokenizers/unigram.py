"""A Unigram language-model tokenizer (Kudo 2018), trained by sentencepiece, segmented here.

BPE (bpe.py) builds its vocabulary bottom-up, merging the most frequent pair,
and cuts text by replaying those merges. The Unigram model works the other way
round. It starts from a large set of candidate pieces and prunes it, and it
treats a segmentation as a probabilistic choice. Every piece x has a
probability p(x), and a segmentation x_1 .. x_n of a text has probability
prod p(x_i). The tokenizer returns the most probable segmentation (Viterbi),
but every other way of cutting the word has a probability too, which "subword
regularisation" samples from during training (Kudo 2018, "Subword
Regularization", §3).

Training (EM over candidate pieces, pruning the ones whose removal costs the
corpus likelihood least) is done by Google's `sentencepiece` library (Kudo &
Richardson 2018). This file reads the trained model's pieces and log
probabilities and does the segmenting itself: `viterbi` is the best
segmentation (tested to equal sentencepiece's own), `all_segmentations` lists
every way to cut a short word, and `log_partition` is the forward algorithm's
sum over all of them, which turns a segmentation's score into a probability.

SentencePiece marks a word's start with "▁" (U+2581) instead of splitting on
spaces, and with byte fallback a character outside the vocabulary becomes its
UTF-8 bytes (<0xF0><0x9F>...) rather than an unknown token.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

MAX_TRAIN_CHARS = 200_000
MIN_VOCAB, MAX_VOCAB = 100, 4000
MAX_WORD_CHARS = 24  # all_segmentations grows as 2^(n-1): keep the words short
MAX_SEGMENTATIONS = 64
SPACE = "\u2581"  # ▁


class UnigramError(ValueError):
    """A text or setting the trainer cannot use; the message says why."""


@dataclass
class Unigram:
    """A trained Unigram model: piece -> log probability (byte pieces kept apart)."""

    scores: dict[str, float]  # normal pieces
    byte_ids: dict[int, int]  # byte value -> the id of its <0xNN> piece
    processor: object  # the sentencepiece processor, for encoding with byte fallback and checks

    @property
    def vocab_size(self) -> int:
        return self.processor.get_piece_size()

    def normalize(self, text: str) -> str:
        """SentencePiece's view of the text: a leading ▁ and ▁ for every space."""
        return SPACE + text.strip().replace(" ", SPACE)

    def encode(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)


def train_unigram(text: str, vocab_size: int = 500, byte_fallback: bool = True) -> Unigram:
    """Train sentencepiece's Unigram model on `text` (one sentence per line), in memory."""
    import sentencepiece as spm

    if not text.strip():
        raise UnigramError("Give some text to train on: a few paragraphs work best.")
    if len(text) > MAX_TRAIN_CHARS:
        raise UnigramError(f"The text is {len(text):,} characters; the limit is {MAX_TRAIN_CHARS:,}.")
    if not MIN_VOCAB <= vocab_size <= MAX_VOCAB:
        raise UnigramError(f"The vocabulary size must be from {MIN_VOCAB} to {MAX_VOCAB}, got {vocab_size}.")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=model,
            vocab_size=vocab_size,
            model_type="unigram",
            byte_fallback=byte_fallback,
            hard_vocab_limit=False,
            minloglevel=2,
            num_threads=1,
        )
    except RuntimeError as err:  # sentencepiece says why (e.g. too little text for the vocabulary)
        raise UnigramError(f"sentencepiece could not train on this text: {str(err).split('] ')[-1]}") from None
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    scores, byte_ids = {}, {}
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        if sp.is_byte(i):
            byte_ids[int(piece[3:5], 16)] = i
        elif not (sp.is_control(i) or sp.is_unknown(i)):
            scores[piece] = sp.get_score(i)
    return Unigram(scores, byte_ids, sp)


def viterbi(model: Unigram, text: str) -> tuple[list[str], float]:
    """The most probable segmentation of text's normal form, and its log probability.

    best[i] is the best score of text[:i]; each position tries every piece that
    ends there. Characters no piece covers are scored as sentencepiece does with
    byte fallback: its bytes, each at the lowest piece score minus 10.
    """
    s = model.normalize(text)
    fallback = min(model.scores.values()) - 10.0  # sentencepiece's unknown penalty
    longest = max(len(p) for p in model.scores)
    best = [0.0] + [-math.inf] * len(s)
    back: list[tuple[int, str] | None] = [None] * (len(s) + 1)
    for end in range(1, len(s) + 1):
        for start in range(max(0, end - longest), end):
            piece = s[start:end]
            score = model.scores.get(piece)
            if score is None and end - start == 1:
                score = fallback  # one character with no piece: bytes
            if score is not None and best[start] + score > best[end]:
                best[end], back[end] = best[start] + score, (start, piece)
    pieces, at = [], len(s)
    while at > 0:
        start, piece = back[at]
        if piece in model.scores:
            pieces.append(piece)
        else:  # byte fallback: the character's UTF-8 bytes, as <0xNN> pieces
            pieces += [f"<0x{b:02X}>" for b in reversed(piece.encode("utf-8"))]
        at = start
    return pieces[::-1], best[-1]


def all_segmentations(model: Unigram, word: str) -> list[tuple[list[str], float]]:
    """Every way to cut one short word into pieces of the vocabulary, most probable first,
    with each one's log probability (the sum of its pieces' log probabilities)."""
    s = model.normalize(word)
    if len(s) > MAX_WORD_CHARS:
        raise UnigramError(
            f"“{word}” is too long to list every way of cutting it (at most {MAX_WORD_CHARS - 1} characters)."
        )
    out: list[tuple[list[str], float]] = []

    def walk(at: int, pieces: list[str], score: float) -> None:
        if at == len(s):
            out.append((list(pieces), score))
            return
        for end in range(at + 1, len(s) + 1):
            p = model.scores.get(s[at:end])
            if p is not None:
                pieces.append(s[at:end])
                walk(end, pieces, score + p)
                pieces.pop()

    walk(0, [], 0.0)
    return sorted(out, key=lambda x: -x[1])[:MAX_SEGMENTATIONS]


def log_partition(model: Unigram, word: str) -> float:
    """log of the sum over every segmentation of exp(its log probability): the forward algorithm."""
    s = model.normalize(word)
    alpha = [0.0] + [-math.inf] * len(s)
    for end in range(1, len(s) + 1):
        terms = [alpha[start] + model.scores[s[start:end]] for start in range(end) if s[start:end] in model.scores]
        if terms:
            m = max(terms)
            alpha[end] = m + math.log(sum(math.exp(t - m) for t in terms)) if m > -math.inf else -math.inf
    return alpha[-1]
