"""Prompting techniques: the answer rule on hand-made replies, the majority vote, the prompts as
tokens (against the GGUF's own Jinja chat template, rendered by jinja2), and
runs against SmolLM2.generate called directly."""

import pytest

from glasslm.engine.applications.prompting import (
    COT_INSTRUCTION,
    TECHNIQUES,
    Item,
    PromptConfig,
    accuracy,
    extract,
    is_right,
    load_task_set,
    majority,
    messages_for,
    prompt_steps,
    run_item,
    run_prompt,
    worst_case_tokens,
)
from glasslm.engine.basics.sampling import GREEDY, SamplingConfig


@pytest.mark.parametrize(
    "reply, rule, question, want",
    [
        ("The sentiment of this review is generally positive.", "label", "", "positive"),
        ("Neutral, not negative: positive overall.", "label", "", "negative"),  # the first label found
        ("I cannot tell.", "label", "", ""),
        ("The capital city of Japan is Tokyo.", "word", "What is the capital city of Japan?", "tokyo"),
        ('The opposite of "hot" is "cold".', "word", 'What is the opposite of the word "hot"?', "cold"),
        ("Let me think. Japan is in Asia.\nAnswer: Tokyo", "word", "What is the capital city of Japan?", "tokyo"),
        ("3 + 4 = 7", "number", "Tom has 3 apples and buys 4 more.", "7"),
        ("He had 3, bought 4, so 7.\nanswer: 1,000.", "number", "", "1000"),
        ("No numbers here", "number", "", ""),
    ],
)
def test_answer_rule_on_hand_made_replies(reply, rule, question, want):
    assert extract(reply, rule, ("positive", "negative"), question) == want


def test_right_answers_and_aliases():
    item = Item("opposite", 'What is the opposite of the word "big"?', "small", ("little",))
    assert is_right("small", item) and is_right("Little", item) and not is_right("", item) and not is_right("big", item)


def test_majority_vote():
    assert majority(["7", "6", "7"]) == ("7", 2)
    assert majority(["6", "7"]) == ("6", 1)  # a tie goes to the first answer
    assert majority(["", "", "5"]) == ("5", 1)  # no answer never wins
    assert majority(["", ""]) == ("", 0)


def test_task_set_is_well_formed():
    tasks = load_task_set()
    for kind in tasks.kinds:  # enough items per kind for a 95 % interval narrower than the whole scale
        assert sum(i.kind == kind for i in tasks.items) >= 8
    assert {f["kind"] for f in tasks.findings} <= set(tasks.kinds) | {"all"}
    questions = {i.question for i in tasks.items}
    assert not questions & {s.question for s in tasks.shots}  # few-shot examples are never test items
    for item in tasks.items:
        rule, labels = tasks.rule(item.kind)
        assert len(tasks.shots_for(item.kind, 3)) == 3
        if rule == "label":
            assert item.answer in labels
        if rule == "number":
            assert item.answer.isdigit()
        # The item's own answer, written as a model would, is read back as right.
        assert is_right(extract(f"The answer is {item.answer}.", rule, labels, item.question), item)


def test_prompts_are_the_chat_template_of_the_messages(smollm2):
    """The few-shot prompt's tokens equal the file's Jinja template rendered, markers as special ids."""
    jinja2 = pytest.importorskip("jinja2")
    tasks = load_task_set()
    item = tasks.items[0]
    msgs = messages_for("few-shot", item.question, tasks.shots_for(item.kind, 2))
    assert [t["role"] for t in msgs] == ["user", "assistant", "user", "assistant", "user"]
    text = jinja2.Template(smollm2.metadata["chat_template"]).render(messages=msgs, add_generation_prompt=True)
    # The rendered text, its role markers as the special ids 1 and 2, everything else encoded as text:
    ids = []
    for piece in text.split("<|im_start|>"):
        if not piece:
            continue
        body, _, rest = piece.partition("<|im_end|>")
        ids += [1] + smollm2.encode(body) + ([2] + smollm2.encode(rest) if _ else [])
    assert smollm2.chat_ids(msgs) == ids
    cot = messages_for("chain-of-thought", "Why?")
    assert cot == [{"role": "user", "content": "Why?\n" + COT_INSTRUCTION}]
    assert messages_for("self-consistency", "Why?") == cot
    with pytest.raises(ValueError, match="technique"):
        messages_for("tree-of-thought", "Why?")


def test_zero_shot_reply_is_smollm2_greedy(smollm2):
    tasks = load_task_set()
    item = next(i for i in tasks.items if "Japan" in i.question)
    cfg = PromptConfig(short_tokens=8)
    r = run_item(smollm2, tasks, item, "zero-shot", cfg)
    ids = smollm2.chat_ids([{"role": "user", "content": item.question}])
    want = [e.token_id for e in smollm2.generate(ids, max_tokens=8, settings=GREEDY)]
    assert r.prompt_ids == ids and r.replies == [want]
    assert r.answer == extract(smollm2.decode(want), "word", (), item.question)
    assert r.right == is_right(r.answer, item) and r.tokens == len(want)


@pytest.mark.slow
def test_self_consistency_paths_are_seeded_samples_and_vote(smollm2):
    cfg = PromptConfig(cot_tokens=6, paths=2, temperature=0.7, seed=11)
    msgs = messages_for("self-consistency", "What is 2 plus 2?")
    *seen, r = prompt_steps(smollm2, msgs, "self-consistency", "number", cfg=cfg)
    ids = smollm2.chat_ids(msgs)
    for i in range(2):
        want = [
            e.token_id
            for e in smollm2.generate(ids, max_tokens=6, settings=SamplingConfig(temperature=0.7), seed=11 + i)
        ]
        assert r.replies[i] == want
    assert [t for run, t in seen if t is not None] == r.replies[0] + r.replies[1]  # streamed as chosen
    assert [run for run, t in seen if t is None] == [0, 1]
    assert run_prompt(smollm2, msgs, "self-consistency", "number", cfg=cfg).replies == r.replies
    assert r.answers == [extract(smollm2.decode(x), "number") for x in r.replies]
    assert (r.answer, r.votes) == majority(r.answers) and r.right is None


def test_accuracy_and_cost():
    class R:  # the two fields accuracy reads
        def __init__(self, right):
            self.right = right

    assert accuracy([R(True), R(False), R(True), R(None)]) == 0.5
    assert accuracy([]) == 0.0
    cfg = PromptConfig(short_tokens=10, cot_tokens=40, paths=3)
    assert worst_case_tokens(4, TECHNIQUES, cfg) == 4 * (10 + 10 + 40 + 120)
