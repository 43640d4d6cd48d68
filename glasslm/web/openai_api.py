"""The OpenAI-compatible API: point any OpenAI client at http://127.0.0.1:8765/v1.

    POST /v1/chat/completions   messages -> the assistant's reply (chat template applied)
    POST /v1/completions        prompt text -> its continuation
    GET  /v1/models             the one model served here

Both POSTs answer with one JSON object, or with `"stream": true` as server-sent
events: one `data: {chunk}` line per token and a last `data: [DONE]`, in the
shapes the official `openai` package parses (tests/api/test_openai_api.py drives
it against a real server). Errors are OpenAI's error object
`{"error": {"message", "type", "param", "code"}}` with a 4xx, so clients raise
their usual exceptions with our sentence in them.

Every token any /v1 request generates comes from `model_stream`, the one place
that calls the model; `glasslm chat` uses it too. A client that disconnects
stops its generation at the next token. Recent requests are kept in
`app.state.v1_log` so the serving chapter can show a request the learner made
with curl or Python.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.models.llama.smollm2 import GenerationEvent, load_smollm2
from glasslm.web.errors import validation_sentence

router = APIRouter()

MODEL_ID = "SmolLM2-135M-Instruct"
MODEL_ALIASES = frozenset({MODEL_ID, "HuggingFaceTB/SmolLM2-135M-Instruct", "smollm2"})
MAX_MAX_TOKENS = 1024  # longest completion one request may ask for (about a minute of decoding here)
DEFAULT_MAX_TOKENS = 256  # when the request does not say
MAX_PROMPT_TOKENS = 4096  # the prompt, chat template included (the context is 8192)
MAX_N = 4  # completions per request: they run one after another, so n multiplies the wait
MAX_STOP = 4  # stop sequences, as OpenAI allows
MAX_STOP_CHARS = 64  # each
MAX_MESSAGES = 64
MAX_MESSAGE_CHARS = 32_000
MAX_PROMPT_CHARS = 32_000
RECENT_REQUESTS = 20  # kept in app.state.v1_log for the serving chapter


# ---------------------------------------------------------------- the one path to the model


def model_stream(
    m, ids: list[int], max_tokens: int, settings: SamplingConfig, seed: int | None = None
) -> Iterator[GenerationEvent]:
    """Every /v1 token (and `glasslm chat`'s) comes from here: swap this body to
    change how the server runs the model (a batching scheduler, speculation)."""
    return m.generate(ids, max_tokens=max_tokens, settings=settings, seed=seed)


# ---------------------------------------------------------------- requests


class OpenAIError(Exception):
    """A request we cannot honour, answered as OpenAI's error object."""

    def __init__(
        self,
        message: str,
        param: str | None = None,
        status: int = 400,
        type_: str = "invalid_request_error",
        code: str | None = None,
    ):
        super().__init__(message)
        self.message, self.param, self.status, self.type, self.code = message, param, status, type_, code

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}},
            status_code=self.status,
        )


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")  # e.g. "name": harmless, the template has no place for it
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class StreamOptions(BaseModel):
    include_usage: bool = False


