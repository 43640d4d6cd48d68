"""Scalar automatic differentiation: one number, and how every output depends on it.

A `Value` wraps one float. Every arithmetic operation on Values builds a new
Value that remembers its inputs (`_prev`), the operation (`_op`), and - computed
right beside the forward result - the *local derivatives* d(out)/d(input) for
each input. `backward()` then walks the graph from the output back to the
leaves in reverse topological order and applies the chain rule, which in this
file is one line:

    child.grad += local * node.grad

This is the design of Karpathy's micrograd (engine.py). What this file adds:
- the local derivatives are stored as numbers on each node (instead of hidden in
  a closure), so the autograd chapter can show the backward pass one node at a
  time: `backward_steps()` returns every step in order with its contributions;
- division, log, sigmoid and an explicit subtraction node, so that a typed
  expression's graph has the nodes the learner wrote;
- readable errors for values outside an operation's domain (log of a negative
  number, division by zero) instead of a bare Python exception;
- an iterative topological sort, so deep graphs (a scalar GPT's loss is a graph
  of tens of thousands of nodes) do not hit Python's recursion limit.

Left out on purpose: tensors (see the vectorized engine), higher-order
derivatives, and in-place operations.

Derivatives (standard calculus):
    a+b: 1, 1      a-b: 1, -1      a*b: b, a      a/b: 1/b, -a/b^2
    a**k: k a^(k-1)    exp: exp(a)    log: 1/a    tanh: 1 - tanh^2
    relu: 1 if a > 0 else 0 (0 at a == 0, as in PyTorch)
    sigmoid: s (1 - s)

Gradients *accumulate*, as in micrograd and PyTorch: call `zero_grad()` on the
parameters (or set `p.grad = 0.0`) before each new backward pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class Value:
    """One scalar in a computation graph, with its gradient."""

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label")

    def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = "", _local: tuple = ()):
        self.data = float(data)
        self.grad = 0.0  # d(output of the last backward) / d(this value)
        self._prev = tuple(_children)  # inputs, in order (a*a keeps both)
        self._local = tuple(_local)  # d(self)/d(input) for each input, same order
        self._op = _op  # "" for a leaf
        self.label = label

    # ------------------------------------------------------------ forward ops
    # Each op computes its result and its local derivatives side by side.

    def __add__(self, other) -> "Value":
        other = _as_value(other)
        return Value(self.data + other.data, (self, other), "+", _local=(1.0, 1.0))

    def __sub__(self, other) -> "Value":
        other = _as_value(other)
        return Value(self.data - other.data, (self, other), "-", _local=(1.0, -1.0))

    def __mul__(self, other) -> "Value":
        other = _as_value(other)
        return Value(self.data * other.data, (self, other), "*", _local=(other.data, self.data))

    def __truediv__(self, other) -> "Value":
        other = _as_value(other)
        b = other.data
        if b == 0.0:
            raise ValueError(f"division by zero: {self.data:g} / 0")
        return Value(self.data / b, (self, other), "/", _local=(1.0 / b, -self.data / (b * b)))

    def __pow__(self, k) -> "Value":
        if isinstance(k, Value):
            raise TypeError("the exponent must be a plain number (x**2), not a Value")
        k = float(k)
        a = self.data
        if a == 0.0 and k < 0:
            raise ValueError(f"0 to the power {k:g} is undefined (division by zero)")
        if a == 0.0 and 0 < k < 1:
            raise ValueError(f"the slope of x**{k:g} at x = 0 is infinite: use a value away from 0")
        if a < 0.0 and not k.is_integer():
            raise ValueError(f"a negative number ({a:g}) to a fractional power ({k:g}) is not a real number")
        try:
            out = a**k
            local = k * a ** (k - 1) if k != 0 else 0.0
        except OverflowError:
            raise ValueError(f"{a:g} ** {k:g} is too large for a float") from None
        return Value(out, (self,), f"**{k:g}", _local=(local,))

    def __neg__(self) -> "Value":
        return Value(-self.data, (self,), "neg", _local=(-1.0,))

    def relu(self) -> "Value":
        a = self.data
        return Value(a if a > 0 else 0.0, (self,), "relu", _local=(1.0 if a > 0 else 0.0,))

    def tanh(self) -> "Value":
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", _local=(1.0 - t * t,))

    def exp(self) -> "Value":
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp({self.data:g}) is too large for a float (limit is about exp(709))") from None
        return Value(e, (self,), "exp", _local=(e,))

    def log(self) -> "Value":
        a = self.data
        if a <= 0.0:
            kind = "zero" if a == 0.0 else f"a negative number ({a:g})"
            raise ValueError(f"log of {kind}: log is only defined for positive numbers")
        return Value(math.log(a), (self,), "log", _local=(1.0 / a,))

    def sigmoid(self) -> "Value":
        a = self.data
        # Two forms, each stable on its side of zero.
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        return Value(s, (self,), "sigmoid", _local=(s * (1.0 - s),))

    # Reflected forms so that 2 * x, 1 - x, 1 / x work with a number on the left.
    def __radd__(self, other) -> "Value":
        return _as_value(other) + self

    def __rsub__(self, other) -> "Value":
        return _as_value(other) - self

    def __rmul__(self, other) -> "Value":
        return _as_value(other) * self

    def __rtruediv__(self, other) -> "Value":
        return _as_value(other) / self

    # ------------------------------------------------------------ backward

    def topo(self) -> list["Value"]:
        """Every node this value depends on, each after all of its inputs (leaves first)."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list = [self]
        while stack:  # iterative post-order depth-first search
            node = stack.pop()
            if node is _EMIT:  # every input of the node under the marker is in `order`: emit it
                order.append(stack.pop())
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append(node)
            stack.append(_EMIT)
            for child in node._prev[::-1]:  # first input explored first
                if id(child) not in seen:
                    stack.append(child)
        return order

    def backward(self) -> None:
        """Fill `.grad` of every node with d(self)/d(node), by the chain rule."""
        self.grad = 1.0
        for node in reversed(self.topo()):
            g = node.grad
            for child, local in zip(node._prev, node._local):
                child.grad += local * g  # the chain rule

    def backward_steps(self) -> list["BackwardStep"]:
        """Run the backward pass like `backward()`, recording each node's step in order.

        Step i is the moment node i hands its (now final) gradient to its inputs;
        replaying steps 0..i shows the backward pass frozen after node i.
        """
        self.grad = 1.0
        steps = []
        for node in reversed(self.topo()):
            g = node.grad
            contributions = []
            for child, local in zip(node._prev, node._local):
                child.grad += local * g  # the chain rule, as in backward()
                contributions.append(Contribution(child, local, local * g))
            steps.append(BackwardStep(node, g, tuple(contributions)))
        return steps

    def zero_grad(self) -> None:
        """Set the gradient of this node and everything it depends on to zero."""
        for node in self.topo():
            node.grad = 0.0

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"


@dataclass(frozen=True)
class Contribution:
    """What one backward step adds to one input: local derivative x upstream gradient."""

    child: Value
    local: float  # d(node)/d(child)
    added: float  # local * node.grad, added to child.grad


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in the backward pass."""

    node: Value
    grad: float  # the node's final gradient when it is processed
    contributions: tuple[Contribution, ...]


_EMIT = object()  # topo()'s stack marker: "the node under me is finished"


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)
