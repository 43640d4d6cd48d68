"""context_window: message spans rebuild chat_ids; both policies keep what they say;
attention arithmetic equals a naive loop; FLOP counts by hand; the haystack is
deterministic with the needle where asked; p(answer) equals SmolLM2.score's."""

import numpy as np
import pytest

from glasslm.engine.inference import context_window as cw

CHAT = [
    {"role": "user", "content": "My name is Ada."},
    {"role": "assistant", "content": "Nice to meet you, Ada."},
    {"role": "user", "content": "I live in Lisbon."},
    {"role": "assistant", "content": "Lisbon is lovely."},
    {"role": "user", "content": "What is my name?"},
]


def test_spans_rebuild_the_chat_ids(smollm2):
    ids, spans = cw.message_spans(smollm2, CHAT)
    assert ids == smollm2.chat_ids(CHAT)
    assert [s["role"] for s in spans] == ["system", "user", "assistant", "user", "assistant", "user", "next"]
    assert spans[0]["start"] == 0 and spans[-1]["end"] == len(ids)
    assert all(a["end"] == b["start"] for a, b in zip(spans, spans[1:]))
    assert smollm2.decode(ids[spans[1]["start"] : spans[1]["end"]]) == "<|im_start|>user\nMy name is Ada.<|im_end|>\n"


def test_token_policy_keeps_the_last_tokens(smollm2):
    ids = smollm2.chat_ids(CHAT)
    fit = cw.fit_conversation(smollm2, CHAT, 40, "tokens")
    assert fit["kept_ids"] == ids[-40:] and sum(fit["keep"]) == 40
    assert fit["spans"][0]["status"] == "dropped" and fit["spans"][-1]["status"] == "kept"
    assert sum(s["kept_tokens"] for s in fit["spans"]) == 40
    assert "cut" in [s["status"] for s in fit["spans"]]


def test_turn_policy_drops_oldest_turns_whole(smollm2):
    _, spans = cw.message_spans(smollm2, CHAT)
    sizes = [s["end"] - s["start"] for s in spans]
    window = sizes[0] + sizes[-1] + sum(sizes[-3:-1])  # system + last two messages + prompt
    fit = cw.fit_conversation(smollm2, CHAT, window, "turns")
    assert [s["status"] for s in fit["spans"]] == ["kept", "dropped", "dropped", "dropped", "kept", "kept", "kept"]
    system = {"role": "system", "content": spans[0]["content"]}
    assert fit["kept_ids"] == smollm2.chat_ids([system] + CHAT[-2:])
    assert cw.fit_conversation(smollm2, CHAT, 10_000, "turns")["kept_ids"] == smollm2.chat_ids(CHAT)
    with pytest.raises(ValueError, match="larger"):
        cw.fit_conversation(smollm2, CHAT, 5, "turns")


def naive_attention(q, k, v):
    Hkv, G, T, D = q.shape
    out = np.zeros_like(q, dtype=np.float64)
    for a in range(Hkv):
        for g in range(G):
            for t in range(T):
                s = np.array([q[a, g, t] @ k[a, j] / np.sqrt(D) for j in range(t + 1)])
                w = np.exp(s - s.max())
                w /= w.sum()
                out[a, g, t] = w @ v[a, : t + 1]
    return out


def test_attention_arithmetic_equals_a_naive_loop():
    rng = np.random.default_rng(1)
    q = rng.standard_normal((3, 3, 6, 8), dtype=np.float32)
    k = rng.standard_normal((3, 6, 8), dtype=np.float32)
    v = rng.standard_normal((3, 6, 8), dtype=np.float32)
    np.testing.assert_allclose(cw.attention_arithmetic(q, k, v), naive_attention(q, k, v), atol=1e-5)


def test_flops_by_hand(smollm2):
    assert cw.attention_flops(smollm2.config, 10) == 30 * 9 * 4 * 100 * 64
    assert cw.attention_flops(smollm2.config, 20) == 4 * cw.attention_flops(smollm2.config, 10)
    assert cw.weight_flops(smollm2.config, 1000, 10) == 2 * 10 * 1000 + 2 * 10 * 576 * 49152


def test_time_attention_points(smollm2):
    ids = smollm2.encode("One two three four five six seven eight nine ten.")
    pts = list(cw.time_attention(smollm2.model, ids, [4, 8]))
    assert [p["length"] for p in pts] == [4, 8]
    assert pts[1]["attention_flops"] == 4 * pts[0]["attention_flops"]
    assert all(p["forward_s"] > 0 and p["attention_s"] > 0 for p in pts)
    assert list(cw.time_attention(smollm2.model, ids, [4], should_stop=lambda: True)) == []


def test_haystack_is_deterministic_with_the_needle_in_place(smollm2):
    a, at = cw.haystack(smollm2.encode, 120, 0.5, seed=3)
    assert (a, at) == cw.haystack(smollm2.encode, 120, 0.5, seed=3)
    assert a != cw.haystack(smollm2.encode, 120, 0.5, seed=4)[0]
    ids = smollm2.encode(a)
    assert len(ids) >= 120
    assert smollm2.decode(ids[at:]).startswith(" " + cw.NEEDLE) and 30 < at < len(ids) - 30
    start, at0 = cw.haystack(smollm2.encode, 120, 0.0)
    assert start.startswith(cw.NEEDLE) and at0 == 0
    assert cw.haystack(smollm2.encode, 120, 1.0)[0].endswith(cw.NEEDLE)
    assert cw.NEEDLE not in cw.haystack(smollm2.encode, 120, 0.5, needle=None)[0]
    with pytest.raises(ValueError):
        cw.haystack(smollm2.encode, 10, 1.5)


