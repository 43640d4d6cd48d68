"""The weights chapter: a model's weights are knobs.

Endpoints: the one-weight model on real data, the few-input model, and the
parameter counts of the models glasslm runs (counted from their tensors)
beside published counts of larger ones.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.basics import linear
from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.web.errors import DemoError
from glasslm.web.my_models import my_models
from glasslm.web.session import session_id

router = APIRouter()

WEIGHT_LIMIT = 100.0  # |weight| or |bias| above this is far outside anything sensible for these data


def _finite(**kw):
    return Field(allow_inf_nan=False, ge=-WEIGHT_LIMIT, le=WEIGHT_LIMIT, **kw)


class OneWeight(BaseModel):
    w: float = _finite(description="the single weight: predicted width = length x w")


@router.post("/one-weight")
def one_weight(req: OneWeight):
    data = linear.iris_petals()
    w = np.array([req.w])
    best_w, _ = linear.least_squares(data.X, data.y, bias=False)
    x = data.X[:, 0]
    return {
        "w": req.w,
        "points": np.column_stack([x, data.y]).round(3).tolist(),
        "predictions": linear.predict(data.X, w).round(4).tolist(),
        "mse": linear.mse(data.X, data.y, w),
        "best_w": float(best_w[0]),
        "best_mse": linear.mse(data.X, data.y, best_w),
        "input": data.inputs[0],
        "target": data.target,
        "unit": data.unit,
        "source": data.source,
    }


class FewInputs(BaseModel):
    weights: list[float] = Field(min_length=3, max_length=3, description="one weight per input")
    bias: float = _finite()
    flower: int = Field(0, ge=0, le=149, description="which of the 150 flowers to predict")


@router.post("/few-inputs")
def few_inputs(req: FewInputs):
    for i, v in enumerate(req.weights):
        if not np.isfinite(v) or abs(v) > WEIGHT_LIMIT:
            raise DemoError(
                f"Weight {i + 1} must be a finite number between -{WEIGHT_LIMIT:g} and {WEIGHT_LIMIT:g}.", "weights"
            )
    data = linear.iris_three_inputs()
    w = np.array(req.weights)
    x = data.X[req.flower]
    best_w, best_b = linear.least_squares(data.X, data.y)
    return {
        "inputs": list(data.inputs),
        "target": data.target,
        "unit": data.unit,
        "source": data.source,
        "flower": req.flower,
        "x": x.tolist(),
        "terms": (x * w).tolist(),
        "prediction": float(linear.predict(x[None], w, req.bias)[0]),
        "actual": float(data.y[req.flower]),
        "mse": linear.mse(data.X, data.y, w, req.bias),
        "best": {"weights": best_w.tolist(), "bias": best_b, "mse": linear.mse(data.X, data.y, best_w, best_b)},
    }


def _counted(build, module: str, chapter: str) -> dict:
    """Parameter counts of a model glasslm runs, counted from its tensors.

    Until the model's engine exists (`module` missing) the page says which
    chapter brings it rather than showing an invented number.
    """
    try:
        counts = build()
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        return {"params": None, "note": f"coming with chapter {chapter}"}
    return {"params": int(counts["total"]), "parts": {k: int(v) for k, v in counts.items() if k != "total"}}


def tiny_gpt_counts() -> dict:
    from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT

    model = TinyGPT(GPTConfig())
    return {**model.param_counts(), "total": model.n_params}


def smollm2_counts() -> dict:
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    return load_smollm2().parameter_counts()


@router.get("/parameter-counts")
def parameter_counts(request: Request, session: str = Depends(session_id)):
    here = [
        {
            "name": "tiny GPT (default)",
            "how": "counted from its tensors",
            **_counted(tiny_gpt_counts, "glasslm.engine.models.tiny.gpt", "11"),
        },
        {
            "name": "SmolLM2-135M-Instruct",
            "how": "counted from its tensors",
            **_counted(smollm2_counts, "glasslm.engine.models.llama.smollm2", "1"),
        },
    ]
    yours = [  # the learner's own tiny GPTs (web/my_models.py), beside the default
        {
            "name": f"your model: {e.name}",
            "how": "counted from its tensors",
            "params": e.model.n_params,
            "parts": e.model.param_counts(),
        }
        for e in my_models(request).list(session)
    ]
    here[1:1] = yours
    published = [
        {"name": m.name, "params": m.params, "year": m.year, "how": "published", "source": m.source} for m in PUBLISHED
    ]
    return {"here": here, "published": published}
