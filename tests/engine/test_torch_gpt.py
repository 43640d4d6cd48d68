"""The PyTorch tiny GPT against the numpy engine: same weights, same numbers.

The numpy engine (float64, hand-written backward) is the independent truth for
torch's autograd here, and torch's for ours: logits, gradients, one Adam step, a
few training steps, checkpoints both ways, and data parallelism (2 gloo
processes) against one process.
"""

import socket
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from glasslm.engine.data import name_data  # noqa: E402
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT  # noqa: E402
from glasslm.engine.training.train import TrainConfig, TrainRun, train_tiny_gpt  # noqa: E402
from glasslm.torch_gpt import train as tg  # noqa: E402
from glasslm.torch_gpt.model import TorchGPT, load_checkpoint, save_checkpoint  # noqa: E402

CONFIGS = [
    GPTConfig(),
    GPTConfig(vocab_size=30, block_size=8, n_layer=2, n_embd=24, n_head=3),
    GPTConfig(vocab_size=11, block_size=12, n_layer=3, n_embd=8, n_head=1, mlp_ratio=2),
]


def twin(np_model: TinyGPT, dtype=torch.float64) -> TorchGPT:
    """A TorchGPT holding exactly the numpy model's weights."""
    t = TorchGPT(np_model.config, np_model.tokenizer, seed=None).to(dtype)
    with torch.no_grad():
        for name, p in t.named_weights().items():
            p.copy_(torch.from_numpy(np_model.params[name].data))
    return t


def batch(config: GPTConfig, seed: int = 1, B: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, config.vocab_size, (B, config.block_size))
    y = rng.integers(0, config.vocab_size, (B, config.block_size))
    y[0, -2:] = -1  # padding is not counted, in either engine
    return x, y


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "2-layer", "3-layer"])
def test_logits_and_loss_equal_numpy(config):
    m = TinyGPT(config, seed=3)
    x, y = batch(config)
    logits, loss = m.forward(x, y)
    t = twin(m)
    tl, tloss = t(torch.from_numpy(x), torch.from_numpy(y))
    np.testing.assert_allclose(tl.detach().numpy().reshape(logits.data.shape), logits.data, atol=1e-10)
    assert abs(float(tloss.detach()) - float(loss.data)) < 1e-10
    # float32, as the trainer runs: equal to float32 rounding
    tl32, _ = twin(m, torch.float32)(torch.from_numpy(x))
    np.testing.assert_allclose(tl32.detach().numpy().reshape(logits.data.shape), logits.data, atol=2e-5)


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "2-layer", "3-layer"])
def test_gradients_equal_numpy(config):
    m = TinyGPT(config, seed=4)
    x, y = batch(config, seed=2)
    m.loss_and_grad(x, y)
    t = twin(m)
    _, loss = t(torch.from_numpy(x), torch.from_numpy(y))
    loss.backward()
    for name, p in t.named_weights().items():
        np.testing.assert_allclose(p.grad.numpy(), m.params[name].grad, atol=1e-10, err_msg=name)


def test_training_steps_equal_numpy_trainer():
    """Five steps of Adam on the same batches: the same losses and weights as the numpy trainer."""
    data = name_data.first_names()
    cfg = TrainConfig(steps=5, batch_size=4, eval_interval=100, n_samples=0, attention_interval=100)
    np_run = TrainRun.create(data=data, config=cfg)
    start = {k: v.copy() for k, v in np_run.model.state_dict().items()}
    np_losses = [e["loss"] for e in train_tiny_gpt(run=np_run) if e["type"] == "step"]
    t_run = tg.TorchRun.create(data, cfg, np_run.model.config)
    t_run.model.double()
    t_run.optimizer = torch.optim.Adam(t_run.model.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=1e-8)
    with torch.no_grad():
        for name, p in t_run.model.named_weights().items():
            p.copy_(torch.from_numpy(start[name]))
    t_losses = [e["loss"] for e in tg.train_torch(t_run) if e["type"] == "step"]
    np.testing.assert_allclose(t_losses, np_losses, rtol=1e-9)
    for name, p in t_run.model.named_weights().items():
        np.testing.assert_allclose(p.detach().numpy(), np_run.model.params[name].data, atol=1e-9, err_msg=name)


