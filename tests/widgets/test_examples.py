"""The example notebooks run top to bottom, offline, in a real Jupyter kernel (nbclient + ipykernel), without errors."""

from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
CELL_TIMEOUT_S = 300  # one cell: loading SmolLM2 on a busy 2-core machine is the slowest


def test_there_are_examples():
    assert {p.name for p in NOTEBOOKS} >= {"tour.ipynb", "train_your_gpt.ipynb", "open_smollm2.ipynb"}


@pytest.mark.slow  # a kernel start and SmolLM2 forward passes
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_example_runs_without_errors(path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(EXAMPLES.parent))  # the kernel imports this checkout's glasslm
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    ).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    widgets = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widgets, "the notebook displayed no widget"
