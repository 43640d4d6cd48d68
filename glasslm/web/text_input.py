"""A learner's text turned into SmolLM2 tokens, or a sentence saying why not.

Every chapter that runs SmolLM2 on typed text needs the same three checks:
something was typed, it makes enough tokens, and not more than the demo can
afford. The limits are the chapter's own named constants.
"""

from __future__ import annotations

from glasslm.web.errors import DemoError

_WORDS = {1: "one", 2: "two", 3: "three"}


def encode_text(
    m, text: str, limit: int, field: str = "text", at_least: int = 1, why: str = "", purpose: str = "the model reads"
) -> list[int]:
    """`m.encode(text)` (special-token look-alikes stay plain text), checked.

    at_least/why: the fewest tokens the demo needs, and the reason shown;
    limit/purpose: the most it takes, said as "so <purpose> at most <limit> tokens".
    """
    if not text.strip():
        raise DemoError("Type some text: a sentence works best.", field)
    ids = m.encode(text)
    if len(ids) < at_least:
        count = _WORDS.get(at_least, str(at_least))
        raise DemoError(f"Type at least {count} tokens{': ' + why if why else ''}.", field)
    if len(ids) > limit:
        raise DemoError(
            f"The text is {len(ids):,} tokens long; the limit here is {limit}, so {purpose} "
            f"at most {limit} tokens. Shorten it.",
            field,
            status=413,
        )
    return ids
