"""Training the tiny GPT, a plain RNN and an LSTM side by side."""

import math

from glasslm.engine.training.recurrent import train_side_by_side


def test_all_three_learn_on_the_same_batches_and_the_rnn_forgets():
    events = list(train_side_by_side(steps=150, eval_interval=50, n_samples=2))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    start, done = events[0], events[-1]
    assert set(start["models"]) == {"gpt", "rnn", "lstm"}
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["step"] for e in evals] == [0, 50, 100, 150]
    for name in ("gpt", "rnn", "lstm"):
        # from about log(27) = 3.3 at the start to clearly better than uniform
        assert evals[0]["heldout"][name] > 3.0 and evals[-1]["heldout"][name] < 2.9, name
        assert done["steps_per_s"][name] > 0 and len(done["samples"][name]) == 2
    trained = [e for e in events if e["type"] == "bptt"][-1]
    h = trained["models"]["rnn"]["h"]
    assert len(h) == 16 and all(math.isfinite(v) for v in h)
    assert h[0] == 1 and h[8] < 0.2  # eight steps back, the plain RNN's gradient has shrunk many times over
    assert "c" in trained["models"]["lstm"]


def test_stopping_is_asked_every_step():
    events = list(train_side_by_side(steps=100, should_stop=lambda: True))
    assert events[-1] == {"type": "stopped", "step": 0}


def test_the_longest_chain_grows_with_length_only_for_the_recurrent_networks():
    from glasslm.engine.training.recurrent import build_models, longest_chain

    models = build_models(27)
    chains = {name: [longest_chain(m, T) for T in (4, 8, 16)] for name, m in models.items()}
    assert chains["gpt"][0] == chains["gpt"][1] == chains["gpt"][2]  # every position at once
    # counted by hand: each RNN step is linear -> add -> tanh; each LSTM step is
    # linear -> add -> columns -> sigmoid -> mul -> add -> tanh -> mul (the cell path through o's product)
    assert chains["rnn"][2] - chains["rnn"][1] == 8 * 3 and chains["rnn"][1] - chains["rnn"][0] == 4 * 3
    assert chains["lstm"][2] - chains["lstm"][1] == 8 * 8
