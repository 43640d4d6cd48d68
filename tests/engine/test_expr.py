"""The expression parser (glasslm/engine/autograd/expr.py) against independent truths.

- Python's own parser (the `ast` module, parsing only: nothing is executed) read
  by a tiny tree-walker in this file is the reference for precedence and
  associativity: random expressions must get the same value both ways;
- central finite differences of that reference give the gradients;
- hand-written bad inputs must give messages that point at the right column.
"""

import ast
import math
import random

import pytest

from glasslm.engine.autograd import expr, expr_graph
from glasslm.engine.autograd.expr import ParseError, parse
from glasslm.engine.autograd.expr_graph import analyse

NAMES = ["a", "b", "c", "x"]
FUNCS = {"relu": lambda v: max(v, 0.0), "tanh": math.tanh, "exp": math.exp, "log": math.log}


def reference(text: str, values: dict) -> float:
    """Value of `text` by Python's grammar (ast.parse) and float maths; raises on any domain error."""

    def go(n):
        if isinstance(n, ast.Expression):
            return go(n.body)
        if isinstance(n, ast.Constant):
            return float(n.value)
        if isinstance(n, ast.Name):
            return values[n.id]
        if isinstance(n, ast.UnaryOp):
            v = go(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BinOp):
            a, b = go(n.left), go(n.right)
            ops = {
                ast.Add: lambda: a + b,
                ast.Sub: lambda: a - b,
                ast.Mult: lambda: a * b,
                ast.Div: lambda: a / b,
                ast.Pow: lambda: a**b,
            }
            r = ops[type(n.op)]()
            if isinstance(r, complex):
                raise ValueError("complex")
            return r
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Name):
                return FUNCS[n.func.id](go(n.args[0]))
            return FUNCS[n.func.attr](go(n.func.value))
        raise AssertionError(ast.dump(n))

    return go(ast.parse(text, mode="eval"))


def random_text(rng: random.Random, depth: int) -> str:
    sp = lambda: rng.choice(["", "", " "])  # noqa: E731
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.7:
            return rng.choice(NAMES)
        return rng.choice(["2", "0.5", "3", "1.5", "10", "1e-1"])
    kind = rng.choice(["bin", "bin", "bin", "neg", "pow", "func", "method", "paren"])
    a = random_text(rng, depth - 1)
    if kind == "bin":
        return f"{a}{sp()}{rng.choice('+-*/')}{sp()}{random_text(rng, depth - 1)}"
    if kind == "neg":
        return f"-{a}"
    if kind == "pow":
        return f"({a})**{rng.choice(['2', '3', '-1', '0.5', '(-2)'])}"
    if kind == "func":
        return f"{rng.choice(list(FUNCS))}({a})"
    if kind == "method":
        return f"({a}).{rng.choice(list(FUNCS))}()"
    return f"({a})"


def cases(count, seed):
    rng = random.Random(seed)
    made = 0
    while made < count:
        text = random_text(rng, rng.randint(1, 4))
        if len(text) > expr.MAX_LENGTH:
            continue
        values = {n: rng.uniform(-2, 2) for n in NAMES}
        made += 1
        yield text, values


def test_values_match_pythons_grammar():
    ok = 0
    for text, values in cases(400, seed=3):
        try:
            want = reference(text, values)
            if not math.isfinite(want):
                raise OverflowError
        except (ValueError, ZeroDivisionError, OverflowError):
            with pytest.raises(ParseError):
                analyse(text, values)
            continue
        got = analyse(text, values)
        assert got["value"] == pytest.approx(want, rel=1e-12, abs=1e-12), text
        ok += 1
    assert ok > 250


def test_gradients_match_finite_differences_of_the_reference():
    checked = 0
    for text, values in cases(300, seed=4):
        try:
            reference(text, values)
            got = analyse(text, values)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        for inp in got["inputs"]:
            name, x = inp["name"], values[inp["name"]]
            h = 1e-6 * max(1.0, abs(x))
            try:
                fd = (reference(text, {**values, name: x + h}) - reference(text, {**values, name: x - h})) / (2 * h)
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            if abs(fd) > 1e6:  # near a pole: finite differences are meaningless there
                continue
            # A relu input within h of zero makes the reference's difference straddle the kink.
            if abs(fd - inp["grad"]) > 1e-4 * max(1.0, abs(fd)) and "relu" in text:
                continue
            assert inp["grad"] == pytest.approx(fd, rel=1e-4, abs=1e-5), (text, name)
            checked += 1
    assert checked > 250


@pytest.mark.parametrize(
    "text, want",
    [
        ("-x**2", -9.0),  # unary minus binds looser than **, as in Python
        ("2**-1", 0.5),
        ("2**3**2", 512.0),  # ** is right-associative
        ("x-1-1", 1.0),  # - is left-associative
        ("x/3/3", 1 / 3),
        ("(-x)**2", 9.0),
        ("x.relu().log()", math.log(3)),
        ("relu(-x)", 0.0),
    ],
)
def test_precedence(text, want):
    assert analyse(text, {"x": 3.0})["value"] == pytest.approx(want)


