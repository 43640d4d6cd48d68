"""Chapter 15's endpoints: stepping SmolLM2 reproduces SmolLM2.generate, each step's bars are
the filtered softmax of a full forward pass, end tokens stop the loop, and the tiny GPT's
steps reproduce gpt.sample's greedy name."""

import json

import numpy as np
import pytest

from glasslm.chapters.generation.api import MAX_NAME_STEPS, MAX_PROMPT_TOKENS, MAX_STEPS, TINY_GPT
from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.models.tiny.gpt import sample
from glasslm.engine.training.train import DEFAULT_STEPS, train_default_tiny_gpt
from glasslm.web.shared_models import SharedModel

API = "/api/generation"


@pytest.fixture(scope="module")
def tiny():
    """The default tiny GPT, trained (by the first test that asks the server) once for this file."""
    return SharedModel(train_default_tiny_gpt, DEFAULT_STEPS, TINY_GPT)


@pytest.fixture(autouse=True)
def lend_tiny(client, tiny):
    """Each test's fresh app borrows it (an app would otherwise train its own)."""
    client.app.state.shared_models[TINY_GPT] = tiny


def softmax(z, t=1.0):
    e = np.exp((z - z.max()) / t)
    return e / e.sum()


def nucleus(p, P):
    order = np.argsort(-p, kind="stable")
    n = int(np.searchsorted(np.cumsum(p[order]), P) + 1)  # fewest tokens whose mass reaches P
    q = np.zeros_like(p)
    q[order[:n]] = p[order[:n]]
    return q / q.sum()


def test_start_tokenizes_as_text_or_as_a_chat(client, smollm2):
    d = client.post(f"{API}/smollm2/start", json={"text": "Once upon a time"}).json()
    assert d["ids"] == smollm2.encode("Once upon a time") and d["prompt_length"] == len(d["ids"])
    assert {t["id"] for t in d["end_tokens"]} == set(smollm2.stop_ids) and d["max_steps"] == MAX_STEPS
    c = client.post(f"{API}/smollm2/start", json={"text": "Hi", "mode": "chat"}).json()
    assert c["ids"] == smollm2.chat_ids([{"role": "user", "content": "Hi"}])
    assert c["tokens"][0] == {"id": 1, "text": "<|im_start|>", "special": True, "partial": False}


def test_greedy_steps_reproduce_generate(client, smollm2):
    smollm2.prefix_cache.clear()  # what is read depends on what earlier tests left in the shared cache
    ids = smollm2.encode("The capital of France is")
    want = [e.token_id for e in smollm2.generate(ids, max_tokens=3, settings=GREEDY)]
    ctx, got, reads = list(ids), [], []
    for _ in range(3):
        d = client.post(f"{API}/smollm2/step", json={"ids": ctx, "prompt_length": len(ids), "temperature": 0}).json()
        got.append(d["chosen"]["id"])
        reads.append(d["model_read"])
        assert d["ids"] == ctx + [d["chosen"]["id"]] and not d["end"]
        ctx = d["ids"]
    assert got == want and reads[1:] == ["one new token"] * 2
    assert d["generated_text"] == smollm2.decode(want) and d["step"] == 3


def test_a_steps_bars_are_the_filtered_distribution(client, smollm2):
    ids = smollm2.encode("My favourite colour is")
    body = {"ids": ids, "prompt_length": len(ids), "temperature": 0.8, "top_p": 0.9, "seed": 5, "show": 6}
    d = client.post(f"{API}/smollm2/step", json=body).json()
    want = nucleus(softmax(smollm2.logits(ids)[-1].astype(np.float64), 0.8), 0.9)  # full forward pass, rules by hand
    # the 6 likeliest tokens, then the chosen one if it is not among them
    assert [c["id"] for c in d["candidates"][:6]] == np.argsort(-want, kind="stable")[:6].tolist()
    assert [c["prob"] for c in d["candidates"]] == pytest.approx(
        want[[c["id"] for c in d["candidates"]]].tolist(), abs=1e-5
    )
    assert d["survivors"] == int((want > 0).sum())
    assert want[d["chosen"]["id"]] > 0 and sum(c["chosen"] for c in d["candidates"]) == 1
    again = client.post(f"{API}/smollm2/step", json=body).json()
    assert again["chosen"] == d["chosen"] and again["model_read"] == "cached"  # the seed repeats the step


def test_an_end_token_ends_the_text(client, smollm2):
    prompt = smollm2.chat_ids([{"role": "user", "content": "Name a fruit."}])
    ids = prompt + smollm2.encode("The fruit I mentioned is the Banana.")
    d = client.post(f"{API}/smollm2/step", json={"ids": ids, "prompt_length": len(prompt), "temperature": 0}).json()
    z = smollm2.logits(ids)[-1]
    assert d["chosen"]["id"] == int(np.argmax(z))
    assert d["chosen"]["id"] in smollm2.stop_ids and d["end"] and d["chosen"]["special"]
    assert d["generated_text"] == "The fruit I mentioned is the Banana."  # the end token is not text


