"""What the prose says "we saw when we ran it", rerun.

Each test quotes the sentence it pins, reruns the computation with the real
model, and fails when the result leaves the range the sentence states. If one
fails after a change to a model, a prompt or a default, the sentence is what
must be rewritten (and then this test), not loosened to pass.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from glasslm.engine.models.llama.smollm2 import load_smollm2

CHAPTERS = Path(__file__).resolve().parents[2] / "glasslm" / "chapters"


def prose(package: str) -> str:
    return " ".join((CHAPTERS / package / "chapter.md").read_text(encoding="utf-8").split())


@pytest.fixture(scope="module")
def m():
    return load_smollm2()


def next_token_probs(m, text: str) -> np.ndarray:
    z = m.logits(m.encode(text))[-1].astype(np.float64)
    p = np.exp(z - z.max())
    return p / p.sum()


def test_sampling_cuts_follow_the_models_confidence(m):
    """sampling: "Top-p 0.9 keeps about ten for the first and hundreds for the second; min-p 0.1
    keeps just " Paris" for the first and about twenty candidates for the second"."""
    text = prose("sampling")
    assert "Top-p 0.9 keeps about ten for the first and hundreds for the second" in text
    assert 'min-p 0.1 keeps just " Paris" for the first and about twenty candidates' in text
    kept = {}
    for prompt in ("The capital of France is", "My favourite food is"):
        p = next_token_probs(m, prompt)
        top_p = int(np.searchsorted(np.cumsum(np.sort(p)[::-1]), 0.9) + 1)
        min_p = np.flatnonzero(p >= 0.1 * p.max())
        kept[prompt] = (top_p, min_p)
    top_p, min_p = kept["The capital of France is"]
    assert 5 <= top_p <= 20 and [m.decode([int(i)]) for i in min_p] == [" Paris"]
    top_p, min_p = kept["My favourite food is"]
    assert 100 <= top_p <= 999 and 10 <= len(min_p) <= 40


def test_ordinary_english_has_a_perplexity_of_a_few_dozen(m):
    """probability-and-loss: "Ordinary English usually lands at a perplexity of a few dozen or less;
    random letters ... push it up"."""
    assert "Ordinary English usually lands at a perplexity of a few dozen or less" in prose("probability_and_loss")
    english = [
        "The cat sat on the mat and looked out of the window at the birds in the garden.",
        "Water boils at one hundred degrees Celsius at sea level, and it freezes at zero degrees.",
        "After dinner we walked down to the river and watched the boats until it got dark.",
    ]
    ppl = [m.score(m.encode(t)).perplexity for t in english]
    assert max(ppl) < 60, ppl
    letters = m.score(m.encode("qzv xplr mwtk gjeb ounfy ctrz hvdw lkq psoe yrtm bnzx")).perplexity
    assert letters > 5 * max(ppl)


def test_bare_question_makes_the_instruct_model_close_the_turn(m):
    """post-training: "Fed the bare question as text, the model's likeliest next token is usually
    `<|im_end|>`" (the demo's default question)."""
    assert "the model's likeliest next token is usually `<|im_end|>`" in prose("post_training")
    p = next_token_probs(m, "What is the capital of France?")
    assert int(np.argmax(p)) == m.tokenizer.special_tokens["<|im_end|>"]


def test_default_hallucination_question_is_confidently_wrong(client):
    """hallucination: "SmolLM2 answers "Sydney" ... with high probability ... it answers "Canberra" ...
    ask how many legs a spider has. Closed book it says 8, right; with "A spider has eight legs." in front
    of it, it says "A spider has 12"."""
    text = prose("hallucination")
    assert 'SmolLM2 answers "Sydney"' in text and 'it says "A spider has 12"' in text
    d = client.post("/api/hallucination/ask", json={"id": "canberra", "fact": ""}).json()
    assert "sydney" in d["answer"].lower() and d["correct"] is False and d["first"] > 0.5
    d = client.post(
        "/api/hallucination/ask", json={"id": "canberra", "fact": "Canberra is the capital of Australia."}
    ).json()
    assert "canberra" in d["answer"].lower()
    d = client.post("/api/hallucination/ask", json={"id": "spider", "fact": ""}).json()
    assert "8" in d["answer"] and d["correct"] is True
    d = client.post("/api/hallucination/ask", json={"id": "spider", "fact": "A spider has eight legs."}).json()
    assert "A spider has 12" in d["answer"] and d["correct"] is False


