"""A ReAct agent: the model writes a thought and an action, a tool answers, and round again.

ReAct (Yao et al. 2022, "ReAct: Synergizing Reasoning and Acting in Language
Models") interleaves free-text reasoning with tool calls in one transcript:

    Thought: I need the ferry times.
    Action: search[last ferry]
    Observation: [Getting around] ... the last one returns at 21:15 ...   <- written by the loop
    Thought: I have the answer.
    Action: finish[21:15]

The model only ever writes text. This loop (1) starts each step with
"Thought:", (2) lets the model write until it finishes an "Action:" line,
begins an "Observation" line of its own (a model would happily invent one),
ends its turn, or spends its token budget, (3) parses the action line, (4) runs the tool and appends its
real result as "Observation: ...", and repeats, until `finish[...]` or a
limit (steps, or tokens in total).

Parsing (`parse_step`), kept lenient where small models often slip and
strict where guessing would change the meaning:

- the first line starting with "Action:" (or "Action 1:", any case) is the
  action; text before it, without its "Thought:" label, is the thought;
  anything after it is ignored;
- the action is `tool[input]`; `tool(input)` is accepted too; quotes around
  the input are removed; the tool name is matched case-insensitively;
- a line "Final Answer: X" (a habit from other agent formats) counts as
  `finish[X]` when there is no Action line;
- anything else (no action line, no brackets, a missing "]", an unknown
  tool, an empty input) is a parse error. It does not stop the loop: like
  real agent frameworks, the error is shown to the model as the
  observation, so it can correct itself on the next step.

The model is any `write(transcript) -> iterator of text pieces` (one piece
per token), so tests can drive the loop with a scripted fake model;
`smollm2_writer` is the real one (greedy, so a run can be repeated).

Left out: parallel tool calls, JSON function calling, memory across runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from glasslm.engine.applications.calculator import calculate, show
from glasslm.engine.applications.retrieval import Index
from glasslm.engine.basics.sampling import GREEDY

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_STEPS = 8  # thought/action rounds: a 135M model that has not finished by then rarely will
MAX_STEP_TOKENS = 80  # one thought and one action line
MAX_TOTAL_TOKENS = 480  # everything the model writes in one run: about 25-60 s of decoding here
MAX_OBSERVATION_CHARS = 320  # a tool's answer as the model reads it: one chunk, trimmed
FINISH = "finish"

Writer = Callable[[str], Iterator[str]]  # transcript so far -> the model's next text, piece by piece
Tool = Callable[[str], str]  # input -> observation (raise ValueError for an error observation)

DEFAULT_SYSTEM = """You answer questions by thinking step by step and using tools.
Tools:
search[words]: searches the Quillmere town handbook and returns the best passage.
calculate[expression]: works out arithmetic, such as 3*(4+5).
finish[answer]: gives your final answer.
Reply with one Thought line and one Action line. You will then see an Observation."""

DEFAULT_EXAMPLE = """Question: What is 12 * 5?
Thought: I will use the calculator.
Action: calculate[12*5]
Observation: 60
Thought: I know the answer.
Action: finish[60]