def test_answer_probability_matches_score(smollm2):
    prompt, answer = smollm2.encode("The capital of France is"), smollm2.encode(" Paris")
    p, greedy = cw.answer_probability(smollm2, prompt, answer)
    s = smollm2.score(prompt + answer)
    assert p == pytest.approx(np.exp(s.logprobs[-len(answer) :].sum()), rel=1e-4)
    assert greedy == (s.ranks[-len(answer)] == 1)


def test_needle_prompts_are_the_tokens_of_their_text(smollm2):
    """Pieces joined with the needle give exactly what the tokenizer makes of the whole text."""
    plan = cw.needle_plan(smollm2, [200], [0.0, 0.5, 1.0], seed=2)[0]
    sentences = [smollm2.decode(p).strip() for p in plan["pieces"]]
    for k in plan["at"]:
        text = " ".join(sentences[:k] + [cw.NEEDLE] + sentences[k:])
        assert cw.needle_ids(smollm2, plan, k) == smollm2.encode(text) + smollm2.encode(cw.QUESTION)
    assert cw.needle_ids(smollm2, plan, None) == smollm2.encode(" ".join(sentences)) + smollm2.encode(cw.QUESTION)
    assert len(cw.needle_ids(smollm2, plan, plan["at"][1])) <= 200  # a length counts every token read


def test_needle_probe_equals_each_prompt_from_scratch(smollm2):
    """The shared, rewound KV cache changes nothing: each cell's p equals a fresh pass over its prompt."""
    events = list(cw.needle_probe(smollm2, [160], [0.0, 1.0], seed=1, chunk=64))
    plan = cw.needle_plan(smollm2, [160], [0.0, 1.0], seed=1)[0]
    cells = [e for e in events if e["type"] == "cell"]
    base = [e for e in events if e["type"] == "baseline"][0]
    progress = [e for e in events if e["type"] == "progress"]
    assert [e["type"] for e in events if e["type"] != "progress"] == ["cell", "cell", "baseline"]
    answer = smollm2.encode(cw.ANSWER)
    for c, k in zip(cells, plan["at"]):
        p, greedy = cw.answer_probability(smollm2, cw.needle_ids(smollm2, plan, k), answer)
        assert c["prob"] == pytest.approx(p, rel=1e-3) and c["greedy"] == greedy
    p, _ = cw.answer_probability(smollm2, cw.needle_ids(smollm2, plan, None), answer)
    assert base["prob"] == pytest.approx(p, rel=1e-3)
    assert all(c["prob"] > 10 * base["prob"] for c in cells)  # the needle is what makes the answer likely
    assert progress[-1]["tokens_done"] == progress[-1]["tokens_total"]
    assert [e["tokens_done"] for e in progress] == sorted(e["tokens_done"] for e in progress)
    # needle_work's schedule is the one the probe runs: its totals are what the progress reached
    tokens, flops = cw.needle_work(smollm2, [plan], chunk=64)
    assert progress[-1]["tokens_done"] == tokens and progress[-1]["flops_done"] == progress[-1]["flops_total"] == flops


def test_prefill_flops_match_the_square_formula(smollm2):
    """From an empty cache, a pass is weight_flops (no unembedding) plus attention_flops' whole T x T square."""
    cfg, params = smollm2.model.config, cw.non_embedding_params(smollm2.model)
    T = 300
    unembed = 2 * T * cfg.d_model * cfg.vocab_size
    assert cw.prefill_flops(cfg, params, 0, T) == cw.weight_flops(cfg, params, T) - unembed + cw.attention_flops(cfg, T)
    c, F = cfg.d_model, cfg.d_ff  # the blocks' matrices, counted from the configuration instead of the arrays
    per_layer = c * (cfg.n_heads + 2 * cfg.n_kv_heads) * cfg.head_dim + cfg.n_heads * cfg.head_dim * c + 3 * c * F
    assert params == cfg.n_layers * per_layer
    # the 8,000th token's chunk costs more than the first's: attention reads every earlier key
    assert cw.prefill_flops(cfg, params, 8000, 64) > 1.5 * cw.prefill_flops(cfg, params, 0, 64)


def test_recall_trials_need_the_fact_in_the_window(smollm2):
    """The first turn's code is copied back while it is in the window, and cannot be once dropped."""
    chat = CHAT[2:4]
    facts = cw.door_codes(2, seed=5)
    assert facts == cw.door_codes(2, seed=5) and len({c for _, c in facts}) == 2
    inside = list(cw.recall_trials(smollm2, chat, facts, 512, "turns"))
    assert all(t["fact"] == "kept" and t["recalled"] for t in inside), inside
    msgs = cw.with_fact(chat, *facts[0])
    small = len(smollm2.chat_ids(msgs)) - 20  # too small for the first turn
    outside = list(cw.recall_trials(smollm2, chat, facts, small, "turns"))
    assert all(t["fact"] == "dropped" and not t["recalled"] for t in outside), outside
    with pytest.raises(ValueError, match="between 1 and"):
        cw.door_codes(0)
