"""/api/my-models: a model trained in train-a-gpt becomes the learner's, downloads and uploads
round-trip to the same logits, every bad upload is refused with its sentence (and nothing changes),
and `glasslm serve --model FILE` puts a model in every session."""

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer
from glasslm.web import my_models_api
from tests.api.jobs import wait_end

API = "/api/my-models"
UPLOAD = {"headers": {"Content-Type": "application/octet-stream"}}


def names_model(seed=0, **cfg) -> TinyGPT:
    return TinyGPT(GPTConfig(**cfg), seed=seed, tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz"))


def checkpoint_bytes(model: TinyGPT, tmp_path: Path) -> bytes:
    return model.save(tmp_path / "m.safetensors").read_bytes()


def test_a_trained_run_becomes_your_model_and_round_trips(client, tmp_path):
    assert client.get(API).json()["models"] == []
    job = client.post("/api/train-a-gpt/train", json={"steps": 30, "batch_size": 2}).json()["job"]
    assert wait_end(client, job)["status"] == "done"
    models = client.get(API).json()["models"]
    assert len(models) == 1
    mine = models[0]
    assert mine["name"] == "first names, 1×16, 30 steps" and mine["origin"] == "trained" and mine["names_vocab"]

    # the same browser session (a closed tab reopened) finds it again; another browser does not
    from fastapi.testclient import TestClient

    from tests.api.local import LOCAL

    with TestClient(client.app, base_url=LOCAL, cookies=dict(client.cookies)) as reopened:
        assert [m["id"] for m in reopened.get(API).json()["models"]] == [mine["id"]]
    with TestClient(client.app, base_url=LOCAL) as other:
        assert other.get(API).json()["models"] == []

    r = client.get(f"{API}/{mine['id']}/download")
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('.safetensors"')
    (tmp_path / "d.safetensors").write_bytes(r.content)
    downloaded = TinyGPT.from_checkpoint(tmp_path / "d.safetensors")
    up = client.post(f"{API}/upload", params={"name": "back again"}, content=r.content, **UPLOAD)
    assert up.status_code == 200 and up.json()["name"] == "back again" and up.json()["n_params"] == mine["n_params"]

    store = client.app.state.my_models
    session = client.cookies.get("glasslm_session")
    trained = store.get(session, mine["id"]).model
    uploaded = store.get(session, up.json()["id"]).model
    x = np.array([[26, 0, 13, 13]])  # BOS a n n
    same = trained.forward(x)[0].data
    assert np.array_equal(uploaded.forward(x)[0].data, same)
    assert np.array_equal(downloaded.forward(x)[0].data, same)
    assert not np.allclose(same, names_model().forward(x)[0].data)  # trained: not an untrained model's numbers


def _no_chars(tmp_path):
    m = names_model()
    meta = {"glasslm": "tiny-gpt", "config": json.dumps(m.config.__dict__)}
    save_file({k: np.ascontiguousarray(v) for k, v in m.state_dict().items()}, str(tmp_path / "x"), metadata=meta)
    return (tmp_path / "x").read_bytes()


def _foreign(tmp_path):
    save_file({"w": np.zeros((2, 2))}, str(tmp_path / "f"), metadata={"format": "pt"})
    return (tmp_path / "f").read_bytes()


def _wrong_shape(tmp_path):
    m = names_model()
    config = json.dumps({**m.config.__dict__, "n_embd": 32})
    meta = {"glasslm": "tiny-gpt", "config": config, "chars": m.tokenizer.chars}
    save_file({k: np.ascontiguousarray(v) for k, v in m.state_dict().items()}, str(tmp_path / "s"), metadata=meta)
    return (tmp_path / "s").read_bytes()


def _nan(tmp_path):
    m = names_model()
    m.params["wte"].data[0, 0] = np.nan
    return checkpoint_bytes(m, tmp_path)


def _float32_too_big(tmp_path):
    """A float32 file (as the PyTorch trainer writes) small enough to send, too big once widened to float64."""
    m = names_model(n_layer=4, n_embd=176, n_head=4)
    meta = {"glasslm": "tiny-gpt", "config": json.dumps(m.config.__dict__), "chars": m.tokenizer.chars}
    save_file({k: v.astype(np.float32) for k, v in m.state_dict().items()}, str(tmp_path / "b"), metadata=meta)
    data = (tmp_path / "b").read_bytes()
    assert len(data) <= my_models_api.MAX_UPLOAD_BYTES
    return data


def _switched(tmp_path):
    """A model of the architecture lab (LayerNorm, RoPE): the demos that open your model read microgpt's layout."""
    return checkpoint_bytes(names_model(norm="layernorm", positions="rope"), tmp_path)


BAD = [
    ("empty", lambda p: b"", 400, "The file is empty"),
    ("text", lambda p: b"hello, I am not a model\n" * 10, 400, "not a tiny GPT checkpoint"),
    ("foreign safetensors", _foreign, 400, "not a tiny GPT checkpoint"),
    ("no characters", _no_chars, 400, "no characters stored"),
    ("shapes", _wrong_shape, 400, "the config says"),
    ("nan", _nan, 400, "NaN or infinite"),
    ("too many weights", _float32_too_big, 413, "8,000,000"),
    ("architecture switches", _switched, 400, "other than microgpt's"),
]


@pytest.mark.parametrize("what, make, status, sentence", BAD, ids=[b[0] for b in BAD])
def test_every_bad_upload_is_refused_with_its_sentence(client, tmp_path, what, make, status, sentence):
    good = client.post(f"{API}/upload", content=checkpoint_bytes(names_model(), tmp_path), **UPLOAD).json()
    r = client.post(f"{API}/upload", content=make(tmp_path), **UPLOAD)
    assert r.status_code == status, r.text
    assert sentence in r.json()["error"] and r.json()["field"] == "file"
    assert r.json()["error"].count(". ") <= 1  # one sentence (two at most, the second saying what to do)
    assert [m["id"] for m in client.get(API).json()["models"]] == [good["id"]]  # nothing changed


def test_an_upload_past_its_own_body_limit_is_refused_before_it_is_read(client):
    big = b"\0" * (my_models_api.MAX_UPLOAD_BYTES + 1)
    r = client.post(f"{API}/upload", content=big, **UPLOAD)
    assert r.status_code == 413 and f"{my_models_api.MAX_UPLOAD_BYTES:,} bytes" in r.json()["error"]
    # the upload's limit is its own: other endpoints keep the 2 MB one
    assert (
        client.post(
            "/api/train-a-gpt/schedule",
            content=b"{" + b" " * 2_100_000 + b"}",
            headers={"Content-Type": "application/json"},
        ).status_code
        == 413
    )
    assert client.get(API).json()["models"] == []


def test_an_unknown_model_is_a_404_with_a_sentence(client):
    r = client.get(f"{API}/abcdef/download")
    assert r.status_code == 404 and "no longer here" in r.json()["error"]


def test_serve_model_puts_the_checkpoint_in_every_session(tmp_path, monkeypatch, capsys):
    import uvicorn

    from glasslm.cli import main as cli_main

    model = names_model(seed=3, n_layer=2, n_embd=32, block_size=32)
    path = model.save(tmp_path / "served.safetensors")
    seen = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: seen.setdefault("app", self.config.app))
    assert cli_main(["serve", "--port", "0", "--no-browser", "--model", str(path)]) == 0
    entry = seen["app"].state.my_models.server
    assert entry.name == "served" and entry.origin == "server"
    x = np.array([[26, 1, 2]])
    assert np.array_equal(entry.model.forward(x)[0].data, model.forward(x)[0].data)
    assert seen["app"].state.my_models.list("any session") == [entry]
    assert "Your model for every learner: served" in capsys.readouterr().out

    (tmp_path / "bad.safetensors").write_bytes(b"not a model")
    assert cli_main(["serve", "--port", "0", "--no-browser", "--model", str(tmp_path / "bad.safetensors")]) == 2
    assert "--model: bad.safetensors is not a readable safetensors file" in capsys.readouterr().err


