"""A calculator tool for an agent: arithmetic read by walking Python's syntax tree, nothing else run.

A model's "Action: calculate[...]" line is untrusted text. Handing it to
Python's eval would run whatever it says (`__import__('os')...`). Instead the
text is parsed into a syntax tree with `ast.parse(..., mode="eval")` (parsing
runs nothing) and a small walker computes it, allowing only:

    numbers (int, float)     + - * / // % **     unary + and -     parentheses

Anything else (names, calls, attributes, strings, comparisons, lists, ...) is
refused with a sentence naming the construct. Python's own precedence and
results apply (so -2**2 is -4 and 7 // 2 is 3), because the tree is Python's.

Guards against answers too big to compute: an exponent above MAX_EXPONENT,
a whole number longer than MAX_INT_BITS bits, a result that is not finite,
and expressions longer than MAX_EXPRESSION_CHARS or nested deeper than
MAX_DEPTH. Small models write powers as "^" and products as "x"/"×": "^",
"×" and "÷" are read as **, * and / (documented, since in Python "^" is XOR).

Left out: functions (sqrt, sin), variables, units, percentages.
"""

from __future__ import annotations

import ast
import math
import operator

MAX_EXPRESSION_CHARS = 200  # a line of arithmetic; longer is not what a tool call looks like
MAX_DEPTH = 32  # nesting of the tree: deeper is a machine-made expression, not a question
MAX_EXPONENT = 256  # 2**256 is still exact and instant; 10**100000 would hold the server
MAX_INT_BITS = 1024  # about 308 decimal digits, the float range

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_REWRITES = {"^": "**", "×": "*", "÷": "/", "−": "-"}


class CalculatorError(ValueError):
    """The expression is not plain arithmetic, or its value cannot be computed; says which."""


def normalise(expression: str) -> str:
    """The expression with ^, ×, ÷ and the minus sign − read as Python's **, *, / and -."""
    for old, new in _REWRITES.items():
        expression = expression.replace(old, new)
    return expression.strip()


def _check(value):
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("the result is too large to represent (overflow)")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise CalculatorError(f"the result has more than {MAX_INT_BITS} bits (about 308 digits): too large")
    return value


def _walk(node: ast.AST, depth: int):
    if depth > MAX_DEPTH:
        raise CalculatorError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Expression):
        return _walk(node.body, depth + 1)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise CalculatorError(f"{node.value!r} is not a number: only numbers and + - * / // % ** are allowed")
        return _check(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _check(_UNARY[type(node.op)](_walk(node.operand, depth + 1)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left, depth + 1), _walk(node.right, depth + 1)
        op = type(node.op)
        if op is ast.Pow and abs(right) > MAX_EXPONENT:
            raise CalculatorError(f"exponents are limited to {MAX_EXPONENT} here (you gave {right})")
        if op in (ast.Div, ast.FloorDiv, ast.Mod) and right == 0:
            raise CalculatorError("division by zero")
        if op is ast.Pow and left == 0 and right < 0:
            raise CalculatorError("zero cannot be raised to a negative power (division by zero)")
        try:
            value = _BINARY[op](left, right)
        except OverflowError:
            raise CalculatorError("the result is too large to represent (overflow)") from None
        if isinstance(value, complex):
            raise CalculatorError("a negative number to a fractional power has no real value")
        return _check(value)
    what = type(node).__name__
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        what = f"the operator {type(node.op).__name__}"
    elif isinstance(node, ast.Name):
        what = f"the name '{node.id}'"
    elif isinstance(node, ast.Call):
        what = "a function call"
    elif isinstance(node, ast.Compare):
        what = "a comparison"
    raise CalculatorError(f"{what} is not allowed: only numbers, parentheses and + - * / // % ** are")


def calculate(expression: str) -> int | float:
    """The value of an arithmetic expression, or CalculatorError saying what is wrong with it."""
    if not isinstance(expression, str):
        raise CalculatorError("the expression must be text")
    text = normalise(expression)
    if not text:
        raise CalculatorError("the expression is empty: write some arithmetic, such as 12*(3+4)")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"the expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_CHARS}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise CalculatorError(f"this is not arithmetic Python can read ({e.msg})") from None
    except (ValueError, MemoryError, RecursionError):
        raise CalculatorError("this expression cannot be read") from None
    return _walk(tree, 0)


def show(value: int | float) -> str:
    """The value as the tool's observation: whole numbers without a decimal point, floats to 12 digits."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.12g}" if isinstance(value, float) else str(value)