@pytest.mark.slow
def test_retrieval_answers_most_obscure_questions(m):
    """hallucination: "With the fact in front of it, SmolLM2 answers most obscure questions right"."""
    from glasslm.engine.evaluation import fact_qa

    assert "With the fact in front of it, SmolLM2 answers most obscure questions right" in prose("hallucination")
    facts, examples = fact_qa.load_facts()
    obscure = [f for f in facts if f.level == "obscure"]
    right = 0
    for f in obscure:
        a = fact_qa.answer(m, m.encode(fact_qa.prompt_text(f.question, examples, f.fact)))
        right += fact_qa.is_correct(a.text, f.answers)
    assert right > len(obscure) / 2


@pytest.mark.slow
def test_evaluation_formats_as_reported(m):
    """evaluation: "SmolLM2 picked "A" for every question in both lettered formats — exactly 25% ...
    In the cloze format it got 4 of 12 by sum and 3 by mean"."""
    from glasslm.engine.evaluation import choice_scoring as cs

    text = prose("evaluation")
    assert 'SmolLM2 picked "A" for every question in both lettered formats' in text
    assert "In the cloze format it got 4 of 12 by sum and 3 by mean" in text
    qs = cs.load_questions()
    assert len(qs) == 12
    for fmt in ("letters", "chat"):
        scores = [cs.score_question(m, q, fmt) for q in qs]
        assert {s.pick("sum") for s in scores} == {0} and cs.accuracy(scores, "sum") == 0.25
    cloze = [cs.score_question(m, q, "cloze") for q in qs]
    assert round(cs.accuracy(cloze, "sum") * 12) == 4 and round(cs.accuracy(cloze, "mean") * 12) == 3


# prompting: what we measured when building the task set (engine/data/prompting_tasks.json "findings",
# quoted under the demo and in the prose): right answers out of 12 (sums: out of 8), greedy.
PROMPTING = {
    "zero-shot": {"capital": 1, "sentiment": 6, "opposite": 5, "arithmetic": 0},
    "few-shot": {"capital": 7, "sentiment": 10, "opposite": 1, "arithmetic": 1},
    "chain-of-thought": {"capital": 0, "arithmetic": 2},
}


def test_prompting_findings_quote_the_measured_counts(tasks):
    text = prose("prompting")
    assert "few-shot took SmolLM2 from 1 of 12 to 7 of 12" in " ".join(text.split())
    findings = {f["kind"]: f["text"] for f in tasks.findings}
    for technique, by_kind in PROMPTING.items():
        for kind, right in by_kind.items():
            total = 8 if kind == "arithmetic" else 12
            name = {"zero-shot": "zero-shot", "few-shot": "few-shot", "chain-of-thought": "chain-of-thought"}[technique]
            assert re.search(rf"{name} {right} of {total}", findings[kind], re.I), (technique, kind)


@pytest.fixture(scope="module")
def tasks():
    from glasslm.engine.applications import prompting

    return prompting.load_task_set()


@pytest.mark.slow
@pytest.mark.parametrize("technique,kind", [(t, k) for t, kinds in PROMPTING.items() for k in kinds])
def test_prompting_results_per_kind(m, tasks, technique, kind):
    from glasslm.engine.applications import prompting

    items = [it for it in tasks.items if it.kind == kind]
    results = [prompting.run_item(m, tasks, it, technique) for it in items]
    assert sum(bool(r.right) for r in results) == PROMPTING[technique][kind]
    if technique == "chain-of-thought" and kind == "arithmetic":
        # "chain-of-thought wrote "3 + 4 = 7" once and "9 - 3 = 4" once"
        replies = " ".join(m.decode(r.replies[0]) for r in results)
        assert "3 + 4 = 7" in replies and "9 - 3 = 4" in replies


def test_default_corpus_mostly_goes(client):
    """pretraining-data: "With the default settings more than half of this corpus goes"."""
    from glasslm.chapters.pretraining_data import api as ch

    assert "With the default settings more than half of this corpus goes" in prose("pretraining_data")
    d = client.post("/api/pretraining-data/clean", json={"text": ch.CORPUS_FILE.read_text(encoding="utf-8")}).json()
    assert d["kept"] < d["n_docs"] / 2