def test_the_step_limit(client, smollm2):
    ids = smollm2.encode("a") + [264] * MAX_STEPS
    r = client.post(f"{API}/smollm2/step", json={"ids": ids, "prompt_length": 1})
    assert r.status_code == 409 and f"limit here ({MAX_STEPS})" in r.json()["error"]


def trained(client):
    r = client.post(f"{API}/tiny/train").json()
    if not r["ready"]:
        kinds = []
        with client.stream("GET", f"/api/jobs/{r['job']}/events") as s:
            for line in s.iter_lines():
                if line.startswith("data:"):
                    ev = json.loads(line[5:])
                    kinds.append(ev["type"])
                    if ev["type"] == "progress":
                        assert 0 <= ev["step"] <= ev["steps"] == DEFAULT_STEPS
                    if ev["type"] == "end":
                        break
        assert kinds[-2:] == ["ready", "end"] and "progress" in kinds
        r = client.post(f"{API}/tiny/train").json()
    assert r["ready"] and r["n_params"] == 4192 and r["vocab"][r["bos"]] == "<BOS>"
    assert r["heldout_loss"] < r["bigram_heldout_loss"]  # trained, and better than counting letter pairs
    return r


def test_tiny_gpt_greedy_steps_reproduce_sample(client, tiny):
    info = trained(client)
    ids, name = [info["bos"]], None
    for _ in range(MAX_NAME_STEPS):
        d = client.post(f"{API}/tiny/step", json={"ids": ids, "temperature": 0}).json()
        ids = d["ids"]
        probs = softmax(np.array(d["logits"]))
        assert d["chosen"]["id"] == int(np.argmax(probs))
        if d["end"] or d["limit_reached"]:
            name = d["name"]
            break
    assert name == sample(tiny.model, n=1, temperature=0)[0]


def test_tiny_gpt_step_distribution_and_seed(client, tiny):
    info = trained(client)
    body = {"ids": [info["bos"], 4], "temperature": 0.7, "seed": 11, "show": 27}
    d = client.post(f"{API}/tiny/step", json=body).json()
    logits = tiny.model.forward(np.array([body["ids"]]))[0].data[-1]  # the model's own forward pass
    np.testing.assert_allclose(d["logits"], logits, atol=1e-9)
    want = softmax(logits, 0.7)
    assert [c["prob"] for c in d["candidates"]] == pytest.approx(
        want[[c["id"] for c in d["candidates"]]].tolist(), abs=1e-9
    )
    assert len(d["candidates"]) == 27 and d["name"].startswith("e")
    assert client.post(f"{API}/tiny/step", json=body).json()["chosen"] == d["chosen"]


@pytest.mark.parametrize(
    "path, body, status, words, field",
    [
        ("smollm2/start", {"text": ""}, 422, "empty", "text"),
        ("smollm2/start", {"text": "   "}, 400, "only spaces", "text"),
        ("smollm2/start", {"text": " a" * (MAX_PROMPT_TOKENS + 1)}, 413, f"limit here is {MAX_PROMPT_TOKENS}", "text"),
        ("smollm2/start", {"text": "hi", "mode": "poem"}, 422, "continue", "mode"),
        ("smollm2/step", {"ids": [], "prompt_length": 1}, 422, "at least 1", "ids"),
        ("smollm2/step", {"ids": [1, 2], "prompt_length": 3}, 400, "longer than the context", "prompt_length"),
        ("smollm2/step", {"ids": [1, 99999], "prompt_length": 1}, 400, "from 0 to 49151", "ids"),
        ("smollm2/step", {"ids": [1, 2], "prompt_length": 1, "temperature": "NaN"}, 422, "finite", "temperature"),
        ("smollm2/step", {"ids": [1, 2], "prompt_length": 1, "top_p": 0}, 422, "more than 0", "top_p"),
        ("smollm2/step", {"ids": [1, 2], "prompt_length": 1, "show": 0}, 422, "at least 1", "show"),
    ],
)
def test_bad_smollm2_input_is_answered_with_a_sentence(client, path, body, status, words, field):
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.json()
    assert words in r.json()["error"] and r.json()["field"] == field


def test_bad_tiny_input_is_answered_with_a_sentence(client):
    bos = trained(client)["bos"]
    cases = [
        ({"ids": [0, 1]}, 400, "starts from BOS", "ids"),
        ({"ids": [bos, 30]}, 400, "from 0 to 26", "ids"),
        ({"ids": [bos, 0, bos]}, 409, "already ended", "ids"),
        ({"ids": [bos] + [0] * MAX_NAME_STEPS}, 409, f"limit of {MAX_NAME_STEPS}", "ids"),
        ({"ids": [bos], "temperature": "Infinity"}, 422, "finite", "temperature"),
        ({"ids": [bos], "temperature": 9}, 422, "at most 5", "temperature"),
    ]
    for body, status, words, field in cases:
        r = client.post(f"{API}/tiny/step", json=body)
        assert r.status_code == status, (body, r.json())
        assert words in r.json()["error"] and r.json()["field"] == field
