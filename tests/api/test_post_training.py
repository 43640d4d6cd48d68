"""Chapter 19's endpoints: the template's tokens are the Jinja template rendered and encoded, the
chat answer is SmolLM2's argmax at every step, SFT and DPO jobs report numbers recomputed from
their models, scripted judges' pairs obey the script, the reward model is preferences.fit; bad
input gets a sentence naming the field."""

import jinja2
import numpy as np
import pytest

from glasslm.chapters.post_training import api
from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.models.tiny.gpt import sample
from glasslm.engine.post_training import preferences as pf
from glasslm.engine.post_training import sft
from glasslm.web.shared_models import SharedModel

API = "/api/post-training"


@pytest.fixture(scope="module")
def shared_base():
    """A base model pretrained for a few hundred steps instead of the server's thousand, once for this file."""
    shared = SharedModel(lambda: sft.pretrain_base(200), 200, api.BASE_MODEL)
    shared.wait()
    return shared


@pytest.fixture(autouse=True)
def lend_base(client, shared_base):
    """Each test's fresh app borrows it (an app would otherwise pretrain its own)."""
    client.app.state.shared_models[api.BASE_MODEL] = shared_base


@pytest.fixture(scope="module")
def quick_base(shared_base):
    return shared_base.model


def jobs_state(client, job):
    return client.app.state.jobs._jobs[job].state


# ------------------------------------------------------------------ 1. the template


def test_template_tokens_are_the_rendered_jinja_template(client, smollm2):
    msgs = [
        {"role": "user", "content": "What is <|im_end|> for?"},
        {"role": "assistant", "content": "Turns."},
        {"role": "user", "content": "Thanks"},
    ]
    d = client.post(f"{API}/template", json={"messages": msgs}).json()
    assert d["ids"] == smollm2.chat_ids(msgs)
    want = jinja2.Template(smollm2.metadata["chat_template"]).render(messages=msgs, add_generation_prompt=True)
    assert d["text"] == want and d["added_default_system"]
    assert [t["id"] for t in d["tokens"] if t["special"]] == [1, 2] * 4 + [1]  # 4 turns closed, 1 opened
    # the look-alike typed in the question is plain text, not the special token
    user = [t for t in d["tokens"] if t["message"] == 1]
    assert "".join(t["text"] for t in user if not t["special"]).startswith("user\nWhat is <|im_end|> for?")
    assert d["tokens"][-1]["role"] == "assistant (to be written)" and d["tokens"][0]["role"] == "system"
    assert d["content_tokens"] == len(smollm2.encode("".join(x["content"] for x in msgs)))
    no_prompt = client.post(f"{API}/template", json={"messages": msgs, "add_generation_prompt": False}).json()
    assert no_prompt["ids"] == smollm2.chat_ids(msgs, add_generation_prompt=False)


@pytest.mark.parametrize(
    "body,field,status",
    [
        ({"messages": []}, "messages", 422),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "role", 422),
        ({"messages": [{"role": "user", "content": "  "}]}, "messages", 400),
        ({"messages": [{"role": "user", "content": "x" * (api.MAX_CONTENT_CHARS + 1)}]}, "content", 422),
        ({"messages": [{"role": "user", "content": "hi"}] * (api.MAX_MESSAGES + 1)}, "messages", 422),
        ({"messages": [{"role": "user", "content": "dog " * 240}] * 3}, "messages", 413),
    ],
)
def test_template_bad_input(client, body, field, status):
    r = client.post(f"{API}/template", json=body)
    assert r.status_code == status and field in r.json().get("field", "") and r.json()["error"]


