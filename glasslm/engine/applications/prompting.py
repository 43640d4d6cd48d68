"""Prompting techniques on one small task set: zero-shot, few-shot, chain-of-thought, self-consistency.

The same question can be put to a chat model in several ways. This file
builds the four classic ones as chat messages (the chat template turns them
into tokens), runs SmolLM2 on them, reads an answer out of each reply with a
fixed rule, and scores it:

- zero-shot: the question alone;
- few-shot (Brown et al. 2020, "Language Models are Few-Shot Learners"):
  a few solved examples of the same kind first, as earlier turns of the
  conversation (user asks, assistant answers), then the question;
- chain-of-thought (Wei et al. 2022, "Chain-of-Thought Prompting Elicits
  Reasoning in Large Language Models"): ask for the reasoning before the
  answer. Wei et al. showed worked examples; here the request is an
  instruction ("think step by step", Kojima et al. 2022, "Large Language
  Models are Zero-Shot Reasoners"), so the same template fits any question;
- self-consistency (Wang et al. 2022, "Self-Consistency Improves Chain of
  Thought Reasoning in Language Models"): sample several chain-of-thought
  replies at a temperature above 0 and take the most common answer.

The answer rule (`extract`), deterministic and the same for every technique:
take the text after the last "Answer:" in the reply if there is one, else
the whole reply; then, by the item's kind,
- label  (sentiment): the first of the kind's labels found as a whole word;
- number (sums):      the last whole number in it;
- word   (capitals, opposites): the first word that is neither a word of
  the question nor a filler word (FILLER), so "The capital city of Japan is
  Tokyo." gives "tokyo".
A reply is right when that answer equals the item's answer (or an alias),
ignoring case. The majority vote of self-consistency counts these answers
(ties: the answer reached first; no answer never wins over an answer).

The task set is data: glasslm/engine/data/prompting_tasks.json. Most of its items
are bare inputs ("Country: Japan\nCapital:") with no instruction, so only few-shot
examples say what the task is: that is where SmolLM2-135M was measured to change
(capitals 1 of 12 zero-shot, 7 of 12 few-shot); its "findings" record what each
technique did when the set was built, including where one does not help.
Left out: automatic prompt search, worked-example CoT, instructions tuned per model.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.data.files import read_json

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

TECHNIQUES = ("zero-shot", "few-shot", "chain-of-thought", "self-consistency")
COT_INSTRUCTION = 'Think step by step, then give the final answer on a last line that starts with "Answer:".'
FILLER = frozenset("a an the is are was it its this that answer final so be would of in to and".split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")  # words of letters and digits, any script
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Item:
    """One question with its right answer."""

    kind: str  # a key of TaskSet.kinds: picks the answer rule
    question: str
    answer: str
    aliases: tuple[str, ...] = ()  # other answers counted as right ("little" for "small")


@dataclass(frozen=True)
class TaskSet:
    kinds: dict  # kind -> {"rule": label|word|number, "labels": [...], "title": ...}
    items: list[Item]
    shots: list[Item]  # solved examples for few-shot prompts; never test items
    findings: list = field(default_factory=list)  # what was measured when the set was built: [{kind, text}]

    def rule(self, kind: str) -> tuple[str, tuple[str, ...]]:
        k = self.kinds[kind]
        return k["rule"], tuple(k.get("labels", ()))

    def shots_for(self, kind: str, n: int) -> list[Item]:
        return [s for s in self.shots if s.kind == kind][:n]


def load_task_set() -> TaskSet:
    """The chapter's task set from the package's data file."""
    data = read_json("prompting_tasks.json")

    def item(d):
        return Item(d["kind"], d["question"], d["answer"], tuple(d.get("aliases", ())))

    return TaskSet(
        data["kinds"], [item(d) for d in data["items"]], [item(d) for d in data["shots"]], data.get("findings", [])
    )


@dataclass(frozen=True)
class PromptConfig:
    """How much each technique may write and sample."""

    short_tokens: int = 16  # zero-/few-shot: enough for "The capital city of Japan is Tokyo."
    cot_tokens: int = 48  # a few sentences of reasoning; each token is one forward pass (~50 ms)
    shots: int = 3  # examples in a few-shot prompt (the task set has 3 per kind)
    paths: int = 3  # self-consistency samples; Wang et al. used up to 40, a 135M model at 20 tok/s affords few
    temperature: float = 0.7  # self-consistency's sampling temperature (Wang et al. sampled at 0.5-0.7)
    seed: int = 0  # path i uses seed + i, so a run can be repeated exactly

    def max_tokens(self, technique: str) -> int:
        return self.short_tokens if technique in ("zero-shot", "few-shot") else self.cot_tokens


# ---------------------------------------------------------------- prompts
def messages_for(technique: str, question: str, shots: list[Item] = ()) -> list[dict]:
    """The conversation a technique sends (the default system prompt is added by the template)."""
    if technique not in TECHNIQUES:
        raise ValueError(f"technique must be one of {TECHNIQUES}, got {technique!r}")
    if technique == "zero-shot":
        return [{"role": "user", "content": question}]
    if technique == "few-shot":
        turns = []
        for s in shots:
            turns += [{"role": "user", "content": s.question}, {"role": "assistant", "content": s.answer}]
        return turns + [{"role": "user", "content": question}]
    return [{"role": "user", "content": question + "\n" + COT_INSTRUCTION}]


# ---------------------------------------------------------------- answers
def answer_part(reply: str) -> str:
    """The text after the last "Answer:" (any case), or the whole reply."""
    parts = re.split(r"answer\s*:", reply, flags=re.IGNORECASE)
    return parts[-1] if len(parts) > 1 else reply


def extract(reply: str, rule: str, labels=(), question: str = "") -> str:
    """The answer in a reply by the rule above, lower-cased; "" if there is none."""
    text = answer_part(reply).lower()
    if rule == "label":
        found = []  # (position, label) of each label's first whole-word occurrence
        for label in labels:
            hit = re.search(rf"\b{re.escape(label.lower())}\b", text)
            if hit:
                found.append((hit.start(), label.lower()))
        return min(found)[1] if found else ""
    if rule == "number":
        numbers = _NUMBER.findall(text)
        return numbers[-1].replace(",", "").rstrip(".") if numbers else ""
    if rule == "word":
        asked = {w.lower() for w in _WORD.findall(question)}
        for w in _WORD.findall(text):
            if w not in asked and w not in FILLER:
                return w
        return ""
    raise ValueError(f"rule must be label, word or number, got {rule!r}")


def is_right(answer: str, item: Item) -> bool:
    return answer != "" and answer.lower() in {a.lower() for a in (item.answer, *item.aliases)}


def majority(answers: list[str]) -> tuple[str, int]:
    """(most common non-empty answer, its votes); ties go to the answer seen first; ("", 0) if none."""
    counts = Counter(a for a in answers if a)
    if not counts:
        return "", 0
    best = max(counts.values())
    winner = next(a for a in answers if counts.get(a) == best)
    return winner, best


# ---------------------------------------------------------------- running
@dataclass
class ItemResult:
    technique: str
    prompt_ids: list[int]
    replies: list[list[int]]  # token ids of each reply (self-consistency: one per path)
    answers: list[str]  # the answer read from each reply
    answer: str  # the final answer (self-consistency: the majority)
    votes: int = 1  # how many replies gave it
    right: bool | None = None  # None when there is no known answer (the learner's own prompt)
    tokens: int = field(default=0)  # tokens generated


def prompt_steps(
    m: SmolLM2,
    messages: list[dict],
    technique: str,
    rule: str = "word",
    labels=(),
    question: str = "",
    cfg: PromptConfig = PromptConfig(),
    item: Item | None = None,
) -> Iterator[tuple[int, int | None] | ItemResult]:
    """Run one prompt with a technique: yield (run, token id) as each token is chosen, (run, None) when
    a reply ends, and last the ItemResult. Self-consistency's paths share one read of the prompt."""
    from glasslm.engine.inference.autoregression import continuation_steps

    ids = m.chat_ids(messages)
    seeds = [cfg.seed + i for i in range(cfg.paths)] if technique == "self-consistency" else [None]
    replies: list[list[int]] = [[] for _ in seeds]
    for run, token in continuation_steps(
        m, ids, cfg.max_tokens(technique), seeds, settings=SamplingConfig(temperature=cfg.temperature)
    ):
        if token is not None:
            replies[run].append(token)
        yield run, token
    answers = [extract(m.decode(r), rule, labels, question) for r in replies]
    final, votes = majority(answers) if technique == "self-consistency" else (answers[0], 1)
    yield ItemResult(
        technique,
        ids,
        replies,
        answers,
        final,
        votes,
        None if item is None else is_right(final, item),
        sum(len(r) for r in replies),
    )


def run_prompt(m: SmolLM2, messages: list[dict], technique: str, *args, **kwargs) -> ItemResult:
    """prompt_steps run to the end (the same arguments): just the result."""
    *_, result = prompt_steps(m, messages, technique, *args, **kwargs)
    return result


def run_item(m: SmolLM2, tasks: TaskSet, item: Item, technique: str, cfg: PromptConfig = PromptConfig()) -> ItemResult:
    """One task item with one technique, scored."""
    rule, labels = tasks.rule(item.kind)
    shots = tasks.shots_for(item.kind, cfg.shots) if technique == "few-shot" else []
    return run_prompt(
        m, messages_for(technique, item.question, shots), technique, rule, labels, item.question, cfg, item
    )


def accuracy(results: list[ItemResult]) -> float:
    """Share of results that are right (0 for none)."""
    return sum(bool(r.right) for r in results) / len(results) if results else 0.0


def worst_case_tokens(n_items: int, techniques, cfg: PromptConfig = PromptConfig()) -> int:
    """The most tokens a run can generate: what its time estimate is based on."""
    return sum(n_items * cfg.max_tokens(t) * (cfg.paths if t == "self-consistency" else 1) for t in techniques)
