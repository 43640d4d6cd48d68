"""The engine's import graph follows the guide: a subpackage imports only those below it.

Read with `ast` (no imports run), so a lazy import inside a function counts too.
"""

import ast
from pathlib import Path

import pytest

import glasslm.engine

ENGINE = Path(glasslm.engine.__file__).parent

# Lowest first. The three model families sit on one rung: siblings never import each other.
LAYERS = [
    {"autograd"},
    {"basics"},
    {"tokenizers"},
    {"data"},
    {"models.tiny", "models.llama", "models.vision"},
    {"embeddings"},
    {"training"},
    {"inference"},
    {"post_training"},
    {"pretraining"},
    {"evaluation"},
    {"interpretability"},
    {"applications"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def subpackage(module: str) -> str | None:
    """'glasslm.engine.models.llama.rope' -> 'models.llama'; None for a module outside the subpackages."""
    parts = module.split(".")[2:]
    if not parts:
        return None
    name = ".".join(parts[:2]) if parts[0] == "models" and len(parts) > 1 else parts[0]
    return name if name in RANK else None


def imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth; relative imports resolved."""
    tree = ast.parse(path.read_text() if source is None else source, str(path))
    package = ".".join(("glasslm", *path.relative_to(ENGINE.parent).with_suffix("").parts[:-1]))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]  # `from pkg import module`
    return out


def engine_files():
    return sorted(p for p in ENGINE.rglob("*.py"))


def violations(path: Path, source: str | None = None) -> list[str]:
    """One sentence per import line that breaks the layering, in line order."""
    own = subpackage(".".join(("glasslm", *path.relative_to(ENGINE.parent).with_suffix("").parts)))
    bad: dict[tuple[int, str], str] = {}
    for line, module in sorted(imports(path, source)):
        where = f"{path.relative_to(ENGINE.parent)}:{line}"
        if module.startswith(("glasslm.web", "glasslm.chapters", "glasslm.cli")):
            bad[line, "web"] = f"{where} imports {module}: the engine never imports web, chapter or CLI code"
            continue
        other = subpackage(module) if module.startswith("glasslm.engine.") and own else None
        if other is None or other == own:
            continue
        if RANK[other] > RANK[own]:
            bad[line, other] = f"{where} imports {module}: {own} sits below {other}"
        elif RANK[other] == RANK[own]:
            bad[line, other] = f"{where} imports {module}: {own} and {other} are siblings"
    return list(bad.values())


def test_the_layers_name_every_subpackage():
    found = {
        subpackage(f"glasslm.engine.{'.'.join(p.relative_to(ENGINE).parts[:-1])}.x")
        for p in ENGINE.rglob("__init__.py")
        if p.parent != ENGINE and p.parent.name != "models"
    }
    assert found == set(RANK)


@pytest.mark.parametrize("path", engine_files(), ids=lambda p: str(p.relative_to(ENGINE)))
def test_no_module_imports_a_layer_above_its_own(path):
    assert violations(path) == []


def test_the_check_catches_upward_lazy_sibling_and_web_imports():
    probe = ENGINE / "models" / "tiny" / "probe.py"  # never written: its text is checked as if it were there
    got = violations(
        probe,
        "def f():\n    from glasslm.engine.training.train import TrainConfig\n"
        "from glasslm.web import app\nfrom ..llama import rope\nfrom ...basics import sampling\n",
    )
    assert len(got) == 3, got
    assert "models.tiny sits below training" in got[0]
    assert "never imports web" in got[1]
    assert "models.tiny and models.llama are siblings" in got[2]


def test_the_engine_lists_its_subpackages_in_layer_order():
    doc = glasslm.engine.__doc__
    listed = sorted(RANK, key=lambda n: doc.index(n.replace(".", "/") + "/"))  # fails if one is missing
    assert [RANK[n] for n in listed] == sorted(RANK[n] for n in listed)
