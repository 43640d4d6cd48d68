"""serving_trace: the traced reply is exactly SmolLM2.generate's reply, its phases add
up, and a stop request ends it (structure only: no wall-clock asserts)."""

import pytest

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.inference.serving_trace import traced_reply

CHAT = [{"role": "user", "content": "Name a colour."}]


def test_same_tokens_as_generate(smollm2):
    events = list(traced_reply(smollm2, CHAT, max_tokens=6, temperature=0.8, seed=5))
    expected = [
        e.token_id
        for e in smollm2.generate(
            smollm2.chat_ids(CHAT), max_tokens=6, settings=SamplingConfig(temperature=0.8), seed=5
        )
    ]
    tokens = [e for e in events if e["type"] == "token"]
    assert [t["id"] for t in tokens] == expected
    assert [e["type"] for e in events[:2]] == ["tokenized", "prefill"] and events[-1]["type"] == "done"
    s = events[-1]["summary"]
    assert events[0]["ids"] == smollm2.chat_ids(CHAT) and s["prompt_tokens"] == len(events[0]["ids"])
    assert s["reply_ids"] == expected and s["reply_text"] == smollm2.decode(expected)
    assert "".join(t["text"] for t in tokens) == s["reply_text"]
    assert tokens[0]["decode_s"] is None and all(t["decode_s"] > 0 for t in tokens[1:])
    extra = 1 if events[-1]["reason"] == "stop-token" else 0  # the pass whose logits chose the stop token
    assert s["decode_passes"] == len(tokens) - 1 + extra
    shown = sum(t["decode_s"] or 0 for t in tokens)
    assert s["decode_s"] == pytest.approx(shown) if not extra else s["decode_s"] > shown
    assert s["time_to_first_token_s"] == tokens[0]["elapsed_s"]
    assert s["tokenize_s"] + s["prefill_s"] <= s["time_to_first_token_s"] <= s["total_s"]
    assert s["cache_bytes"] == 2 * 30 * 3 * 64 * (s["prompt_tokens"] + s["decode_passes"]) * 4


def test_greedy_reply_is_the_argmax_at_every_step(smollm2):
    chat = [{"role": "user", "content": "Say just: OK"}]
    done = list(traced_reply(smollm2, chat, max_tokens=8, temperature=0))[-1]
    reply = done["summary"]["reply_ids"]
    assert done["reason"] in ("stop-token", "max-tokens") and (done["reason"] == "max-tokens") == (len(reply) == 8)
    # One pass over prompt + reply (no cache, no decode loop): each reply token is the argmax
    # of the position before it, and after a stop-token ending the next argmax is a stop token.
    prompt = smollm2.chat_ids(chat)
    logits = smollm2.logits(prompt + reply)  # (T, V)
    picks = logits[len(prompt) - 1 :].argmax(axis=-1)
    assert list(picks[: len(reply)]) == reply
    if done["reason"] == "stop-token":
        assert int(picks[len(reply)]) in smollm2.stop_ids


def test_should_stop_ends_the_reply(smollm2):
    seen = []
    events = list(
        traced_reply(
            smollm2, CHAT, max_tokens=20, temperature=0.8, seed=1, should_stop=lambda: len(seen) >= 2 or seen.append(1)
        )
    )
    assert events[-1]["reason"] == "stopped"
    assert events[-1]["summary"]["reply_tokens"] == 2


def test_limits_are_sentences(smollm2):
    with pytest.raises(ValueError, match="limit here is 5"):
        list(traced_reply(smollm2, CHAT, max_tokens=4, max_prompt_tokens=5))
    with pytest.raises(ValueError, match="max_tokens"):
        list(traced_reply(smollm2, CHAT, max_tokens=0))
    with pytest.raises(ValueError):
        list(traced_reply(smollm2, [{"role": "robot", "content": "x"}], max_tokens=2))