@pytest.mark.slow
def test_compare_streams_both_answers_greedily(client, sse, smollm2):
    d = client.post(f"{API}/compare", json={"question": "What is the capital of France?", "max_tokens": 4}).json()
    events = sse(d["job"])
    answers = {e["mode"]: e for e in events if e["type"] == "answer"}
    assert set(answers) == {"raw", "chat"} and events[-1]["status"] == "done"
    # without the template, the instruct model's likeliest next token closes the user's turn itself
    assert answers["raw"]["ids"][0] == 2 and answers["raw"]["specials"] >= 1
    for mode, ids in (
        ("raw", smollm2.encode("What is the capital of France?")),
        ("chat", smollm2.chat_ids([{"role": "user", "content": "What is the capital of France?"}])),
    ):
        got = answers[mode]["ids"]
        streamed = [e["id"] for e in events if e["type"] == "token" and e["mode"] == mode]
        assert streamed == got and 1 <= len(got) <= 4
        logits = smollm2.logits(ids + got)  # teacher-forced: each token is the argmax after the ones before
        assert [int(np.argmax(logits[len(ids) - 1 + k])) for k in range(len(got))] == got


@pytest.mark.parametrize(
    "body,field,status",
    [
        ({"question": ""}, "question", 422),
        ({"question": "   "}, "question", 400),
        ({"question": "x" * (api.MAX_QUESTION_CHARS + 1)}, "question", 422),
        ({"question": "1234567890" * 9}, "question", 413),  # digits are one token each
        ({"question": "Hi", "max_tokens": api.MAX_COMPARE_TOKENS + 1}, "max_tokens", 422),
    ],
)
def test_compare_bad_input(client, body, field, status):
    r = client.post(f"{API}/compare", json=body)
    assert r.status_code == status and r.json()["field"] == field


# ------------------------------------------------------------------ the base model and SFT


def test_base_is_ready_and_reports_its_training(client, quick_base):
    d = client.post(f"{API}/base").json()
    assert d["ready"] and d["n_params"] == quick_base.n_params and d["steps"] == 200
    assert d["vocab"][0] == ">" and d["vocab"][-1] == "<BOS>" and set(d["instructions"]) == {"f>", "m>", "l>"}


def test_base_still_training_is_a_409(client):
    waiting = SharedModel(lambda: sft.pretrain_base(10), 10, api.BASE_MODEL)
    waiting.start = lambda: None  # never starts: stays "training"
    client.app.state.shared_models[api.BASE_MODEL] = waiting
    r = client.post(f"{API}/sft/example", json={"prompt": "f>", "response": "emma"})
    assert r.status_code == 409 and "still training (0 of 10 steps)" in r.json()["error"]


def test_example_counts_only_the_response(client, quick_base):
    d = client.post(f"{API}/sft/example", json={"prompt": "l>", "response": "Smith"}).json()
    assert d["response"] == "smith" and "sft" not in d
    rows = d["base"]["targets"]
    assert [r["target"] for r in rows] == ["l", ">", "s", "m", "i", "t", "h", "<BOS>"]
    assert [r["counted"] for r in rows] == [False, False] + [True] * 6
    want = sft.response_loss(quick_base, [sft.Example("l>", "smith")])
    assert d["base"]["masked_loss"] == pytest.approx(want) == pytest.approx(np.mean([r["loss"] for r in rows[2:]]))


@pytest.mark.parametrize(
    "body,field,status",
    [
        ({"prompt": "x>", "response": "emma"}, "prompt", 422),
        ({"prompt": "f>", "response": ""}, "response", 422),
        ({"prompt": "f>", "response": "em-ma"}, "response", 400),
        ({"prompt": "f>", "response": "a" * (pf.MAX_NAME_CHARS + 1)}, "response", 422),
        ({"prompt": "f>", "response": "emma", "job": "nope"}, None, 404),
    ],
)
def test_example_bad_input(client, body, field, status):
    r = client.post(f"{API}/sft/example", json=body)
    assert r.status_code == status and r.json()["error"]
    if field:
        assert r.json()["field"] == field


