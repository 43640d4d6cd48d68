"""The post-training chapter: from a base model to an assistant, measured.

Endpoints (all numbers from glasslm.engine: chat_template, sft, preferences, dpo, critique):
- POST /template: the learner's conversation as SmolLM2's chat template makes it, token by token,
  each token tagged with the message it belongs to;
- POST /compare: a job: the same question answered by SmolLM2 as raw text and inside the chat
  template, greedy, streamed token by token;
- POST /base: the chapter's base tiny GPT (pretrained once per server on unlabelled names), or a
  job streaming its pretraining progress;
- POST /sft/example: one instruction-format example with each target's loss, counted or masked;
- POST /sft/train: a job: SFT of a copy of the base model, with the held-out loss of each kind of
  name under each prompt and sampled answers, before and after;
- POST /pair: two names from the base model for the learner to judge (and the reward model's
  guess, fitted on the choices so far);
- POST /judge: pairs chosen by a scripted judge, for a learner who wants to skip the clicking;
- POST /reward: the Bradley-Terry reward model fitted on the pairs: weights, loss curve,
  training and cross-validated accuracy, fresh names ranked by reward;
- POST /dpo: a job: DPO of a copy of the base model on the pairs, with samples, feature rates and
  mean reward before and after, and the KL from the reference;
- POST /critique: a job: SmolLM2's draft, critique against the learner's principle, revision.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.post_training import critique as critique_engine
from glasslm.engine.post_training import dpo as dpo_engine
from glasslm.engine.post_training import preferences
from glasslm.engine.post_training import sft as sft_engine
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.shared_models import SharedModel, ready_model, shared_model, wait_job
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_MESSAGES = 6  # a short conversation: enough to show the pattern repeat
MAX_CONTENT_CHARS = 1000  # per message
MAX_TEMPLATE_TOKENS = 600  # the whole templated conversation (the default system prompt is ~30 tokens)
MAX_QUESTION_CHARS = 300  # the question answered with and without the template
MAX_QUESTION_TOKENS = 80
MAX_COMPARE_TOKENS = 40  # per answer: two answers of a few seconds each at ~20 tokens/s
MAX_SFT_STEPS = 1_000
MAX_SFT_LR = 0.05
SFT_STEP_EVENTS = 50  # step events per SFT run (losses averaged in between)
MATRIX_NAMES = 200  # held-out names of each kind in the before/after matrix
SHOW_SAMPLES = 8  # answers shown per prompt, before and after
MAX_PAIRS = preferences.MAX_PAIRS
MAX_JUDGED = 60  # pairs a scripted judge picks per request
MIN_REWARD_PAIRS = 2  # fewer than this and there is nothing to fit
MEASURE_SAMPLES = 200  # names sampled before and after DPO to measure its effect
MAX_DPO_STEPS = 200
MAX_BETA = 5.0
PAIR_TEMPERATURE = 1.0  # the base model's own distribution: varied names to judge

BASE_MODEL = "base model"  # the app's shared model: pretrained once per server, lent to every learner


# ------------------------------------------------------------------ 1. the chat template


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_CONTENT_CHARS)


class TemplateRequest(BaseModel):
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    add_generation_prompt: bool = True


@router.post("/template")
def template(req: TemplateRequest):
    m = load_smollm2()
    tpl = m.chat_template
    messages = [msg.model_dump() for msg in req.messages]
    if not any(msg["content"].strip() for msg in messages):
        raise DemoError("Every message is empty: type something in at least one.", "messages")
    added_system = messages[0]["role"] != "system" and tpl.default_system is not None
    shown = ([{"role": "system", "content": tpl.default_system}] if added_system else []) + messages
    tokens = []
    for n, (text, special) in enumerate(tpl.segments(messages, req.add_generation_prompt)):
        ids = [special] if special is not None else m.encode(text)
        owner = n // 4  # each message is 4 pieces: <|im_start|>, role + content, <|im_end|>, newline
        role = shown[owner]["role"] if owner < len(shown) else "assistant (to be written)"
        tokens += [{**token_piece(m.tokenizer, i), "message": owner, "role": role} for i in ids]
    if len(tokens) > MAX_TEMPLATE_TOKENS:
        raise DemoError(
            f"The conversation is {len(tokens):,} tokens; the limit here is {MAX_TEMPLATE_TOKENS}. Shorten a message.",
            "messages",
            status=413,
        )
    plain = m.encode("".join(msg["content"] for msg in messages))
    return {
        "tokens": tokens,
        "ids": [t["id"] for t in tokens],
        "n_tokens": len(tokens),
        "n_special": sum(t["special"] for t in tokens),
        "text": tpl.render(messages, req.add_generation_prompt),
        "added_default_system": added_system,
        "content_tokens": len(plain),
    }


class CompareRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    max_tokens: int = Field(MAX_COMPARE_TOKENS, ge=1, le=MAX_COMPARE_TOKENS)


@router.post("/compare")
def compare(req: CompareRequest, request: Request, session: str = Depends(session_id)):
    m = load_smollm2()
    if not req.question.strip():
        raise DemoError("The question is only spaces: type a question.", "question")
    prompts = {"raw": m.encode(req.question), "chat": m.chat_ids([{"role": "user", "content": req.question}])}
    if len(prompts["raw"]) > MAX_QUESTION_TOKENS:
        raise DemoError(
            f"The question is {len(prompts['raw'])} tokens; the limit here is {MAX_QUESTION_TOKENS}. Shorten it.",
            "question",
            status=413,
        )

    # Raw text ends only at the end of a document: the instruct model, given no template, often
    # writes <|im_end|> and a whole assistant turn itself, and the learner should see it do so.
    stops = {"raw": [m.tokenizer.special_tokens["<|endoftext|>"]], "chat": sorted(m.stop_ids)}

    def events(job):
        for mode, ids in prompts.items():
            yield {
                "type": "start",
                "mode": mode,
                "prompt_tokens": len(ids),
                "prompt": [token_piece(m.tokenizer, i) for i in ids],
                "stops": [token_piece(m.tokenizer, i) for i in stops[mode]],
            }
            pieces, began = [], time.perf_counter()
            for e in m.generate(ids, max_tokens=req.max_tokens, settings=GREEDY, stop_ids=stops[mode]):
                if job.stop_event.is_set():
                    return
                pieces.append(e.token_id)
                yield {"type": "token", "mode": mode, **token_piece(m.tokenizer, e.token_id)}
            yield {
                "type": "answer",
                "mode": mode,
                "text": m.decode(pieces),
                "ids": pieces,
                "tokens": len(pieces),
                "specials": sum(i in m.tokenizer.special_tokens.values() for i in pieces),
                "ended": len(pieces) < req.max_tokens,
                "seconds": time.perf_counter() - began,
            }

    job = request.app.state.jobs.start(session, "post-training-compare", events)
    return {"job": job.id, "max_tokens": req.max_tokens}


# ------------------------------------------------------------------ the base model


def shared_base(request: Request) -> SharedModel:
    """The app's base model (its pretraining started on first use)."""
    return shared_model(
        request, BASE_MODEL, lambda: SharedModel(sft_engine.pretrain_base, sft_engine.BASE_STEPS, BASE_MODEL)
    )


