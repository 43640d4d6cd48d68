"""Chapter 29's endpoints: neuron and feature activations against llama.py's own traced
forward pass, the patching sweep's logit differences against Llama.forward, and bad input."""

import numpy as np
import pytest

from glasslm.chapters.interpretability.api import MAX_EXAMPLES, MAX_PROMPT_CHARS, MAX_SAE_STEPS, N_LAYERS, TEXTS
from glasslm.engine.interpretability.patching import MAX_PATCH_TOKENS
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.web.session import COOKIE

API = "/api/interpretability"


def test_texts(client):
    d = client.get(f"{API}/texts").json()
    assert len(d["texts"]) == 40 and len(d["topics"]) == 10


def test_neuron_examples_match_a_traced_forward_pass(client):
    d = client.post(f"{API}/neurons", json={"layer": 3, "neuron": 7, "k": 5}).json()
    m = load_smollm2()
    values = [e["value"] for e in d["examples"]]
    assert values == sorted(values, reverse=True) and len(values) <= 5
    assert d["topics"] == len({e["topic"] for e in d["examples"]})
    for e in d["examples"][:2]:  # llama.py's own forward, recording the MLP
        ids = m.encode(TEXTS[e["text"]]["text"])
        tr = m.trace(ids, attention=False, residual=False, mlp=True)
        assert e["value"] == pytest.approx(float(tr.mlp_acts[2][e["position"], 7]), abs=1e-3)
        assert e["token"] == m.decode([ids[e["position"]]])
    assert sum(d["span_counts"]) == d["n_neurons"] == 1536


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"layer": 0}, 422, "layer"),
        ({"layer": N_LAYERS + 1}, 422, "layer"),
        ({"neuron": 1536}, 400, "neuron"),
        ({"neuron": -1}, 422, "neuron"),
        ({"k": MAX_EXAMPLES + 1}, 422, "k"),
        ({"layer": "deep"}, 422, "layer"),
    ],
)
def test_neurons_refuse_bad_input(client, body, status, field):
    r = client.post(f"{API}/neurons", json=body)
    assert r.status_code == status and r.json()["field"] == field


@pytest.mark.slow
def test_sae_features_match_the_encoder_applied_by_hand(client, sse):
    job = client.post(f"{API}/sae/train", json={"layer": 2, "n_features": 64, "steps": 20, "l1": 0.5}).json()["job"]
    evs = sse(job)
    steps = [e for e in evs if e["type"] == "step"]
    assert [e["step"] for e in steps] == [10, 20] and evs[-2]["type"] == "trained"
    assert all(e["loss"] == pytest.approx(e["mse"] + 0.5 * e["l1"], rel=1e-5) for e in steps)
    d = client.post(f"{API}/sae/features", json={"job": job, "show": 3, "k": 2}).json()
    state = client.app.state.jobs.get(client.cookies.get(COOKIE), job).state  # the trained model itself
    sae, scale = state["sae"], state["scale"]
    m = load_smollm2()
    e = d["features"][0]["examples"][0]
    ids = m.encode(TEXTS[e["text"]]["text"])
    x = m.trace(ids, attention=False).residuals[2][e["position"]].astype(np.float64) * scale  # (C,)
    f = np.maximum((x - sae.b_dec) @ sae.W_enc + sae.b_enc, 0)  # the encoder's formula
    assert e["value"] == pytest.approx(f[d["features"][0]["feature"]], rel=2e-3, abs=1e-3)
    r = client.post(f"{API}/sae/features", json={"job": "0123456789ab"})
    assert r.status_code == 404
    # the gradient check: its finite differences recomputed here from the loss's formula
    g = client.post(f"{API}/sae/gradcheck", json={"job": job, "checks": 4, "seed": 1}).json()
    from glasslm.chapters.interpretability.api import layer_acts

    xs = layer_acts(client.app, m, 2)["residual"][g["vectors"]].astype(np.float64) * scale  # (16, C)
    W = {n: p.astype(np.float64) for n, p in zip(("W_enc", "b_enc", "W_dec", "b_dec"), sae.params)}

    def loss():
        f = np.maximum((xs - W["b_dec"]) @ W["W_enc"] + W["b_enc"], 0)
        return np.mean(np.sum((f @ W["W_dec"] + W["b_dec"] - xs) ** 2, 1)) + 0.5 * np.mean(np.sum(f, 1))

    for c in g["checks"]:
        p, i = W[c["param"]], tuple(c["index"])
        old = p[i]
        p[i] = old + g["eps"]
        up = loss()
        p[i] = old - g["eps"]
        down = loss()
        p[i] = old
        assert c["numeric"] == pytest.approx((up - down) / (2 * g["eps"]), rel=1e-5, abs=1e-8)
        assert c["analytic"] == pytest.approx(c["numeric"], rel=1e-3, abs=1e-6)
    r = client.post(f"{API}/sae/gradcheck", json={"job": job, "checks": 0})
    assert r.status_code == 422 and r.json()["field"] == "checks"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"layer": 31}, "layer"),
        ({"n_features": 100}, "n_features"),
        ({"l1": -1}, "l1"),
        ({"steps": MAX_SAE_STEPS + 1}, "steps"),
        ({"steps": 5}, "steps"),
    ],
)
def test_sae_refuses_bad_input(client, body, field):
    r = client.post(f"{API}/sae/train", json=body)
    assert r.status_code == 422 and r.json()["field"] == field


