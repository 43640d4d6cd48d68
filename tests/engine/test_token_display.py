"""Tokens shown to learners: whole characters as text, split characters as
hex bytes, special tokens by name (checked on SmolLM2's real tokenizer)."""

from glasslm.engine.tokenizers.pretrained_tokenizers import smollm2_tokenizer
from glasslm.engine.tokenizers.token_display import token_piece, token_text


def test_whole_partial_and_special_tokens():
    tok = smollm2_tokenizer()
    word = tok.encode(" Paris")
    assert [token_text(tok, i) for i in word] == [" Paris"]
    ids = tok.encode("🙂")  # four UTF-8 bytes, split across byte-level tokens
    pieces = [token_piece(tok, i) for i in ids]
    joined = b"".join(tok.token_bytes(i) for i in ids)
    assert joined == "🙂".encode()
    if len(ids) > 1:
        assert all(p["partial"] and p["text"].startswith("⟨") for p in pieces)
        hex_bytes = " ".join(p["text"].strip("⟨⟩") for p in pieces).split()
        assert bytes(int(h, 16) for h in hex_bytes) == joined
    end = token_piece(tok, tok.special_tokens["<|im_end|>"])
    assert end == {"id": 2, "text": "<|im_end|>", "special": True, "partial": False}