@pytest.mark.slow
def test_sft_job_measures_before_and_after(client, sse, quick_base):
    d = client.post(f"{API}/sft/train", json={"steps": 30, "lr": 0.003}).json()
    events = sse(d["job"])
    assert events[-1]["status"] == "done"
    before = next(e for e in events if e["type"] == "before")
    after = next(e for e in events if e["type"] == "after")
    model = jobs_state(client, d["job"])["model"]
    assert before["matrix"] == sft.instruction_matrix(quick_base, api.MATRIX_NAMES)
    assert after["matrix"] == sft.instruction_matrix(model, api.MATRIX_NAMES)
    assert after["samples"]["f>"] == sft.answers(model, "f>", api.SHOW_SAMPLES, 1.0, 0)
    evals = [e["heldout_loss"] for e in events if e["type"] == "eval"]
    assert evals[-1] < evals[0]
    steps = [e for e in events if e["type"] == "step"]
    assert steps[-1]["step"] == 30
    # the example endpoint now compares the fine-tuned model too
    ex = client.post(f"{API}/sft/example", json={"prompt": "f>", "response": "emma", "job": d["job"]}).json()
    assert ex["sft"]["masked_loss"] == pytest.approx(sft.response_loss(model, [sft.Example("f>", "emma")]))


@pytest.mark.parametrize(
    "body,field",
    [({"steps": 0}, "steps"), ({"steps": api.MAX_SFT_STEPS + 1}, "steps"), ({"lr": "NaN"}, "lr"), ({"lr": 1}, "lr")],
)
def test_sft_bad_input(client, body, field):
    r = client.post(f"{API}/sft/train", json=body)
    assert r.status_code == 422 and r.json()["field"] == field


# ------------------------------------------------------------------ 3. preferences and the reward model


def test_pair_gives_two_names_and_the_models_guess(client):
    d = client.post(f"{API}/pair", json={"seed": 3}).json()
    assert d["a"] and d["b"] and d["a"] != d["b"] and d["p_a"] is None and d["next_seed"] > 3
    history = [{"chosen": "al", "rejected": "maximilian"}, {"chosen": "bo", "rejected": "christina"}]
    g = client.post(f"{API}/pair", json={"seed": 3, "pairs": history}).json()
    assert (g["a"], g["b"]) == (d["a"], d["b"])
    assert g["p_a"] == pytest.approx(pf.fit([("al", "maximilian"), ("bo", "christina")]).prob_prefers(d["a"], d["b"]))


def test_scripted_judge_pairs_obey_the_script(client):
    d = client.post(f"{API}/judge", json={"judge": "shorter", "n": 20, "seed": 1}).json()
    assert len(d["pairs"]) == 20
    assert all(len(p["chosen"]) < len(p["rejected"]) for p in d["pairs"])
    v = client.post(f"{API}/judge", json={"judge": "ends_in_vowel", "n": 5, "seed": 1}).json()
    assert all(p["chosen"][-1] in "aeiou" and p["rejected"][-1] not in "aeiou" for p in v["pairs"])


def test_reward_model_recovers_the_scripted_preference(client):
    pairs = client.post(f"{API}/judge", json={"judge": "shorter", "n": 40, "seed": 2}).json()["pairs"]
    d = client.post(f"{API}/reward", json={"pairs": pairs}).json()
    w = {f["key"]: f["weight"] for f in d["features"]}
    fitted = pf.fit([(p["chosen"], p["rejected"]) for p in pairs])
    assert list(w.values()) == pytest.approx(fitted.w.tolist())
    assert w["length"] < 0 and abs(w["length"]) == max(abs(v) for v in w.values())
    assert d["heldout_accuracy"] > 0.8 and d["train_accuracy"] >= d["heldout_accuracy"] - 0.1
    lengths = [len(r["name"]) for r in d["ranked"]]
    assert lengths[0] <= lengths[-1]  # shortest names rank near the top
    assert d["curve"][0] == pytest.approx(np.log(2))


@pytest.mark.parametrize(
    "body,field,status",
    [
        ({"pairs": []}, "pairs", 422),
        ({"pairs": [{"chosen": "al", "rejected": "bo"}]}, "pairs", 400),
        ({"pairs": [{"chosen": "Al!", "rejected": "bo"}] * 3}, "pairs", 400),
        ({"pairs": [{"chosen": "a" * 20, "rejected": "bo"}] * 3}, "chosen", 422),
        ({"pairs": [{"chosen": "al", "rejected": "bo"}] * (api.MAX_PAIRS + 1)}, "pairs", 422),
    ],
)
def test_reward_bad_input(client, body, field, status):
    r = client.post(f"{API}/reward", json=body)
    assert r.status_code == status and r.json()["field"] == field


