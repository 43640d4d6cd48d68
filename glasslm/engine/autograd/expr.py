"""A small, safe parser for expressions over named scalars (expr_graph.py builds their graphs).

The autograd chapter lets the learner type an expression such as
`(a*b + c).relu()`. This file reads that text *without ever running it as code*
(no `eval`): a tokenizer cuts it into numbers, names and symbols, and a
recursive-descent parser builds a syntax tree, one function per precedence
level (lowest first):

    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/') unary)*
    unary    := '-' unary | '+' unary | power
    power    := postfix ('**' unary)?          right-associative, like Python;
                                               the exponent must be a plain number
    postfix  := primary ('.' FUNC '(' ')')*      x.relu()
    primary  := NUMBER | NAME | FUNC '(' sum ')' | '(' sum ')'

    FUNC is one of relu, tanh, exp, log.

So `-x**2` is `-(x**2)` and `2**-1` is 0.5, as in Python. expr_graph.py builds
the tree into `glasslm.engine.autograd.value.Value` nodes, runs the backward pass and
checks each gradient by finite differences.

Every mistake raises `ParseError(message, position)`; the message names the
column (1-based) and says what to do ("unexpected ')' at column 7"). Sizes are
bounded by the constants below so that no input can make the server work hard.

Left out on purpose: other functions (sin, max...), comparison, assignment,
exponents that depend on a name (x**y), implicit multiplication (2x).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

MAX_LENGTH = 200  # characters: a few lines' worth, plenty for a teaching expression
MAX_NODES = 60  # syntax-tree nodes: a graph larger than this cannot be drawn readably
MAX_DEPTH = 24  # nesting of parentheses / operators: bounds recursion
MAX_NAMES = 8  # distinct input names: one slider each
MAX_NAME_LENGTH = 12  # characters per name: labels must fit in a graph node
MAX_ABS_VALUE = 1e6  # input values and number literals: keeps the arithmetic readable
FUNCTIONS = ("relu", "tanh", "exp", "log")


class ParseError(ValueError):
    """A mistake in the expression, or a value outside an operation's domain."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position  # 0-based character offset, None when not tied to a place


# ------------------------------------------------------------------ tokenizer


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int  # 0-based offset in the source


_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/().,]))"
)


