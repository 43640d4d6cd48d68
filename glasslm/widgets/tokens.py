"""TokenStrip: a text cut into tokens by any tokenizer, each token's id on hover.

`tokenizer` is "smollm2" (SmolLM2's 49,152-token vocabulary), "cl100k" (GPT-4's),
or any glasslm tokenizer object (a `bpe_regex.Tokenizer` you trained, a tiny
GPT's character tokenizer). Pieces are shown as the tokens chapter shows them
(`token_piece`: a token that is half a character shows its bytes).
"""

from __future__ import annotations

import traitlets as t

from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.widgets.base import GlassWidget

MAX_CHARS = 20_000  # a strip longer than this is not read by anyone, and redraws slowly
NAMED = ("smollm2", "cl100k")


def named_tokenizer(name: str):
    from glasslm.engine.tokenizers import pretrained_tokenizers as pt

    if name == "smollm2":
        return pt.smollm2_tokenizer()
    if name == "cl100k":
        return pt.cl100k_tokenizer()
    raise ValueError(f"tokenizer must be one of {', '.join(NAMED)} or a tokenizer object (got {name!r})")


def pieces(tokenizer, text: str) -> list[dict]:
    """[{id, text}] for each token of text; tokenizers without byte access show their own token text."""
    if len(text) > MAX_CHARS:
        raise ValueError(f"That text is {len(text):,} characters; the strip takes at most {MAX_CHARS:,}.")
    ids = tokenizer.encode(text)
    if hasattr(tokenizer, "token_bytes") and hasattr(tokenizer, "special_tokens"):
        return [token_piece(tokenizer, i) for i in ids]
    return [{"id": int(i), "text": tokenizer.token_text(i)} for i in ids]


class TokenStrip(GlassWidget):
    """TokenStrip(text, tokenizer="smollm2")."""

    entry = "tokens.js"
    text = t.Unicode("").tag(sync=True)
    tokenizer_name = t.Unicode("").tag(sync=True)
    tokens = t.List().tag(sync=True)  # [{id, text, ...}]

    def __init__(self, text: str, tokenizer="smollm2", **kwargs):
        self._tok = named_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
        name = tokenizer if isinstance(tokenizer, str) else getattr(self._tok, "name", type(self._tok).__name__)
        super().__init__(text=text, tokenizer_name=str(name), tokens=pieces(self._tok, text), **kwargs)

    @t.observe("text")
    def _changed(self, change):
        try:
            tokens = pieces(self._tok, change.new)
        except ValueError as err:
            self.error = str(err)
            return
        with self.hold_sync():
            self.error = ""
            self.tokens = tokens

    def data(self) -> dict:
        """{"ids", "pieces" (the tokens' texts)}."""
        return {"ids": [p["id"] for p in self.tokens], "pieces": [p["text"] for p in self.tokens]}
