"""The calculator: random expression trees whose values are computed while they are built
(with Python's operators, no eval), hand-checked cases, and refusal of everything else."""

import operator
import random

import pytest

from glasslm.engine.applications.calculator import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_EXPRESSION_CHARS,
    CalculatorError,
    calculate,
    normalise,
    show,
)

OPS = [
    ("+", operator.add),
    ("-", operator.sub),
    ("*", operator.mul),
    ("/", operator.truediv),
    ("//", operator.floordiv),
    ("%", operator.mod),
    ("**", operator.pow),
]


def random_expression(rng: random.Random, depth: int):
    """(text, value): the text fully parenthesised, so its value is the tree's value."""
    if depth == 0 or rng.random() < 0.3:
        value = rng.choice([rng.randint(0, 50), round(rng.uniform(0, 20), 2)])
        return str(value), value
    if rng.random() < 0.15:
        text, value = random_expression(rng, depth - 1)
        return f"(-{text})", -value
    (sym, fn) = rng.choice(OPS)
    (lt, lv), (rt, rv) = random_expression(rng, depth - 1), random_expression(rng, depth - 1)
    if sym == "**":
        rv = rng.randint(0, 3)  # small whole exponents keep values finite
        rt = str(rv)
    if sym in ("/", "//", "%") and rv == 0:
        return lt, lv
    return f"({lt} {sym} {rt})", fn(lv, rv)


def test_many_random_expressions_match_python_arithmetic():
    rng = random.Random(1234)
    checked = 0
    for _ in range(600):
        text, value = random_expression(rng, 4)
        if abs(value) > 1e200:
            continue
        assert calculate(text) == value, text
        checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    "text,value",
    [
        ("2+3*4", 14),
        ("(2+3)*4", 20),
        ("-2**2", -4),
        ("(-2)**2", 4),
        ("2**3**2", 512),
        ("7//2", 3),
        ("-7//2", -4),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("1/4", 0.25),
        ("2**-1", 0.5),
        ("10 - 2 - 3", 5),
        ("2^10", 1024),
        ("3 × 4", 12),
        ("9 ÷ 2", 4.5),
        ("+5", 5),
        ("1e3", 1000.0),
        ("0.1 + 0.2", 0.30000000000000004),
        ("  ( 1 )  ", 1),
        ("((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))", 1),
        ("3 * 12", 36),
        ("2**256", 2**256),
    ],
)
def test_hand_checked_values(text, value):
    got = calculate(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "text,words",
    [
        ("__import__('os').system('ls')", "function call"),
        ("abs(-2)", "function call"),
        ("x + 1", "name 'x'"),
        ("(1).real", "Attribute"),
        ("'a' * 3", "not a number"),
        ("True + 1", "not a number"),
        ("1 < 2", "comparison"),
        ("[1, 2]", "List"),
        ("1 if 1 else 2", "IfExp"),
        ("lambda: 1", "Lambda"),
        ("1j * 2", "not a number"),
        ("1 & 3", "BitAnd"),
        ("~1", "Invert"),
        ("1 +", "not arithmetic"),
        ("", "empty"),
        ("   ", "empty"),
        ("1/0", "division by zero"),
        ("5 // 0", "division by zero"),
        ("5 % 0.0", "division by zero"),
        ("0 ** -1", "negative power"),
        (f"2 ** {MAX_EXPONENT + 1}", "exponents"),
        ("1e309", "too large"),
        ("1e300 * 1e300", "too large"),
        ("(2**200)**5 * 2**200", "bits"),
        ("(-8) ** 0.5", "no real value"),
        ("1" * (MAX_EXPRESSION_CHARS + 1), "characters long"),
        ("(" * (MAX_DEPTH + 2) + "1" + "+1)" * (MAX_DEPTH + 2), "nested"),
        ("-" * (MAX_DEPTH + 5) + "1", "nested"),
        ("1; 2", "not arithmetic"),
        ("a = 1", "not arithmetic"),
    ],
)
def test_everything_else_is_refused_with_a_reason(text, words):
    with pytest.raises(CalculatorError, match=words):
        calculate(text)


def test_not_a_string():
    with pytest.raises(CalculatorError, match="text"):
        calculate(12)


def test_normalise_and_show():
    assert normalise(" 2 ^ 3 × 4 ÷ 5 − 1 ") == "2 ** 3 * 4 / 5 - 1"
    assert show(8.0) == "8" and show(2.5) == "2.5" and show(1 / 3) == "0.333333333333" and show(-4) == "-4"
    assert show(1e20) == "1e+20" and show(2**70) == str(2**70)
