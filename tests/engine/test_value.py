"""Scalar autograd (glasslm/engine/autograd/value.py) against independent truths.

- finite differences: central differences (f(x+h) - f(x-h)) / 2h on many random
  expressions built from every operation, seeded so failures reproduce;
- PyTorch (float64) on the same random expressions, where torch is installed;
- a few gradients derived by hand.
"""

import math
import random

import pytest

from glasslm.engine.autograd.value import Value

N_LEAVES = 4
H = 1e-6  # finite-difference step; float64 central differences are good to ~1e-8 here


def random_program(rng: random.Random, depth: int):
    """A random expression tree over leaves 0..N_LEAVES-1, kept inside every op's domain."""
    if depth == 0 or rng.random() < 0.2:
        return ("leaf", rng.randrange(N_LEAVES))
    op = rng.choice(
        ["add", "sub", "mul", "div", "pow", "neg", "relu", "tanh", "exp", "log", "sigmoid", "rsub", "rmul", "sqrt"]
    )
    a = random_program(rng, depth - 1)
    if op in ("add", "sub", "mul", "div"):
        return (op, a, random_program(rng, depth - 1))
    if op == "pow":
        return (op, a, rng.choice([2, 3, -1]))
    if op in ("rsub", "rmul"):
        return (op, a, round(rng.uniform(-2, 2), 3))
    return (op, a)


def evaluate(prog, leaves, ops):
    kind = prog[0]
    if kind == "leaf":
        return leaves[prog[1]]
    a = evaluate(prog[1], leaves, ops)
    if kind in ("add", "sub", "mul", "div"):
        return ops[kind](a, evaluate(prog[2], leaves, ops))
    if kind in ("pow", "rsub", "rmul"):
        return ops[kind](a, prog[2])
    return ops[kind](a)


# Every op is kept in its domain the same way for Value and torch:
# division and negative powers by (b^2 + 1) >= 1, log and sqrt of (a^2 + 0.5),
# exp of tanh(a) so nothing overflows.
VALUE_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, k: (a * a + 1) ** k if k < 0 else a**k,
    "neg": lambda a: -a,
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.tanh().exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "sigmoid": lambda a: a.sigmoid(),
    "rsub": lambda a, c: c - a,
    "rmul": lambda a, c: c * a,
    "sqrt": lambda a: (a * a + 0.5) ** 0.5,
}


def relu_near_kink(prog, xs) -> bool:
    """True when some relu input sits so near 0 that finite differences straddle the kink."""
    found = []

    ops = dict(VALUE_OPS)

    def relu(a):
        found.append(abs(a.data) < 1e-4)
        return a.relu()

    ops["relu"] = relu
    evaluate(prog, [Value(x) for x in xs], ops)
    return any(found)


def value_and_grads(prog, xs):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = evaluate(prog, leaves, VALUE_OPS)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def programs(count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        prog = random_program(rng, depth=rng.randint(1, 6))
        xs = [rng.uniform(-2, 2) for _ in range(N_LEAVES)]
        yield prog, xs


def test_random_expressions_match_finite_differences():
    checked = 0
    for prog, xs in programs(300, seed=1):
        if relu_near_kink(prog, xs):
            continue
        f, grads = value_and_grads(prog, xs)
        for i in range(N_LEAVES):
            up = list(xs)
            up[i] += H
            down = list(xs)
            down[i] -= H
            fd = (
                evaluate(prog, [Value(x) for x in up], VALUE_OPS).data
                - evaluate(prog, [Value(x) for x in down], VALUE_OPS).data
            ) / (2 * H)
            assert grads[i] == pytest.approx(fd, rel=1e-5, abs=1e-6), (prog, xs, i)
        checked += 1
    assert checked > 250


def test_random_expressions_match_torch():
    torch = pytest.importorskip("torch")
    torch_ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / (b * b + 1),
        "pow": lambda a, k: (a * a + 1) ** k if k < 0 else a**k,
        "neg": lambda a: -a,
        "relu": torch.relu,
        "tanh": torch.tanh,
        "exp": lambda a: torch.exp(torch.tanh(a)),
        "log": lambda a: torch.log(a * a + 0.5),
        "sigmoid": torch.sigmoid,
        "rsub": lambda a, c: c - a,
        "rmul": lambda a, c: c * a,
        "sqrt": lambda a: (a * a + 0.5) ** 0.5,
    }
    for prog, xs in programs(200, seed=2):
        f, grads = value_and_grads(prog, xs)
        leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        out = evaluate(prog, leaves, torch_ops)
        if not out.requires_grad:  # the expression used no leaf through a differentiable path
            continue
        out.backward()
        assert f == pytest.approx(out.item(), rel=1e-12, abs=1e-12)
        for leaf, g in zip(leaves, grads):
            tg = 0.0 if leaf.grad is None else leaf.grad.item()
            assert g == pytest.approx(tg, rel=1e-9, abs=1e-12), (prog, xs)