Question: How much do 4 bus tickets cost?
Thought: I need the price of one bus ticket.
Action: search[bus ticket price]
Observation: A bus ticket costs 2 coins.
Thought: 4 tickets cost 4 times 2 coins.
Action: calculate[4*2]
Observation: 8
Thought: I know the answer.
Action: finish[8 coins]"""

_ACTION = re.compile(r"^\s*action\s*\d*\s*:\s*(?P<rest>.*)$", re.I)
_FINAL = re.compile(r"^\s*final answer\s*:\s*(?P<rest>.*)$", re.I)
_THOUGHT = re.compile(r"^\s*thought\s*\d*\s*:\s*", re.I)
_CALL = re.compile(r"^(?P<tool>[A-Za-z_][\w]*)\s*(?:\[(?P<sq>.*)\]|\((?P<paren>.*)\))\s*\.?$")
_OBSERVATION = re.compile(r"(?:^|\n)\s*observation\s*\d*\s*:", re.I)
_ACTION_LINE = re.compile(r"(?:^|\n)[ \t]*action[ \t]*\d*[ \t]*:[^\n]*\n", re.I)  # a finished action line


@dataclass(frozen=True)
class ParsedStep:
    thought: str
    tool: str | None  # lower-case tool name, None on a parse error
    argument: str | None
    error: str | None  # why the step could not be read, in a sentence the model will see


def parse_step(text: str, tools) -> ParsedStep:
    """Read one step's text (Thought ... Action: tool[input]); see the module docstring for the rules."""
    names = sorted({t.lower() for t in tools} | {FINISH})
    cut = _OBSERVATION.search(text)
    lines = (text[: cut.start()] if cut else text).splitlines()
    action_at = next((i for i, line in enumerate(lines) if _ACTION.match(line)), None)
    final_at = next((i for i, line in enumerate(lines) if _FINAL.match(line)), None)

    def thought(upto: int) -> str:
        return _THOUGHT.sub("", "\n".join(lines[:upto]).strip(), count=1).strip()

    if action_at is None and final_at is not None:
        answer = _FINAL.match(lines[final_at]).group("rest").strip()
        return (
            ParsedStep(thought(final_at), FINISH, answer, None)
            if answer
            else ParsedStep(thought(final_at), None, None, "the Final Answer line is empty")
        )
    if action_at is None:
        return ParsedStep(
            thought(len(lines)),
            None,
            None,
            "no line starting with 'Action:' was found. Write one line: Action: tool[input]",
        )
    rest = _ACTION.match(lines[action_at]).group("rest").strip()
    call = _CALL.match(rest)
    if call is None:
        hint = " (the closing ']' is missing)" if "[" in rest and "]" not in rest else ""
        return ParsedStep(
            thought(action_at), None, None, f"the action '{rest[:60]}' is not of the form tool[input]{hint}"
        )
    tool = call.group("tool").lower()
    argument = (call.group("sq") if call.group("sq") is not None else call.group("paren")).strip().strip("\"'`").strip()
    if tool not in names:
        return ParsedStep(
            thought(action_at),
            None,
            None,
            f"there is no tool called '{call.group('tool')}'. The tools are: {', '.join(names)}",
        )
    if not argument:
        return ParsedStep(thought(action_at), None, None, f"{tool}[...] needs an input inside the brackets")
    return ParsedStep(thought(action_at), tool, argument, None)


@dataclass(frozen=True)
class AgentLimits:
    max_steps: int = 5  # enough for search, calculate, finish with two slips
    max_step_tokens: int = 60  # a thought and an action line are 20-40 tokens
    max_total_tokens: int = 300  # the run's whole budget: about 15-30 s of decoding here

    def __post_init__(self):
        for name, value, top in (
            ("max_steps", self.max_steps, MAX_STEPS),
            ("max_step_tokens", self.max_step_tokens, MAX_STEP_TOKENS),
            ("max_total_tokens", self.max_total_tokens, MAX_TOTAL_TOKENS),
        ):
            if not 1 <= value <= top:
                raise ValueError(f"{name} must be from 1 to {top}, got {value}")


def run_tool(tools: dict[str, Tool], name: str, argument: str) -> tuple[str, bool]:
    """(observation, ok): the tool's answer trimmed to MAX_OBSERVATION_CHARS, or 'Error: ...'."""
    try:
        out = tools[name](argument)
        ok = True
    except ValueError as e:
        out, ok = f"Error: {e}", False
    out = " ".join(out.split())
    return (out if len(out) <= MAX_OBSERVATION_CHARS else out[: MAX_OBSERVATION_CHARS - 1] + "…"), ok


