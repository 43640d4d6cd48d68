"""Every engine function a demo shows "Under the hood" exists, is served, and did the work.

The names are read from every chapter's front-end modules, so a renamed
engine function fails here instead of leaving an error in the learner's panel.
A listed function must be the one whose body computes the numbers shown, so
a wrapper that only hands its arguments on (a lock around one call, a
one-line delegation) is rejected: the panel would show the learner nothing.
"""

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parents[2] / "glasslm" / "chapters"
FILES = sorted(CHAPTERS.glob("*/*.js"))
PATTERN = r'"(glasslm\.engine\.[a-z_0-9.]+:[A-Za-z_0-9.]+)"'
NAMES = sorted({m for f in FILES for m in re.findall(PATTERN, f.read_text(encoding="utf-8"))})


def test_every_chapter_with_demos_names_its_engine_code():
    with_sources = {f.parent.name for f in FILES if re.search(PATTERN, f.read_text(encoding="utf-8"))}
    with_demos = {f.parent.name for f in CHAPTERS.glob("*/demo.js")}
    assert with_demos and with_sources == with_demos, with_demos - with_sources


@pytest.mark.parametrize("name", NAMES)
def test_source_is_served(client, name):
    r = client.get("/api/source", params={"name": name})
    assert r.status_code == 200, r.json()
    qualname = name.split(":")[1].split(".")[-1]
    assert re.search(rf"(def|class) {qualname}\b", r.json()["source"])


def _plain(node: ast.AST) -> bool:
    """An argument passed on as it came: a name, an attribute, a constant (no arithmetic, no indexing, no call)."""
    if isinstance(node, ast.Starred):
        return _plain(node.value)
    if isinstance(node, ast.Attribute):
        return _plain(node.value)
    return isinstance(node, (ast.Name, ast.Constant))


def _only_hands_on(stmts: list[ast.stmt]) -> bool:
    """True if the statements are one call with its arguments passed through (`return f(a, b)`, `f(a)`),
    possibly inside `with lock:`: the work happens somewhere else."""
    if len(stmts) != 1:
        return False
    s = stmts[0]
    if isinstance(s, ast.With):
        return _only_hands_on(s.body)
    if isinstance(s, (ast.Return, ast.Expr)) and isinstance(s.value, ast.Call):
        call = s.value
        return all(_plain(a) for a in call.args) and all(_plain(k.value) for k in call.keywords)
    return False


def _checks_input(s: ast.stmt) -> bool:
    """A guard before the work: `if bad: raise ...`, an assert, or a call to check_*/validate_*."""
    if isinstance(s, ast.If):
        return not s.orelse and all(isinstance(b, ast.Raise) for b in s.body)
    if isinstance(s, (ast.Assign, ast.Expr)) and isinstance(s.value, ast.Call):
        f = s.value.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return name.lstrip("_").startswith(("check", "validate"))
    return isinstance(s, ast.Assert)


def is_wrapper(source: str) -> bool:
    """Whether a function's source, after its docstring and any input checks, only hands its
    arguments to another function."""
    node = ast.parse(textwrap.dedent(source)).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False  # a class shows its methods
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    while len(body) > 1 and _checks_input(body[0]):
        body = body[1:]
    return _only_hands_on(body)


def test_is_wrapper_tells_a_delegation_from_maths():
    lock = (
        'def forward(self, ids, cache=None):\n    """Doc."""\n    with self._lock:\n'
        "        return self._forward(ids, cache, last_only=False)\n"
    )
    delegation = "def causal(qkv, B, T):\n    return attention(qkv, B, T, causal=True)\n"
    accessor = "def ids(self, messages):\n    return self.template.ids(messages)\n"
    maths = "def cosine(self, a, b):\n    return float(self.unit[self.index(a)] @ self.unit[self.index(b)])\n"
    steps = "def f(x):\n    y = g(x)\n    return h(y)\n"
    guarded = (
        "def f(self, ids):\n    ids = self.check_ids(ids)\n    if not ids:\n        raise ValueError('x')\n"
        "    return self.model.run(ids)\n"
    )
    assert is_wrapper(lock) and is_wrapper(delegation) and is_wrapper(accessor) and is_wrapper(guarded)
    assert not is_wrapper(maths) and not is_wrapper(steps)
    assert not is_wrapper("class A:\n    def f(self):\n        return g(self)\n")


def _engine_object(name: str):
    module, qualname = name.split(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("name", NAMES)
def test_source_does_the_work(name):
    source = inspect.getsource(_engine_object(name))
    assert not is_wrapper(source), (
        f"{name} only hands its arguments to another function; list the function that computes the numbers"
    )
