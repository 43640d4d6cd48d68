"""Training as a stream of events: order, stop/resume, limits, and the data behind it."""

import json
import math

import numpy as np
import pytest

from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.tokenizers.chars import CharTokenizer
from glasslm.engine.training.train import Docs, TrainConfig, TrainRun, train_tiny_gpt

SMALL = GPTConfig(n_embd=8, n_head=2)
TEXT = "\n".join(["anna", "bob", "clara", "dave", "emma", "fred", "gina", "hans", "ida", "jon"] * 3)


@pytest.fixture(scope="module")
def names():
    return name_data.first_names()


def test_first_names_are_census_names_split_with_a_fixed_seed(names):
    assert len(names.train) + len(names.heldout) == 5163  # male + female lists, lowercased, de-duplicated
    assert not set(names.train) & set(names.heldout)
    assert {"emma", "james", "mary"} <= set(names.train) | set(names.heldout)
    assert names.tokenizer.chars == "abcdefghijklmnopqrstuvwxyz"
    assert name_data.first_names().heldout == names.heldout
    last = name_data.last_names()
    assert "smith" in last.train + last.heldout


def test_tokenizer_round_trip_and_errors():
    tok = CharTokenizer.from_docs(["ba", "c"])
    assert tok.chars == "abc" and tok.bos == 3 and tok.vocab_size == 4
    assert tok.encode_doc("cab") == [3, 2, 0, 1, 3]
    assert tok.decode([3, 2, 0, 1, 3]) == "cab"
    with pytest.raises(ValueError, match="'z' is not in"):
        tok.encode("z")


@pytest.mark.parametrize(
    "text, msg",
    [
        ("", "empty"),
        ("\n\n  \n", "empty"),
        ("only one line", "at least 2"),
        (b"\x00\x01binary", "binary"),
        (b"\xff\xfe bad utf8\nline", "UTF-8"),
        ("a" * (name_data.MAX_TEXT_BYTES + 1), "limit"),
        ("x\n" + "y" * (name_data.MAX_LINE_CHARS + 1), "characters long"),
        ("ok\nbell\x07", "control"),
        ("\n".join(chr(0x4E00 + i) for i in range(name_data.MAX_VOCAB_CHARS + 1)), "different characters"),
    ],
)
def test_bad_text_is_refused_with_a_reason(text, msg):
    with pytest.raises(name_data.DataError, match=msg):
        name_data.from_text(text)


def test_own_text_one_document_per_line():
    d = name_data.from_text(TEXT.encode("utf-8"))
    assert len(d.train) + len(d.heldout) == 10  # de-duplicated
    assert d.tokenizer.vocab_size == len(set(TEXT.replace("\n", ""))) + 1


def test_batches_pad_and_crop():
    tok = CharTokenizer("abcdefgh")
    docs = Docs(["ab", "abcdefgh"], tok)
    x, y = docs.batch(np.array([0, 1]), block_size=4)
    assert x.tolist() == [[8, 0, 1, 8], [8, 0, 1, 2]]
    assert y.tolist() == [[0, 1, 8, -1], [0, 1, 2, 3]]
    x, y = docs.batch(np.array([1]), block_size=4, rng=np.random.default_rng(0))
    assert x.shape == (1, 4) and (y >= 0).all()
    assert tok.decode(x[0][1:]) + tok.decode(y[0][-1:]) in "abcdefgh"  # a window of the document


def events_of(gen):
    return list(gen)