def tokenize(text: str) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            at = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ParseError(
                f"unexpected character {text[at]!r} at column {at + 1}: use numbers, names, + - * / ** and parentheses",
                at,
            )
        kind = m.lastgroup
        tokens.append(Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ------------------------------------------------------------------ syntax tree


@dataclass(frozen=True)
class Node:
    """One syntax-tree node. kind: num, name, neg, + - * /, pow, or a function name."""

    kind: str
    start: int  # source span, for pointing at it
    end: int
    args: tuple = ()
    number: float = 0.0  # for num; the exponent for pow
    name: str = ""  # for name


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.nodes = 0
        self.depth = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect(self, text: str, after: str) -> Token:
        if self.tok.text != text or self.tok.kind != "op":
            self.fail(f"expected '{text}' {after}")
        return self.take()

    def fail(self, wanted: str):
        t = self.tok
        if t.kind == "end":
            raise ParseError(f"the expression ends too early: {wanted}", t.pos)
        raise ParseError(f"unexpected {_describe(t)} at column {t.pos + 1}: {wanted}", t.pos)

    def node(self, *a, **kw) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ParseError(
                f"the expression is too big (more than {MAX_NODES} parts): make it shorter so its graph can be drawn",
                self.tok.pos,
            )
        return Node(*a, **kw)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)", self.tok.pos)

    # grammar
    def parse(self) -> Node:
        if not self.text.strip():
            raise ParseError("the expression is empty: type one, for example (a*b + c).relu()", 0)
        tree = self.sum()
        if self.tok.kind != "end":
            t = self.tok
            if t.kind in ("num", "name") or t.text == "(":
                hint = "is an operator such as * missing before it?"
            elif t.text == ")":
                hint = "there is no '(' for it to close"
            else:
                hint = "an operator or the end of the expression was expected here"
            raise ParseError(f"unexpected {_describe(t)} at column {t.pos + 1}: {hint}", t.pos)
        return tree

    def sum(self) -> Node:
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take().text
            right = self.product()
            left = self.node(op, left.start, right.end, (left, right))
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take().text
            right = self.unary()
            left = self.node(op, left.start, right.end, (left, right))
        return left

    def unary(self) -> Node:
        self.enter()
        try:
            if self.tok.kind == "op" and self.tok.text in "+-":
                t = self.take()
                arg = self.unary()
                if t.text == "+":
                    return arg
                if arg.kind == "num":  # fold -3 into one number
                    return Node("num", t.pos, arg.end, number=-arg.number)
                return self.node("neg", t.pos, arg.end, (arg,))
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Node:
        base = self.postfix()
        if self.tok.kind == "op" and self.tok.text == "**":
            star = self.take()
            exponent = self.unary()
            k = _constant(exponent)
            if k is None:
                raise ParseError(
                    f"the exponent after '**' at column {star.pos + 1} must be a plain number, like x**2 or x**-1",
                    exponent.start,
                )
            return self.node("pow", base.start, exponent.end, (base,), number=k)
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while self.tok.kind == "op" and self.tok.text == ".":
            self.take()
            if self.tok.kind != "name":
                self.fail("expected a function name after '.', like .relu()")
            fn = self.take()
            _check_function(fn)
            self.expect("(", f"after '.{fn.text}': write .{fn.text}()")
            close = self.expect(")", f"after '.{fn.text}(': write .{fn.text}()")
            node = self.node(fn.text, node.start, close.pos + 1, (node,))
        return node

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            value = float(t.text)
            if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
                raise ParseError(
                    f"the number {t.text} at column {t.pos + 1} is too large (the limit is {MAX_ABS_VALUE:g})", t.pos
                )
            return self.node("num", t.pos, t.pos + len(t.text), number=value)
        if t.kind == "name":
            self.take()
            nxt = self.tok
            if nxt.kind == "op" and nxt.text == "(":
                _check_function(t)
                self.take()
                self.enter()
                arg = self.sum()
                self.depth -= 1
                if self.tok.text == ",":
                    raise ParseError(
                        f"{t.text}() takes one argument; unexpected ',' at column {self.tok.pos + 1}", self.tok.pos
                    )
                close = self.expect(")", f"to close {t.text}( opened at column {nxt.pos + 1}")
                return self.node(t.text, t.pos, close.pos + 1, (arg,))
            if t.text in FUNCTIONS:
                raise ParseError(
                    f"'{t.text}' at column {t.pos + 1} is a function: write {t.text}(x) or x.{t.text}()", t.pos
                )
            if len(t.text) > MAX_NAME_LENGTH:
                raise ParseError(
                    f"the name '{t.text[:MAX_NAME_LENGTH]}...' at column {t.pos + 1} is longer than "
                    f"{MAX_NAME_LENGTH} characters",
                    t.pos,
                )
            return self.node("name", t.pos, t.pos + len(t.text), name=t.text)
        if t.kind == "op" and t.text == "(":
            self.take()
            self.enter()
            inner = self.sum()
            self.depth -= 1
            close = self.expect(")", f"to close the '(' at column {t.pos + 1}")
            return replace(inner, start=t.pos, end=close.pos + 1)  # the span includes the parentheses
        self.fail("expected a number, a name or '('")


def _describe(t: Token) -> str:
    if t.kind == "num":
        return f"number {t.text}"
    if t.kind == "name":
        return f"name '{t.text}'"
    return f"'{t.text}'"


def _check_function(t: Token) -> None:
    if t.text not in FUNCTIONS:
        raise ParseError(f"unknown function '{t.text}' at column {t.pos + 1}: use relu, tanh, exp or log", t.pos)


def _constant(node: Node) -> float | None:
    """The number a name-free exponent stands for (`-1`, `(2)`), or None if it uses a name."""
    if node.kind == "num":
        return node.number
    if node.kind == "neg":
        inner = _constant(node.args[0])
        return None if inner is None else -inner
    if node.kind == "pow":  # 3**2 inside 2**3**2
        inner = _constant(node.args[0])
        try:
            return None if inner is None else float(inner**node.number)
        except (OverflowError, ZeroDivisionError, TypeError):
            return None
    return None


def parse(text: str) -> Node:
    """The syntax tree of `text`, or ParseError saying where and what is wrong."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}", MAX_LENGTH)
    return _Parser(text).parse()


def names(tree: Node) -> list[str]:
    """The input names in order of first appearance."""
    found: list[str] = []
    stack = [tree]
    while stack:
        n = stack.pop()
        if n.kind == "name" and n.name not in found:
            found.append(n.name)
        stack.extend(reversed(n.args))
    return found
