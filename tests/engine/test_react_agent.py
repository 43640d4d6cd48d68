"""The ReAct loop: the action parser on well-formed and malformed text, the loop driven by a
scripted fake model (so every step is known in advance), and one short real SmolLM2 run."""

import pytest

from glasslm.engine.applications.calculator import calculate
from glasslm.engine.applications.chunking import chunk_documents, default_documents
from glasslm.engine.applications.react_agent import (
    DEFAULT_EXAMPLE,
    DEFAULT_SYSTEM,
    MAX_OBSERVATION_CHARS,
    MAX_STEPS,
    AgentLimits,
    agent_messages,
    calculator_tool,
    parse_step,
    run_react,
    run_tool,
    search_tool,
    smollm2_writer,
)
from glasslm.engine.applications.retrieval import build_index

TOOLS = ("search", "calculate")


@pytest.mark.parametrize(
    "text,thought,tool,arg",
    [
        ("Thought: I need the ferry.\nAction: search[last ferry]", "I need the ferry.", "search", "last ferry"),
        (" I need maths.\nAction: calculate[3*(4+5)]", "I need maths.", "calculate", "3*(4+5)"),
        ("Thought: done\nAction: finish[21:15]", "done", "finish", "21:15"),
        ("Thought: x\naction 2: Search[ferry]", "x", "search", "ferry"),  # Yao et al. number their steps
        ('Thought: x\nAction: search("ferry times")', "x", "search", "ferry times"),  # call syntax, quotes dropped
        ("Thought: a\nb\nAction:calculate[ 2 + 2 ].", "a\nb", "calculate", "2 + 2"),
        ("Thought: x\nAction: search[a]\nAction: finish[b]", "x", "search", "a"),  # the first action counts
        ("Thought: x\nAction: finish[[nested] answer]", "x", "finish", "[nested] answer"),
        ("Thought: I know it.\nFinal Answer: 42", "I know it.", "finish", "42"),
        ("Thought: x\nAction: finish[9]\nObservation: made up\nAction: search[y]", "x", "finish", "9"),
    ],
)
def test_well_formed_steps(text, thought, tool, arg):
    p = parse_step(text, TOOLS)
    assert (p.thought, p.tool, p.argument, p.error) == (thought, tool, arg, None)


@pytest.mark.parametrize(
    "text,words",
    [
        ("Thought: I will just answer. 42", "no line starting with 'Action:'"),
        ("", "no line starting with 'Action:'"),
        ("Thought: x\nAction: search last ferry", "not of the form tool[input]"),
        ("Thought: x\nAction: search[last ferry", "closing ']' is missing"),
        ("Thought: x\nAction: google[ferry]", "no tool called 'google'. The tools are: calculate, finish, search"),
        ("Thought: x\nAction: calculate[]", "needs an input"),
        ("Thought: x\nAction: search['']", "needs an input"),
        ("Thought: x\nFinal Answer:   ", "Final Answer line is empty"),
        (
            "Thought: x\nObservation: 5\nAction: finish[5]",
            "no line starting with 'Action:'",
        ),  # after its own observation
        ("Thought: x\nAction: [ferry]", "not of the form"),
    ],
)
def test_malformed_steps_give_a_sentence(text, words):
    p = parse_step(text, TOOLS)
    assert p.tool is None and p.argument is None and words in p.error


def scripted(*replies):
    """A fake model: reply n is written piece by piece (one 'token' per word) on call n; the
    prompts it was given are kept so the test can check what the model saw."""
    seen = []

    def write(transcript):
        seen.append(transcript)
        reply = replies[len(seen) - 1]
        for i, word in enumerate(reply.split(" ")):
            yield word if i == 0 else " " + word

    write.seen = seen
    return write


def fake_tools():
    return {"search": lambda q: f"result for {q}", "calculate": calculator_tool}


def test_scripted_run_searches_calculates_and_finishes():
    write = scripted(
        " I need the price.\nAction: search[permit price]\nObservation: invented by the model",
        " Three permits.\nAction: calculate[3*12]",
        " Done.\nAction: finish[36 vells]",
    )
    events = list(run_react(write, fake_tools(), AgentLimits(max_steps=5)))
    steps = [e for e in events if e["type"] == "step"]
    assert [(s["tool"], s["input"], s["observation"]) for s in steps] == [
        ("search", "permit price", "result for permit price"),
        ("calculate", "3*12", "36"),
        ("finish", "36 vells", None),
    ]
    assert [s["ended"] for s in steps] == ["action", "model", "model"]  # step 1: cut after its action line
    final = events[-1]
    assert final == {
        "type": "final",
        "reason": "finished",
        "answer": "36 vells",
        "steps": 3,
        "tokens": final["tokens"],
        "transcript": final["transcript"],
    }
    # the model saw the real observation, never its invented one
    assert write.seen[1] == (
        "Thought: I need the price.\nAction: search[permit price]\nObservation: result for permit price\nThought:"
    )
    assert "invented" not in final["transcript"]
    assert final["transcript"].endswith("Observation: 36\nThought: Done.\nAction: finish[36 vells]")
    # tokens streamed = pieces written; their texts add up to each step's text
    for s in steps:
        pieces = [e["text"] for e in events if e["type"] == "token" and e["step"] == s["step"]]
        assert s["tokens"] == len(pieces) and ("Thought:" + "".join(pieces)).startswith(s["text"])
    assert final["tokens"] == sum(s["tokens"] for s in steps)