def run_react(write: Writer, tools: dict[str, Tool], limits: AgentLimits = AgentLimits()) -> Iterator[dict]:
    """The ReAct loop as events: step_start, token, step (parsed, observation), then final.

    final.reason is "finished" (finish[...] was called), "step limit",
    "token limit", with the answer (None unless finished) and the transcript.
    """
    tools = {k.lower(): v for k, v in tools.items()}
    transcript, used = "", 0
    for step in range(1, limits.max_steps + 1):
        budget = min(limits.max_step_tokens, limits.max_total_tokens - used)
        transcript += "Thought:"
        yield {"type": "step_start", "step": step, "budget": budget}
        text, n, ended = "", 0, "model"  # "model": it ended its turn by itself; else action/observation/budget
        pieces = write(transcript)
        try:
            for piece in pieces:
                n += 1
                text += piece
                yield {"type": "token", "step": step, "text": piece}
                action, cut = _ACTION_LINE.search(text), _OBSERVATION.search(text)
                if action and (cut is None or action.end() - 1 <= cut.start()):
                    text, ended = text[: action.end() - 1], "action"  # the action line is complete: act now
                    break
                if cut:
                    text, ended = text[: cut.start()], "observation"  # its own observation is not trusted
                    break
                if n >= budget:
                    ended = "budget"
                    break
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()  # stops the model's generator (and its KV cache) at once
        used += n
        written = "Thought:" + text
        parsed = parse_step(written, tools)
        event = {
            "type": "step",
            "step": step,
            "text": written,
            "tokens": n,
            "ended": ended,
            "thought": parsed.thought,
            "tool": parsed.tool,
            "input": parsed.argument,
            "parse_error": parsed.error,
            "observation": None,
            "tool_ok": None,
            "tokens_used": used,
        }
        if parsed.tool == FINISH:
            yield event
            yield {
                "type": "final",
                "reason": "finished",
                "answer": parsed.argument,
                "steps": step,
                "tokens": used,
                "transcript": transcript + text.rstrip(),
            }
            return
        if parsed.error:
            observation, ok = f"Error: {parsed.error}", False
        else:
            observation, ok = run_tool(tools, parsed.tool, parsed.argument)
        event.update(observation=observation, tool_ok=ok)
        transcript += f"{text.rstrip()}\nObservation: {observation}\n"
        yield event
        if used >= limits.max_total_tokens:
            yield {
                "type": "final",
                "reason": "token limit",
                "answer": None,
                "steps": step,
                "tokens": used,
                "transcript": transcript,
            }
            return
    yield {
        "type": "final",
        "reason": "step limit",
        "answer": None,
        "steps": limits.max_steps,
        "tokens": used,
        "transcript": transcript,
    }


# ------------------------------------------------------------------ the real tools and model


def calculator_tool(expression: str) -> str:
    """The calculator as a tool: the value as text (CalculatorError, a ValueError, on bad input)."""
    return show(calculate(expression))


def search_tool(index: Index, k: int = 1) -> Tool:
    """Document search as a tool: the best chunk(s) for the words, with their titles."""

    def search(words: str) -> str:
        hits = [h for h in index.search(words, k) if h.score > 0]
        if not hits:
            raise ValueError(f"nothing in the documents matches '{words}'. Try other words")
        return " ".join(f"[{index.chunks[h.chunk].title}] {index.chunks[h.chunk].text}" for h in hits)

    return search


def agent_messages(system: str, example: str, question: str) -> list[dict]:
    """The chat the model continues: instructions and the worked example, then the question."""
    content = system.strip() + (f"\n\nExample:\n{example.strip()}" if example.strip() else "")
    return [{"role": "system", "content": content}, {"role": "user", "content": f"Question: {question.strip()}"}]


def smollm2_writer(m: SmolLM2, messages: list[dict], max_step_tokens: int = MAX_STEP_TOKENS) -> Writer:
    """SmolLM2 as the agent's model: the chat prompt, then the transcript as the assistant's own
    unfinished turn, continued greedily (each step re-reads the whole prompt: simple and exact)."""
    head = m.chat_ids(messages)  # ends with <|im_start|>assistant\n

    def write(transcript: str) -> Iterator[str]:
        ids = head + m.encode(transcript)
        for event in m.generate(ids, max_tokens=max_step_tokens, settings=GREEDY):
            yield event.text

    return write
