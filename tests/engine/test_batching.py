"""Batched decode: every row equals the one-sequence step (ragged lengths, sequences joining
and leaving); the scheduler batches concurrent generations without changing their tokens,
holds its limits and frees a slot when a generator is closed."""

import threading

import numpy as np
import pytest

from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.models.llama.batching import QueueFull, Scheduler
from glasslm.engine.models.llama.prefix_cache import PrefixCache
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2

TOL = 2e-4


@pytest.fixture(scope="module")
def m():
    return load_smollm2()


def one_step(m, ids, token):
    """The reference: the one-sequence path, no batching."""
    cache = m.model.new_cache(len(ids) + 1)
    m.model.prefill(ids, cache, last_only=True)
    return m.model.forward([token], cache, last_only=True)[-1]


def test_rows_equal_the_one_sequence_step_with_ragged_lengths_joining_and_leaving(m):
    texts = ["Hi", "The capital of France is", "Once upon a time, in a land far away, there lived a"]
    prompts = [m.encode(t) for t in texts]
    caches = []
    for ids in prompts:
        cache = m.model.new_cache(len(ids) + 4, hidden=True)
        m.model.prefill(ids, cache, last_only=True)
        caches.append(cache)
    seqs = [list(p) for p in prompts]
    for step, rows in enumerate([[0, 1, 2], [1, 2], [0, 2], [2]]):  # row 0 leaves and joins again, 1 leaves
        tokens = [1000 + 97 * step + 13 * r for r in rows]  # any tokens: the rows are compared, not the text
        got = m.model.decode_batch(tokens, [caches[r] for r in rows])  # (B, V)
        for row, r in enumerate(rows):
            np.testing.assert_allclose(got[row], one_step(m, seqs[r], tokens[row]), atol=TOL, rtol=0)
            seqs[r].append(tokens[row])
            assert caches[r].length == len(seqs[r])
    # the kept last-block outputs are right too: the logits of every position
    np.testing.assert_allclose(
        m.model.unembed(caches[2].x[: caches[2].length]), m.model.forward(seqs[2]), atol=TOL, rtol=0
    )


def test_concurrent_generations_share_passes_and_keep_their_tokens(m):
    s = SmolLM2(m.model, m.tokenizer, m.metadata, m.load_info, PrefixCache())
    prompts = [m.encode(t) for t in ("The sun is", "My favourite food is", "Numbers: 1, 2, 3,", "Dear diary, today")]
    alone = [[e.token_id for e in s.generate(p, max_tokens=8, settings=GREEDY, stop_ids=[])] for p in prompts]
    passes_alone = s.scheduler.passes
    got: dict[int, list[int]] = {}
    barrier = threading.Barrier(len(prompts))

    def run(i):
        barrier.wait()
        got[i] = [e.token_id for e in s.generate(prompts[i], max_tokens=8, settings=GREEDY, stop_ids=[])]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(prompts))] == alone
    together = s.scheduler.passes - passes_alone
    assert together < 4 * 7  # fewer passes than one per request per step: steps were shared
    assert s.scheduler.stats()["admitted"] == 0 and s.scheduler.stats()["reserved_kv_tokens"] == 0


def test_closing_a_generator_frees_its_slot(m):
    s = SmolLM2(m.model, m.tokenizer, m.metadata, m.load_info, PrefixCache())
    gen = s.generate(m.encode("Tell me a story"), max_tokens=50, settings=GREEDY, stop_ids=[])
    next(gen)
    assert s.scheduler.stats()["admitted"] == 1 and s.scheduler.stats()["reserved_kv_tokens"] > 0
    gen.close()  # what a disconnecting client's stream does
    assert s.scheduler.stats()["admitted"] == 0 and s.scheduler.stats()["reserved_kv_tokens"] == 0


def test_limits_queue_and_refuse(m):
    sched = Scheduler(m.model, max_batch=1, max_queued=1, max_kv_tokens=100)
    with pytest.raises(ValueError, match="KV-cache limit"), sched.admit(101):
        pass
    entered = threading.Event()
    with sched.admit(10):  # the one slot is taken
        waiter = threading.Thread(target=lambda: sched.admit(10).__enter__() and entered.set())
        waiter.start()
        while sched.stats()["queued"] == 0:
            threading.Event().wait(0.01)
        with pytest.raises(QueueFull, match="already waiting"), sched.admit(10):  # the queue of one is full too
            pass
        assert not entered.is_set()
    waiter.join(5)
    assert entered.is_set()  # the slot freed, the queued request got it