def test_analogy_answer_would_lose_to_king_itself(client):
    """embeddings: "(the readout says where the answer would rank if they were not: often *king*
    itself is nearer)"."""
    assert "often *king* itself is nearer" in prose("embeddings")
    d = client.post("/api/embeddings/analogy", json={"a": "king", "b": "man", "c": "woman"}).json()
    assert d["answer"] == "queen" and d["rank_with_inputs"] > 1 and d["nearest_overall"][0]["word"] == "king"


def test_logit_lens_reads_the_input_first_and_the_answer_last(client):
    """transformer: "The bottom row, the embedding alone, mostly "predicts" the input token itself ... the
    real answer tends to surface only in the last few layers" (the demo's default text)."""
    text = prose("transformer")
    assert 'mostly "predicts" the input token itself' in text and "only in the last few layers" in text
    d = client.post("/api/transformer/lens", json={"text": "The capital of France is", "k": 3}).json()
    ids = [t["id"] for t in d["tokens"]]
    bottom = [cell["ids"][0] for cell in d["lens"][0]]
    assert sum(a == b for a, b in zip(bottom, ids)) > len(ids) / 2
    assert d["first_layer_with_final_answer"] >= d["layers"] - 5


@pytest.mark.slow
def test_scratchpad_wins_the_default_race():
    """reasoning: "With three digits, the scratchpad model solves nearly all held-out problems within the
    default 300 steps (93 % when we ran it), while the direct model is still close to zero (1 %)"."""
    from glasslm.engine.training.scratchpad_training import ReasoningConfig, ReasoningRun, train_reasoning

    text = prose("reasoning")
    assert (
        "the scratchpad model solves nearly all held-out problems within the default 300 steps (93 % when we ran it)"
        in text
    )
    cfg = ReasoningConfig(digits=3, steps=300)  # the page's defaults
    done = list(train_reasoning(ReasoningRun(cfg)))[-1]
    assert done["accuracy"]["scratchpad"] >= 0.85 and done["accuracy"]["direct"] <= 0.05


@pytest.mark.slow
def test_rag_copies_the_ferry_time_only_when_it_is_retrieved(client, sse):
    """rag: "With the right chunk in the prompt, even a 135-million-parameter model copies the fact across
    ("The last ferry returns at 21:15"). Without it, it invents a confident answer." (the demo's defaults)."""
    from glasslm.engine.applications.chunking import HANDBOOK

    assert '("The last ferry returns at 21:15"). Without it, it invents a confident answer' in prose("rag")
    body = {
        "documents": HANDBOOK.read_text(encoding="utf-8"),
        "size": 40,
        "overlap": 10,
        "k": 3,
        "question": "When does the last ferry return?",
        "max_new_tokens": 40,
    }
    events = sse(client.post("/api/rag/answer", json=body).json()["job"])
    answers = {e["mode"]: e["text"] for e in events if e["type"] == "answer_end"}
    assert "21:15" in answers["with"] and "21:15" not in answers["without"]
    assert answers["without"].strip()


def test_interpretability_lens_and_neurons_as_described(client):
    """interpretability: "each prompt's answer ... becomes the lens's top guess only in the last few
    blocks" and "Most neurons' top examples span several unrelated topics" (the demos' defaults)."""
    text = prose("interpretability")
    assert "becomes the lens's top guess only in the last few blocks" in text
    assert "Most neurons' top examples span several unrelated topics" in text
    d = client.post(
        "/api/interpretability/lens", json={"clean": "The capital of France is", "corrupted": "The capital of Italy is"}
    ).json()
    last = d["layers"][-1]
    assert all(last - 5 <= layer <= last for layer in d["first_top_layer"].values())
    spans = client.post("/api/interpretability/neurons", json={}).json()["span_counts"]  # neurons by topics among top k
    assert sum(spans[3:]) > sum(spans) / 2


@pytest.mark.slow
def test_patching_has_the_two_bright_regions(m):
    """interpretability: "In early layers, only the changed word's position matters ... In late layers, only
    the last position matters"."""
    from glasslm.engine.interpretability import patching

    assert "In early layers, only the changed word's position matters" in prose("interpretability")
    clean, corrupted = m.encode("The capital of France is"), m.encode("The capital of Italy is")
    runs = patching.both_runs(m, clean, corrupted)
    good, bad = int(runs.clean_logits.argmax()), int(runs.corrupted_logits.argmax())
    changed = [i for i, (a, b) in enumerate(zip(clean, corrupted)) if a != b]
    assert len(changed) == 1
    early, late = [rec for _, rec in patching.patch_sweep(m, runs, good, bad, [2, m.config.n_layers - 2])]
    assert int(np.argmax(early)) == changed[0] and early[changed[0]] > 0.8
    assert int(np.argmax(late)) == len(clean) - 1 and late[-1] > 0.8


