"""The tokens chapter: the learner's text under four tokenizers, and a BPE they train.

Endpoints (all computed by glasslm's one byte-level BPE in the engine):
- POST /compare: characters, cl100k_base, SmolLM2 and the learner's own BPE
  side by side, with ids, pieces and counts;
- POST /spelling: a word's tokens and how many of a letter each holds;
- POST /languages: characters per token for the same sentence in several
  languages (and the learner's own), measured;
- POST /train: train a BPE on the learner's text, the whole merge trace;
- POST /replay: the text as tokens after the first `step` merges, the tokens
  that merge made, and the most frequent pairs at that moment.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from glasslm.engine.tokenizers.bpe import BytePairEncoding
from glasslm.engine.tokenizers.bpe_regex import Tokenizer, train_tokenizer
from glasslm.engine.tokenizers.pretrained_tokenizers import cl100k_tokenizer, smollm2_tokenizer
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError

router = APIRouter()

MAX_TEXT_CHARS = 4000  # text shown as tokens: four strips of a few thousand tokens still draw quickly
MAX_TRAIN_CHARS = 20_000  # training text: a trace to 1,024 takes well under a second at this size
MIN_VOCAB = 256  # one token per byte: a byte-level BPE can never have fewer
MAX_VOCAB = 1024  # enough merges to watch; a short text runs out of repeated pairs long before
MAX_TRACE_SHOWN = 768  # merges sent to the page (the whole trace up to MAX_VOCAB)
TOP_PAIRS = 10  # pair counts shown at each replay step

DEFAULT_VOCAB = 350


def check_text(text: str, field: str) -> str:
    """Refuse text that is empty, or that looks like binary data rather than writing."""
    if not text.strip():
        raise DemoError("The text is empty: type or paste a few words.", field)
    bad = [
        c for c in text if (unicodedata.category(c) == "Cc" and c not in "\t\n\r") or unicodedata.category(c) == "Cs"
    ]
    if bad:
        raise DemoError(
            f"The text contains {len(bad)} control character(s) such as U+{ord(bad[0]):04X}, which looks like "
            "binary data rather than writing. Paste plain text.",
            field,
        )
    return text


def shown(data: bytes) -> tuple[str, bool]:
    """A token's bytes as text, or as hex in angle brackets when they are part of a character."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return "⟨" + "\u2009".join(f"{b:02x}" for b in data) + "⟩", True  # thin spaces: not shown as "·"


def pieces(tok: Tokenizer, text: str) -> list[dict]:
    out = []
    for i, data in tok.encode_pieces(text):
        piece, partial = shown(data)
        out.append({"id": i, "text": piece, "partial": partial})
    return out


TRAINED_KEPT = 8  # learners' BPE trainings kept: the replay asks for the same training many times


def trained(request: Request, text: str, vocab_size: int):
    """The learner's BPE on ``text``, trained once and kept in this app's cache."""
    cache = app_cache(request, "tokens-bpe", TRAINED_KEPT)
    return cache.get((text, vocab_size), lambda: train_tokenizer(text, vocab_size))[0]


def _row(name: str, how: str, tokens: list[dict], text: str) -> dict:
    return {
        "name": name,
        "how": how,
        "tokens": tokens,
        "count": len(tokens),
        "chars_per_token": len(text) / max(len(tokens), 1),
    }


class CompareRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    corpus: str = Field(
        "", max_length=MAX_TRAIN_CHARS, description="training text for the learner's own BPE; empty: the text itself"
    )
    vocab_size: int = Field(DEFAULT_VOCAB, ge=MIN_VOCAB, le=MAX_VOCAB)


@router.post("/compare")
def compare(req: CompareRequest, request: Request):
    text = check_text(req.text, "text")
    corpus = check_text(req.corpus, "corpus") if req.corpus.strip() else text
    own, trace = trained(request, corpus, req.vocab_size)
    chars = [{"id": ord(c), "text": c, "partial": False} for c in text]
    rows = [
        _row("characters", "one token per Unicode character (id = code point)", chars, text),
        _row(
            "cl100k_base (GPT-4)",
            f"{cl100k_tokenizer().vocab_size:,} tokens; numbers in groups of up to 3 digits",
            pieces(cl100k_tokenizer(), text),
            text,
        ),
        _row(
            "SmolLM2",
            f"{smollm2_tokenizer().vocab_size:,} tokens; every digit on its own",
            pieces(smollm2_tokenizer(), text),
            text,
        ),
        _row(
            f"your BPE ({own.vocab_size:,} tokens)",
            f"trained here on {len(corpus):,} characters of your text, {len(trace)} merges",
            pieces(own, text),
            text,
        ),
    ]
    return {"text": text, "chars": len(text), "bytes": len(text.encode("utf-8")), "rows": rows}


