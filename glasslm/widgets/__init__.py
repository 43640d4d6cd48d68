"""The guide's central views as notebook widgets (Jupyter, JupyterLab, VS Code, marimo), via anywidget.

    from glasslm.widgets import AttentionMap
    AttentionMap("The cat sat on the mat because it was tired")   # SmolLM2, layer/head pickers

Each widget computes its numbers in the kernel with the same engine functions
the chapters use, draws them with the guide's own front-end components
(bundle.py inlines them into one ES module, style.py brings the guide's look),
and has a `.data()` method returning the plain numbers (dicts and numpy arrays).

Needs the notebook extra: pip install "glasslm[notebook]".
"""

from glasslm.widgets.attention import AttentionMap

__all__ = ["AttentionMap"]