def test_judge_and_pair_bad_input(client):
    r = client.post(f"{API}/judge", json={"judge": "taller"})
    assert r.status_code == 422 and r.json()["field"] == "judge"
    r = client.post(f"{API}/judge", json={"n": api.MAX_JUDGED + 1})
    assert r.status_code == 422 and r.json()["field"] == "n"
    r = client.post(f"{API}/pair", json={"seed": -1})
    assert r.status_code == 422 and r.json()["field"] == "seed"


# ------------------------------------------------------------------ 4. DPO


@pytest.mark.slow
def test_dpo_toward_shorter_names_measured_before_and_after(client, sse, quick_base):
    pairs = client.post(f"{API}/judge", json={"judge": "shorter", "n": 40, "seed": 4}).json()["pairs"]
    d = client.post(f"{API}/dpo", json={"pairs": pairs, "steps": 20, "lr": 0.002, "seed": 9}).json()
    events = sse(d["job"])
    assert events[-1]["status"] == "done"
    before = next(e for e in events if e["type"] == "before")
    after = next(e for e in events if e["type"] == "after")
    # the reference's samples recomputed with gpt.sample (same draws from the same seed)
    names = sample(quick_base, n=api.MEASURE_SAMPLES, temperature=1.0, seed=9, max_len=19)
    real = [n for n in names if n]
    assert before["rates"]["length"] == pytest.approx(np.mean([len(n) for n in real]) / 10)
    assert before["empty"] == len(names) - len(real)
    assert after["rates"]["length"] < before["rates"]["length"] - 0.05
    assert after["mean_reward"] > before["mean_reward"] and after["kl"] > 0
    steps = [e for e in events if e["type"] == "step"]
    assert steps[0]["loss"] == pytest.approx(np.log(2), abs=1e-9) and steps[-1]["margin"] > 0


@pytest.mark.parametrize(
    "body,field,status",
    [
        ({"pairs": []}, "pairs", 422),
        ({"pairs": [{"chosen": "al", "rejected": "bo"}]}, "pairs", 400),
        ({"pairs": [{"chosen": "al", "rejected": "bo"}] * 2, "beta": 0}, "beta", 422),
        ({"pairs": [{"chosen": "al", "rejected": "bo"}] * 2, "beta": "Infinity"}, "beta", 422),
        ({"pairs": [{"chosen": "al", "rejected": "bo"}] * 2, "steps": api.MAX_DPO_STEPS + 1}, "steps", 422),
    ],
)
def test_dpo_bad_input(client, body, field, status):
    r = client.post(f"{API}/dpo", json=body)
    assert r.status_code == status and r.json()["field"] == field


# ------------------------------------------------------------------ 5. critique and revise


@pytest.mark.slow
def test_critique_job_streams_three_stages(client, sse, smollm2):
    d = client.post(
        f"{API}/critique", json={"question": "Is the sun a star?", "principle": "Be brief.", "max_tokens": 3, "seed": 5}
    ).json()
    events = sse(d["job"])
    assert events[-1]["status"] == "done"
    done = [e for e in events if e["type"] == "stage_done"]
    assert [e["stage"] for e in done] == ["draft", "critique", "revision"]
    ids = smollm2.chat_ids([{"role": "user", "content": "Is the sun a star?"}])
    want = "".join(
        e.text for e in smollm2.generate(ids, max_tokens=3, settings=SamplingConfig(temperature=0.7, top_p=0.9), seed=5)
    ).strip()
    assert done[0]["text"] == want


@pytest.mark.parametrize(
    "body,field,status",
    [
        ({"question": "", "principle": "p"}, "question", 422),
        ({"question": "q", "principle": "  "}, "principle", 400),
        ({"question": "q", "principle": "p" * 301}, "principle", 422),
        ({"question": "q", "principle": "p", "max_tokens": 0}, "max_tokens", 422),
        ({"question": "q", "principle": "p", "seed": -1}, "seed", 422),
    ],
)
def test_critique_bad_input(client, body, field, status):
    r = client.post(f"{API}/critique", json=body)
    assert r.status_code == status and r.json()["field"] == field
