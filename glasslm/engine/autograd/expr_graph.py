"""An expression's Value graph, its backward pass, and finite-difference checks.

expr.py turns the learner's text into a syntax tree; this file builds that tree
into `glasslm.engine.autograd.value.Value` nodes for the given values of the names, runs
the backward pass (recorded step by step for the autograd chapter), and checks
every named input's gradient against a central finite difference,
(f(x + h) - f(x - h)) / 2h, whose error is about h^2 for large h and about
(float rounding) / h for tiny h (`difference_sweep` shows both).

Left out: anything but scalars (tensor.py has the array engine).
"""

from __future__ import annotations

import math

from glasslm.engine.autograd.expr import MAX_ABS_VALUE, MAX_NAMES, Node, ParseError, names, parse
from glasslm.engine.autograd.value import Value

FD_STEP = 1e-6  # relative step of the central finite difference
FD_TOLERANCE = 1e-4  # |autograd - finite difference| <= tol * max(1, |gradient|) counts as agreeing


# ------------------------------------------------------------------ building the graph


def build(
    tree: Node, values: dict[str, float], source: str = "", spans: dict[int, tuple[int, int]] | None = None
) -> tuple[Value, dict[str, Value]]:
    """The Value graph of `tree`; returns (output, the input leaf of each name).

    One leaf per name, shared wherever the name appears. `source` is the text
    the tree was parsed from (for error messages); `spans`, when given, is
    filled with id(value) -> (start, end) of the text each value came from.
    """
    missing = [name for name in names(tree) if name not in values]
    if missing:
        raise ParseError(f"no value given for {', '.join(repr(m) for m in missing)}: set one for each name")
    leaves = {name: Value(values[name], label=name) for name in names(tree)}

    def go(n: Node) -> Value:
        if n.kind == "num":
            out = Value(n.number, label=f"{n.number:g}")
        elif n.kind == "name":
            out = leaves[n.name]
        else:
            args = [go(a) for a in n.args]
            where = f"at column {n.start + 1}" + (f", in '{source[n.start : n.end]}'" if source else "")
            try:
                out = _apply(n, args)
            except ValueError as e:  # a domain error: point at the operation
                raise ParseError(f"{e} ({where})", n.start) from None
            if not (math.isfinite(out.data) and all(math.isfinite(x) for x in out._local)):
                raise ParseError(f"the result overflows a float ({where}): use smaller values", n.start)
        if spans is not None:
            spans.setdefault(id(out), (n.start, n.end))
        return out

    return go(tree), leaves


_UNARY = {"neg": Value.__neg__, "relu": Value.relu, "tanh": Value.tanh, "exp": Value.exp, "log": Value.log}
_BINARY = {"+": Value.__add__, "-": Value.__sub__, "*": Value.__mul__, "/": Value.__truediv__}


def _apply(n: Node, args: list[Value]) -> Value:
    if n.kind == "pow":
        return args[0] ** n.number
    if n.kind in _BINARY:
        return _BINARY[n.kind](*args)
    return _UNARY[n.kind](args[0])


# ------------------------------------------------------------------ the whole analysis


def check_values(tree: Node, values: dict[str, float]) -> dict[str, float]:
    """The values of the tree's names as floats, or ParseError naming the bad one."""
    used = names(tree)
    if len(used) > MAX_NAMES:
        raise ParseError(f"the expression uses {len(used)} names; the limit is {MAX_NAMES}")
    out = {}
    for name in used:
        if name not in values:
            raise ParseError(f"no value given for '{name}': set one for each name")
        v = float(values[name])
        if not math.isfinite(v) or abs(v) > MAX_ABS_VALUE:
            raise ParseError(
                f"the value of '{name}' must be a finite number between {-MAX_ABS_VALUE:g} and {MAX_ABS_VALUE:g}"
            )
        out[name] = v
    return out


