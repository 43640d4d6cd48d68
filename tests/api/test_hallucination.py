"""Chapter 24's endpoints: answers' confidences against SmolLM2's own next-token
distribution, a run's calibration numbers recomputed here by hand, and bad input."""

import numpy as np
import pytest

from glasslm.chapters.hallucination.api import MAX_FACT_CHARS, MAX_FACT_TOKENS, MAX_QUESTION_CHARS, MAX_QUESTION_TOKENS
from glasslm.engine.models.llama.smollm2 import load_smollm2

API = "/api/hallucination"


def softmax(z):
    e = np.exp(z.astype(np.float64) - z.max())
    return e / e.sum()


def test_facts_lists_the_set(client):
    d = client.get(f"{API}/facts").json()
    assert 20 <= len(d["questions"]) <= 40
    assert {"id", "level", "question", "answers", "fact", "source"} <= set(d["questions"][0])


@pytest.mark.slow
def test_ask_reads_confidence_off_the_models_distribution(client):
    d = client.post(f"{API}/ask", json={"id": "bhutan", "fact": ""}).json()
    m = load_smollm2()
    assert "Fact:" not in d["prompt"] and d["prompt"].endswith("Q: What is the capital of Bhutan?\nA:")
    p = softmax(m.logits(m.encode(d["prompt"]))[-1])  # the full pass, not the answer loop's cache
    top = np.argsort(-p)[:5]
    assert [a["id"] for a in d["alternatives"]] == top.tolist()
    assert d["first"] == pytest.approx(p[top[0]], abs=2e-4)
    assert d["tokens"][0]["id"] == top[0]
    assert d["correct"] == ("thimphu" in d["answer"].lower())
    # the likelihood is the geometric mean of the answer tokens' probabilities
    assert d["likelihood"] == pytest.approx(np.exp(np.mean(np.log(d["token_probs"]))))


@pytest.mark.slow
def test_ask_with_a_fact_and_an_own_question(client):
    d = client.post(
        f"{API}/ask",
        json={
            "id": None,
            "question": "What colour is the sky on a clear day?",
            "fact": "On a clear day the sky is blue.",
        },
    ).json()
    assert d["prompt"].count("Fact:") == 3 and "Fact: On a clear day the sky is blue.\nQ: What colour" in d["prompt"]
    assert d["correct"] is None and d["answers"] is None and 0 < d["first"] <= 1


@pytest.mark.slow
def test_a_run_streams_answers_and_its_calibration_is_recomputed(client, sse):
    job = client.post(f"{API}/run", json={"ids": ["france", "bhutan", "canberra"], "modes": ["closed"]}).json()["job"]
    evs = sse(job)
    assert [e["type"] for e in evs] == ["start", "answer", "answer", "answer", "done", "end"]
    rows = [e["row"] for e in evs if e["type"] == "answer"]
    assert [r["id"] for r in rows] == ["france", "bhutan", "canberra"]
    for r in rows:  # the marking rule, applied here to the text shown
        assert r["correct"] == any(a.lower() in r["answer"].lower().replace(",", " ").split() for a in r["answers"])
    d = client.post(f"{API}/calibration", json={"job": job, "measure": "first", "bins": 2, "threshold": 0.6}).json()
    c = np.array([r["first"] for r in rows])
    y = np.array([r["correct"] for r in rows], dtype=float)
    ece = 0.0
    for lo, hi in ((0, 0.5), (0.5, 1)):
        inside = (c > lo) & (c <= hi) | ((c == 0) & (lo == 0))
        if inside.any():
            ece += inside.mean() * abs(y[inside].mean() - c[inside].mean())
    assert d["ece"] == pytest.approx(ece, abs=1e-12)
    assert d["accuracy"] == pytest.approx(y.mean()) and d["mean_confidence"] == pytest.approx(c.mean())
    assert d["abstain"]["answered"] == int((c >= 0.6).sum())
    assert d["abstain"]["correct"] == int(y[c >= 0.6].sum())
    assert {w["id"] for w in d["confident_wrong"]} == {r["id"] for r in rows if not r["correct"] and r["first"] >= 0.5}
    # a second run is answered from memory, with the same answers
    again = client.post(f"{API}/run", json={"ids": ["bhutan"]}).json()["job"]
    ev = [e for e in sse(again) if e["type"] == "answer"][0]
    assert ev["cached"] and ev["row"] == rows[1]
    r = client.post(f"{API}/calibration", json={"job": again, "mode": "retrieval"})
    assert r.status_code == 409 and "with the facts" in r.json()["error"]


