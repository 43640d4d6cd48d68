"""The BPE core and trainer: a hand-derived example, the naive trainer as the reference, round trips."""

import random
from collections import Counter

import pytest

from glasslm.engine.tokenizers.bpe import BytePairEncoding, train
from glasslm.engine.tokenizers.bpe_naive import train_naive
from glasslm.engine.tokenizers.bpe_regex import GPT4_SPLIT, SMOLLM_SPLIT, Tokenizer, train_tokenizer

# A throwaway corpus: a few paragraphs with repeated words, digits, punctuation.
CORPUS = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs on.\n"
    "In 2024 there were 365 days... no, 366! Numbers like 3.14159 and 1,000,000 split.\n"
    "  Indented lines, tabs\tand trailing spaces   \n"
    "def tokenize(text):\n    return [t for t in text.split() if t]\n"
    "Café, naïve, résumé — accents; 日本語 and emoji 🎉 too.\n"
) * 3


def test_hand_derived_example_from_the_docstring():
    bpe, trace = train([b"aaabdaaabac"], 259)
    assert bpe.merges == {(97, 97): 256, (97, 98): 257, (256, 257): 258}
    assert [s.count for s in trace] == [4, 2, 2]
    assert [s.token for s in trace] == [b"aa", b"ab", b"aaab"]
    assert [s.vocab_size for s in trace] == [257, 258, 259]
    assert [s.tokens for s in trace] == [9, 7, 5]
    assert trace[-1].compression == pytest.approx(11 / 5)
    assert bpe.encode_bytes(b"aaab") == [258]
    assert bpe.encode_bytes(b"aaabdaaabac") == [258, 100, 258, 97, 99]
    assert bpe.decode_bytes([258, 100]) == b"aaabd"


def test_fast_trainer_learns_exactly_the_naive_trainers_merges_on_random_corpora():
    rng = random.Random(0)
    for _ in range(150):
        chunks = [bytes(rng.choice(b"ab c") for _ in range(rng.randint(0, 25))) for _ in range(rng.randint(1, 15))]
        vocab_size = 256 + rng.randint(0, 40)
        bpe, trace = train(chunks, vocab_size)
        assert bpe.merges == train_naive(chunks, vocab_size), (chunks, vocab_size)
        if trace:  # the trace's token count is what encoding the training chunks gives
            assert trace[-1].tokens == sum(len(bpe.encode_bytes(c)) for c in chunks)


def test_fast_trainer_matches_naive_on_regex_chunks_of_real_text():
    tok = Tokenizer(BytePairEncoding({}), GPT4_SPLIT)
    chunks = [c.encode() for c in tok.chunks(CORPUS)]
    bpe, trace = train(Counter(chunks), 500)
    assert bpe.merges == train_naive(chunks, 500)
    assert len(trace) == len(bpe.merges) and trace[-1].vocab_size == 256 + len(trace)
    # Compression only grows, and each new token is the concatenation of its pair.
    assert all(a.compression < b.compression for a, b in zip(trace, trace[1:]))
    for step in trace:
        assert step.token == bpe.vocab[step.pair[0]] + bpe.vocab[step.pair[1]]


def test_trained_tokenizer_encodes_the_training_text_as_the_trace_says():
    tok, trace = train_tokenizer(CORPUS, 400)
    ids = tok.encode(CORPUS)
    assert len(ids) == trace[-1].tokens
    assert tok.decode(ids) == CORPUS
    assert len(CORPUS.encode()) / len(ids) == pytest.approx(trace[-1].compression)
    # "the" is frequent enough to become one token with its leading space.
    assert tok.encode(" the") == [tok.bpe.encode_bytes(b" the")[0]] and len(tok.encode(" the")) == 1


def test_training_stops_when_nothing_repeats():
    bpe, trace = train([b"abcdef"], 1000)
    assert trace == [] and bpe.merges == {}


@pytest.mark.parametrize("bad", [0, 100, 255])
def test_vocab_below_256_is_refused(bad):
    with pytest.raises(ValueError, match="at least 256"):
        train([b"abc"], bad)
    with pytest.raises(ValueError, match="at least 256"):
        train_naive([b"abc"], bad)