# ------------------------------------------------------------------ the chapters that offer your model


def _upload(client, model: TinyGPT, tmp_path: Path, name="mine") -> str:
    r = client.post(f"{API}/upload", params={"name": name}, content=checkpoint_bytes(model, tmp_path), **UPLOAD)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def text_model(seed=1) -> TinyGPT:
    return TinyGPT(GPTConfig(vocab_size=8, block_size=8), seed=seed, tokenizer=CharTokenizer("abc .!\n"))


def test_generation_steps_your_model_with_its_own_logits(client, tmp_path):
    from glasslm.engine.inference.autoregression import tiny_gpt_next_logits

    model = names_model(seed=5, block_size=24)
    mid = _upload(client, model, tmp_path)
    info = client.post("/api/generation/tiny/info", json={"model": mid}).json()
    assert info["n_params"] == model.n_params and info["max_steps"] == 24 and info["name"] == "mine"
    r = client.post("/api/generation/tiny/step", json={"ids": [26, 12, 0], "model": mid, "temperature": 0})
    assert r.status_code == 200, r.text
    expected = tiny_gpt_next_logits(model, [26, 12, 0])
    assert np.allclose(r.json()["logits"], expected) and r.json()["max_steps"] == 24
    assert r.json()["chosen"]["id"] == int(np.argmax(expected))
    # a text model works too: its own characters
    tid = _upload(client, text_model(), tmp_path, "text")
    r = client.post("/api/generation/tiny/step", json={"ids": [7, 0], "model": tid, "temperature": 0})
    assert r.status_code == 200 and len(r.json()["logits"]) == 8
    gone = client.post("/api/generation/tiny/step", json={"ids": [26], "model": "nosuchmodel"})
    assert gone.status_code == 404 and gone.json()["field"] == "model"


