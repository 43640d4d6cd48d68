"""The autograd chapter: the learner's expression as a computation graph.

/graph: parse the typed expression with the engine's safe parser (never
eval), build its graph at the given values (names without a value get a
default), run the backward pass step by step, and check each input's gradient
against a finite difference. /check: finite differences of one input's
gradient for step sizes from 1e-1 to 1e-14, beside autograd's exact value.
A bad expression answers 400 with the parser's sentence, the field
"expression", and the 0-based `position` it points at.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from glasslm.engine.autograd import expr, expr_graph

router = APIRouter()

# Values given to names the learner has not set yet, in order of appearance:
# different from each other and from 0 and 1, so every local derivative shows.
DEFAULT_VALUES = (2.0, -3.0, 10.0, 0.5, -1.5, 1.5, 3.0, -2.0)

Scalar = Annotated[float, Field(allow_inf_nan=False, ge=-expr.MAX_ABS_VALUE, le=expr.MAX_ABS_VALUE)]


class GraphRequest(BaseModel):
    expression: str = Field(max_length=expr.MAX_LENGTH, description="e.g. (a*b + c).relu()")
    values: dict[Annotated[str, Field(max_length=expr.MAX_NAME_LENGTH)], Scalar] = Field(
        default_factory=dict, max_length=expr.MAX_NAMES, description="a value for each name"
    )


@router.post("/graph")
def graph(req: GraphRequest):
    """The expression's graph: nodes with values and gradients, edges, backward steps, checks."""
    try:
        names = expr.names(expr.parse(req.expression))
        values = _values(names, req.values)
        result = expr_graph.analyse(req.expression, values)
    except expr.ParseError as e:
        return _error(_sentence(e.message), "expression", e.position)
    return {"expression": req.expression, **result}


class CheckRequest(GraphRequest):
    name: str | None = Field(
        None, min_length=1, max_length=expr.MAX_NAME_LENGTH, description="the input to check (default: the first name)"
    )


@router.post("/check")
def check(req: CheckRequest):
    """Finite differences of d(output)/d(name) for a range of step sizes h, beside autograd's value."""
    try:
        names = expr.names(expr.parse(req.expression))
        values = _values(names, req.values)
        if not names:
            return _error(
                "The expression has no names, so there is nothing to nudge: use a name such as x.", "expression"
            )
        name = req.name if req.name is not None else names[0]
        if name not in names:
            return _error(f"'{name}' is not a name in the expression: choose one of {', '.join(names)}.", "name")
        result = expr_graph.difference_sweep(req.expression, values, name)
    except expr.ParseError as e:
        return _error(_sentence(e.message), "expression", e.position)
    return {"expression": req.expression, "names": names, "values": values, **result}


def _values(names: list[str], given: dict[str, float]) -> dict[str, float]:
    """The learner's value for each name, or a default for names not set yet."""
    return {n: given.get(n, DEFAULT_VALUES[i % len(DEFAULT_VALUES)]) for i, n in enumerate(names)}


def _error(message: str, field: str, position: int | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field, "position": position}, status_code=400)


def _sentence(message: str) -> str:
    """The parser's message as a sentence: capital first letter, full stop at the end."""
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "?")) else message + "."