class Common(BaseModel):
    """Parameters both endpoints share. Unknown ones are refused (see UNSUPPORTED)."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field(min_length=1, max_length=200)
    max_tokens: int | None = Field(None, ge=1, le=MAX_MAX_TOKENS)
    temperature: float = Field(1.0, ge=0.0, le=2.0, allow_inf_nan=False)
    top_p: float = Field(1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    n: int = Field(1, ge=1, le=MAX_N)
    stream: bool = False
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    user: str | None = Field(None, max_length=256)
    # accepted only at their no-op values (checked below): clients often send them
    presence_penalty: float = Field(0.0, allow_inf_nan=False)
    frequency_penalty: float = Field(0.0, allow_inf_nan=False)


class ChatRequest(Common):
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_MAX_TOKENS)


class CompletionRequest(Common):
    prompt: str | list[str] = Field(max_length=MAX_PROMPT_CHARS)


UNSUPPORTED = {  # parameters a client may send that this server cannot honour, and why
    "tools": "this small model was not trained for tool calls",
    "tool_choice": "this small model was not trained for tool calls",
    "functions": "this small model was not trained for function calls",
    "function_call": "this small model was not trained for function calls",
    "logprobs": "log-probabilities are shown in the guide's chapters, not over /v1",
    "top_logprobs": "log-probabilities are shown in the guide's chapters, not over /v1",
    "logit_bias": "logit biases are not implemented here",
    "response_format": "constrained (JSON) output is not implemented here",
    "best_of": "best_of is not implemented here",
    "echo": "echo is not implemented here",
    "suffix": "fill-in-the-middle is not implemented here",
}


def parse(cls, body) -> Common:
    if not isinstance(body, dict):
        raise OpenAIError("The request body must be a JSON object.")
    for name, why in UNSUPPORTED.items():
        if body.get(name) not in (None, False, [], {}):
            raise OpenAIError(f"The parameter '{name}' is not supported: {why}. Remove it and try again.", name)
    try:
        req = cls.model_validate(body)
    except ValidationError as err:
        first = err.errors()[0]
        loc = [str(p) for p in first.get("loc", ()) if not str(p).isdigit()]
        param = loc[0] if loc else None
        if first.get("type") == "extra_forbidden":
            raise OpenAIError(
                f"The parameter '{param}' is not supported by this server. Remove it and try again.", param
            ) from None
        raise OpenAIError(validation_sentence(first).replace("“", "'").replace("”", "'"), param) from None
    if req.model not in MODEL_ALIASES:
        raise OpenAIError(
            f"The model '{req.model}' does not exist here: this server runs only '{MODEL_ID}' "
            "(GET /v1/models lists it).",
            "model",
            404,
            code="model_not_found",
        )
    for name in ("presence_penalty", "frequency_penalty"):
        if getattr(req, name) != 0:
            raise OpenAIError(f"'{name}' is not supported here: leave it at 0.", name)
    stops = [req.stop] if isinstance(req.stop, str) else (req.stop or [])
    if len(stops) > MAX_STOP or any(not 1 <= len(s) <= MAX_STOP_CHARS for s in stops):
        raise OpenAIError(f"'stop' takes up to {MAX_STOP} sequences of 1 to {MAX_STOP_CHARS} characters each.", "stop")
    req.stop = stops
    return req


def prompt_ids(m, req) -> list[int]:
    if isinstance(req, ChatRequest):
        messages = [{"role": x.role, "content": x.content} for x in req.messages]
        ids = m.chat_ids(messages)
    else:
        if isinstance(req.prompt, list):
            if len(req.prompt) != 1:
                raise OpenAIError("Send one prompt per request ('prompt' as a string or a list of one).", "prompt")
            req.prompt = req.prompt[0]
        if not req.prompt:
            raise OpenAIError("The prompt is empty: give some text to continue.", "prompt")
        ids = m.encode(req.prompt)
    if len(ids) > MAX_PROMPT_TOKENS:
        raise OpenAIError(
            f"The prompt is {len(ids):,} tokens long; this server takes at most "
            f"{MAX_PROMPT_TOKENS:,}. Shorten it and try again.",
            "messages" if isinstance(req, ChatRequest) else "prompt",
            code="context_length_exceeded",
        )
    return ids


# ---------------------------------------------------------------- generation with stop sequences


class Choice:
    """One completion being generated: text so far, held back while it might be
    the start of a stop sequence, and why it ended."""

    def __init__(self, stops: list[str]):
        self.stops, self.text, self.sent, self.tokens, self.finish = stops, "", 0, 0, None

    def add(self, piece: str) -> str:
        """Take a token's text; return the text now safe to send."""
        self.tokens += 1
        self.text += piece
        for s in self.stops:
            at = self.text.find(s, max(0, self.sent - len(s)))
            if at >= 0:
                self.text, self.finish = self.text[:at], "stop"
        hold = (
            0
            if self.finish
            else max((k for s in self.stops for k in range(len(s) - 1, 0, -1) if self.text.endswith(s[:k])), default=0)
        )
        out = self.text[self.sent : len(self.text) - hold]
        self.sent += len(out)
        return out

    def flush(self) -> str:
        out = self.text[self.sent :]
        self.sent = len(self.text)
        return out


def run_choice(m, ids, req, max_tokens: int, index: int) -> Iterator[tuple[str, Choice]]:
    """(text to send, choice) per token, then ("", choice) with finish set."""
    seed = None if req.seed is None else req.seed + index
    choice = Choice(req.stop)
    settings = SamplingConfig(temperature=req.temperature, top_p=req.top_p)
    for event in model_stream(m, ids, max_tokens, settings, seed):
        out = choice.add(event.text)
        if out:
            yield out, choice
        if choice.finish:
            break
    if choice.finish is None:
        choice.finish = "length" if choice.tokens >= max_tokens else "stop"
        tail = choice.flush()
        if tail:
            yield tail, choice
    yield "", choice


# ---------------------------------------------------------------- endpoints


def record(request: Request, entry: dict) -> None:
    log = getattr(request.app.state, "v1_log", None)
    if log is None:
        log = request.app.state.v1_log = deque(maxlen=RECENT_REQUESTS)
    log.appendleft(entry)


def _next(gen):
    return next(gen, None)