def test_hand_derived_example():
    # f = (a*b + c).relu() at a=2, b=-3, c=10: a*b + c = 4 > 0, so
    # df/da = b = -3, df/db = a = 2, df/dc = 1.
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    f = (a * b + c).relu()
    f.backward()
    assert f.data == 4.0
    assert (a.grad, b.grad, c.grad) == (-3.0, 2.0, 1.0)
    # With c = 5, a*b + c = -1 < 0: relu blocks every gradient.
    a, b, c = Value(2.0), Value(-3.0), Value(5.0)
    f = (a * b + c).relu()
    f.backward()
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)


def test_reused_node_accumulates():
    # f = x*x + x at x=3: df/dx = 2x + 1 = 7. A set of children would lose one x.
    x = Value(3.0)
    f = x * x + x
    f.backward()
    assert x.grad == 7.0


def test_grad_accumulates_until_zeroed():
    x = Value(2.0)
    (x * 5).backward()
    (x * 5).backward()
    assert x.grad == 10.0
    f = x * 5
    f.zero_grad()
    f.backward()
    assert x.grad == 5.0


def test_backward_steps_replay_the_backward_pass():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    d = e + c
    f = d.tanh()
    steps = f.backward_steps()
    # Output first, then each node after everything that uses it:
    # reverse of the post-order a, b, e, c, d, f.
    assert [s.node for s in steps] == [f, d, c, e, b, a]
    assert steps[0].grad == 1.0
    (local,) = [ct.local for ct in steps[0].contributions]
    assert local == pytest.approx(1 - math.tanh(4.0) ** 2)
    # The '*' node hands b to a and a to b, times its own gradient.
    mul = steps[3]
    assert [ct.child for ct in mul.contributions] == [a, b]
    assert mul.contributions[0].added == pytest.approx(-3.0 * mul.grad)
    assert mul.contributions[1].added == pytest.approx(2.0 * mul.grad)
    # Same result as backward().
    a2, b2, c2 = Value(2.0), Value(-3.0), Value(10.0)
    (a2 * b2 + c2).tanh().backward()
    assert (a.grad, b.grad, c.grad) == (a2.grad, b2.grad, c2.grad)


def test_deep_graph_does_not_hit_recursion_limit():
    x = Value(1.0)
    out = x
    for _ in range(20000):
        out = out + x
    out.backward()
    assert out.data == 20001.0
    assert x.grad == 20001.0


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Value(-1.0).log(), "log of a negative number"),
        (lambda: Value(0.0).log(), "log of zero"),
        (lambda: Value(1.0) / Value(0.0), "division by zero"),
        (lambda: Value(0.0) ** -1, "undefined"),
        (lambda: Value(-2.0) ** 0.5, "fractional power"),
        (lambda: Value(1000.0).exp(), "too large"),
    ],
)
def test_domain_errors_are_readable(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_sigmoid_is_stable_for_large_inputs():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0