def test_sae_refuses_nan(client):
    r = client.post(f"{API}/sae/train", content='{"l1": NaN}', headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "l1"


@pytest.mark.slow
def test_patch_sweep_against_llama_forward(client, sse):
    clean, corrupted = "The capital of France is", "The capital of Italy is"
    d = client.post(f"{API}/patch", json={"clean": clean, "corrupted": corrupted, "stride": 5}).json()
    evs = sse(d["job"])
    start, rows = evs[0], [e for e in evs if e["type"] == "row"]
    assert [r["layer"] for r in rows] == [0, 5, 10, 15, 20, 25, 30] and start["good"] == " Paris"
    m = load_smollm2()
    p, r = m.encode(" Paris")[0], m.encode(" Rome")[0]
    lc, lr = m.model.forward(m.encode(clean))[-1], m.model.forward(m.encode(corrupted))[-1]
    assert start["clean_ld"] == pytest.approx(float(lc[p] - lc[r]), abs=2e-3)
    assert start["corrupted_ld"] == pytest.approx(float(lr[p] - lr[r]), abs=2e-3)
    assert rows[0]["recovered"][3] == pytest.approx(1.0, abs=1e-3)  # the embedding of the changed word
    assert rows[-1]["recovered"][-1] == pytest.approx(1.0, abs=1e-3)  # the last residual at the last position
    # the same prompt twice: nothing to patch
    r = client.post(f"{API}/patch", json={"clean": clean, "corrupted": clean})
    assert r.status_code == 400 and "same" in r.json()["error"]


@pytest.mark.slow
def test_patch_refuses_bad_input(client, sse):
    post = lambda **b: client.post(
        f"{API}/patch", json={"clean": "The capital of France is", "corrupted": "The capital of Italy is", **b}
    )
    r = post(corrupted="The capital of the United Kingdom is")
    assert r.status_code == 400 and r.json()["field"] == "corrupted" and "line up" in r.json()["error"]
    r = post(clean="word " * (MAX_PATCH_TOKENS + 2), corrupted="words " * (MAX_PATCH_TOKENS + 2))
    assert r.status_code == 413 and r.json()["field"] == "clean"
    r = post(clean="x" * (MAX_PROMPT_CHARS + 1))
    assert r.status_code == 422 and r.json()["field"] == "clean"
    r = post(clean="   ")
    assert r.status_code == 400 and r.json()["field"] == "clean"
    r = post(stride=4)
    assert r.status_code == 422 and r.json()["field"] == "stride"
    job = post(corrupted="The capital of France was").json()["job"]  # both answers " Paris"
    end = sse(job)[-1]
    assert end["status"] == "error" and "Both prompts predict" in end["error"]


@pytest.mark.slow
def test_lens_against_a_traced_forward_pass(client):
    d = client.post(
        f"{API}/lens", json={"clean": "The capital of France is", "corrupted": "The capital of Italy is"}
    ).json()
    assert d["good"] == " Paris" and d["bad"] == " Rome" and len(d["layers"]) == 31
    m = load_smollm2()
    from glasslm.engine.interpretability.logit_lens import logit_lens

    tr = m.trace(m.encode("The capital of France is"), attention=False)  # llama.py's own residuals
    paris = m.encode(" Paris")[0]
    full = m.logits(m.encode("The capital of France is"))[-1].astype(np.float64)
    p = np.exp(full - full.max())
    assert d["clean_good"][-1] == pytest.approx(p[paris] / p.sum(), abs=1e-4)  # the last layer is the model
    lens = logit_lens(m, tr.residuals, k=1)  # the existing lens: top token per layer
    for layer in (5, 20, 25):
        top_prob = float(lens.top_probs[layer, -1, 0])
        mine = max(d["clean_good"][layer], d["clean_bad"][layer])
        if lens.top_ids[layer, -1, 0] == paris:
            assert d["clean_good"][layer] == pytest.approx(top_prob, abs=1e-3)
        else:
            assert mine <= top_prob + 1e-3
    first = next(i for i in range(31) if lens.top_ids[i, -1, 0] == paris)
    assert d["first_top_layer"]["clean"] == first
    r = client.post(f"{API}/lens", json={"clean": "  ", "corrupted": "x"})
    assert r.status_code == 400 and r.json()["field"] == "clean"