def test_sampling_reshapes_your_models_next_character(client, tmp_path):
    from glasslm.engine.basics.sampling import softmax
    from glasslm.engine.inference.autoregression import tiny_gpt_next_logits

    model = names_model(seed=6)
    mid = _upload(client, model, tmp_path)
    r = client.post("/api/sampling/distribution", json={"text": "ma", "model": mid, "show": 27, "top_k": 3})
    assert r.status_code == 200, r.text
    d = r.json()
    assert [t["text"] for t in d["tokens"]] == ["<BOS>", "m", "a"] and d["vocab_size"] == 27
    probs = softmax(tiny_gpt_next_logits(model, [26, 12, 0]))
    for c in d["candidates"]:
        assert c["before"] == pytest.approx(probs[c["id"]])
    assert d["survivors"] == 3
    draws = client.post("/api/sampling/draws", json={"text": "ma", "model": mid, "n": 500, "top_k": 3}).json()
    assert sum(row["count"] for row in draws["rows"]) == 500 and draws["survivors"] == 3
    bad = client.post("/api/sampling/distribution", json={"text": "Ma!", "model": mid})
    assert bad.status_code == 400 and bad.json()["field"] == "text" and "'!M'" in bad.json()["error"]


def test_fine_tuning_counts_and_tunes_your_model(client, tmp_path, sse):
    model = names_model(seed=7, n_embd=24, n_head=4, n_layer=2)
    mid = _upload(client, model, tmp_path)
    d = client.post("/api/fine-tuning/count", json={"rank": 2, "targets": ["attn_wq"], "model": mid}).json()
    assert d["base_params"] == model.n_params and d["lora_trainable"] == 2 * 2 * (24 + 24)
    r = client.post("/api/fine-tuning/lora", json={"model": mid, "steps": 2, "batch_size": 2, "targets": ["attn_wq"]})
    assert r.status_code == 200, r.text
    evs = sse(r.json()["job"])
    assert evs[-1]["status"] == "done" and not [e for e in evs if e.get("phase") == "pretrain"]  # nothing pretrained
    assert [e for e in evs if e["type"] == "start"][0]["base_params"] == model.n_params  # your model is the base
    tid = _upload(client, text_model(), tmp_path, "text")
    bad = client.post("/api/fine-tuning/lora", json={"model": tid, "steps": 2})
    assert bad.status_code == 400 and "needs a model trained on names" in bad.json()["error"]
    from glasslm.chapters.fine_tuning.api import MAX_TUNE_BASE_PARAMS

    big = names_model(n_layer=4, n_embd=80, n_head=4)
    assert big.n_params > MAX_TUNE_BASE_PARAMS
    too_big = client.post("/api/fine-tuning/lora", json={"model": _upload(client, big, tmp_path, "big"), "steps": 2})
    assert too_big.status_code == 413 and f"{MAX_TUNE_BASE_PARAMS:,}" in too_big.json()["error"]


def test_interpretability_reads_your_models_attention_and_lens(client, tmp_path):
    from glasslm.engine.interpretability.tiny_lens import tiny_lens

    model = names_model(seed=8, n_layer=2, n_head=2)
    mid = _upload(client, model, tmp_path)
    r = client.post("/api/interpretability/tiny-lens", json={"text": "mar", "model": mid, "k": 2})
    assert r.status_code == 200, r.text
    d = r.json()
    truth = tiny_lens(model, "mar", k=2)
    assert d["tokens"] == ["<BOS>", "m", "a", "r"] and d["layers"] == 2 and d["heads"] == 2
    assert np.allclose(d["attention"], np.stack(truth.attention), atol=1e-5)
    assert [c["id"] for c in d["lens"][2][3]] == list(truth.top_ids[2, 3])
    bad = client.post("/api/interpretability/tiny-lens", json={"text": "Mar", "model": mid})
    assert bad.status_code == 400 and bad.json()["field"] == "text" and "'M'" in bad.json()["error"]
    long = client.post("/api/interpretability/tiny-lens", json={"text": "a" * 65, "model": mid})
    assert long.status_code == 422 and long.json()["field"] == "text"


