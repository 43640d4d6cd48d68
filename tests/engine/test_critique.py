"""The critique-and-revise loop: each stage's prompt carries the earlier stages' text (checked
with a scripted stand-in model), and with SmolLM2 each stage is exactly SmolLM2.generate on that
stage's chat-template ids."""

from types import SimpleNamespace

import pytest

from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.post_training import critique as cr


class Scripted:
    """A stand-in model: records each prompt and answers with fixed words, one per token."""

    def __init__(self):
        self.prompts = []
        self.replies = iter([["Paris", " is", " big"], ["Too", " sure"], ["Paris", ",", " I", " think"]])

    def chat_ids(self, messages):
        self.prompts.append(messages)
        return list(range(len(messages[-1]["content"])))

    def generate(self, ids, max_tokens, settings, seed):
        for word in next(self.replies)[:max_tokens]:
            yield SimpleNamespace(text=word)


def test_each_stage_sees_the_text_of_the_ones_before():
    m = Scripted()
    events = list(cr.critique_loop(m, " Capital of France? ", "Be humble."))
    done = [e for e in events if e["type"] == "stage_done"]
    assert [e["stage"] for e in done] == list(cr.STAGES)
    assert [e["text"] for e in done] == ["Paris is big", "Too sure", "Paris, I think"]
    assert m.prompts[0] == [{"role": "user", "content": "Capital of France?"}]
    critique, revision = m.prompts[1][-1]["content"], m.prompts[2][-1]["content"]
    assert "Answer: Paris is big" in critique and critique.startswith("Principle: Be humble.")
    assert "Critique: Too sure" in revision and "Answer: Paris is big" in revision and "Be humble." in revision
    assert [x["role"] for x in m.prompts[1]] == ["system", "user"]
    tokens = [e["text"] for e in events if e["type"] == "token" and e["stage"] == "critique"]
    assert tokens == ["Too", " sure"]
    starts = [e for e in events if e["type"] == "stage"]
    assert [e["prompt_tokens"] for e in starts] == [len(p[-1]["content"]) for p in m.prompts]


def test_the_limit_cuts_a_stage_and_says_so():
    events = list(cr.critique_loop(Scripted(), "Q?", "P.", cr.LoopConfig(max_new_tokens=2)))
    done = [e for e in events if e["type"] == "stage_done"]
    assert [e["tokens"] for e in done] == [2, 2, 2] and [e["ended"] for e in done] == [False, False, False]


@pytest.mark.parametrize(
    "question,principle,msg",
    [
        ("   ", "P", "question is empty"),
        ("Q", "", "principle is empty"),
        ("x" * (cr.MAX_QUESTION_CHARS + 1), "P", "limit"),
        ("Q", "y" * (cr.MAX_PRINCIPLE_CHARS + 1), "limit"),
    ],
)
def test_bad_text_is_refused(question, principle, msg):
    with pytest.raises(ValueError, match=msg):
        next(cr.critique_loop(Scripted(), question, principle))


def test_unknown_stage_and_token_limit():
    with pytest.raises(ValueError, match="unknown stage"):
        cr.stage_messages("vote", "q", "p")
    with pytest.raises(ValueError, match="max_new_tokens"):
        next(cr.critique_loop(Scripted(), "q", "p", cr.LoopConfig(max_new_tokens=cr.MAX_NEW_TOKENS + 1)))


@pytest.mark.slow
def test_with_smollm2_each_stage_is_generate_on_its_own_prompt():
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    m = load_smollm2()
    q, p = "What is the capital of France?", "Answer in one short sentence."
    events = list(cr.critique_loop(m, q, p, cr.LoopConfig(max_new_tokens=4, temperature=0.0)))
    done = {e["stage"]: e["text"] for e in events if e["type"] == "stage_done"}
    draft_ids = m.chat_ids(cr.stage_messages("draft", q, p))
    want = "".join(e.text for e in m.generate(draft_ids, max_tokens=4, settings=GREEDY)).strip()
    assert done["draft"] == want
    rev_ids = m.chat_ids(cr.stage_messages("revision", q, p, done["draft"], done["critique"]))
    assert done["revision"] == "".join(e.text for e in m.generate(rev_ids, max_tokens=4, settings=GREEDY)).strip()