def test_as_batch_keeps_order_and_answers(m):
    from glasslm.engine.evaluation.fact_qa import answer, load_facts, prompt_text
    from glasslm.engine.models.llama.batching import as_batch

    facts, examples = load_facts()
    prompts = [m.encode(prompt_text(f.question, examples)) for f in facts[:4]]
    alone = [answer(m, p, max_tokens=3) for p in prompts]
    together = list(as_batch(lambda p: answer(m, p, max_tokens=3), prompts, width=4))
    assert [a.ids for a in together] == [a.ids for a in alone]
    np.testing.assert_allclose([a.likelihood for a in together], [a.likelihood for a in alone], atol=1e-4)


def test_a_pass_mixing_prompts_and_decode_steps_equals_the_one_sequence_path(m):
    """forward_batch with a joining request's whole prompt beside others' single decode tokens
    (and a prompt continuing a cache): each row equals forward over that sequence alone."""
    texts = ["Hi", "The capital of France is", "Once upon a time, in a land far away, there lived a"]
    prompts = [m.encode(t) for t in texts]
    old = m.model.new_cache(len(prompts[1]) + 1, hidden=True)
    m.model.prefill(prompts[1], old, last_only=True)  # decoding already: its next token only
    part = m.model.new_cache(len(prompts[2]), hidden=True)
    m.model.prefill(prompts[2][:5], part, last_only=True)  # a prompt's second chunk
    new = m.model.new_cache(len(prompts[0]), hidden=True)  # a joining request's prompt
    got = m.model.forward_batch([prompts[0], [1234], prompts[2][5:]], [new, old, part])  # (3, V)
    np.testing.assert_allclose(got[0], m.model.forward(prompts[0])[-1], atol=TOL, rtol=0)
    np.testing.assert_allclose(got[1], m.model.forward(prompts[1] + [1234])[-1], atol=TOL, rtol=0)
    np.testing.assert_allclose(got[2], m.model.forward(prompts[2])[-1], atol=TOL, rtol=0)
    assert [c.length for c in (new, old, part)] == [len(prompts[0]), len(prompts[1]) + 1, len(prompts[2])]
    np.testing.assert_allclose(m.model.unembed(part.x[: part.length]), m.model.forward(prompts[2]), atol=TOL, rtol=0)


def test_lengths_stay_python_ints(m):
    """A cache's length is reported in JSON (the serving trace): numpy integers would not serialize."""
    cache = m.model.new_cache(8, hidden=True)
    m.model.forward_batch([m.encode("Hello there")], [cache])
    assert type(cache.length) is int


def test_prompts_arriving_together_share_a_pass_and_keep_their_tokens(m):
    """Eight requests arriving at once: their prompts' prefills run as rows of shared passes
    (Llama.forward_batch through the scheduler), and each first token is the one it gets alone."""
    s = SmolLM2(m.model, m.tokenizer, m.metadata, m.load_info, PrefixCache())
    prompts = [m.encode(f"Question {i}: what is {i} plus {i}? Answer:") for i in range(8)]
    alone = [m.model.forward(p)[-1].argmax() for p in prompts]  # no scheduler, no cache
    got: dict[int, int] = {}
    barrier = threading.Barrier(len(prompts))

    def run(i):
        barrier.wait()
        got[i] = next(s.generate(prompts[i], max_tokens=1, settings=GREEDY, stop_ids=[])).token_id

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(prompts))] == alone
    assert s.scheduler.passes < len(prompts) and max(s.scheduler.batch_sizes) > 1


def test_a_step_that_cannot_run_fails_alone(m):
    """A cache without room fails its own request with the cache's sentence; a request
    sharing the pass still gets its logits."""
    s = Scheduler(m.model)
    full = m.model.new_cache(2)
    m.model.prefill(m.encode("Hi there"), full)  # two tokens: no room left
    ok = m.model.new_cache(8)
    errors: list = []

    def bad():
        try:
            s.step(5, full)
        except ValueError as err:
            errors.append(str(err))

    t = threading.Thread(target=bad)
    t.start()
    got = s.prefill(m.encode("Hello"), ok)
    t.join()
    assert errors and "no room" in errors[0]
    np.testing.assert_allclose(got, m.model.forward(m.encode("Hello"))[-1], atol=TOL, rtol=0)
