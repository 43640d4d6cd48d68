"""A token as a learner should see it.

A token is a run of bytes, and not every run is text: byte-level BPE can cut
a character in two (an emoji's four bytes may be two tokens). Decoding such a
token alone gives the replacement character, which hides what the token
really is. Here a token that is not valid UTF-8 on its own shows its bytes in
hex, ⟨e2 80⟩, and a special token (<|im_end|>) shows its name.
"""

from __future__ import annotations


def token_piece(tokenizer, token_id: int) -> dict:
    """{"id", "text", "special", "partial"} for one token of `tokenizer`."""
    token_id = int(token_id)
    special = token_id in tokenizer.special_tokens.values()
    data = tokenizer.token_bytes(token_id)
    try:
        return {"id": token_id, "text": data.decode("utf-8"), "special": special, "partial": False}
    except UnicodeDecodeError:
        return {
            "id": token_id,
            "text": "⟨" + " ".join(f"{b:02x}" for b in data) + "⟩",
            "special": special,
            "partial": True,
        }


def token_text(tokenizer, token_id: int) -> str:
    """Just the text of `token_piece`."""
    return token_piece(tokenizer, token_id)["text"]
