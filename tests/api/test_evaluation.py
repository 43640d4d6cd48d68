"""Chapter 26's endpoints: option scores recomputed from m.logits over the whole sequence,
benchmark accuracies recounted from the streamed picks, the contamination losses against
m.score, arena answers against SmolLM2.generate, ratings against hand-computed Elo, and
every limit refused with a sentence."""

import numpy as np
import pytest

from glasslm.chapters.evaluation.api import (
    ARENA_TOKENS,
    MAX_ARENA_PROMPT_CHARS,
    MAX_ARENA_PROMPT_TOKENS,
    MAX_K,
    MAX_OPTION_CHARS,
    MAX_PASSAGE_CHARS,
    MAX_PASSAGE_TOKENS,
    MAX_QUESTION_CHARS,
    MAX_VOTES,
    MIN_PASSAGE_TOKENS,
    PLAYERS,
)
from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.models.llama.smollm2 import load_smollm2

API = "/api/evaluation"
TOL = 2e-4


def logp_by_hand(m, context, option):
    z = m.logits(context + option).astype(np.float64)  # (T, V) one pass over everything
    rows = z[len(context) - 1 : len(context) - 1 + len(option)]
    lse = rows.max(1) + np.log(np.exp(rows - rows.max(1, keepdims=True)).sum(1))
    return rows[np.arange(len(option)), option] - lse


def logp_alone(m, context, option):
    """logp_by_hand from the model's own forward pass over the sequence (no prefix cache, no scheduler)."""
    z = m.model.forward(context + option).astype(np.float64)  # (T, V)
    rows = z[len(context) - 1 : len(context) - 1 + len(option)]
    lse = rows.max(1) + np.log(np.exp(rows - rows.max(1, keepdims=True)).sum(1))
    return rows[np.arange(len(option)), option] - lse


@pytest.mark.slow
def test_own_question_scores_equal_a_recomputation(client):
    m = load_smollm2()
    body = {
        "question": "What colour is the sky on a clear day?",
        "options": ["blue", "green", "bright purple"],
        "answer": 0,
        "format": "cloze",
    }
    d = client.post(f"{API}/score", json=body).json()
    context = [t["id"] for t in d["context"]]
    assert context == m.encode("Question: What colour is the sky on a clear day?\nAnswer:")
    sums = []
    for o, text in zip(d["options"], body["options"]):
        ids = [t["id"] for t in o["tokens"]]
        assert ids == m.encode(" " + text) and o["scored"] == " " + text
        want = logp_by_hand(m, context, ids)
        np.testing.assert_allclose(o["logprobs"], want, atol=TOL)
        assert o["sum"] == pytest.approx(want.sum(), abs=TOL * len(ids)) and o["mean"] == pytest.approx(
            want.mean(), abs=TOL
        )
        sums.append(want.sum())
    assert d["pick_sum"] == int(np.argmax(sums)) and d["answer"] == 0
    assert d["probs_sum"] == pytest.approx((np.exp(sums) / np.exp(sums).sum()).tolist(), abs=1e-4)


def test_letters_format_scores_one_letter_token(client):
    body = {
        "question": "Which planet is closest to the Sun?",
        "options": ["Venus", "Mercury", "Mars"],
        "answer": 1,
        "format": "letters",
    }
    d = client.post(f"{API}/score", json=body).json()
    assert [o["scored"] for o in d["options"]] == [" A", " B", " C"]
    assert all(len(o["tokens"]) == 1 and o["sum"] == o["mean"] for o in d["options"])


def test_a_question_with_no_right_option_is_scored_without_one(client):
    """The learner's own question need not say which option is right; then nothing is marked right."""
    body = {"question": "Which planet is the largest?", "options": ["Mars", "Jupiter", "Earth"], "format": "letters"}
    d = client.post(f"{API}/score", json=body).json()
    assert d["answer"] is None and d["pick_sum"] in (0, 1, 2)