async def answer(request: Request, cls, kind: Literal["chat", "text"]):
    received = time.perf_counter()
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return OpenAIError("The request body was not valid JSON.").response()
    try:
        req = parse(cls, body)
        m = await run_in_threadpool(load_smollm2)
        ids = prompt_ids(m, req)
        limit = req.max_completion_tokens if kind == "chat" and req.max_completion_tokens else req.max_tokens
        max_tokens = min(limit or DEFAULT_MAX_TOKENS, m.config.context_length - len(ids))
    except OpenAIError as err:
        return err.response()
    rid = ("chatcmpl-" if kind == "chat" else "cmpl-") + uuid.uuid4().hex[:24]
    created = int(time.time())
    entry = {
        "id": rid,
        "endpoint": "/v1/chat/completions" if kind == "chat" else "/v1/completions",
        "client": request.headers.get("user-agent", "")[:80],
        "stream": req.stream,
        "n": req.n,
        "prompt_tokens": len(ids),
        "completion_tokens": 0,
        "received_unix": time.time(),
        "time_to_first_token_s": None,
        "total_s": None,
        "finish_reason": None,
        "status": "running",
        "preview": "",
    }
    record(request, entry)

    def usage(choices):
        done = sum(c.tokens for c in choices)
        return {"prompt_tokens": len(ids), "completion_tokens": done, "total_tokens": len(ids) + done}

    def finish(choices, status):
        entry.update(
            completion_tokens=sum(c.tokens for c in choices),
            total_s=time.perf_counter() - received,
            finish_reason=choices[-1].finish if choices else None,
            status=status,
            preview=(choices[0].text if choices else "")[:200],
        )

    def first_token():
        if entry["time_to_first_token_s"] is None:
            entry["time_to_first_token_s"] = time.perf_counter() - received

    def chunk(delta_or_text, index, finish_reason=None):
        if kind == "chat":
            c = {"index": index, "delta": delta_or_text, "logprobs": None, "finish_reason": finish_reason}
            return {
                "id": rid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "system_fingerprint": None,
                "choices": [c],
            }
        c = {"index": index, "text": delta_or_text, "logprobs": None, "finish_reason": finish_reason}
        return {"id": rid, "object": "text_completion", "created": created, "model": MODEL_ID, "choices": [c]}

    if req.stream:

        async def events():
            choices = []
            status = "disconnected"
            try:
                for index in range(req.n):
                    gen = run_choice(m, ids, req, max_tokens, index)
                    if kind == "chat":
                        yield sse(chunk({"role": "assistant", "content": ""}, index))
                    while (item := await run_in_threadpool(_next, gen)) is not None:
                        text, choice = item
                        if choice not in choices:
                            choices.append(choice)
                        if text:
                            first_token()
                            yield sse(chunk({"content": text} if kind == "chat" else text, index))
                        elif choice.finish:
                            yield sse(chunk({} if kind == "chat" else "", index, choice.finish))
                if req.stream_options and req.stream_options.include_usage:
                    last = chunk({}, 0)
                    last["choices"], last["usage"] = [], usage(choices)
                    yield sse(last)
                yield "data: [DONE]\n\n"
                status = "done"
            finally:  # also when the client went away and the server cancelled us
                finish(choices, status)

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    choices = []
    for index in range(req.n):
        gen = run_choice(m, ids, req, max_tokens, index)
        while (item := await run_in_threadpool(_next, gen)) is not None:
            _, choice = item
            if choice not in choices:
                choices.append(choice)
            first_token()
            if await request.is_disconnected():
                gen.close()
                finish(choices, "disconnected")
                return JSONResponse({}, status_code=499)
    finish(choices, "done")
    if kind == "chat":
        out = [
            {
                "index": i,
                "message": {"role": "assistant", "content": c.text, "refusal": None},
                "logprobs": None,
                "finish_reason": c.finish,
            }
            for i, c in enumerate(choices)
        ]
        obj = "chat.completion"
    else:
        out = [{"index": i, "text": c.text, "logprobs": None, "finish_reason": c.finish} for i, c in enumerate(choices)]
        obj = "text_completion"
    return {
        "id": rid,
        "object": obj,
        "created": created,
        "model": MODEL_ID,
        "system_fingerprint": None,
        "choices": out,
        "usage": usage(choices),
    }


def sse(obj) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


@router.post("/chat/completions")
async def chat_completions(request: Request):
    return await answer(request, ChatRequest, "chat")


@router.post("/completions")
async def completions(request: Request):
    return await answer(request, CompletionRequest, "text")


@router.get("/models")
def models():
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 1730419200, "owned_by": "HuggingFaceTB"}],
    }


@router.get("/models/{model_id:path}")
def model(model_id: str):
    if model_id not in MODEL_ALIASES:
        return OpenAIError(
            f"The model '{model_id}' does not exist here: this server runs only '{MODEL_ID}'.",
            "model",
            404,
            code="model_not_found",
        ).response()
    return models()["data"][0]
