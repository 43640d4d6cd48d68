"""What every glasslm widget shares: the guide's look, and the models it opens.

A widget is an anywidget: a Python object whose synced traits are its state,
and an ES module (bundled by bundle.py from the guide's own components) that
draws that state and sets traits back when the learner moves a control. The
numbers are computed in the kernel by the engine, as the chapters' routers do;
the module only draws them.
"""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets as t

from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.models.tiny.gpt import TinyGPT
from glasslm.widgets.bundle import bundle
from glasslm.widgets.style import widget_css

WEIGHT_DIGITS = 4  # decimals of probabilities sent to the page (data() keeps full precision)


class GlassWidget(anywidget.AnyWidget):
    """Base class: `_esm` is bundled from glasslm/widgets/js/<entry> when a subclass is defined."""

    entry = ""  # the subclass's front end, a file in glasslm/widgets/js/
    error = t.Unicode("").tag(sync=True)  # a sentence shown instead of a picture when the input was refused

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "entry" in cls.__dict__:  # not on the subclasses anywidget makes to add its own traits
            cls._esm = bundle(cls.entry)
            cls._css = widget_css()

    def data(self) -> dict:
        """The numbers the widget shows, in full precision (dicts, lists, numpy arrays)."""
        raise NotImplementedError(f"{type(self).__name__} must define data()")


def smollm2_if(model):
    """The model to use: the one given, or SmolLM2 loaded once (load_smollm2 caches it)."""
    return model if model is not None else load_smollm2()


def is_tiny(model) -> bool:
    return isinstance(model, TinyGPT)


def rounded(a) -> list:
    """A numpy array as nested lists of floats with WEIGHT_DIGITS decimals (what the page draws)."""
    return np.round(np.asarray(a, dtype=np.float64), WEIGHT_DIGITS).tolist()
