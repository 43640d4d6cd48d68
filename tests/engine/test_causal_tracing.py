"""Causal tracing against its two ends (every state restored = clean, none = corrupted), the
batched column against the plain one-restoration-at-a-time forward, and one restored cell
against Hugging Face transformers' Llama with hooks."""

import numpy as np
import pytest

from glasslm.engine.interpretability import causal_tracing as ct

PROMPT, SUBJECT = "The Eiffel Tower is located in the city of", "Eiffel Tower"
FEW = ct.TraceConfig(noise_samples=2)


@pytest.fixture(scope="module")
def setup(smollm2):
    ids = smollm2.encode(PROMPT)
    return ct.prepare(smollm2, ids, ct.subject_tokens(smollm2, ids, PROMPT, SUBJECT), FEW)


def test_subject_tokens_cover_the_subject(smollm2):
    ids = smollm2.encode(PROMPT)
    a, b = ct.subject_tokens(smollm2, ids, PROMPT, SUBJECT)
    assert smollm2.decode(ids[a:b]).strip() == SUBJECT
    assert ct.subject_tokens(smollm2, ids, PROMPT, "iffel") == (2, 3)  # the token holding part of a word
    with pytest.raises(ValueError, match="does not appear"):
        ct.subject_tokens(smollm2, ids, PROMPT, "Louvre")


def test_noise_breaks_the_answer_and_only_touches_the_subject(smollm2, setup):
    assert smollm2.decode([setup.answer]) == " Paris"
    assert setup.p_corrupted < 0.5 * setup.p_clean
    a, _ = setup.subject
    np.testing.assert_array_equal(setup.corrupted_x[5][:, :a], np.broadcast_to(setup.clean_x[5][:a], (2, a, 576)))
    assert not np.allclose(setup.corrupted_x[0][0, a], setup.clean_x[0][a])


def test_restoring_every_position_gives_the_clean_run(smollm2, setup):
    T = len(setup.ids)
    for layer in (0, 13, 29):
        p = ct.restored_probability(smollm2, setup, "residual", layer, range(T))
        assert setup.recovered(p) == pytest.approx(1.0, abs=1e-4)


def test_restoring_nothing_gives_the_corrupted_baseline(smollm2, setup):
    for kind in ct.KINDS:
        p = ct.restored_probability(smollm2, setup, kind, 12, [])
        assert setup.recovered(p) == pytest.approx(0.0, abs=1e-6)


def test_the_last_residual_at_the_last_position_is_the_whole_answer(smollm2, setup):
    col = ct.restore_column(smollm2, setup, len(setup.ids) - 1)
    assert setup.recovered(col["residual"][-1]) == pytest.approx(1.0, abs=1e-4)
    assert setup.recovered(col["residual"][0]) < 0.5  # at block 0 the last token knows little of the subject


@pytest.mark.slow
def test_before_the_subject_nothing_changes(smollm2, setup):
    """Position 0 precedes the subject: its clean state is its corrupted state, so restoring it
    (the batched column, with no earlier keys) must give the baseline in every cell."""
    assert setup.subject[0] == 1
    col = ct.restore_column(smollm2, setup, 0)
    for kind in ct.KINDS:
        np.testing.assert_allclose(col[kind], setup.p_corrupted, rtol=1e-4)


@pytest.mark.slow
def test_the_batched_column_equals_restoring_one_state_at_a_time(smollm2, setup):
    """The column runs positions p.. only, reading earlier keys from the corrupted run; the
    reference runs every position. Both restore the same state."""
    p = 2  # "iffel": inside the subject, with earlier positions whose keys come from the corrupted run
    col = ct.restore_column(smollm2, setup, p)
    for kind, layer in (("residual", 0), ("residual", 17), ("mlp", 2), ("mlp", 27), ("attention", 11)):
        want = ct.restored_probability(smollm2, setup, kind, layer, [p])
        assert col[kind][layer] == pytest.approx(want, rel=1e-3, abs=1e-6)
    assert setup.recovered(col["residual"]).max() > 0.2  # early on, restoring "iffel" alone brings much of Paris back