def test_checkpoints_round_trip_both_ways(tmp_path):
    data = name_data.first_names()
    m = TinyGPT(replace(GPTConfig(), vocab_size=data.tokenizer.vocab_size), seed=5, tokenizer=data.tokenizer)
    x, _ = batch(m.config)
    m.save(tmp_path / "np.safetensors")
    t = load_checkpoint(tmp_path / "np.safetensors")  # numpy -> torch
    assert t.tokenizer.chars == data.tokenizer.chars
    np.testing.assert_allclose(
        t(torch.from_numpy(x))[0].detach().numpy().reshape(-1, m.config.vocab_size), m.forward(x)[0].data, atol=2e-5
    )
    save_checkpoint(t, tmp_path / "t.safetensors")  # torch -> numpy
    back = TinyGPT.from_checkpoint(tmp_path / "t.safetensors")
    np.testing.assert_allclose(back.forward(x)[0].data, m.forward(x)[0].data, atol=2e-5)
    assert not list(tmp_path.glob("*.partial"))


def test_a_model_past_numpys_training_limits_still_loads_in_numpy(tmp_path):
    big = GPTConfig(vocab_size=30, block_size=256, n_layer=2, n_embd=384, n_head=6)
    with pytest.raises(ValueError, match="context"):
        big.validate()  # the numpy trainer's limits
    t = TorchGPT(big.validate(**tg.TORCH_LIMITS), seed=0)
    save_checkpoint(t, tmp_path / "big.safetensors")
    m = TinyGPT.from_checkpoint(tmp_path / "big.safetensors")
    x = np.arange(20)[None, :] % 30
    np.testing.assert_allclose(m.forward(x)[0].data, t(torch.from_numpy(x))[0].detach().numpy()[0], atol=1e-4)


def test_memory_check_refuses_what_cannot_fit():
    huge = GPTConfig(vocab_size=30, block_size=1024, n_layer=24, n_embd=1024, n_head=16).validate(**tg.TORCH_LIMITS)
    with pytest.raises(tg.SetupError, match="GiB"):
        tg.check_memory(huge, batch_size=512, device=torch.device("cpu"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank, world, port, cfg, out):
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    data = name_data.first_names()
    run = tg.TorchRun.create(data, cfg, GPTConfig(), dist_=tg.Dist(rank, world))
    losses = [e["loss"] for e in tg.train_torch(run) if e["type"] == "step"]
    if rank == 0:
        torch.save({"losses": losses, "wte": run.model.wte.detach().clone()}, out)
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_two_ddp_processes_follow_one_process(tmp_path):
    """Same global batch and seed: 2 gloo processes give one process's loss curve (float32 rounding)."""
    cfg = TrainConfig(steps=30, batch_size=8, eval_interval=1000, n_samples=0)
    torch.set_num_threads(1)
    one = tg.TorchRun.create(name_data.first_names(), cfg, GPTConfig())
    single = [e["loss"] for e in tg.train_torch(one) if e["type"] == "step"]
    torch.multiprocessing.spawn(_ddp_worker, args=(2, _free_port(), cfg, tmp_path / "ddp.pt"), nprocs=2)
    ddp = torch.load(tmp_path / "ddp.pt")
    diff = np.max(np.abs(np.array(ddp["losses"]) - np.array(single)))
    assert len(ddp["losses"]) == 30 and diff < 1e-4, diff
    assert single[-1] < single[0] - 0.3  # it really trained
    np.testing.assert_allclose(ddp["wte"].numpy(), one.model.wte.detach().numpy(), atol=1e-4)
