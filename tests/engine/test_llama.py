"""SmolLM2 in numpy against independent truths.

- Logits: Hugging Face transformers + torch loading the same GGUF (its own
  reader, dequantizer and Llama code), saved by
  tests/reference/make_smollm2_reference.py. Measured agreement: max abs
  difference about 2e-4 on logits of size ~10-30 (float32 sums in another
  order); the tolerance is 1e-3. The slow test recomputes the reference live.
- Golden: "The capital of France is" continues with " Paris" (margin ~2.5 logits).
- Weights: fused/transposed arrays equal the GGUF tensors dequantized directly,
  the config equals the file's metadata, the parameter count equals the sum of
  the GGUF tensors' element counts.
- RoPE: the rotation equals multiplication by e^{i p theta_j} on complex pairs,
  and q.k depends only on the distance between positions.
"""

from pathlib import Path

import numpy as np
import pytest

from glasslm.engine.basics.rope import apply_rope, rope_angles
from glasslm.engine.basics.sampling import GREEDY, softmax
from glasslm.engine.models.llama.llama import Trace

REF = Path(__file__).resolve().parents[1] / "reference" / "smollm2_logits.npz"
TOL = 1e-3


@pytest.fixture(scope="module")
def ref():
    return np.load(REF)


@pytest.fixture(scope="module")
def reader():
    import gguf

    from glasslm.assets import smollm2_gguf_path

    return gguf.GGUFReader(smollm2_gguf_path())


def prompt_numbers(ref):
    return sorted(int(k.split("_")[1]) for k in ref.files if k.startswith("ids_"))


def test_logits_match_transformers_reference(smollm2, ref):
    slice_ids = ref["slice_ids"]
    assert len(prompt_numbers(ref)) >= 4
    for n in prompt_numbers(ref):
        ids = ref[f"ids_{n}"]
        logits = smollm2.logits(ids)  # (T, V)
        assert logits.shape == (len(ids), smollm2.config.vocab_size) and logits.dtype == np.float32
        top_idx = ref[f"topk_idx_{n}"].astype(np.int64)
        np.testing.assert_allclose(np.take_along_axis(logits, top_idx, 1), ref[f"topk_val_{n}"], atol=TOL, rtol=0)
        np.testing.assert_allclose(logits[:, slice_ids], ref[f"slice_{n}"], atol=TOL, rtol=0)
        assert (logits.argmax(1) == top_idx[:, 0]).all()


def test_golden_capital_of_france_is_paris(smollm2):
    ids = smollm2.encode("The capital of France is")
    paris = smollm2.encode(" Paris")
    assert len(paris) == 1
    last = smollm2.logits(ids)[-1]
    order = np.argsort(-last)
    assert order[0] == paris[0]
    assert last[order[0]] - last[order[1]] > 2.0  # measured 2.48
    first = next(smollm2.generate(ids, max_tokens=1, settings=GREEDY))
    assert first.token_id == paris[0] and first.text == " Paris"


def test_chunked_prefill_equals_one_forward(smollm2, ref):
    ids = ref["ids_4"][:90]  # part of the long prompt
    whole = smollm2.model.forward(ids)
    chunked = smollm2.model.prefill(ids, smollm2.model.new_cache(len(ids)), chunk=37)  # 37 + 37 + 16
    np.testing.assert_allclose(chunked, whole, atol=2e-4, rtol=0)


def test_config_is_read_from_the_files_metadata(smollm2, reader):
    cfg, f = smollm2.config, reader.fields
    assert cfg.n_layers == f["llama.block_count"].contents() == 30
    assert cfg.d_model == f["llama.embedding_length"].contents() == 576
    assert cfg.n_heads == 9 and cfg.n_kv_heads == 3 and cfg.head_dim == 64
    assert cfg.rope_theta == f["llama.rope.freq_base"].contents() == 100000.0
    assert cfg.vocab_size == len(f["tokenizer.ggml.tokens"].data) == 49152
    assert cfg.tied_embeddings


