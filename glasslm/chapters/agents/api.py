"""The agents chapter: a ReAct loop with SmolLM2, a calculator and a document search.

Endpoints:
- GET /defaults: the default system prompt and worked example (both editable
  on the page), example questions, the tools and the limits;
- POST /calculate: the calculator tool on its own (an AST walker, no eval);
- POST /parse: how the loop reads a step the learner types (thought, tool,
  input, or the parse error the model would see);
- POST /run: a job running the ReAct loop with SmolLM2 (greedy), streaming
  every token, then each step's parsed action and the tool's observation, and
  a final event with the answer or the limit that ended the run.

The document search reads the same invented handbook as the rag chapter, chunked
and indexed by TF-IDF through the shared engine (engine.retrieval).
"""

from __future__ import annotations

import time
from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.applications import react_agent
from glasslm.engine.applications.calculator import MAX_EXPRESSION_CHARS, CalculatorError, calculate, normalise, show
from glasslm.engine.applications.chunking import chunk_documents, default_documents
from glasslm.engine.applications.retrieval import build_index
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_QUESTION_CHARS = 300  # one question
MAX_QUESTION_TOKENS = 80
MAX_SYSTEM_CHARS = 2000  # instructions: about 450 tokens, re-read at every step
MAX_EXAMPLE_CHARS = 1500  # one worked example
MAX_PROMPT_TOKENS = 900  # system + example + question: each step's prefill stays near a second
MAX_PARSE_CHARS = 1000  # a step's text typed by the learner
CHUNK_WORDS, CHUNK_OVERLAP = 40, 10  # the handbook's chunks, as the rag chapter's defaults
JOB_KIND = "agents-react"
EXAMPLE_QUESTIONS = [
    "What is 17 * 23?",
    "When does the last ferry return to Quillmere?",
    "How much do 3 fishing permits cost in total?",
    "Who is the head librarian of Quillmere?",
]


def tools(request: Request) -> dict:
    """The agent's tools; its search index of the handbook is built once per app."""

    def build():
        return build_index(chunk_documents(default_documents(), CHUNK_WORDS, CHUNK_OVERLAP), "tfidf")

    index, _ = app_cache(request, "agents-index", 1).get("handbook", build)
    return {"search": react_agent.search_tool(index), "calculate": react_agent.calculator_tool}


@router.get("/defaults")
def defaults():
    return {
        "system": react_agent.DEFAULT_SYSTEM,
        "example": react_agent.DEFAULT_EXAMPLE,
        "questions": EXAMPLE_QUESTIONS,
        "tools": ["search", "calculate", react_agent.FINISH],
        "limits": {
            "max_steps": react_agent.MAX_STEPS,
            "max_step_tokens": react_agent.MAX_STEP_TOKENS,
            "max_total_tokens": react_agent.MAX_TOTAL_TOKENS,
            "question_chars": MAX_QUESTION_CHARS,
            "system_chars": MAX_SYSTEM_CHARS,
            "example_chars": MAX_EXAMPLE_CHARS,
            "expression_chars": MAX_EXPRESSION_CHARS,
        },
        "defaults": {
            "max_steps": react_agent.AgentLimits().max_steps,
            "max_step_tokens": react_agent.AgentLimits().max_step_tokens,
            "max_total_tokens": react_agent.AgentLimits().max_total_tokens,
        },
    }


class CalculateRequest(BaseModel):
    expression: str = Field(min_length=1, max_length=MAX_EXPRESSION_CHARS)


@router.post("/calculate")
def calculate_endpoint(req: CalculateRequest):
    start = time.perf_counter()
    try:
        value = calculate(req.expression)
    except CalculatorError as e:
        raise DemoError(f"The calculator refuses this: {e}.", "expression") from None
    return {
        "expression": req.expression,
        "read_as": normalise(req.expression),
        "value": value,
        "observation": show(value),
        "type": type(value).__name__,
        "seconds": time.perf_counter() - start,
    }


class ParseRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_PARSE_CHARS)


@router.post("/parse")
def parse(req: ParseRequest):
    p = react_agent.parse_step(req.text, ("search", "calculate"))
    return {
        "thought": p.thought,
        "tool": p.tool,
        "input": p.argument,
        "error": p.error,
        "observation": f"Error: {p.error}" if p.error else None,
    }


class RunRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    system: str = Field(min_length=1, max_length=MAX_SYSTEM_CHARS)
    example: str = Field("", max_length=MAX_EXAMPLE_CHARS)
    max_steps: int = Field(5, ge=1, le=react_agent.MAX_STEPS)
    max_step_tokens: int = Field(60, ge=1, le=react_agent.MAX_STEP_TOKENS)
    max_total_tokens: int = Field(300, ge=1, le=react_agent.MAX_TOTAL_TOKENS)


@router.post("/run")
def run(req: RunRequest, request: Request, session: str = Depends(session_id)):
    m = load_smollm2()
    encode_text(m, req.question, MAX_QUESTION_TOKENS, field="question", purpose="the question holds")
    if not req.system.strip():
        raise DemoError("The system prompt is only spaces: write the agent's instructions.", "system")
    messages = react_agent.agent_messages(req.system, req.example, req.question)
    head = m.chat_ids(messages)
    if len(head) > MAX_PROMPT_TOKENS:
        raise DemoError(
            f"The instructions, example and question make {len(head):,} tokens; the limit here is "
            f"{MAX_PROMPT_TOKENS} (the model re-reads them at every step). Shorten them.",
            "system",
            status=413,
        )
    limits = react_agent.AgentLimits(req.max_steps, req.max_step_tokens, req.max_total_tokens)
    write = react_agent.smollm2_writer(m, messages, req.max_step_tokens)
    toolset = tools(request)

    def events(job):
        start = time.perf_counter()
        yield {"type": "prompt", "text": m.decode(head), "tokens": len(head), "limits": asdict(limits)}
        for event in react_agent.run_react(write, toolset, limits):
            if job.stop_event.is_set():
                return
            if event["type"] == "final":
                event = {**event, "seconds": time.perf_counter() - start}
            yield event

    job = request.app.state.jobs.start(session, JOB_KIND, events)
    return {"job": job.id, "prompt_tokens": len(head)}
