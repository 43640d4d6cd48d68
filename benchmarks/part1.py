"""How fast Part 1's live demos compute (chapters 3-5), on this machine.

Measures, in one process with one BLAS thread (threadpoolctl) so that the
ratios are comparable on a busy machine:
- the MLP of chapter 4 (2 inputs, hidden layers x width, tanh, sigmoid output,
  200 points, full batch, Adam): training steps per second with glasslm's numpy
  forward/backward, against torch eager on the same network and data (when
  torch is installed) -- the ratio is the number that matters;
- the work behind one redraw of the live boundary (a 40 x 40 grid forward pass);
- chapter 5's whole analysis of a typed expression (parse, graph, recorded
  backward pass, finite differences) and the scalar Value engine's raw speed
  (nodes built and back-propagated per second) against torch scalars;
- chapter 3's optimizer race (three paths of 200 steps).

Run:  .venv/bin/python benchmarks/part1.py [--quick]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glasslm.engine.autograd import expr  # noqa: E402
from glasslm.engine.autograd.optim import Adam  # noqa: E402
from glasslm.engine.autograd.value import Value  # noqa: E402
from glasslm.engine.basics import surfaces, toy_data
from glasslm.engine.basics.mlp import MLP, MLPConfig  # noqa: E402

EXPRESSION = "(w1*x1 + w2*x2 + b).tanh() * 2 - log(exp(a) + exp(c))"


def best_of(fn, repeats: int) -> float:
    """Fastest of `repeats` timings of fn(), in seconds (the least disturbed run)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def numpy_mlp_steps(layers: int, width: int, steps: int) -> float:
    X, y = toy_data.make("spiral", 200)
    model = MLP(MLPConfig(layers=layers, width=width, activation="tanh"))
    opt = Adam(model.params, 0.03)

    def run():
        for _ in range(steps):
            zs, acts = model.forward(X)
            grads, _ = model.backward(zs, acts, y)
            opt.step(grads)

    return steps / best_of(run, 3)


def torch_mlp_steps(layers: int, width: int, steps: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    X, y = toy_data.make("spiral", 200)
    Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.float64)
    sizes = [2] + [width] * layers + [1]
    mods = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        mods += [torch.nn.Linear(i, o, dtype=torch.float64), torch.nn.Tanh()]
    net = torch.nn.Sequential(*mods[:-1])
    opt = torch.optim.Adam(net.parameters(), lr=0.03)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def run():
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(net(Xt)[:, 0], yt)
            loss.backward()
            opt.step()

    return steps / best_of(run, 3)


def value_nodes_per_s(n: int) -> float:
    """Build and back-propagate a chain of n multiply-adds on Values."""

    def run():
        x = Value(0.5)
        out = Value(0.0)
        for _ in range(n):
            out = out * 0.999 + x
        out.backward()

    return 2 * n / best_of(run, 3)  # two nodes (* and +) per link


def torch_scalar_nodes_per_s(n: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None

    def run():
        x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        out = torch.tensor(0.0, dtype=torch.float64)
        for _ in range(n):
            out = out * 0.999 + x
        out.backward()

    return 2 * n / best_of(run, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    args = ap.parse_args()
    steps = 100 if args.quick else 500
    chain = 2000 if args.quick else 20000
    rows, out = [], {}
    with threadpool_limits(1):
        for layers, width in [(2, 4), (4, 8)]:
            ours = numpy_mlp_steps(layers, width, steps)
            theirs = torch_mlp_steps(layers, width, steps)
            key = f"mlp_{layers}x{width}"
            out[f"{key}_steps_per_s"] = round(ours, 1)
            out[f"{key}_torch_steps_per_s"] = None if theirs is None else round(theirs, 1)
            rows.append(
                (
                    f"MLP {layers}x{width} train step (200 pts)",
                    f"{ours:,.0f} steps/s",
                    "-" if theirs is None else f"{theirs:,.0f} steps/s",
                    "-" if theirs is None else f"{ours / theirs:.2f}x",
                )
            )
        model = MLP(MLPConfig(layers=4, width=8))
        grid_s = best_of(lambda: model.grid(40), 5)
        out["boundary_grid_ms"] = round(1000 * grid_s, 2)
        rows.append(("boundary redraw (40x40 grid, 4x8)", f"{1000 * grid_s:.2f} ms", "-", "-"))
        values = {"w1": 0.5, "x1": 1.0, "w2": -1.5, "x2": 2.0, "b": 0.1, "a": 1.0, "c": -1.0}
        an_s = best_of(lambda: expr.analyse(EXPRESSION, values), 20)
        out["autograd_analyse_ms"] = round(1000 * an_s, 3)
        rows.append(("autograd chapter: analyse one expression", f"{1000 * an_s:.2f} ms", "-", "-"))
        ours = value_nodes_per_s(chain)
        theirs = torch_scalar_nodes_per_s(chain)
        out["value_nodes_per_s"] = round(ours)
        out["torch_scalar_nodes_per_s"] = None if theirs is None else round(theirs)
        rows.append(
            (
                "scalar Value: nodes built + backprop",
                f"{ours:,.0f} nodes/s",
                "-" if theirs is None else f"{theirs:,.0f} nodes/s",
                "-" if theirs is None else f"{ours / theirs:.2f}x",
            )
        )
        race_s = best_of(lambda: surfaces.race("rosenbrock", 200), 5)
        out["race_ms"] = round(1000 * race_s, 2)
        rows.append(("learning loop: race, 3 x 200 steps", f"{1000 * race_s:.2f} ms", "-", "-"))

    head = ("what", "glasslm (numpy)", "torch eager", "glasslm / torch")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(4)]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
