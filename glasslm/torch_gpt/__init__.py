"""The tiny GPT in PyTorch: the road from this laptop to a GPU and to many of them.

glasslm's numpy engine shows every number; PyTorch is what the field uses to go
big. This package is the same model, the same data and the same checkpoints,
run by torch:

- model.py: `TorchGPT`, the tiny GPT's exact architecture as a `torch.nn.Module`.
  It reads and writes the safetensors checkpoints of `glasslm.TinyGPT` (same
  names, same metadata), and its logits and gradients equal the numpy engine's on
  the same weights (tests/engine/test_torch_gpt.py).
- train.py: the training loop on one device (cpu, cuda or mps), or as one of N
  processes under torchrun with DistributedDataParallel: every process takes a
  shard of every global batch, and the gradients are averaged so that N processes
  take the same steps as one.
- worker.py: the program torchrun starts in each process
  (`torchrun --nproc-per-node 2 -m glasslm.torch_gpt.worker ...`); `glasslm train
  --backend torch --nproc N` starts it for you.

torch is an optional extra: `pip install "glasslm[torch]"`. Importing this package
without it raises an ImportError that says so.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError('glasslm.torch_gpt needs PyTorch: pip install "glasslm[torch]"') from err

from glasslm.torch_gpt.model import TorchGPT, load_checkpoint, save_checkpoint  # noqa: E402

__all__ = ["TorchGPT", "load_checkpoint", "save_checkpoint"]
