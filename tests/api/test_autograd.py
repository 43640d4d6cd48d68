"""Chapter 5's endpoints: graphs against the engine and hand-derived gradients,
bad expressions and values answered with a sentence (and where the problem is)."""

import math

import pytest

from glasslm.engine.autograd import expr, expr_graph


def post(client, path, body):
    return client.post(f"/api/autograd/{path}", json=body)


def test_graph_of_the_example(client):
    # (a*b + c).relu() at the defaults a=2, b=-3, c=10: value 4; grads -3, 2, 1.
    d = post(client, "graph", {"expression": "(a*b + c).relu()"}).json()
    assert d["value"] == 4.0
    grads = {i["name"]: i["grad"] for i in d["inputs"]}
    assert grads == {"a": -3.0, "b": 2.0, "c": 1.0}
    assert all(i["agrees"] for i in d["inputs"])
    assert len(d["nodes"]) == 6 and len(d["edges"]) == 5
    assert d["nodes"][d["output"]]["text"] == "(a*b + c).relu()"


def test_graph_uses_the_learners_values(client):
    d = post(client, "graph", {"expression": "x*x + x", "values": {"x": 1.5}}).json()
    assert d["value"] == pytest.approx(1.5 * 1.5 + 1.5)
    assert d["inputs"][0]["grad"] == pytest.approx(2 * 1.5 + 1)


def test_check_sweeps_step_sizes(client):
    d = post(client, "check", {"expression": "exp(x)", "values": {"x": 0.0}}).json()
    assert d["name"] == "x" and d["names"] == ["x"]
    assert d["grad"] == 1.0
    assert len(d["rows"]) == len(expr_graph.SWEEP_STEPS)
    best = min(r["error"] for r in d["rows"])
    assert best < 1e-8


@pytest.mark.parametrize(
    "expression, words, position",
    [
        ("", "empty", 0),
        ("(a*b + c))", "Unexpected ')' at column 10", 9),
        ("sin(a)", "unknown function 'sin'", 0),
        ("a +", "ends too early", 3),
        ("log(a - 5)", "log of a negative number", 0),
        ("1/(a-a)", "division by zero", 0),
        ("a ** b", "plain number", 5),
        ("+".join(["a"] * (expr.MAX_NODES + 1)), "too big", None),
        ("(" * 30 + "a" + ")" * 30, "nested too deeply", None),
        ("+".join(f"v{i}" for i in range(expr.MAX_NAMES + 1)), "limit is 8", None),
    ],
)
def test_bad_expressions(client, expression, words, position):
    r = post(client, "graph", {"expression": expression})
    assert r.status_code == 400
    d = r.json()
    assert d["field"] == "expression" and words.lower() in d["error"].lower()
    assert d["error"][0].isupper() and d["error"].endswith((".", "?"))
    if position is not None:
        assert d["position"] == position


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"expression": "a", "values": {"a": NaN}}', "a", "finite"),
        ('{"expression": "a", "values": {"a": Infinity}}', "a", "finite"),
        ('{"expression": "a", "values": {"a": 1e9}}', "a", "at most"),
        ('{"expression": "a", "values": {"a": "two"}}', "a", "number"),
        ('{"expression": "' + "a" * (expr.MAX_LENGTH + 1) + '"}', "expression", "too long"),
        ('{"values": {}}', "expression", "missing"),
        ('{"expression": 5}', "expression", "text"),
    ],
)
def test_bad_request_bodies(client, body, field, words):
    r = client.post("/api/autograd/graph", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_too_many_values(client):
    values = {f"v{i}": 1.0 for i in range(expr.MAX_NAMES + 1)}
    r = post(client, "graph", {"expression": "v0", "values": values})
    assert r.status_code == 422 and "too many" in r.json()["error"]


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"expression": "exp(x)", "name": "y"}, "name", "not a name"),
        ({"expression": "2 + 3"}, "expression", "no names"),
        ({"expression": "exp(x"}, "expression", "ends too early"),
    ],
)
def test_check_bad_input(client, body, field, words):
    r = post(client, "check", body)
    assert r.status_code == 400
    assert r.json()["field"] == field and words in r.json()["error"]


def test_server_keeps_serving_after_bad_input(client):
    assert post(client, "graph", {"expression": "))))"}).status_code == 400
    d = post(client, "graph", {"expression": "tanh(x)", "values": {"x": 0.0}}).json()
    assert d["inputs"][0]["grad"] == pytest.approx(1.0)
    assert math.isfinite(d["value"])
