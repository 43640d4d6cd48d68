"""The serving chapter: one chat request's journey through this server, timed.

Endpoints:
- GET /limits: the named limits below (the page builds its controls from them);
- POST /chat: validates the conversation (the whole multi-turn history is kept
  in the page and sent each time: the server keeps nothing between turns),
  checks its length in tokens, and starts a job that serves the reply with
  serving_trace.traced_reply: tokenize, prefill, decode loop, detokenize.
  Every event goes out over server-sent events (GET /api/jobs/{id}/events)
  with `t`, seconds since this endpoint received the request. The stop button
  stops the job (POST /api/jobs/{id}/stop); a closed tab stops it too: when
  nobody has listened for CLOSED_TAB_GRACE_S the next decode step does not run.
- POST /speculate: a job: the learner's prompt answered greedily without and
  with speculative decoding (speculative.race): tokens, drafts accepted and
  rejected, passes, wall times, bytes of weights read per token.
- GET /v1-requests: the latest requests to the OpenAI-compatible /v1 API
  (glasslm/web/openai_api.py), for "Your own client".
- POST /batch: a job that fires N requests at once through SmolLM2's scheduler
  (continuous batching), then the same N one at a time, streaming every token's
  time for the timeline (engine: batch_timeline.fire).
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.inference import speculative
from glasslm.engine.inference.batch_timeline import MAX_REQUESTS, fire
from glasslm.engine.inference.serving_trace import traced_reply
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id

router = APIRouter()

MAX_REPLY_TOKENS = 200  # about 10 s of decoding at 20 tokens/s
DEFAULT_REPLY_TOKENS = 80
MAX_PROMPT_TOKENS = 1024  # the prefill of 1,024 tokens takes a few seconds on 2 cores
MAX_MESSAGES = 40  # turns kept in the page
MAX_MESSAGE_CHARS = 2000
MAX_BATCH_TOKENS = 48  # the longest request of a batch run: 16 requests x 48 tokens, then again one at a time
CLOSED_TAB_GRACE_S = 5.0  # nobody listening this long (the tab closed): stop generating


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class ChatRequest(BaseModel):
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int = Field(DEFAULT_REPLY_TOKENS, ge=1, le=MAX_REPLY_TOKENS)
    temperature: float = Field(0.7, ge=0.0, le=2.0, allow_inf_nan=False)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


@router.get("/limits")
def limits():
    return {
        "max_reply_tokens": MAX_REPLY_TOKENS,
        "default_reply_tokens": DEFAULT_REPLY_TOKENS,
        "max_prompt_tokens": MAX_PROMPT_TOKENS,
        "max_messages": MAX_MESSAGES,
        "max_message_chars": MAX_MESSAGE_CHARS,
        "closed_tab_grace_s": CLOSED_TAB_GRACE_S,
    }


@router.post("/chat")
def chat(req: ChatRequest, request: Request, session: str = Depends(session_id)):
    received = time.perf_counter()
    messages = [{"role": x.role, "content": x.content} for x in req.messages]
    if messages[-1]["role"] != "user":
        raise DemoError("The last message must be yours (role “user”): the model answers a user turn.", "messages")
    if not messages[-1]["content"].strip():
        raise DemoError("Your message is empty: type something to send.", "messages")
    m = load_smollm2()
    n = len(m.chat_ids(messages))
    if n > MAX_PROMPT_TOKENS:
        raise DemoError(
            f"The conversation is {n:,} tokens long; the limit here is {MAX_PROMPT_TOKENS:,}. "
            "Start a new chat or shorten your message.",
            "messages",
            status=413,
        )
    jobs = request.app.state.jobs
    grace = min(CLOSED_TAB_GRACE_S, jobs.orphan_after)

    def events(job):
        def should_stop():
            if job.stop_event.is_set():
                job.state["ended_by"] = "stop button"
                return True
            if job.listeners == 0 and time.monotonic() - job.last_seen > grace:
                job.state["ended_by"] = "closed tab"
                return True
            return False

        yield {"type": "received", "t": 0.0, "messages": len(messages)}
        for event in traced_reply(
            m,
            messages,
            req.max_tokens,
            req.temperature,
            seed=req.seed,
            should_stop=should_stop,
            max_prompt_tokens=MAX_PROMPT_TOKENS,
        ):
            event["t"] = time.perf_counter() - received
            if event["type"] == "done":
                event["ended_by"] = job.state.get("ended_by")
            yield event

    job = jobs.start(session, "serving-chat", events)
    return {"job": job.id, "prompt_tokens": n}


@router.get("/v1-requests")
def v1_requests(request: Request):
    """The latest requests to this server's OpenAI-compatible /v1 API, newest first
    (made with curl, the openai package or any client): the page's "Your own client"."""
    log = getattr(request.app.state, "v1_log", ())
    return {"requests": [dict(x) for x in list(log)]}


# ---------------------------------------------------------------- speculative decoding, live

MAX_SPEC_PROMPT_CHARS = 2000
MAX_SPEC_TOKENS = 160  # generated twice (plain, then speculative): about 20 s on a busy 2-core machine
DEFAULT_SPEC_TOKENS = 96


class SpeculateRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_SPEC_PROMPT_CHARS)
    max_tokens: int = Field(DEFAULT_SPEC_TOKENS, ge=1, le=MAX_SPEC_TOKENS)
    k: int = Field(speculative.DEFAULT_DRAFT_K, ge=1, le=speculative.MAX_DRAFT_K)
    governed: bool = True