def base_info(shared: SharedModel) -> dict:
    model = shared.model
    return {
        "ready": True,
        "n_params": model.n_params,
        "steps": shared.steps,
        "heldout_loss": shared.heldout_loss,
        "bigram_heldout_loss": shared.bigram_heldout_loss,
        "train_seconds": shared.seconds,
        "vocab": [model.tokenizer.token_text(i) for i in range(model.tokenizer.vocab_size)],
        "instructions": sft_engine.INSTRUCTIONS,
    }


def base_model(request: Request):
    """The pretrained base model, or a 409 saying it is still training."""
    return ready_model(shared_base(request))


@router.post("/base")
def base(request: Request, session: str = Depends(session_id)):
    shared = shared_base(request)
    return wait_job(request, session, shared, "post-training-base", lambda: base_info(shared))


# ------------------------------------------------------------------ 2. SFT

Prompt = Literal["f>", "m>", "l>"]


def sft_model(request: Request, session: str, job_id: str | None):
    """The SFT model of a finished job of this learner's, or None when no job is given."""
    if not job_id:
        return None
    job = request.app.state.jobs.get(session, job_id)
    model = job.state.get("model")
    if model is None:
        raise DemoError("That fine-tuning run has not finished yet: wait for it, then try again.", "job", 409)
    return model