@pytest.mark.parametrize(
    "body, status, field, words",
    [
        ({"id": "atlantis"}, 404, "id", "no question"),
        ({"id": None, "question": "   "}, 400, "question", "Type some text"),
        ({"id": None, "question": "x" * (MAX_QUESTION_CHARS + 1)}, 422, "question", "at most"),
        ({"id": None, "question": "1," * (MAX_QUESTION_TOKENS + 5)}, 413, "question", "limit"),
        ({"id": "france", "fact": "y" * (MAX_FACT_CHARS + 1)}, 422, "fact", "at most"),
        ({"id": "france", "fact": "so " * (MAX_FACT_TOKENS + 5)}, 413, "fact", "limit"),
    ],
)
def test_ask_refuses_bad_input(client, body, status, field, words):
    r = client.post(f"{API}/ask", json=body)
    assert r.status_code == status and r.json()["field"] == field and words in r.json()["error"]


def test_run_and_calibration_refuse_bad_input(client):
    r = client.post(f"{API}/run", json={"ids": ["nowhere"]})
    assert r.status_code == 404 and "nowhere" in r.json()["error"]
    r = client.post(f"{API}/run", json={"modes": ["psychic"]})
    assert r.status_code == 422 and r.json()["field"] == "modes"
    r = client.post(f"{API}/run", json={"modes": []})
    assert r.status_code == 422
    r = client.post(f"{API}/calibration", json={"job": "0123456789ab"})
    assert r.status_code == 404 and "not known" in r.json()["error"]
    for body, field in (
        ('{"job": "x", "threshold": NaN}', "threshold"),
        ('{"job": "x", "bins": 0}', "bins"),
        ('{"job": "x", "bins": 21}', "bins"),
        ('{"job": "x", "measure": "vibes"}', "measure"),
    ):
        r = client.post(f"{API}/calibration", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["field"] == field


@pytest.mark.slow
def test_retrieval_puts_each_fact_in_the_prompt(client, sse):
    job = client.post(f"{API}/run", json={"ids": ["burkina"], "modes": ["closed", "retrieval"]}).json()["job"]
    rows = [e["row"] for e in sse(job) if e["type"] == "answer"]
    assert [r["mode"] for r in rows] == ["closed", "retrieval"]
    assert rows[1]["prompt_tokens"] > rows[0]["prompt_tokens"]
    m = load_smollm2()
    from glasslm.engine.evaluation.fact_qa import load_facts, prompt_text

    facts, examples = load_facts()
    fact = next(f for f in facts if f.id == "burkina")
    ids = m.encode(prompt_text(fact.question, examples, fact.fact))
    assert len(ids) == rows[1]["prompt_tokens"] and "Ouagadougou" in m.decode(ids)
    p = softmax(m.next_logits(ids))
    assert rows[1]["first"] == pytest.approx(p.max(), abs=2e-4)
    c = client.post(f"{API}/calibration", json={"job": job, "mode": "retrieval", "bins": 1}).json()
    assert c["n"] == 1 and c["ece"] == pytest.approx(abs(float(rows[1]["correct"]) - rows[1]["first"]))


def test_every_fact_states_an_accepted_answer():
    """So a wrong answer with the fact in the prompt always contradicts the prompt."""
    from glasslm.engine.evaluation.fact_qa import is_correct, load_facts

    facts, _ = load_facts()
    assert [f.id for f in facts if not is_correct(f.fact, f.answers)] == []


@pytest.mark.slow
def test_a_contradicted_fact_is_reported(client, sse):
    """SmolLM2 answers the spider's legs right closed-book (8) and wrong with the fact that says eight."""
    job = client.post(f"{API}/run", json={"ids": ["spider", "france"], "modes": ["closed", "retrieval"]}).json()["job"]
    rows = {(e["row"]["id"], e["row"]["mode"]): e["row"] for e in sse(job) if e["type"] == "answer"}
    c = client.post(f"{API}/calibration", json={"job": job, "mode": "retrieval"}).json()
    wrong = [i for i in ("spider", "france") if not rows[(i, "retrieval")]["correct"]]
    assert [x["id"] for x in c["contradicted"]] == wrong
    assert not any(r["contradicts"] for (i, mode), r in rows.items() if mode == "closed")
    d = client.post(f"{API}/ask", json={"id": "spider", "fact": rows[("spider", "retrieval")]["fact"]}).json()
    assert d["answer"] == rows[("spider", "retrieval")]["answer"] and d["contradicts"] == (not d["correct"])
    assert client.post(f"{API}/ask", json={"id": "spider", "fact": "Spiders spin webs."}).json()["contradicts"] is False
