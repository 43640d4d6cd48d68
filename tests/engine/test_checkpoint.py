"""Checkpoints: a saved model loads to the same numbers; damaged files fail clearly."""

import json

import numpy as np
import pytest

from glasslm.engine.models.tiny.gpt import CheckpointError, GPTConfig, TinyGPT, sample
from glasslm.engine.tokenizers.chars import CharTokenizer

TOK = CharTokenizer("abcdefghijklmnopqrstuvwxyz")


@pytest.fixture
def saved(tmp_path):
    m = TinyGPT(GPTConfig(n_layer=2, n_embd=8, n_head=2, block_size=12), seed=3, tokenizer=TOK)
    path = m.save(tmp_path / "m.safetensors")
    return m, path


def test_round_trip_gives_identical_model(saved):
    m, path = saved
    back = TinyGPT.from_checkpoint(path)
    assert back.config == m.config and back.tokenizer == TOK
    np.testing.assert_array_equal(back.params.flat, m.params.flat)
    x = np.array([TOK.encode("hello")])
    np.testing.assert_array_equal(back.forward(x)[0].data, m.forward(x)[0].data)
    assert sample(back, n=5, seed=9) == sample(m, n=5, seed=9)


def test_file_is_plain_safetensors_with_config_beside(saved):
    from safetensors import safe_open

    m, path = saved
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
        assert set(f.keys()) == set(m.param_counts())
        np.testing.assert_array_equal(f.get_tensor("layer1.mlp_fc1"), m.params["layer1.mlp_fc1"].data)
    assert json.loads(meta["config"])["n_layer"] == 2 and meta["chars"] == TOK.chars


def test_truncated_file(saved, tmp_path):
    _, path = saved
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        TinyGPT.from_checkpoint(bad)


def test_random_bytes_and_missing_file(tmp_path):
    bad = tmp_path / "noise.safetensors"
    bad.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(CheckpointError):
        TinyGPT.from_checkpoint(bad)
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        TinyGPT.from_checkpoint(tmp_path / "absent.safetensors")


def test_foreign_safetensors_and_mismatched_shapes(tmp_path):
    from safetensors.numpy import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": np.zeros(3)}, str(other))
    with pytest.raises(CheckpointError, match="not a glasslm tiny GPT"):
        TinyGPT.from_checkpoint(other)
    m = TinyGPT(tokenizer=TOK)
    tensors = {k: v.copy() for k, v in m.state_dict().items()}
    tensors["wte"] = np.zeros((27, 8))
    meta = {"glasslm": "tiny-gpt", "config": json.dumps({"n_embd": 16}), "chars": TOK.chars}
    save_file(tensors, str(other), metadata=meta)
    with pytest.raises(CheckpointError, match="wte has shape"):
        TinyGPT.from_checkpoint(other)
    tensors["wte"] = np.full((27, 16), np.nan)
    save_file(tensors, str(other), metadata=meta)
    with pytest.raises(CheckpointError, match="NaN"):
        TinyGPT.from_checkpoint(other)
    meta["config"] = json.dumps({"n_layer": 99})
    save_file(tensors, str(other), metadata=meta)
    with pytest.raises(CheckpointError, match="invalid config"):
        TinyGPT.from_checkpoint(other)