def test_event_stream_order_and_contents():
    d = name_data.from_text(TEXT)
    evs = events_of(
        train_tiny_gpt(
            data=d, steps=6, eval_interval=3, sample_interval=3, attention_interval=3, n_samples=2, probe="anna"
        )
    )
    types = [e["type"] for e in evs]
    assert types[:3] == ["start", "eval", "attention"] and types[-1] == "done"
    assert types.count("step") == 6 and types.count("samples") == 2 and types.count("eval") == 3
    start = evs[0]
    assert start["n_params"] == sum(start["param_counts"].values()) and start["bigram_heldout_loss"] > 0
    steps = [e for e in evs if e["type"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert steps[0]["lr"] == pytest.approx(0.01) and steps[-1]["lr"] == pytest.approx(0.01 / 6)  # linear decay
    att = [e for e in evs if e["type"] == "attention"][-1]
    assert att["tokens"] == ["<BOS>", "a", "n", "n", "a"]
    assert len(att["layers"]) == 1 and len(att["layers"][0]) == 4
    assert np.allclose(np.array(att["layers"][0]).sum(-1), 1.0, atol=1e-3)
    done = evs[-1]
    assert done["step"] == 6 and not done["diverged"] and math.isfinite(done["heldout_loss"])


def test_stop_and_resume_equals_one_uninterrupted_run(names):
    cfg = TrainConfig(steps=30, batch_size=4, n_samples=0)
    whole = TrainRun.create(data=names, config=cfg)
    events_of(train_tiny_gpt(run=whole))

    parts = TrainRun.create(data=names, config=cfg)
    for ev in train_tiny_gpt(run=parts):
        if ev["type"] == "step" and ev["step"] == 11:
            break  # the consumer just stops
    assert parts.step == 11
    rest = events_of(train_tiny_gpt(run=parts))
    assert [e["step"] for e in rest if e["type"] == "step"][0] == 12
    np.testing.assert_array_equal(parts.model.params.flat, whole.model.params.flat)


def test_training_lowers_the_loss(names):
    evs = events_of(train_tiny_gpt(data=names, steps=150, batch_size=8, n_samples=0, eval_interval=150))
    evals = [e["heldout_loss"] for e in evs if e["type"] == "eval"]
    assert evals[0] > 3.2 and evals[-1] < evals[0] - 0.6


def test_a_given_model_is_trained_in_place(names):
    m = TinyGPT(GPTConfig(), seed=1)
    before = m.params.flat.copy()
    events_of(train_tiny_gpt(m, names, steps=3, n_samples=0))
    assert not np.array_equal(before, m.params.flat) and m.tokenizer == names.tokenizer


@pytest.mark.parametrize(
    "bad, msg",
    [
        (dict(lr=float("nan")), "lr"),
        (dict(lr=float("inf")), "lr"),
        (dict(lr=-1.0), "lr"),
        (dict(lr=1e9), "lr"),
        (dict(steps=10**9), "steps"),
        (dict(steps=0), "steps"),
        (dict(batch_size=10**6), "batch_size"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(schedule="zigzag"), "schedule"),
        (dict(beta1=1.0), "beta1"),
    ],
)
def test_bad_settings_are_refused(bad, msg):
    with pytest.raises(ValueError, match=msg):
        TrainConfig(**bad).validate()


def test_vocabulary_mismatch_and_resume_misuse(names):
    with pytest.raises(ValueError, match="vocabulary"):
        TrainRun.create(model=TinyGPT(GPTConfig(vocab_size=5)), data=names)
    run = TrainRun.create(data=names, config=TrainConfig(steps=2))
    with pytest.raises(ValueError, match="run.config"):
        next(train_tiny_gpt(run=run, steps=5))


def test_divergence_is_reported_not_raised():
    d = name_data.from_text(TEXT)
    m = TinyGPT(GPTConfig(vocab_size=d.tokenizer.vocab_size), tokenizer=d.tokenizer)
    m.params["lm_head"].data[:] = 1e308  # logits overflow to inf on the first step
    evs = events_of(train_tiny_gpt(m, d, steps=5, n_samples=0))
    done = evs[-1]
    assert done["diverged"] and "learning rate" in done["message"]
    json.dumps(evs, allow_nan=False)  # still valid JSON for the browser: no NaN anywhere


@pytest.mark.slow
def test_default_run_beats_the_bigram_baseline(names):
    evs = events_of(train_tiny_gpt(data=names))  # microgpt's recipe: 1,000 steps, one name each
    done = evs[-1]
    assert done["step"] == 1000
    assert done["heldout_loss"] < done["bigram_heldout_loss"] - 0.05


def test_attention_probe_is_a_name_from_the_data_being_learned():
    """With no probe given, the attention maps show a held-out name of this data (a last name on last names)."""
    last = name_data.last_names()
    evs = [e for e in train_tiny_gpt(data=last, steps=1, attention_interval=1) if e["type"] == "attention"]
    assert evs and all(e["probe"] == last.heldout[0][:15] for e in evs)
    assert last.heldout[0] not in name_data.first_names().train + name_data.first_names().heldout