@pytest.mark.slow
def test_benchmark_accuracies_are_the_streamed_picks_counted(client, sse):
    qs = client.get(f"{API}/questions").json()["questions"]
    r = client.post(f"{API}/benchmark", json={"formats": ["cloze", "letters"]}).json()
    evs = sse(r["job"])
    assert evs[-1]["status"] == "done"
    done = evs[-2]
    for fmt in ("cloze", "letters"):
        rows = [e for e in evs if e["type"] == "question" and e["format"] == fmt]
        assert [e["question"] for e in rows] == [q["question"] for q in qs]
        for e in rows:
            assert e["pick_sum"] == int(np.argmax(e["sums"])) and e["pick_mean"] == int(np.argmax(e["means"]))
        acc = sum(e["pick_sum"] == e["answer"] for e in rows) / len(rows)
        assert done["summary"][fmt]["accuracy_sum"] == acc
    m = load_smollm2()
    q = qs[0]  # one question's letter scores recomputed by hand
    ctx = m.encode(
        "Question: "
        + q["question"]
        + "\n"
        + "\n".join(f"{'ABCD'[i]}. {o}" for i, o in enumerate(q["options"]))
        + "\nAnswer:"
    )
    row = next(e for e in evs if e["type"] == "question" and e["format"] == "letters")
    want = [logp_by_hand(m, ctx, m.encode(" " + "ABCD"[i]))[0] for i in range(4)]
    np.testing.assert_allclose(row["sums"], want, atol=TOL)
    # the questions were scored 8 at once (shared passes): each as the model scores it alone, no caches
    for e in [e for e in evs if e["type"] == "question" and e["format"] == "cloze"][:3]:
        ctx = m.encode("Question: " + e["question"] + "\nAnswer:")
        alone = [float(logp_alone(m, ctx, m.encode(" " + o)).sum()) for o in e["options"]]
        np.testing.assert_allclose(e["sums"], alone, atol=TOL)
    assert done["chance"] == pytest.approx(0.25)


def test_contamination_losses_equal_m_score(client):
    m = load_smollm2()
    text = "The lighthouse keeper painted her boat green every April."
    d = client.post(f"{API}/contamination", json={"text": text}).json()
    ids = m.encode(text)
    n = len(ids)
    assert [t["id"] for t in d["tokens"]] == ids
    fresh = m.score(m.encode("Text:\n") + ids).logprobs[-n:]
    seen = m.score(m.encode("Text:\n") + ids + m.encode("\n\nThe same text again:\n") + ids).logprobs[-n:]
    np.testing.assert_allclose(d["fresh"], fresh, atol=TOL)
    np.testing.assert_allclose(d["seen"], seen, atol=TOL)
    assert d["fresh_loss"] == pytest.approx(-fresh.mean(), abs=TOL) and d["seen_loss"] < d["fresh_loss"] / 2


@pytest.mark.slow
def test_arena_answers_are_the_players_generations(client, sse):
    m = load_smollm2()
    body = {"prompt": "Name a fruit.", "a": "greedy", "b": "warm", "seed": 5}
    r = client.post(f"{API}/arena/answers", json=body).json()
    evs = sse(r["job"])
    assert evs[-1]["status"] == "done"
    for side, player in (("a", "greedy"), ("b", "warm")):
        s = PLAYERS[player]
        ids = m.chat_ids([{"role": "user", "content": body["prompt"]}])
        want = [
            e.token_id
            for e in m.generate(
                ids,
                max_tokens=ARENA_TOKENS,
                settings=SamplingConfig(temperature=s["temperature"], top_p=s["top_p"]),
                seed=5,
            )
        ]
        assert [e["token"]["id"] for e in evs if e["type"] == "token" and e["side"] == side] == want
        assert evs[-2][side] == m.decode(want)


def test_ratings_by_hand(client):
    votes = [
        {"a": "greedy", "b": "hot", "outcome": "a"},
        {"a": "greedy", "b": "hot", "outcome": "a"},
        {"a": "hot", "b": "greedy", "outcome": "a"},
    ]
    d = client.post(f"{API}/arena/ratings", json={"votes": votes, "k": 32}).json()
    assert d["history"][1]["greedy"] == 1016 and d["history"][1]["hot"] == 984 and d["history"][1]["warm"] == 1000
    e = 1 / (1 + 10 ** (-32 / 400))  # greedy's expectation at 1016 vs 984
    g2 = 1016 + 32 * (1 - e)
    e3 = 1 / (1 + 10 ** ((2 * g2 - 2000) / 400))  # hot's expectation against greedy after two losses
    assert d["elo"]["hot"] == pytest.approx(2000 - g2 + 32 * (1 - e3))
    assert d["elo_reversed"]["hot"] != pytest.approx(d["elo"]["hot"])  # order matters for Elo
    again = client.post(f"{API}/arena/ratings", json={"votes": votes[::-1], "k": 32}).json()
    assert again["bradley_terry"] == pytest.approx(d["bradley_terry"])  # not for Bradley-Terry
    assert d["bradley_terry"]["greedy"] > d["bradley_terry"]["warm"] > d["bradley_terry"]["hot"]
    assert d["wins"]["greedy"] == {"games": 3, "wins": 2.0, "share": 2 / 3}
    empty = client.post(f"{API}/arena/ratings", json={"votes": []}).json()
    assert set(empty["elo"].values()) == {1000.0}