@router.get("/speculate/limits")
def speculate_limits():
    return {
        "max_tokens": MAX_SPEC_TOKENS,
        "default_tokens": DEFAULT_SPEC_TOKENS,
        "max_chars": MAX_SPEC_PROMPT_CHARS,
        "max_k": speculative.MAX_DRAFT_K,
        "default_k": speculative.DEFAULT_DRAFT_K,
    }


@router.post("/speculate")
def speculate(req: SpeculateRequest, request: Request, session: str = Depends(session_id)):
    """A job: the learner's prompt (as a chat turn) answered greedily twice, without and with speculation."""
    if not req.text.strip():
        raise DemoError("The prompt is empty: type something for the model to answer.", "text")
    m = load_smollm2()
    ids = m.chat_ids([{"role": "user", "content": req.text}])
    jobs = request.app.state.jobs
    grace = min(CLOSED_TAB_GRACE_S, jobs.orphan_after)

    def events(job):
        def should_stop():
            return job.stop_event.is_set() or (job.listeners == 0 and time.monotonic() - job.last_seen > grace)

        yield {"type": "prompt", "tokens": len(ids)}
        yield from speculative.race(m, ids, req.max_tokens, req.k, req.governed, should_stop)

    job = jobs.start(session, "serving-speculate", events)
    return {"job": job.id, "prompt_tokens": len(ids)}


# ---------------------------------------------------------------- continuous batching, live


class BatchRequest(BaseModel):
    requests: int = Field(8, ge=1, le=MAX_REQUESTS, description="requests fired at once")
    tokens: int = Field(24, ge=2, le=MAX_BATCH_TOKENS, description="tokens of the longest request")


@router.post("/batch")
def batch(req: BatchRequest, request: Request, session: str = Depends(session_id)):
    m = load_smollm2()

    def events(job):
        for event in fire(m, req.requests, req.tokens):
            if job.stop_event.is_set():
                return
            yield event

    job = request.app.state.jobs.start(session, "serving-batch", events)
    return {"job": job.id, "requests": req.requests}


# -- The roofline: this machine's two limits, and where SmolLM2 sits -----------------------------------

ROOFLINE_JOB_KIND = "serving-roofline"
ROOFLINE_PROMPT = (
    "Explain, in a few short paragraphs, why a language model that writes one token at a time "
    "spends most of each step waiting for its weights to arrive from memory, and how serving "
    "many people at once changes that. "
) * 3
ROOFLINE_DECODE_TOKENS = 16
BATCHES_SHOWN = (1, 4, 16, 64)  # decode batch sizes placed on the roof by their intensity


@router.post("/roofline")
def roofline_start(request: Request, session: str = Depends(session_id)):
    """Measure this machine's matrix-product peak and memory bandwidth (bounded, under a second each),
    then time SmolLM2's prefill and decode, streamed as a job."""
    from glasslm.engine.inference import roofline

    def source(job):
        yield {"type": "progress", "step": 1, "steps": 4, "message": "timing a 1024 × 1024 matrix product"}
        peak = roofline.measure_peak_flops()
        yield {"type": "progress", "step": 2, "steps": 4, "message": "timing a 256 MB copy"}
        bandwidth = roofline.measure_bandwidth()
        yield {"type": "progress", "step": 3, "steps": 4, "message": "timing SmolLM2: a prefill and 16 decode steps"}
        m = load_smollm2()
        ids = m.encode(f"[{time.time_ns()}] {ROOFLINE_PROMPT}")  # a new prompt: no cached prefix to skip
        run = roofline.measure_model(m, ids, ROOFLINE_DECODE_TOKENS)
        mach = roofline.Machine(peak, bandwidth)
        gpu = roofline.Machine(roofline.H100["peak_flops"], roofline.H100["bandwidth"])
        per_byte = lambda tokens: roofline.intensity(tokens, run.bytes_per_weight)  # noqa: E731
        yield {
            "type": "result",
            "machine": {"peak_flops": peak, "bandwidth": bandwidth, "ridge": mach.ridge},
            "gpu": {**roofline.H100, "ridge": gpu.ridge},
            "model": {
                "weights_per_token": run.weights_per_token,
                "bytes_per_weight": run.bytes_per_weight,
                "bytes_per_token": run.weights_per_token * run.bytes_per_weight,
                "flops_per_token": run.flops_per_token,
            },
            "decode": {
                "intensity": per_byte(1),
                "tok_s": run.decode_tok_s,
                "flops": run.decode_flops,
                "bandwidth": run.decode_bandwidth,
                "attainable": mach.attainable(per_byte(1)),
            },
            "prefill": {
                "tokens": run.prefill_tokens,
                "seconds": run.prefill_s,
                "intensity": per_byte(run.prefill_tokens),
                "flops": run.prefill_flops,
                "attainable": mach.attainable(per_byte(run.prefill_tokens)),
            },
            "batches": [
                {
                    "batch": b,
                    "intensity": per_byte(b),
                    "attainable": mach.attainable(per_byte(b)),
                    "gpu_attainable": gpu.attainable(per_byte(b)),
                }
                for b in BATCHES_SHOWN
            ],
        }

    job = request.app.state.jobs.start(session, ROOFLINE_JOB_KIND, source)
    return {"job": job.id}