class SpellingRequest(BaseModel):
    word: str = Field(min_length=1, max_length=40)
    letter: str = Field(min_length=1, max_length=1)


@router.post("/spelling")
def spelling(req: SpellingRequest):
    word = check_text(req.word, "word")
    letter = check_text(req.letter, "letter")
    rows = []
    for name, tok in (("cl100k_base (GPT-4)", cl100k_tokenizer()), ("SmolLM2", smollm2_tokenizer())):
        toks = pieces(tok, word)
        for t in toks:
            t["letter_count"] = t["text"].lower().count(letter.lower())
        # Inside a sentence the word comes with a leading space, and often splits differently.
        spaced = pieces(tok, " " + word)
        rows.append({"name": name, "tokens": toks, "with_space": [t["text"] for t in spaced]})
    return {
        "word": word,
        "letter": letter,
        "count": word.lower().count(letter.lower()),
        "letters": len(word),
        "rows": rows,
    }


# The same sentence in several languages (translations written for this guide).
SENTENCES = [
    ("English", "The cat is sleeping on the warm windowsill while rain falls outside."),
    ("French", "Le chat dort sur le rebord chaud de la fenêtre pendant que la pluie tombe dehors."),
    ("German", "Die Katze schläft auf der warmen Fensterbank, während draußen Regen fällt."),
    ("Spanish", "El gato duerme en el alféizar cálido mientras afuera cae la lluvia."),
    ("Russian", "Кошка спит на тёплом подоконнике, пока за окном идёт дождь."),
    ("Hindi", "बाहर बारिश हो रही है और बिल्ली गर्म खिड़की पर सो रही है।"),
    ("Arabic", "القطة نائمة على حافة النافذة الدافئة بينما يهطل المطر في الخارج."),
    ("Chinese", "猫在温暖的窗台上睡觉，外面正在下雨。"),
    ("Japanese", "猫は暖かい窓辺で眠っていて、外では雨が降っている。"),
    ("Korean", "고양이가 따뜻한 창턱에서 자고 있고 밖에는 비가 내린다."),
    ("Python", "for cat in cats: cat.sleep(place='windowsill', warm=True)"),
]


class LanguagesRequest(BaseModel):
    extra: str = Field("", max_length=400, description="the learner's own sentence, added as a last row")


@router.post("/languages")
def languages(req: LanguagesRequest):
    sentences = list(SENTENCES)
    if req.extra.strip():
        sentences.append(("yours", check_text(req.extra, "extra")))
    cl, sm = cl100k_tokenizer(), smollm2_tokenizer()
    rows = []
    for language, sentence in sentences:
        n_cl, n_sm = len(cl.encode(sentence)), len(sm.encode(sentence))
        rows.append(
            {
                "language": language,
                "sentence": sentence,
                "chars": len(sentence),
                "bytes": len(sentence.encode("utf-8")),
                "cl100k": n_cl,
                "smollm2": n_sm,
                "cl100k_chars_per_token": len(sentence) / n_cl,
                "smollm2_chars_per_token": len(sentence) / n_sm,
            }
        )
    return {"rows": rows}


class TrainRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TRAIN_CHARS)
    vocab_size: int = Field(DEFAULT_VOCAB, ge=MIN_VOCAB, le=MAX_VOCAB)


def _token_text(tok: Tokenizer, i: int) -> str:
    return shown(tok.token_bytes(i))[0]


@router.post("/train")
def train(req: TrainRequest, request: Request):
    text = check_text(req.text, "text")
    tok, trace = trained(request, text, req.vocab_size)
    n_bytes = len(text.encode("utf-8"))
    merges = [
        {
            "step": k + 1,
            "pair": list(s.pair),
            "left": _token_text(tok, s.pair[0]),
            "right": _token_text(tok, s.pair[1]),
            "token": shown(s.token)[0],
            "id": s.new_id,
            "count": s.count,
            "vocab_size": s.vocab_size,
            "tokens": s.tokens,
            "compression": s.compression,
        }
        for k, s in enumerate(trace[:MAX_TRACE_SHOWN])
    ]
    stopped = None
    if len(trace) < req.vocab_size - 256:
        stopped = (
            f"Stopped at {256 + len(trace)} tokens, short of the {req.vocab_size} you asked for: after {len(trace)} "
            "merges no pair of neighbouring tokens occurs twice in this text, so no merge would save anything. "
            "For a bigger vocabulary, give it more text (or ask for fewer tokens)."
        )
    return {
        "bytes": n_bytes,
        "chars": len(text),
        "requested_vocab": req.vocab_size,
        "merges": merges,
        "stopped": stopped,
        "start": {"vocab_size": 256, "tokens": n_bytes, "compression": 1.0},
    }