class ExampleRequest(BaseModel):
    prompt: Prompt = "f>"
    response: str = Field(min_length=1, max_length=preferences.MAX_NAME_CHARS)
    job: str | None = Field(None, max_length=40, description="a finished SFT run, to compare")


@router.post("/sft/example")
def sft_example(req: ExampleRequest, request: Request, session: str = Depends(session_id)):
    try:
        name = preferences.check_name(req.response.strip().lower())
    except ValueError as err:
        raise DemoError(f"The answer must be a name: {err}.", "response") from None
    tuned = sft_model(request, session, req.job)
    ex = sft_engine.Example(req.prompt, name)
    out = {"prompt": req.prompt, "response": name, "base": sft_engine.token_losses(base_model(request), ex)}
    if tuned is not None:
        out["sft"] = sft_engine.token_losses(tuned, ex)
    return out


class SFTRequest(BaseModel):
    steps: int = Field(200, ge=1, le=MAX_SFT_STEPS)
    lr: float = Field(0.003, gt=0, le=MAX_SFT_LR, allow_inf_nan=False)
    mask_prompt: bool = True
    seed: int = Field(0, ge=0, le=2**31 - 1)


def answers_by_prompt(model, seed: int) -> dict[str, list[str]]:
    return {p: sft_engine.answers(model, p, SHOW_SAMPLES, 1.0, seed) for p in sft_engine.INSTRUCTIONS}