def finite_difference(tree: Node, values: dict[str, float], name: str) -> float | None:
    """d(output)/d(name) by a central difference (one-sided next to a domain edge; None if neither fits)."""
    x = values[name]
    h = FD_STEP * max(1.0, abs(x))

    def f(at: float) -> float | None:
        try:
            out, _ = build(tree, {**values, name: at})
        except ParseError:
            return None
        return out.data

    up, mid, down = f(x + h), f(x), f(x - h)
    if up is not None and down is not None:
        return (up - down) / (2 * h)
    if up is not None:
        return (up - mid) / h
    if down is not None:
        return (mid - down) / h
    return None


def analyse(text: str, values: dict[str, float]) -> dict:
    """Parse `text`, build its graph at `values`, run and record backward, check by finite differences.

    Returns a JSON-ready dict:
      value    the expression's value
      nodes    [{id, kind: input|constant|op, op, label, text, value, grad}], leaves first
      edges    [{source, target, local}]: input node -> node that uses it, with d(target)/d(source)
      steps    the backward pass in order: [{node, grad, contributions: [{child, local, added}]}]
      inputs   [{name, value, grad, finite_difference, agrees}]
      output   id of the output node
    """
    tree = parse(text)
    values = check_values(tree, values)
    spans: dict[int, tuple[int, int]] = {}
    out, leaves = build(tree, values, text, spans)
    steps = out.backward_steps()
    order = [s.node for s in reversed(steps)]  # leaves first
    index = {id(v): i for i, v in enumerate(order)}
    leaf_ids = {id(v) for v in leaves.values()}

    nodes = []
    for i, v in enumerate(order):
        start, end = spans.get(id(v), (0, 0))
        kind = "input" if id(v) in leaf_ids else ("constant" if not v._op else "op")
        nodes.append(
            {
                "id": i,
                "kind": kind,
                "op": v._op,
                "label": v.label or v._op,
                "text": text[start:end].strip(),
                "value": v.data,
                "grad": v.grad,
            }
        )
    edges = [
        {"source": index[id(child)], "target": index[id(v)], "local": local}
        for v in order
        for child, local in zip(v._prev, v._local)
    ]
    step_list = [
        {
            "node": index[id(s.node)],
            "grad": s.grad,
            "contributions": [
                {"child": index[id(c.child)], "local": c.local, "added": c.added} for c in s.contributions
            ],
        }
        for s in steps
    ]
    inputs = []
    for name, leaf in leaves.items():
        fd = finite_difference(tree, values, name)
        agrees = fd is not None and abs(fd - leaf.grad) <= FD_TOLERANCE * max(1.0, abs(leaf.grad))
        inputs.append({"name": name, "value": leaf.data, "grad": leaf.grad, "finite_difference": fd, "agrees": agrees})
    return {
        "value": out.data,
        "nodes": nodes,
        "edges": edges,
        "steps": step_list,
        "inputs": inputs,
        "output": index[id(out)],
    }


SWEEP_STEPS = tuple(10.0**-k for k in range(1, 15))  # h = 1e-1 ... 1e-14: from too coarse to lost in rounding


def difference_sweep(text: str, values: dict[str, float], name: str) -> dict:
    """Central differences of d(output)/d(name) for h from 1e-1 down to 1e-14, beside autograd's exact value.

    Large h: the difference quotient misses the curvature (error about h^2);
    tiny h: float rounding (about 1e-16 of each value) divided by h dominates.
    A step that leaves an operation's domain gives None for that h.
    """
    tree = parse(text)
    values = check_values(tree, values)
    if name not in values:
        raise ParseError(f"'{name}' is not a name in the expression: choose one of {', '.join(values) or 'none'}")
    out, leaves = build(tree, values, text)
    out.backward()
    exact = leaves[name].grad
    x = values[name]
    rows = []
    for h in SWEEP_STEPS:
        try:
            up = build(tree, {**values, name: x + h})[0].data
            down = build(tree, {**values, name: x - h})[0].data
        except ParseError:
            rows.append({"h": h, "estimate": None, "error": None})
            continue
        estimate = (up - down) / (2 * h)
        rows.append({"h": h, "estimate": estimate, "error": abs(estimate - exact)})
    return {"name": name, "value": x, "grad": exact, "rows": rows}