def test_fused_weights_equal_the_gguf_tensors(smollm2, reader):
    import gguf

    tensors = {t.name: t for t in reader.tensors}

    def deq(name):
        t = tensors[name]
        return gguf.quants.dequantize(t.data, t.tensor_type)

    for layer in (0, 29):
        lw = smollm2.model.w.layers[layer]
        q, k, v = (deq(f"blk.{layer}.attn_{p}.weight") for p in "qkv")  # (out, in)
        np.testing.assert_array_equal(lw.qkv_proj, np.concatenate([q, k, v]).T)
        gate, up = deq(f"blk.{layer}.ffn_gate.weight"), deq(f"blk.{layer}.ffn_up.weight")
        np.testing.assert_array_equal(lw.gate_up_proj, np.concatenate([gate, up]).T)
        np.testing.assert_array_equal(lw.down_proj, deq(f"blk.{layer}.ffn_down.weight").T)
        np.testing.assert_array_equal(lw.o_proj, deq(f"blk.{layer}.attn_output.weight").T)
        np.testing.assert_array_equal(lw.input_layernorm, deq(f"blk.{layer}.attn_norm.weight"))
    np.testing.assert_array_equal(smollm2.model.w.embed_tokens, deq("token_embd.weight"))


def test_parameter_count_equals_the_files_tensors(smollm2, reader):
    counts = smollm2.parameter_counts()
    assert counts["total"] == sum(int(t.n_elements) for t in reader.tensors) == 134_515_008
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
    assert counts["embedding"] == 49152 * 576


def test_rope_is_a_complex_rotation_and_relative():
    rng = np.random.default_rng(0)
    D, theta = 64, 100000.0
    x = rng.standard_normal((5, D)).astype(np.float32)
    pos = np.array([0, 1, 7, 100, 4000])
    cos, sin = rope_angles(pos, D, theta)
    got = apply_rope(x, cos, sin)
    z = x[:, 0::2] + 1j * x[:, 1::2]  # pairs as complex numbers
    freqs = theta ** (-np.arange(0, D, 2) / D)
    want = z * np.exp(1j * pos[:, None] * freqs[None, :])
    np.testing.assert_allclose(got[:, 0::2], want.real, atol=1e-4)
    np.testing.assert_allclose(got[:, 1::2], want.imag, atol=1e-4)
    q, k = x[0], x[1]

    def score(m_, n_):
        c, s = rope_angles([m_, n_], D, theta)
        r = apply_rope(np.stack([q, k]), c, s)
        return float(r[0] @ r[1])

    assert score(10, 3) == pytest.approx(score(107, 100), abs=1e-3)
    assert score(10, 3) != pytest.approx(score(10, 4), abs=1e-3)
    with pytest.raises(ValueError):
        rope_angles([0], 63, theta)


def test_trace_records_the_insides_without_changing_logits(smollm2):
    ids = smollm2.encode("The bank of the river was muddy.")
    T, cfg = len(ids), smollm2.config
    trace = smollm2.trace(ids, mlp=True, head=(3, 4))
    np.testing.assert_array_equal(trace.logits, smollm2.model.forward(ids))
    assert len(trace.residuals) == cfg.n_layers + 1 and trace.residuals[0].shape == (T, cfg.d_model)
    np.testing.assert_array_equal(trace.residuals[0], smollm2.model.w.embed_tokens[ids])
    assert len(trace.attentions) == cfg.n_layers and trace.attentions[0].shape == (cfg.n_heads, T, T)
    att = trace.attentions[3][4]  # (T, T)
    np.testing.assert_allclose(att.sum(-1), 1, atol=1e-5)
    assert np.all(np.triu(att, 1) == 0)  # causal: nothing from the future
    # the recorded q, k of that head reproduce its attention weights
    scores = trace.q @ trace.k.T / np.sqrt(cfg.head_dim)
    scores[np.triu(np.ones((T, T), bool), 1)] = -np.inf
    np.testing.assert_allclose(softmax(scores), att, atol=1e-5)
    assert trace.mlp_acts[0].shape == (T, cfg.d_ff)
    with pytest.raises(ValueError):
        smollm2.trace(ids, head=(30, 0))