def test_empty_training_text_is_refused():
    with pytest.raises(ValueError, match="empty"):
        train_tokenizer("", 300)


def _random_text(rng: random.Random, n: int) -> str:
    # Any code point except surrogates, biased towards ASCII and a few scripts.
    pools = [
        (0x20, 0x7E),
        (0x00, 0x1F),
        (0xA0, 0x24F),
        (0x3040, 0x30FF),
        (0x4E00, 0x9FFF),
        (0x1F300, 0x1FAFF),
        (0xE000, 0x10FFFF),
    ]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(pools)
        c = rng.randint(lo, hi)
        out.append(chr(c) if not 0xD800 <= c <= 0xDFFF else "x")
    return "".join(out)


@pytest.mark.parametrize("pre", [GPT4_SPLIT, SMOLLM_SPLIT])
def test_round_trip_on_arbitrary_unicode(pre):
    rng = random.Random(1)
    tok, _ = train_tokenizer(CORPUS + _random_text(rng, 2000), 600, pre)
    for _ in range(50):
        text = _random_text(rng, rng.randint(0, 60))
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        assert b"".join(b for _, b in tok.encode_pieces(text)) == text.encode()


def test_decode_replaces_invalid_utf8_and_lone_surrogates_encode_as_replacement():
    tok, _ = train_tokenizer(CORPUS, 300)
    ids = tok.encode("🎉")  # four bytes; decoding only the first is not valid UTF-8
    assert tok.decode(ids[:1]) == "\ufffd"
    assert tok.decode_bytes(ids[:1]) == "🎉".encode()[: len(tok.token_bytes(ids[0]))]
    assert tok.decode(tok.encode("a\ud800b")) == "a\ufffdb"


def test_unknown_token_ids_are_a_clear_error():
    tok, _ = train_tokenizer(CORPUS, 300)
    with pytest.raises(ValueError, match="not in this vocabulary"):
        tok.decode([10**6])


def test_special_tokens_are_plain_text_unless_allowed():
    tok, _ = train_tokenizer(CORPUS, 300)
    special = Tokenizer(tok.bpe, GPT4_SPLIT, {"<|end|>": 1000}, "with-special")
    plain = special.encode("hi<|end|>")
    assert 1000 not in plain and special.decode(plain) == "hi<|end|>"
    assert special.encode("hi<|end|>", allowed_special="all")[-1] == 1000
    assert special.encode("hi<|end|>", allowed_special={"<|end|>"})[-1] == 1000
    assert special.decode(special.encode("hi<|end|>x", allowed_special="all")) == "hi<|end|>x"
    with pytest.raises(ValueError, match="not special tokens"):
        special.encode("hi", allowed_special={"<|nope|>"})
    with pytest.raises(ValueError, match="reuse ids"):
        Tokenizer(tok.bpe, GPT4_SPLIT, {"<|x|>": 65})


def test_smollm_pre_tokenizer_isolates_digits_then_uses_gpt2_pattern():
    tok = Tokenizer(BytePairEncoding({}), SMOLLM_SPLIT)
    assert tok.chunks("In 2024,  we  ") == ["In", " ", "2", "0", "2", "4", ",", " ", " we", "  "]
    gpt4 = Tokenizer(BytePairEncoding({}), GPT4_SPLIT)
    assert gpt4.chunks("In 2024, we") == ["In", " ", "202", "4", ",", " we"]


def test_whole_token_shortcut_is_used_only_for_tokens_that_encode_to_themselves():
    # Hand-built: (b,c) is merged before (a,b), so "abc" never reaches token 258 = (257, c).
    bpe = BytePairEncoding({(98, 99): 256, (97, 98): 257, (257, 99): 258})
    assert bpe.encode_bytes(b"abc") == [97, 256]
    whole = bpe.self_encoding()
    assert b"abc" not in whole and whole[b"bc"] == 256 and whole[b"ab"] == 257
    fast = BytePairEncoding(bpe.merges, whole=whole)
    assert fast.encode_bytes(b"abc") == [97, 256] and fast.encode_bytes(b"ab") == [257]
