"""The reasoning chapter: a scratchpad model vs a direct model, and test-time compute.

POST /format   one problem in both formats, as characters and ids (instant)
POST /train    train both tiny GPTs side by side (a job: accuracy streams while they learn)
POST /votes    N samples per held-out problem from both models, majority vote (a job)
POST /budget   the scratchpad model with its work capped at 0 .. digits steps (a job)
POST /ask      both trained models answer the learner's own problem (instant)

The numbers come from glasslm.engine.training.scratchpad_training and
glasslm.engine.inference.thinking_budget; this router validates, thins the step events
and keeps each run (both models and their task) in its training job's state.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.data import arithmetic_data
from glasslm.engine.inference.thinking_budget import MAX_VOTES, budget_study, complete, vote_study
from glasslm.engine.training.scratchpad_training import ReasoningConfig, ReasoningRun, train_reasoning
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_WEB_STEPS = 3_000  # a few minutes at most on a shared 2-core machine
MIN_EMBD, MAX_EMBD = 8, 64  # wider models train too slowly to watch
N_HEADS = 4
STEP_EVENTS_PER_RUN = 100  # loss points sent per run
EVALS_PER_RUN = 10  # accuracy points (and worked samples) per run
MAX_VOTE_PROBLEMS = 100
MAX_BUDGET_PROBLEMS = 100
MAX_TEMPERATURE = 2.0
JOB_KIND = "reasoning"


class FormatRequest(BaseModel):
    a: int = Field(37, ge=0, le=10**arithmetic_data.MAX_DIGITS - 1)
    b: int = Field(48, ge=0, le=10**arithmetic_data.MAX_DIGITS - 1)
    digits: int = Field(2, ge=arithmetic_data.MIN_DIGITS, le=arithmetic_data.MAX_DIGITS)


class TrainRequest(BaseModel):
    # A first run of about 15-20 s on 2 cores that still makes the point. Measured (seed 0, width 32): 3 digits x 300
    # steps ends at 93 % held-out for the scratchpad, 1 % direct, and a 3-digit step costs about 0.6 of a 4-digit one
    # (timed alternately in one run); 4 x 400 (97 % vs 2 %) took 41 s idle, 4 x 200 reached only 51 %.
    digits: int = Field(3, ge=arithmetic_data.MIN_DIGITS, le=arithmetic_data.MAX_DIGITS)
    steps: int = Field(300, ge=1, le=MAX_WEB_STEPS)
    n_embd: int = Field(32, ge=MIN_EMBD, le=MAX_EMBD)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class VoteRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64, description="the training run whose models vote")
    n_votes: int = Field(9, ge=1, le=MAX_VOTES)
    temperature: float = Field(1.0, ge=0, le=MAX_TEMPERATURE, allow_inf_nan=False)
    n_problems: int = Field(50, ge=1, le=MAX_VOTE_PROBLEMS)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class BudgetRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    n_problems: int = Field(100, ge=1, le=MAX_BUDGET_PROBLEMS)


class AskRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    a: int = Field(ge=0, le=10**arithmetic_data.MAX_DIGITS - 1)
    b: int = Field(ge=0, le=10**arithmetic_data.MAX_DIGITS - 1)


def _check_pair(a: int, b: int, digits: int, why: str) -> None:
    top = 10**digits - 1
    for name, v in (("a", a), ("b", b)):
        if v > top:
            raise DemoError(f"{v:,} has more than {digits} digits: {why}, or give a number from 0 to {top:,}.", name)


def _run(request: Request, session: str, job_id: str) -> ReasoningRun:
    """The trained run of a finished (or stopped) training job of this session."""
    job = request.app.state.jobs.get(session, job_id)
    run = job.state.get("reasoning")
    if job.kind != JOB_KIND or not isinstance(run, ReasoningRun):
        raise DemoError("That job is not a training run of this chapter: train the two models first.", "job", 404)
    if job.running:
        raise DemoError("Those models are still training: wait for the run to finish, or stop it.", "job", 409)
    return run


@router.post("/format")
def show_format(req: FormatRequest):
    """The same addition written both ways, with the ids the models read."""
    _check_pair(req.a, req.b, req.digits, "choose more digits")
    tok = arithmetic_data.tokenizer()
    out = {}
    for fmt in arithmetic_data.FORMATS:
        text = arithmetic_data.prompt(req.a, req.b, req.digits)
        text += arithmetic_data.completion(req.a, req.b, req.digits, fmt)
        out[fmt] = {
            "text": text,
            "tokens": list(text),
            "ids": tok.encode(text),
            "prompt_len": len(arithmetic_data.prompt(req.a, req.b, req.digits)),
            "answer": arithmetic_data.parse_answer(arithmetic_data.completion(req.a, req.b, req.digits, fmt), fmt),
        }
    return {
        "digits": req.digits,
        "sum": req.a + req.b,
        "steps": arithmetic_data.scratchpad_steps(req.a, req.b, req.digits),
        "alphabet": tok.chars,
        "bos": tok.bos,
        "formats": out,
    }


def _train_events(run: ReasoningRun):
    def source(job):
        every = max(1, run.config.steps // STEP_EVENTS_PER_RUN)
        sums, n = {}, 0
        for event in train_reasoning(run):
            if job.stop_event.is_set():
                yield {"type": "stopped", "step": run.step}
                return
            if event["type"] == "step":
                for fmt, v in event["loss"].items():
                    sums[fmt] = sums.get(fmt, 0.0) + v
                n += 1
                if event["step"] % every and event["step"] != run.config.steps:
                    continue
                event = {**event, "loss": {fmt: s / n for fmt, s in sums.items()}}  # mean since the last point
                sums, n = {}, 0
            yield event

    return source


@router.post("/train")
def train(req: TrainRequest, request: Request, session: str = Depends(session_id)):
    """Start training both models; events stream over /api/jobs/{id}/events."""
    if req.n_embd % N_HEADS:
        raise DemoError(
            f"The width ({req.n_embd}) must be a multiple of {N_HEADS}: the {N_HEADS} attention "
            "heads each get an equal share.",
            "n_embd",
        )
    config = ReasoningConfig(
        digits=req.digits,
        steps=req.steps,
        n_embd=req.n_embd,
        n_head=N_HEADS,
        seed=req.seed,
        eval_interval=max(1, req.steps // EVALS_PER_RUN),
    )
    run = ReasoningRun(config)
    job = request.app.state.jobs.start(session, JOB_KIND, InWorker(_train_events, run), state={"reasoning": run})
    return {
        "job": job.id,
        "n_params": {f: m.n_params for f, m in run.models.items()},
        "n_heldout": len(run.task.heldout),
    }


def _study_events(study):
    def source(job):
        for event in study:
            if job.stop_event.is_set():
                return
            yield event

    return source


@router.post("/votes")
def votes(req: VoteRequest, request: Request, session: str = Depends(session_id)):
    """Majority vote over 1 .. n_votes samples on held-out problems, for both models (a job)."""
    run = _run(request, session, req.job)
    pairs = run.task.heldout[: req.n_problems]
    study = vote_study(run.models, run.task, pairs, req.n_votes, req.temperature, req.seed)
    job = request.app.state.jobs.start(session, JOB_KIND + "-votes", _study_events(study))
    return {"job": job.id, "n_problems": len(pairs), "n_votes": req.n_votes}


@router.post("/budget")
def budget(req: BudgetRequest, request: Request, session: str = Depends(session_id)):
    """Greedy accuracy of the scratchpad model when its work is capped at k steps (a job)."""
    run = _run(request, session, req.job)
    pairs = run.task.heldout[: req.n_problems]
    job = request.app.state.jobs.start(
        session, JOB_KIND + "-budget", _study_events(budget_study(run.models["scratchpad"], run.task, pairs))
    )
    return {
        "job": job.id,
        "n_problems": len(pairs),
        "digits": run.task.digits,
        "step_chars": arithmetic_data.STEP_CHARS,
    }


@router.post("/ask")
def ask(req: AskRequest, request: Request, session: str = Depends(session_id)):
    """Both trained models answer a + b (greedy); says whether the problem was held out or could be trained on."""
    run = _run(request, session, req.job)
    digits = run.task.digits
    _check_pair(req.a, req.b, digits, f"these models were trained on {digits}-digit sums (train wider ones above)")
    out = {}
    for fmt, model in run.models.items():
        text = complete(model, run.task, [(req.a, req.b)], fmt)[0]
        out[fmt] = {"text": text, "answer": arithmetic_data.parse_answer(text, fmt)}
    return {
        "question": arithmetic_data.prompt(req.a, req.b, digits),
        "sum": req.a + req.b,
        "digits": digits,
        "heldout": run.task.is_heldout(req.a, req.b),
        "step": run.step,
        **out,
    }
