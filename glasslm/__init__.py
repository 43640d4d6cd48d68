"""glasslm: an interactive guide to how large language models work.

Every number the guide shows is computed live by real models on this machine.
From Python (a notebook, say) the main objects are one import away; they load
lazily, so `import glasslm` stays instant:

    import glasslm
    m = glasslm.load_smollm2()          # SmolLM2-135M-Instruct, run by numpy
    gpt = glasslm.TinyGPT(glasslm.GPTConfig())
    for event in glasslm.train_tiny_gpt(gpt): ...
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "load_smollm2": "glasslm.engine.models.llama.smollm2",
    "TinyGPT": "glasslm.engine.models.tiny.gpt",
    "GPTConfig": "glasslm.engine.models.tiny.gpt",
    "sample": "glasslm.engine.models.tiny.gpt",
    "train_tiny_gpt": "glasslm.engine.training.train",
    "TrainConfig": "glasslm.engine.training.train",
    "SamplingConfig": "glasslm.engine.basics.sampling",
    "GREEDY": "glasslm.engine.basics.sampling",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glasslm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(list(globals()) + __all__)