@router.post("/sft/train")
def sft_train(req: SFTRequest, request: Request, session: str = Depends(session_id)):
    base = base_model(request)
    config = sft_engine.SFTConfig(
        steps=req.steps, lr=req.lr, mask_prompt=req.mask_prompt, seed=req.seed, eval_interval=max(1, req.steps // 10)
    )
    model = sft_engine.clone(base)
    job = request.app.state.jobs.start(session, "post-training-sft", InWorker(_sft_events, base, model, config))
    return {"job": job.id, "steps": req.steps}


def _sft_events(base, model, config: sft_engine.SFTConfig):
    """The base model's answers, the fine-tuning of `model` (a clone of it), then its answers."""

    def events(job):
        yield {
            "type": "before",
            "matrix": sft_engine.instruction_matrix(base, MATRIX_NAMES),
            "samples": answers_by_prompt(base, config.seed),
            "instructions": sft_engine.INSTRUCTIONS,
            "steps": config.steps,
        }
        every = max(1, config.steps // SFT_STEP_EVENTS)
        losses = []
        for e in sft_engine.sft(model, config):
            if e["type"] == "step":
                losses.append(e["loss"])
                if e["step"] % every == 0 or e["step"] == config.steps:
                    yield {"type": "step", "step": e["step"], "loss": float(np.mean(losses))}
                    losses = []
            elif e["type"] == "eval":
                yield e
        job.state["model"] = model
        yield {
            "type": "after",
            "matrix": sft_engine.instruction_matrix(model, MATRIX_NAMES),
            "samples": answers_by_prompt(model, config.seed),
        }

    return events


# ------------------------------------------------------------------ 3. the reward model


class Pair(BaseModel):
    chosen: str = Field(min_length=1, max_length=preferences.MAX_NAME_CHARS)
    rejected: str = Field(min_length=1, max_length=preferences.MAX_NAME_CHARS)


def checked_pairs(pairs: list[Pair]) -> list[tuple[str, str]]:
    out = []
    for n, p in enumerate(pairs):
        try:
            out.append((preferences.check_name(p.chosen), preferences.check_name(p.rejected)))
        except ValueError as err:
            raise DemoError(f"Pair {n + 1}: {err}.", "pairs") from None
    return out


def draw_pair(model, seed: int) -> tuple[str, str, int]:
    """Two different, non-empty names from the base model; the seed after the draws used."""
    tok = model.tokenizer
    for attempt in range(50):
        a, b = (tok.decode(r) for r in sft_engine.sample_after(model, [tok.bos], 2, PAIR_TEMPERATURE, seed + attempt))
        if a and b and a != b:
            return a, b, seed + attempt + 1
    raise DemoError("The base model kept giving the same name twice: try another seed.", "seed", 500)


class PairRequest(BaseModel):
    seed: int = Field(0, ge=0, le=2**31 - 1)
    pairs: list[Pair] = Field([], max_length=MAX_PAIRS, description="the learner's choices so far")


@router.post("/pair")
def pair(req: PairRequest, request: Request):
    a, b, next_seed = draw_pair(base_model(request), req.seed)
    history = checked_pairs(req.pairs)
    guess = None
    if len(history) >= MIN_REWARD_PAIRS:
        guess = preferences.fit(history).prob_prefers(a, b)
    return {"a": a, "b": b, "next_seed": next_seed, "p_a": guess, "n_pairs": len(history)}


class JudgeRequest(BaseModel):
    judge: Literal["shorter", "ends_in_vowel", "real_name"] = "shorter"
    n: int = Field(20, ge=1, le=MAX_JUDGED)
    seed: int = Field(0, ge=0, le=2**31 - 1)


@router.post("/judge")
def judge(req: JudgeRequest, request: Request):
    model = base_model(request)
    pairs, seed, indifferent = [], req.seed, 0
    while len(pairs) < req.n and indifferent < 10 * req.n:
        a, b, seed = draw_pair(model, seed)
        j = preferences.judge(req.judge, a, b)
        if j == 0:
            indifferent += 1  # the judge has no preference: the pair is skipped, as a learner might
        else:
            pairs.append({"chosen": a, "rejected": b} if j == 1 else {"chosen": b, "rejected": a})
    return {"pairs": pairs, "judge": preferences.JUDGES[req.judge][0], "skipped": indifferent, "next_seed": seed}


class RewardRequest(BaseModel):
    pairs: list[Pair] = Field(min_length=1, max_length=MAX_PAIRS)
    seed: int = Field(0, ge=0, le=2**31 - 1)


@router.post("/reward")
def reward(req: RewardRequest, request: Request):
    pairs = checked_pairs(req.pairs)
    if len(pairs) < MIN_REWARD_PAIRS:
        raise DemoError(
            f"Pick at least {MIN_REWARD_PAIRS} pairs first: one choice says nothing a model can fit.", "pairs"
        )
    rm = preferences.fit(pairs)
    tok = base_model(request).tokenizer
    fresh = sorted(
        {
            n
            for n in (tok.decode(r) for r in sft_engine.sample_after(base_model(request), [tok.bos], 40, 1.0, req.seed))
            if n
        }
    )
    ranked = sorted(({"name": n, "reward": rm.reward(n)} for n in fresh), key=lambda r: -r["reward"])
    return {
        "features": [
            {"key": k, "name": name, "label": label, "weight": float(w)}
            for (k, name, label), w in zip(preferences.FEATURES, rm.w)
        ],
        "curve": rm.curve[:: max(1, len(rm.curve) // 100)],
        "train_accuracy": preferences.accuracy(rm, pairs),
        "heldout_accuracy": preferences.cross_validated_accuracy(pairs),
        "folds": preferences.RewardConfig().folds,
        "n_pairs": len(pairs),
        "ranked": ranked,
    }


# ------------------------------------------------------------------ 4. DPO


class DPORequest(BaseModel):
    pairs: list[Pair] = Field(min_length=1, max_length=MAX_PAIRS)
    beta: float = Field(0.1, gt=0, le=MAX_BETA, allow_inf_nan=False)
    steps: int = Field(25, ge=1, le=MAX_DPO_STEPS)
    lr: float = Field(0.001, gt=0, le=0.05, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def measure(model, rm, seed: int) -> dict:
    """Samples from `model` and what they are like: feature rates and mean reward."""
    tok = model.tokenizer
    names = [tok.decode(r) for r in sft_engine.sample_after(model, [tok.bos], MEASURE_SAMPLES, 1.0, seed)]
    real = [n for n in names if n]  # an empty name (BOS at once) has no letters to measure
    feats = np.array([preferences.features(n) for n in real]) if real else np.zeros((0, len(preferences.FEATURES)))
    return {
        "names": names[:12],
        "empty": len(names) - len(real),
        "n": len(names),
        "rates": {k: (float(feats[:, i].mean()) if real else None) for i, (k, _, _) in enumerate(preferences.FEATURES)},
        "mean_reward": float(np.mean([rm.reward(n) for n in real])) if real else None,
        "all_names": names,
    }


@router.post("/dpo")
def dpo(req: DPORequest, request: Request, session: str = Depends(session_id)):
    pairs = checked_pairs(req.pairs)
    reference = base_model(request)
    rm = preferences.fit(pairs) if len(pairs) >= MIN_REWARD_PAIRS else None
    if rm is None:
        raise DemoError(f"Pick at least {MIN_REWARD_PAIRS} pairs first.", "pairs")
    config = dpo_engine.DPOConfig(beta=req.beta, steps=req.steps, lr=req.lr)
    policy = sft_engine.clone(reference)
    job = request.app.state.jobs.start(
        session, "post-training-dpo", InWorker(_dpo_events, policy, reference, rm, pairs, config, req.seed)
    )
    return {"job": job.id, "steps": req.steps}


def _dpo_events(policy, reference, rm, pairs: list[tuple[str, str]], config: dpo_engine.DPOConfig, seed: int):
    """The reference's names and rewards, DPO's steps on `policy` (a clone of it), then the policy's."""

    def events(job):
        before = measure(reference, rm, seed)
        before.pop("all_names")
        labels = {k: name for k, name, _ in preferences.FEATURES}
        yield {"type": "before", **before, "labels": labels, "steps": config.steps, "n_pairs": len(pairs)}
        for e in dpo_engine.dpo(policy, reference, pairs, config):
            yield e
        after = measure(policy, rm, seed)
        names = [n for n in after.pop("all_names") if n] or [""]
        yield {"type": "after", **after, "kl": dpo_engine.kl_estimate(policy, reference, names)}

    return events


# ------------------------------------------------------------------ 5. critique and revise


class CritiqueRequest(BaseModel):
    question: str = Field(min_length=1, max_length=critique_engine.MAX_QUESTION_CHARS)
    principle: str = Field(min_length=1, max_length=critique_engine.MAX_PRINCIPLE_CHARS)
    max_tokens: int = Field(critique_engine.MAX_NEW_TOKENS, ge=1, le=critique_engine.MAX_NEW_TOKENS)
    seed: int = Field(0, ge=0, le=2**31 - 1)


@router.post("/critique")
def critique(req: CritiqueRequest, request: Request, session: str = Depends(session_id)):
    for field, text in (("question", req.question), ("principle", req.principle)):
        if not text.strip():
            raise DemoError(f"The {field} is only spaces: type a few words.", field)
    m = load_smollm2()
    loop = critique_engine.critique_loop(
        m, req.question, req.principle, critique_engine.LoopConfig(max_new_tokens=req.max_tokens, seed=req.seed)
    )
    job = request.app.state.jobs.start(session, "post-training-critique", lambda job: loop)
    return {"job": job.id, "stages": list(critique_engine.STAGES), "max_tokens": req.max_tokens}
