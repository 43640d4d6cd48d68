"""The store of learners' tiny GPTs (glasslm/web/my_models.py): its named limits hold."""

import pytest

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer
from glasslm.web import my_models as mm
from glasslm.web.errors import DemoError


def tiny(**cfg) -> TinyGPT:
    return TinyGPT(GPTConfig(**cfg), tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz"))


def test_a_session_keeps_its_newest_models_only():
    store = mm.MyModels()
    added = [store.add("s", tiny(), f"m{i}", "uploaded") for i in range(mm.MAX_MODELS_PER_SESSION + 1)]
    kept = store.list("s")
    assert [e.name for e in kept] == [f"m{i}" for i in range(mm.MAX_MODELS_PER_SESSION, 0, -1)]
    with pytest.raises(DemoError) as err:
        store.get("s", added[0].id)  # the oldest was forgotten
    assert err.value.status == 404 and "no longer here" in err.value.message
    assert store.list("other") == []  # sessions share nothing


def test_the_session_unused_longest_is_forgotten_first():
    store = mm.MyModels()
    for i in range(mm.MAX_SESSIONS):
        store.add(f"s{i}", tiny(), "m", "uploaded")
    store.list("s0")  # s0 comes back: s1 is now the one unused longest
    store.add("new", tiny(), "m", "uploaded")
    assert store.list("s0") and not store.list("s1") and store.list("new")


def test_a_model_too_big_for_memory_is_refused():
    big = TinyGPT(GPTConfig(n_layer=5, n_embd=256, n_head=4, vocab_size=27))  # ~3.9M parameters, 31 MB
    assert big.params.flat.nbytes > mm.MAX_MODEL_BYTES
    store = mm.MyModels()
    with pytest.raises(DemoError) as err:
        store.add("s", big, "big", "uploaded")
    assert err.value.status == 413 and f"{mm.MAX_MODEL_BYTES:,}" in err.value.message
    assert store.list("s") == []


def test_the_server_model_is_every_sessions_and_counts_against_none():
    server = mm.MyModel("served", tiny(), "server")
    store = mm.MyModels(server=server)
    for i in range(mm.MAX_MODELS_PER_SESSION):
        store.add("s", tiny(), f"m{i}", "uploaded")
    assert store.list("s")[-1] is server and len(store.list("s")) == mm.MAX_MODELS_PER_SESSION + 1
    assert store.list("anyone") == [server]


def test_names_vocabulary_is_checked():
    text_model = TinyGPT(GPTConfig(vocab_size=6), tokenizer=CharTokenizer("abc ."))
    entry = mm.MyModel("text", text_model, "uploaded")
    assert not entry.names_vocab and mm.MyModel("names", tiny(), "trained").names_vocab
    with pytest.raises(DemoError) as err:
        mm.needs_names(entry)
    assert "needs a model trained on names" in err.value.message and err.value.field == "model"


def test_a_resumed_run_replaces_its_earlier_model():
    store = mm.MyModels()
    store.add("s", tiny(), "run A, 100 steps", "trained", lineage="A")
    store.add("s", tiny(), "upload", "uploaded")
    store.add("s", tiny(), "run A, 300 steps", "trained", lineage="A")
    assert [e.name for e in store.list("s")] == ["run A, 300 steps", "upload"]