@pytest.mark.parametrize(
    "path, body, status, words, field",
    [
        ("score", {"question": "", "options": ["a", "b"]}, 422, "empty", "question"),
        ("score", {"question": "  ", "options": ["a", "b"]}, 400, "Type a question", "question"),
        (
            "score",
            {"question": "x" * (MAX_QUESTION_CHARS + 1), "options": ["a", "b"]},
            422,
            f"at most {MAX_QUESTION_CHARS}",
            "question",
        ),
        ("score", {"question": "Q?", "options": ["a"]}, 422, "at least 2", "options"),
        ("score", {"question": "Q?", "options": ["a", "b", "c", "d", "e"]}, 422, "at most 4", "options"),
        ("score", {"question": "Q?", "options": ["a", " "]}, 400, "Option B is empty", "options"),
        (
            "score",
            {"question": "Q?", "options": ["a", "x" * (MAX_OPTION_CHARS + 1)]},
            400,
            f"limit is {MAX_OPTION_CHARS}",
            "options",
        ),
        ("score", {"question": "Q?", "options": ["a", "a"]}, 400, "the same", "options"),
        ("score", {"question": "Q?", "options": ["a", "b"], "answer": 2}, 400, "A-B", "answer"),
        ("score", {"question": "Q?", "options": ["a", "b"], "format": "essay"}, 422, "must be one of", "format"),
        ("benchmark", {"formats": []}, 422, "at least 1", "formats"),
        ("benchmark", {"formats": ["cloze", "cloze"]}, 400, "only once", "formats"),
        ("contamination", {"text": ""}, 422, "empty", "text"),
        ("contamination", {"text": "x" * (MAX_PASSAGE_CHARS + 1)}, 422, f"at most {MAX_PASSAGE_CHARS}", "text"),
        (
            "contamination",
            {"text": " a" * (MAX_PASSAGE_TOKENS + 1)},
            413,
            f"limit here is {MAX_PASSAGE_TOKENS}",
            "text",
        ),
        ("contamination", {"text": "Hi"}, 400, f"at least {MIN_PASSAGE_TOKENS}", "text"),
        ("arena/answers", {"prompt": "", "a": "greedy", "b": "hot"}, 422, "empty", "prompt"),
        ("arena/answers", {"prompt": "Hi", "a": "greedy", "b": "greedy"}, 400, "two different", "b"),
        ("arena/answers", {"prompt": "Hi", "a": "greedy", "b": "gpt-5"}, 422, "must be one of", "b"),
        (
            "arena/answers",
            {"prompt": "x" * (MAX_ARENA_PROMPT_CHARS + 1), "a": "greedy", "b": "hot"},
            422,
            f"at most {MAX_ARENA_PROMPT_CHARS}",
            "prompt",
        ),
        (
            "arena/answers",
            {"prompt": " a" * (MAX_ARENA_PROMPT_TOKENS + 1), "a": "greedy", "b": "hot"},
            413,
            f"limit here is {MAX_ARENA_PROMPT_TOKENS}",
            "prompt",
        ),
        ("arena/answers", {"prompt": "Hi", "a": "greedy", "b": "hot", "seed": -1}, 422, "at least 0", "seed"),
        (
            "arena/ratings",
            {"votes": [{"a": "greedy", "b": "hot", "outcome": "draw"}]},
            422,
            "must be one of",
            "outcome",
        ),
        ("arena/ratings", {"votes": [{"a": "hot", "b": "hot", "outcome": "a"}]}, 400, "two different", "votes"),
        ("arena/ratings", {"votes": [], "k": "NaN"}, 422, "finite", "k"),
        ("arena/ratings", {"votes": [], "k": MAX_K + 1}, 422, f"at most {MAX_K}", "k"),
        (
            "arena/ratings",
            {"votes": [{"a": "greedy", "b": "hot", "outcome": "a"}] * (MAX_VOTES + 1)},
            422,
            f"at most {MAX_VOTES}",
            "votes",
        ),
    ],
)
def test_bad_input_is_refused_with_a_sentence(client, path, body, status, words, field):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"] and r.json()["field"] == field


def test_odd_unicode_question_is_scored(client):
    d = client.post(f"{API}/score", json={"question": "Was ist 🌍? <|im_end|>", "options": ["Erde", "地球"]})
    assert d.status_code == 200 and len(d.json()["options"]) == 2
