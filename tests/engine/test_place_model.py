"""scaling.place_model puts a model trained outside the sweep on the sweep's axes: the same N, D and
held-out loss a sweep run of the same size and steps reports (the sweep's own numbers are the truth)."""

import pytest

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.pretraining import scaling
from glasslm.engine.tokenizers.chars import CharTokenizer


def test_a_model_trained_like_a_sweep_run_lands_on_that_run():
    cfg = scaling.SweepConfig(widths=(8,), token_budgets=(800,), batch_size=8)
    events = list(scaling.sweep(cfg))
    run = [e for e in events if e["type"] == "run"][0]["run"]
    # the same training again, kept this time: TrainRun with the sweep's settings
    from glasslm.engine.training.train import TrainConfig, TrainRun, train_tiny_gpt

    plan = scaling.plan_sweep(cfg)
    mc = GPTConfig(vocab_size=27, n_embd=8, n_head=scaling.heads_for(8), n_layer=1, block_size=cfg.block_size)
    tc = TrainConfig(
        steps=run["steps"],
        batch_size=8,
        lr=cfg.lr,
        seed=cfg.seed,
        n_samples=0,
        eval_interval=run["steps"],
        sample_interval=run["steps"],
        attention_interval=run["steps"],
    )
    tr = TrainRun.create(data=plan.data, config=tc, model_config=mc)
    for _ in train_tiny_gpt(run=tr):
        pass
    placed = scaling.place_model(tr.model, run["steps"], 8)
    assert placed["n_params"] == run["n_params"] and placed["tokens"] == run["tokens"]
    assert placed["flops"] == pytest.approx(run["flops"])
    assert placed["heldout_loss"] == pytest.approx(run["heldout_loss"])


def test_only_a_names_model_can_be_placed():
    other = TinyGPT(GPTConfig(vocab_size=4), tokenizer=CharTokenizer("ab."))
    with pytest.raises(ValueError, match="names' characters"):
        scaling.place_model(other, 10, 1)