class ReplayRequest(TrainRequest):
    step: int = Field(0, ge=0, le=MAX_VOCAB - MIN_VOCAB, description="how many merges to apply")


@router.post("/replay")
def replay(req: ReplayRequest, request: Request):
    text = check_text(req.text, "text")
    if len(text) > MAX_TEXT_CHARS:
        raise DemoError(
            f"The replay shows at most {MAX_TEXT_CHARS:,} characters as tokens; shorten the text.", "text", 413
        )
    tok, trace = trained(request, text, req.vocab_size)
    if req.step > len(trace):
        raise DemoError(f"This training made only {len(trace)} merges; choose a step from 0 to {len(trace)}.", "step")
    merges = dict(list(tok.bpe.merges.items())[: req.step])
    partial = Tokenizer(BytePairEncoding(merges), tok.pretokenizer, name=f"after {req.step} merges")
    new_id = trace[req.step - 1].new_id if req.step else None
    tokens = []
    pairs: Counter = Counter()
    for chunk in partial.chunks(text):
        ids = partial.bpe.encode_bytes(chunk.encode("utf-8"))
        pairs.update(zip(ids, ids[1:]))
        for i in ids:
            piece, is_partial = shown(partial.token_bytes(i))
            tokens.append({"id": i, "text": piece, "partial": is_partial, "new": i == new_id})
    top = [
        {"left": _token_text(partial, a), "right": _token_text(partial, b), "pair": [a, b], "count": c}
        for (a, b), c in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_PAIRS]
    ]
    return {
        "step": req.step,
        "merges": len(trace),
        "tokens": tokens,
        "count": len(tokens),
        "new_token": shown(trace[req.step - 1].token)[0] if req.step else None,
        "new_count": sum(t["new"] for t in tokens),
        "top_pairs": top,
        "compression": len(text.encode("utf-8")) / max(len(tokens), 1),
    }


# -- Another way to tokenize: the Unigram language model (SentencePiece) -------------------------------

MAX_SENTENCE_CHARS = 400
MAX_WORD_CHARS = 23


class UnigramRequest(BaseModel):
    corpus: str = Field(min_length=1, max_length=MAX_TRAIN_CHARS, description="training text (the learner's)")
    vocab_size: int = Field(DEFAULT_VOCAB, ge=MIN_VOCAB, le=MAX_VOCAB)
    sentence: str = Field(min_length=1, max_length=MAX_SENTENCE_CHARS, description="text to cut both ways")
    word: str = Field(min_length=1, max_length=MAX_WORD_CHARS, description="one word whose every cut is listed")


def _unigram(request: Request, text: str, vocab_size: int):
    """The Unigram model of this text and size (this app keeps the last few: the demo asks again as you type)."""
    from glasslm.engine.tokenizers.unigram import train_unigram

    return app_cache(request, "tokens-unigram", 8).get((text, vocab_size), lambda: train_unigram(text, vocab_size))[0]


@router.post("/unigram")
def unigram(req: UnigramRequest, request: Request):
    """A Unigram tokenizer trained on the learner's corpus beside their BPE of the same size: both cuts of
    one sentence, and every way of cutting one word with its probability."""
    import math

    from glasslm.engine.tokenizers.unigram import UnigramError, all_segmentations, log_partition, viterbi

    corpus = check_text(req.corpus, "corpus")
    sentence = check_text(req.sentence, "sentence")
    word = req.word.strip()
    if not word or " " in word:
        raise DemoError("Type one word, without spaces.", "word")
    try:
        model = _unigram(request, corpus, req.vocab_size)
        pieces, best = viterbi(model, sentence)
        segs = all_segmentations(model, word)
        log_z = log_partition(model, word)
    except UnigramError as err:
        raise DemoError(str(err), "corpus") from None
    bpe, _ = trained(request, corpus, req.vocab_size)
    bpe_pieces = [shown(data)[0] for _, data in bpe.encode_pieces(sentence)]
    return {
        "vocab_size": model.vocab_size,
        "requested_vocab": req.vocab_size,
        "unigram": {
            "pieces": pieces,
            "log_prob": best,
            "library_agrees": pieces == model.encode(sentence),
            "byte_pieces": sum(p.startswith("<0x") for p in pieces),
        },
        "bpe": {"pieces": bpe_pieces, "vocab_size": len(bpe.bpe)},
        "word": word,
        "segmentations": [{"pieces": p, "log_prob": s, "probability": math.exp(s - log_z)} for p, s in segs],
        "ways": len(segs),
    }