@pytest.mark.slow
def test_a_big_float32_checkpoint_opens_with_serve_model_and_runs(tmp_path):
    """Issue 16's size (6 layers, width 384, context 256, float32 as the PyTorch trainer writes) is
    far past the upload limit, so `serve --model` is its way in; its steps are capped."""
    from fastapi.testclient import TestClient

    from glasslm.chapters.generation.api import MAX_TINY_STEPS
    from glasslm.cli.serve import load_server_model
    from glasslm.engine.inference.autoregression import tiny_gpt_next_logits
    from glasslm.engine.models.tiny.gpt import CHECKPOINT_LIMITS
    from glasslm.web.app import create_app
    from tests.api.local import LOCAL

    cfg = GPTConfig(vocab_size=28, block_size=256, n_layer=6, n_embd=384, n_head=6)
    big = TinyGPT(cfg, seed=2, tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz "), limits=CHECKPOINT_LIMITS)
    meta = {"glasslm": "tiny-gpt", "config": json.dumps(cfg.__dict__), "chars": big.tokenizer.chars}
    path = tmp_path / "big.safetensors"
    save_file({k: v.astype(np.float32) for k, v in big.state_dict().items()}, str(path), metadata=meta)
    assert path.stat().st_size > my_models_api.MAX_UPLOAD_BYTES
    entry = load_server_model(str(path))
    with TestClient(create_app(model=entry), base_url=LOCAL) as c:
        mid = c.get(API).json()["models"][0]["id"]
        info = c.post("/api/generation/tiny/info", json={"model": mid}).json()
        assert info["max_steps"] == MAX_TINY_STEPS < cfg.block_size
        ids = [27, 0, 26, 1]  # BOS "a b"
        d = c.post("/api/generation/tiny/step", json={"ids": ids, "model": mid}).json()
        assert np.allclose(d["logits"], tiny_gpt_next_logits(entry.model, ids))
        long = c.post("/api/generation/tiny/step", json={"ids": [27] + [0] * MAX_TINY_STEPS, "model": mid})
        assert long.status_code == 409 and f"limit of {MAX_TINY_STEPS}" in long.json()["error"]


def test_weights_and_transformer_count_your_models_tensors(client, tmp_path):
    model = names_model(n_layer=2, n_embd=8)
    _upload(client, model, tmp_path, "counted")
    here = client.get("/api/weights/parameter-counts").json()["here"]
    assert here[1]["name"] == "your model: counted" and here[1]["params"] == model.n_params
    assert sum(here[1]["parts"].values()) == model.n_params
    rows = client.get("/api/transformer/compare").json()["models"]
    mine = [r for r in rows if r["name"] == "your model: counted"][0]
    assert (mine["layers"], mine["d_model"], mine["params"]) == (2, 8, model.n_params)


def test_a_resumed_run_replaces_the_model_it_left(client):
    job = client.post("/api/train-a-gpt/train", json={"steps": 20, "batch_size": 2}).json()["job"]
    wait_end(client, job)
    assert [m["name"] for m in client.get(API).json()["models"]] == ["first names, 1×16, 20 steps"]
    again = client.post("/api/train-a-gpt/resume", json={"job": job, "steps": 30}).json()["job"]
    wait_end(client, again)
    assert [m["name"] for m in client.get(API).json()["models"]] == ["first names, 1×16, 30 steps"]


def test_scaling_laws_places_a_model_trained_on_first_names(client, tmp_path):
    from glasslm.engine.pretraining import scaling

    job = client.post("/api/train-a-gpt/train", json={"steps": 20, "batch_size": 4}).json()["job"]
    wait_end(client, job)
    mine = client.get(API).json()["models"][0]
    d = client.post("/api/scaling-laws/yours", json={"model": mine["id"]}).json()
    model = client.app.state.my_models.get(client.cookies.get("glasslm_session"), mine["id"]).model
    truth = scaling.place_model(model, 20, 4)
    assert d["n_params"] == mine["n_params"] == truth["n_params"] and d["tokens"] == truth["tokens"]
    assert d["heldout_loss"] == pytest.approx(truth["heldout_loss"]) and d["flops"] == 6 * d["n_params"] * d["tokens"]
    uploaded = _upload(client, names_model(), tmp_path, "uploaded")
    bad = client.post("/api/scaling-laws/yours", json={"model": uploaded})
    assert bad.status_code == 400 and "trained on first names in Train a GPT" in bad.json()["error"]