def test_river_bank_stays_closer_to_the_streams_bank(client):
    """embeddings: "At layer 0 (the embedding) the vectors are identical. Through the layers they drift apart,
    and a river bank stays closer to a stream's bank than to the bank that keeps money" (the demo's sentences)."""
    assert "a river bank stays closer to a stream's bank than to the bank that keeps money" in prose("embeddings")
    sentences = [
        "She sat on the bank of the river and watched the water.",
        "He fished from the muddy bank of the stream.",
        "She went to the bank to deposit her money.",
    ]
    d = client.post("/api/embeddings/contextual", json={"word": "bank", "sentences": sentences}).json()
    for kind in ("raw", "centred"):
        cos = {tuple(p["pair"]): np.array(p["cosine"]) for p in d[kind]}
        assert np.allclose([c[0] for c in cos.values()], 1, atol=1e-5)
        later = slice(d["layers"] // 3, None)
        assert (cos[(0, 1)][later] > cos[(0, 2)][later]).all() and (cos[(0, 1)][later] > cos[(1, 2)][later]).all()


@pytest.mark.slow
def test_eight_bits_barely_move_the_predictions_four_bits_visibly(client, sse):
    """fine-tuning: "8 bits barely move them; 4 bits everywhere move them visibly" (all matrices, block 32)."""
    assert "8 bits barely move them; 4 bits everywhere move them visibly" in prose("fine_tuning")
    kl = {}
    for bits in (8, 4):
        r = client.post(
            "/api/fine-tuning/effect",
            json={"text": "The capital of France is", "bits": bits, "scope": "all", "block": 32},
        )
        kl[bits] = next(e for e in sse(r.json()["job"]) if e["type"] == "result")["kl"]
    assert kl[8] < 0.01 and kl[4] > 10 * kl[8]


@pytest.mark.slow
def test_sae_features_stay_within_a_topic_more_than_neurons(client, sse):
    """interpretability: "Features found this way tend to stay within a topic ... far more often than neurons
    do" (the demo's defaults: layer 12, 128 features, 300 steps; the top 6 examples of each)."""
    assert "Features found this way tend to stay within a topic" in prose("interpretability")
    job = client.post("/api/interpretability/sae/train", json={}).json()["job"]
    assert sse(job)[-2]["type"] == "trained"
    features = client.post("/api/interpretability/sae/features", json={"job": job, "k": 6}).json()
    neurons = client.post("/api/interpretability/neurons", json={"layer": 12, "k": 6}).json()["span_counts"]
    neuron_mean = sum(n * count for n, count in enumerate(neurons)) / sum(neurons)
    assert features["mean_topics"] < neuron_mean - 1, (features["mean_topics"], neuron_mean)


@pytest.mark.slow
def test_a_plain_pixel_classifier_does_about_as_well_as_the_vit():
    """vision: "At this size a transformer is not the best tool: a plain classifier on the 64 pixels does
    about as well" (the default ViT run against softmax regression on the same split)."""
    from glasslm.engine.data import digits
    from glasslm.engine.models.vision.vit import (
        ViTConfig,
        ViTRun,
        ViTTrainConfig,
        train_vit,
    )

    assert "a plain classifier on the 64 pixels does about as well" in prose("vision")
    vit = [e for e in train_vit(ViTRun.create(ViTConfig(), ViTTrainConfig())) if e["type"] == "eval"][-1]
    d = digits.load()
    x, xt = d.train_x.reshape(len(d.train_x), -1), d.test_x.reshape(len(d.test_x), -1)
    x, xt = np.hstack([x, np.ones((len(x), 1))]), np.hstack([xt, np.ones((len(xt), 1))])
    onehot = np.eye(10)[d.train_y]
    w = np.zeros((x.shape[1], 10))
    for _ in range(2000):  # softmax regression by full-batch gradient descent
        z = x @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= 0.5 * x.T @ (p - onehot) / len(x)
    plain = float(((xt @ w).argmax(axis=1) == d.test_y).mean())
    assert abs(vit["test_accuracy"] - plain) < 0.05, (vit["test_accuracy"], plain)


def test_numbers_split_as_the_tokens_chapter_says():
    """tokens: "cl100k_base takes digits in groups of up to three from the left, so 12345 is `123` + `45`,
    while 1234 is `123` + `4` ... SmolLM2's tokenizer gives every digit its own token"."""
    from glasslm.engine.tokenizers.pretrained_tokenizers import cl100k_tokenizer, smollm2_tokenizer

    assert "so 12345 is `123` + `45`, while 1234 is `123` + `4`" in prose("tokens")
    cl = cl100k_tokenizer()
    assert [cl.decode([i]) for i in cl.encode("12345")] == ["123", "45"]
    assert [cl.decode([i]) for i in cl.encode("1234")] == ["123", "4"]
    smol = smollm2_tokenizer()
    assert [smol.decode([i]) for i in smol.encode("12345")] == list("12345")


def _arch_pair(depth: int, steps: int):
    from glasslm.engine.models.tiny.gpt import GPTConfig
    from glasslm.engine.training.arch_lab import LabConfig, train_side_by_side

    pair = [("res", GPTConfig(n_layer=depth)), ("plain", GPTConfig(n_layer=depth, residual=False))]
    return next(e for e in train_side_by_side(pair, LabConfig(steps=steps)) if e["type"] == "done")["runs"]


@pytest.mark.slow
def test_residuals_decide_whether_a_deep_tiny_gpt_learns():
    from glasslm.engine.training.arch_lab import DEMO_DEPTH, LabConfig

    text = prose("transformer")
    assert "with residuals reached a held-out loss of about 2.19" in text
    assert "stayed at about 2.81, no better than a model that predicts every letter from its frequency alone" in text
    res, plain = _arch_pair(DEMO_DEPTH, LabConfig.steps)
    # "(2.80 on these names)": letter frequencies of the training names, scored on the held-out names
    from glasslm.engine.data import name_data

    data = name_data.first_names()
    counts = np.zeros(data.tokenizer.vocab_size)
    for n in data.train:
        np.add.at(counts, data.tokenizer.encode_doc(n)[1:], 1)
    logp = np.log(counts / counts.sum())
    held = np.concatenate([logp[data.tokenizer.encode_doc(n)[1:]] for n in data.heldout])
    assert "(2.80 on these names)" in text and -held.mean() == pytest.approx(2.80, abs=0.005)
    assert res["heldout_loss"] == pytest.approx(2.19, abs=0.03)
    assert plain["heldout_loss"] == pytest.approx(2.81, abs=0.03)
    # "the first block of the plain stack received a gradient of the order of 10^-10, against about 0.2"
    assert plain["grad_norms"][0] < 1e-8 and 0.1 < res["grad_norms"][0] < 0.4
    assert 0.5 < plain["grad_norms"][-1] / res["grad_norms"][-1] < 4  # the top blocks: about the same
    # "at four layers ... less than a hundred-thousandth ... stuck at letter frequencies; at two ... still learns"
    assert "at four layers the first block already receives less than a hundred-thousandth" in text
    res4, plain4 = _arch_pair(4, LabConfig.steps)
    assert plain4["grad_norms"][0] < 1e-5 * res4["grad_norms"][0] and plain4["heldout_loss"] > 2.75
    res2, plain2 = _arch_pair(2, LabConfig.steps)
    assert plain2["heldout_loss"] < 2.6


@pytest.mark.slow
def test_the_tour_upgrades_change_little_on_names():
    from glasslm.engine.training.arch_lab import TOUR_STEPS, LabConfig, tour_configs, train_side_by_side

    assert "the four held-out losses landed within about 0.02 nats of one another" in prose("transformer")
    assert "no better than microgpt's under any of three initial seeds" in prose("transformer")
    first_last = tour_configs()[0::3]
    for seed in (0, 1, 2):
        cfgs = tour_configs() if seed == 0 else first_last
        runs = next(
            e for e in train_side_by_side(cfgs, LabConfig(steps=TOUR_STEPS, init_seed=seed)) if e["type"] == "done"
        )
        losses = [r["heldout_loss"] for r in runs["runs"]]
        assert max(losses) - min(losses) < 0.025
        assert losses[-1] >= losses[0] - 0.002  # the upgraded model is no better
