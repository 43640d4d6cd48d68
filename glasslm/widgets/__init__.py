"""The guide's central views as notebook widgets (Jupyter, JupyterLab, VS Code, marimo), via anywidget.

    from glasslm.widgets import AttentionMap, TrainingCurve
    curve = TrainingCurve(steps=300); curve        # a tiny GPT's loss curve, live while .train() runs
    curve.train()
    AttentionMap("emma", model=curve.model)        # its attention heads, with layer/head pickers
    AttentionMap("The cat sat on the mat")         # SmolLM2's

Widgets: AttentionMap, TrainingCurve, NextToken, TokenStrip, SamplingKnobs, LogitLens.
Each computes its numbers in the kernel with the engine functions the chapters
use, draws them with the guide's own front-end components (bundle.py inlines
them into one ES module; style.py brings the guide's look), and has a `.data()`
method returning the plain numbers (dicts and numpy arrays).

Needs the notebook extra: pip install "glasslm[notebook]".
"""

from glasslm.widgets.attention import AttentionMap
from glasslm.widgets.lens import LogitLens
from glasslm.widgets.next_token import NextToken
from glasslm.widgets.sampling import SamplingKnobs
from glasslm.widgets.tokens import TokenStrip
from glasslm.widgets.training import TrainingCurve

__all__ = ["AttentionMap", "LogitLens", "NextToken", "SamplingKnobs", "TokenStrip", "TrainingCurve"]