def test_parse_errors_become_observations_and_the_step_limit_ends_the_run():
    write = scripted(" hmm 42", " x\nAction: calculate[2**1000]", " x\nAction: search[ferry")
    events = list(run_react(write, fake_tools(), AgentLimits(max_steps=3)))
    steps = [e for e in events if e["type"] == "step"]
    assert steps[0]["observation"].startswith("Error: no line starting with 'Action:'")
    assert steps[1]["tool_ok"] is False and "exponents are limited" in steps[1]["observation"]
    assert "closing ']' is missing" in steps[2]["observation"]
    assert events[-1]["reason"] == "step limit" and events[-1]["answer"] is None and events[-1]["steps"] == 3
    assert "Observation: Error: no line starting" in write.seen[1]


def test_step_and_total_token_budgets_cut_the_model_off():
    long = " ".join(["word"] * 50)
    write = scripted(long, long, long)
    events = list(run_react(write, fake_tools(), AgentLimits(max_steps=3, max_step_tokens=20, max_total_tokens=30)))
    steps = [e for e in events if e["type"] == "step"]
    assert [s["tokens"] for s in steps] == [20, 10] and [s["ended"] for s in steps] == ["budget", "budget"]
    assert events[-1]["reason"] == "token limit" and events[-1]["tokens"] == 30
    assert sum(e["type"] == "token" for e in events) == 30


def test_a_step_ends_at_a_finished_action_line_or_an_invented_observation():
    write = scripted(
        " a\nAction: search[x]\nQuestion: more junk", " b\nObservation: 5\nAction: finish[5]", " c\nAction: finish[7]"
    )
    events = list(run_react(write, fake_tools()))
    steps = [e for e in events if e["type"] == "step"]
    assert [(s["ended"], s["text"]) for s in steps] == [
        ("action", "Thought: a\nAction: search[x]"),
        ("observation", "Thought: b"),
        ("model", "Thought: c\nAction: finish[7]"),
    ]
    assert [s["tokens"] for s in steps] == [
        3,
        2,
        3,
    ]  # "", " a\nAction:", " search[x]\nQuestion:" | "", " b\nObservation:" | ...
    assert "junk" not in events[-1]["transcript"]


def test_the_model_is_stopped_when_the_loop_stops_reading():
    closed = []

    def write(transcript):
        try:
            yield " x\nAction: finish[1]\nObservation"
            yield "never read"
        finally:
            closed.append(True)

    events = list(run_react(write, fake_tools()))
    assert closed == [True] and events[-1]["answer"] == "1"


def test_tool_errors_and_long_observations_are_trimmed():
    out, ok = run_tool({"t": lambda s: "ab " * 500}, "t", "x")
    assert ok and len(out) == MAX_OBSERVATION_CHARS and out.endswith("…")
    out, ok = run_tool({"calculate": calculator_tool}, "calculate", "1/0")
    assert not ok and out == "Error: division by zero"


def test_real_tools():
    assert calculator_tool("3*(4+5)") == "27" == str(calculate("3*(4+5)"))
    search = search_tool(build_index(chunk_documents(default_documents()), "tfidf"))
    assert "21:15" in search("when does the last ferry return")
    with pytest.raises(ValueError, match="nothing in the documents"):
        search("zzzz")


def test_limits_are_checked():
    with pytest.raises(ValueError, match="max_steps"):
        AgentLimits(max_steps=MAX_STEPS + 1)
    with pytest.raises(ValueError, match="max_step_tokens"):
        AgentLimits(max_step_tokens=0)


def test_prompt_holds_instructions_example_and_question():
    msgs = agent_messages(DEFAULT_SYSTEM, DEFAULT_EXAMPLE, " What is 2+2? ")
    assert msgs[0]["content"].startswith(DEFAULT_SYSTEM) and "Example:\nQuestion:" in msgs[0]["content"]
    assert msgs[1] == {"role": "user", "content": "Question: What is 2+2?"}
    assert "Example" not in agent_messages(DEFAULT_SYSTEM, "  ", "q")[0]["content"]


@pytest.mark.slow
def test_one_real_smollm2_step_has_the_loops_structure():
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    m = load_smollm2()
    write = smollm2_writer(m, agent_messages(DEFAULT_SYSTEM, DEFAULT_EXAMPLE, "What is 17*23?"), 6)
    events = list(run_react(write, {"calculate": calculator_tool}, AgentLimits(1, 6, 6)))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "step_start" and kinds[-1] == "final" and kinds.count("step") == 1
    step = events[-2]
    assert 1 <= step["tokens"] <= 6 and step["text"].startswith("Thought:")
    assert (step["parse_error"] is None) != (step["tool"] is None)  # exactly one of: an action, an error
    assert events[-1]["reason"] in ("finished", "step limit", "token limit")
