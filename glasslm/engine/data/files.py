"""The data files that ship inside the package, found one way.

The fact set, the evaluation and prompting task sets and the RAG handbook sit
beside this module in glasslm/engine/data/; every loader asks for them here by
file name, so a moved or renamed file fails in one place.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent


def data_file(name: str) -> Path:
    """The path of one packaged data file, e.g. data_file("handbook.md")."""
    path = DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"glasslm's data file {name} is missing from {DATA_DIR}: reinstall glasslm.")
    return path


def read_json(name: str):
    """One packaged JSON file, parsed."""
    return json.loads(data_file(name).read_text(encoding="utf-8"))