@pytest.mark.parametrize(
    "text, words, column",
    [
        ("", "the expression is empty", 1),
        ("   ", "the expression is empty", 1),
        ("(a*b + c))", "unexpected ')' at column 10", 10),
        ("a + ) ", "unexpected ')' at column 5", 5),
        ("(a*b", "ends too early: expected ')' to close the '(' at column 1", 5),
        ("sin(x)", "unknown function 'sin' at column 1: use relu, tanh, exp or log", 1),
        ("x.sigmoid()", "unknown function 'sigmoid' at column 3", 3),
        ("2x", "is an operator such as * missing", 2),
        ("a ** b", "must be a plain number", 6),
        ("log", "is a function: write log(x)", 1),
        ("a ; b", "unexpected character ';' at column 3", 3),
        ("__import__(os)", "unknown function '__import__'", 1),
        ("__import__('os')", 'unexpected character "\'" at column 12', 12),
        ("x.__class__", "unknown function '__class__'", 3),
        ("relu(a, b)", "takes one argument", 7),
        ("1e400 * a", "too large", 1),
        ("log(a - 5)", "log of a negative number", 1),
        ("log(a - 1)", "log of zero", 1),
        ("a / (a - 1)", "division by zero", 1),
        ("(a - 3)**0.5", "fractional power", 1),
        ("exp(a * 1000)", "too large", 1),
    ],
)
def test_bad_expressions_point_at_the_problem(text, words, column):
    with pytest.raises(ParseError) as err:
        analyse(text, {"a": 1.0, "b": 2.0, "c": 3.0, "x": 4.0})
    assert words in err.value.message
    assert err.value.position + 1 == column


def test_limits():
    with pytest.raises(ParseError, match="limit is"):
        parse("a+" * expr.MAX_LENGTH + "a")
    with pytest.raises(ParseError, match="too big"):
        parse("+".join(["a"] * (expr.MAX_NODES + 1)))
    parse("+".join(["a"] * ((expr.MAX_NODES + 1) // 2)))  # within the limit
    with pytest.raises(ParseError, match="nested too deeply"):
        parse("(" * (expr.MAX_DEPTH + 1) + "a" + ")" * (expr.MAX_DEPTH + 1))
    many = "+".join(f"v{i}" for i in range(expr.MAX_NAMES + 1))
    with pytest.raises(ParseError, match="names; the limit"):
        analyse(many, {f"v{i}": 1.0 for i in range(expr.MAX_NAMES + 1)})
    with pytest.raises(ParseError, match="longer than"):
        parse("a" * (expr.MAX_NAME_LENGTH + 1))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e7])
def test_bad_values(value):
    with pytest.raises(ParseError, match="finite number"):
        analyse("a * 2", {"a": value})


def test_missing_value():
    with pytest.raises(ParseError, match="no value given for 'b'"):
        analyse("a * b", {"a": 1.0})


def test_graph_shape_and_backward_steps():
    # f = x*x + x at x = 3: one shared leaf for x; df/dx = 2x + 1 = 7.
    g = analyse("x*x + x", {"x": 3.0})
    assert g["value"] == 12.0
    kinds = [n["kind"] for n in g["nodes"]]
    assert kinds.count("input") == 1 and kinds.count("op") == 2
    assert g["inputs"] == [
        {"name": "x", "value": 3.0, "grad": 7.0, "finite_difference": pytest.approx(7.0), "agrees": True}
    ]
    assert g["nodes"][g["output"]]["text"] == "x*x + x"
    # Replaying the recorded steps from zero reproduces every gradient.
    grads = [0.0] * len(g["nodes"])
    grads[g["output"]] = 1.0
    for step in g["steps"]:
        assert step["grad"] == grads[step["node"]]
        for c in step["contributions"]:
            assert c["added"] == c["local"] * step["grad"]
            grads[c["child"]] += c["added"]
    assert grads == [n["grad"] for n in g["nodes"]]
    # One edge per (input, use): the '*' node uses x twice.
    assert len(g["edges"]) == 4


def test_relu_kink_is_reported_as_disagreeing():
    # At a = 0 autograd says relu'(0) = 0; the central difference sees (h - 0) / 2h = 0.5.
    g = analyse("relu(a)", {"a": 0.0})
    (inp,) = g["inputs"]
    assert inp["grad"] == 0.0
    assert inp["finite_difference"] == pytest.approx(0.5)
    assert inp["agrees"] is False


def test_one_sided_difference_next_to_a_domain_edge():
    # log(a) at a = 1e-7: a - h would be negative; a one-sided difference still works.
    g = analyse("log(a)", {"a": 1e-7})
    (inp,) = g["inputs"]
    assert inp["grad"] == pytest.approx(1e7)
    assert inp["finite_difference"] is not None


def test_difference_sweep_error_is_v_shaped():
    # d/dx exp(x) at x = 1 is e. Truncation error ~ e h^2 / 6 shrinks as h falls,
    # rounding error ~ 1e-16 e / h grows: the best h is in the middle.
    s = expr_graph.difference_sweep("exp(x)", {"x": 1.0}, "x")
    assert s["grad"] == pytest.approx(math.e, rel=1e-15)
    errors = {row["h"]: row["error"] for row in s["rows"]}
    assert errors[1e-1] == pytest.approx(math.e * 1e-2 / 6, rel=0.01)  # the h^2 term of the Taylor series
    best = min(errors, key=errors.get)
    assert 1e-9 <= best <= 1e-4
    assert errors[1e-14] > 100 * errors[best]
    with pytest.raises(ParseError, match="not a name"):
        expr_graph.difference_sweep("exp(x)", {"x": 1.0}, "y")


def test_difference_sweep_marks_steps_outside_the_domain():
    s = expr_graph.difference_sweep("log(x)", {"x": 0.05}, "x")
    h_of_none = [row["h"] for row in s["rows"] if row["estimate"] is None]
    assert h_of_none == [0.1]  # 0.05 - 0.1 < 0