def test_bad_ids_are_refused_with_a_message(smollm2):
    with pytest.raises(ValueError, match="empty"):
        smollm2.logits([])
    with pytest.raises(ValueError, match="0..49151"):
        smollm2.logits([49152])
    with pytest.raises(ValueError, match="limit"):
        smollm2.check_ids([5] * 9000)
    with pytest.raises(ValueError, match="whole numbers"):
        smollm2.logits(["a"])


@pytest.mark.slow
def test_logits_match_transformers_live(smollm2, hf_smollm2):
    import sys

    sys.path.insert(0, str(REF.parent))
    from make_smollm2_reference import reference_logits

    ids = smollm2.encode("Numbers like 1234 and 56 are split digit by digit, then the model reads")
    want = reference_logits(ids, hf_smollm2)
    np.testing.assert_allclose(smollm2.logits(ids), want, atol=TOL, rtol=0)


def test_attention_weights_are_a_trace_only_cost(smollm2):
    """Untraced forward keeps nothing: a Trace with everything off records nothing."""
    ids = smollm2.encode("Hello there")
    t = Trace(residual=False, attention=False, mlp=False, head=None)
    smollm2.model.forward(ids, trace=t)
    assert t.residuals == [] and t.attentions == [] and t.mlp_acts == [] and t.q is None


def test_complex_rope_equals_the_readable_rope():
    from glasslm.engine.basics.rope import apply_rope_complex, rope_rotations

    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4, 64)).astype(np.float32)  # (T, H, D)
    cos, sin = rope_angles(np.arange(10, 16), 64, 100000.0)
    got = apply_rope_complex(x, rope_rotations(cos, sin)[:, None])
    np.testing.assert_allclose(got, apply_rope(x, cos, sin), atol=1e-6)
    assert got.dtype == np.float32 and got.shape == x.shape


def test_score_equals_log_softmax_of_the_logits(smollm2):
    from glasslm.engine.basics.sampling import log_softmax, token_logprobs

    ids = smollm2.encode("The cat sat on the mat because it was warm.")
    s = smollm2.score(ids, top=3)
    logits = smollm2.logits(ids)
    np.testing.assert_allclose(s.logprobs, token_logprobs(logits, ids), atol=1e-6)
    logp = log_softmax(logits[:-1])
    np.testing.assert_array_equal(s.top_ids[:, 0], logits[:-1].argmax(-1))
    np.testing.assert_allclose(s.top_probs, np.exp(np.take_along_axis(logp, s.top_ids, -1)), atol=1e-9)
    for t, tok in enumerate(ids[1:]):
        assert s.ranks[t] == 1 + int((logp[t] > logp[t, tok]).sum())
    assert s.perplexity == pytest.approx(np.exp(-s.logprobs.mean()))
    np.testing.assert_allclose(smollm2.next_logits(ids), logits[-1], atol=1e-4)
    with pytest.raises(ValueError, match="two tokens"):
        smollm2.score(ids[:1])


def test_tokenizer_from_the_saved_metadata_equals_the_files(smollm2, reader):
    """The cached start builds the tokenizer from metadata saved beside the weights."""
    from glasslm.engine.tokenizers.pretrained_tokenizers import tokenizer_from_gguf

    from_file = tokenizer_from_gguf(reader, "SmolLM2")
    saved = smollm2.model.w.gguf_fields
    assert saved.fields["tokenizer.ggml.merges"].contents() == reader.fields["tokenizer.ggml.merges"].contents()
    assert saved.fields["tokenizer.ggml.tokens"].contents() == reader.fields["tokenizer.ggml.tokens"].contents()
    assert (
        smollm2.tokenizer.bpe.merges == from_file.bpe.merges
        and smollm2.tokenizer.special_tokens == from_file.special_tokens
    )
    text = "Hello 2024! naïve café 日本語 🎉 <|im_start|>  spaces\n\tdef f(x): return x**2"
    assert smollm2.encode(text) == from_file.encode(text)