@pytest.mark.slow
def test_trace_yields_every_position_with_the_baseline_before_the_subject(smollm2, setup):
    cols = []
    for ev in ct.trace(smollm2, setup):
        cols.append(ev)
        if ev["position"] == 1:
            break
    assert [c["computed"] for c in cols] == [False, True]
    np.testing.assert_array_equal(cols[0]["mlp"], setup.p_corrupted)
    assert ct.work(setup, 0) == 0 and ct.work(setup, 1) == len(setup.ids) - 1


def test_bad_settings_are_refused(smollm2):
    with pytest.raises(ValueError, match="noise_samples"):
        ct.TraceConfig(noise_samples=0).validate()
    ids = smollm2.encode(PROMPT)
    with pytest.raises(ValueError, match="subject"):
        ct.prepare(smollm2, ids, (4, 4), FEW)
    with pytest.raises(ValueError):
        ct.prepare(smollm2, smollm2.encode("word " * (ct.MAX_TRACE_TOKENS + 1)), (0, 1), FEW)


@pytest.mark.slow
def test_one_restored_cell_equals_transformers_with_hooks(smollm2, setup, hf_smollm2):
    """Hugging Face's LlamaForCausalLM (its own GGUF reader and Llama code), run on the same
    noisy embeddings, with forward hooks putting back the clean MLP outputs of a window at one position."""
    import torch

    hf = hf_smollm2
    layers = hf.model.layers
    ids = torch.tensor([setup.ids.tolist()])
    clean_mlp = {}
    saves = [
        layers[i].mlp.register_forward_hook(lambda mod, a, out, i=i: clean_mlp.__setitem__(i, out.clone()))
        for i in range(len(layers))
    ]
    with torch.no_grad():
        p_clean = torch.softmax(hf(ids).logits[0, -1], -1)[setup.answer].item()
    for h in saves:
        h.remove()
    assert p_clean == pytest.approx(setup.p_clean, rel=1e-3)

    layer, p = 8, 3
    window = ct.window(setup, layer, len(layers))

    def put_back(i):
        def hook(mod, args, out):
            out = out.clone()
            out[:, p] = clean_mlp[i][:, p]
            return out

        return hook

    hooks = [layers[i].mlp.register_forward_hook(put_back(i)) for i in window]
    emb = hf.model.embed_tokens(ids)
    probs = []
    with torch.no_grad():
        for n in range(FEW.noise_samples):
            noisy = emb + torch.from_numpy(ct.noise(smollm2, len(setup.ids), setup.subject, FEW)[n])[None]
            probs.append(torch.softmax(hf(inputs_embeds=noisy).logits[0, -1], -1)[setup.answer].item())
    for h in hooks:
        h.remove()
    ours = ct.restored_probability(smollm2, setup, "mlp", layer, [p])
    assert ours == pytest.approx(np.mean(probs), rel=2e-2, abs=1e-4)
    assert ct.restore_column(smollm2, setup, p)["mlp"][layer] == pytest.approx(np.mean(probs), rel=2e-2, abs=1e-4)


@pytest.mark.slow
def test_every_preset_is_answered_correctly_and_broken_by_the_noise(smollm2):
    """The presets are measured facts: SmolLM2's top-1 next token is the stated answer, and noise
    on the subject takes most of its probability away (else there is nothing to trace)."""
    for fact in ct.facts():
        ids = smollm2.encode(fact["prompt"])
        s = ct.prepare(smollm2, ids, ct.subject_tokens(smollm2, ids, fact["prompt"], fact["subject"]))
        assert smollm2.decode([s.answer]) == fact["answer"], fact["prompt"]
        assert len(ids) <= ct.MAX_TRACE_TOKENS and s.p_corrupted < 0.5 * s.p_clean, fact["prompt"]


def test_peaks_find_the_largest_cell(setup):
    L = 30
    cols = [{"position": p, **{k: np.full(L, setup.p_corrupted) for k in ct.KINDS}} for p in range(len(setup.ids))]
    cols[2]["mlp"] = cols[2]["mlp"].copy()
    cols[2]["mlp"][7] = setup.p_clean
    cols[-1]["residual"] = np.full(L, setup.p_clean)
    got = ct.peaks(setup, cols)
    assert got["mlp"]["all"] == {"layer": 7, "position": 2, "recovered": pytest.approx(1.0)}
    assert got["residual"]["all"]["position"] == len(setup.ids) - 1
    assert got["residual"]["subject"]["recovered"] == pytest.approx(0.0)
