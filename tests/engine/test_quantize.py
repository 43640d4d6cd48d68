"""Block quantization against independent truths: the gguf package's Q8_0 bytes, a hand
example, the rounding error bound, sizes from the format definitions of the shipped GGUF,
KL by hand and by torch, SmolLM2's matrices against the file's own tensors, and the
memory formulas by hand."""

import math

import numpy as np
import pytest

from glasslm import assets
from glasslm.engine.models.llama import quantize as qz


def test_8_bit_block_32_is_byte_for_byte_ggufs_q8_0():
    gguf = pytest.importorskip("gguf")
    rng = np.random.default_rng(0)
    w = (rng.standard_t(3, size=(40, 96)) * 0.05).astype(np.float32)
    w[3, :32] = 0.0  # an all-zero block: scale 0, integers 0
    q = qz.quantize(w, 8, 32)
    ours = np.concatenate([q.scales.reshape(-1, 1).view(np.uint8), q.q.reshape(-1, 32).view(np.uint8)], axis=1)
    theirs = gguf.quants.quantize(w, gguf.GGMLQuantizationType.Q8_0).reshape(-1, 34)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(
        q.dequantize(), gguf.quants.dequantize(theirs.reshape(40, -1), gguf.GGMLQuantizationType.Q8_0)
    )


def test_4_bit_hand_example():
    # one block of 4: absmax 0.7 -> d = 0.7/7 = 0.1; w/d = 7, -3.5, 1, 0.2 -> 7, -4 (half away from 0), 1, 0
    w = np.array([[0.7, -0.35, 0.1, 0.02]], dtype=np.float32)
    q = qz.quantize(w, 4, 4)
    assert q.q.tolist() == [[7, -4, 1, 0]]
    d = float(np.float16(0.1))
    np.testing.assert_allclose(q.dequantize(), [[7 * d, -4 * d, d, 0.0]], rtol=1e-7)
    # packed: (q + 8) two per byte, low nibble first: (15 | 4 << 4), (9 | 8 << 4)
    assert q.packed().tolist() == [15 | 4 << 4, 9 | 8 << 4]


@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("block", [16, 32, 64])
def test_error_bound_sizes_and_packing(bits, block):
    rng = np.random.default_rng(bits * block)
    w = rng.normal(0, 0.1, size=(24, 192)).astype(np.float32)
    q = qz.quantize(w, bits, block)
    qmax = 2 ** (bits - 1) - 1
    assert np.abs(q.q).max() <= qmax
    # each weight is off by at most half a step, plus the 16-bit rounding of the step itself
    blocks = w.reshape(24, -1, block)
    d32 = np.abs(blocks).max(axis=-1) / qmax
    d16 = q.scales.astype(np.float64)
    bound = (d32 / 2 + qmax * np.abs(d16 - d32))[..., None] * (1 + 1e-6)
    err = np.abs(q.dequantize().reshape(24, -1, block) - blocks)
    assert (err <= bound).all()
    # bytes: formula = the arrays actually stored
    assert q.nbytes == qz.size_bytes(w.size, bits, block) == w.size * bits / 8 + 2 * w.size / block
    # unpack the 4-bit bytes independently and get the integers back
    if bits == 4:
        p = q.packed()
        unpacked = np.stack([p & 15, p >> 4], axis=1).reshape(-1).astype(int) - 8
        np.testing.assert_array_equal(unpacked, q.q.reshape(-1))


def test_bad_block_and_bits_say_what_fits():
    w = np.zeros((2, 576), np.float32)
    with pytest.raises(ValueError, match="divides 576"):
        qz.quantize(w, 4, 100)
    with pytest.raises(ValueError, match="bits"):
        qz.quantize(w, 3, 32)


def test_kl_by_hand_and_by_torch():
    p, q = np.log([0.5, 0.5]), np.log([0.25, 0.75])
    assert qz.kl_divergence(p, q) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75))
    assert qz.kl_divergence(p, p) == 0.0
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50) * 3, rng.normal(size=50) * 3
    want = torch.nn.functional.kl_div(
        torch.log_softmax(torch.tensor(b), -1), torch.log_softmax(torch.tensor(a), -1), log_target=True, reduction="sum"
    )
    assert qz.kl_divergence(a, b) == pytest.approx(float(want), rel=1e-10)


def test_memory_formulas_by_hand():
    got = qz.finetune_memory(1e9, 1e6)
    assert got["full"] == 16e9
    assert got["lora"] == 2e9 + 16e6
    assert got["qlora"] == pytest.approx(1e9 * (4 + 0.125 + 32 / 16384) / 8 + 16e6)
    # SmolLM2's shape (30 layers, 576 wide, 9 heads, 3 kv heads of 64): q 576+576, k and v 576+192, o 576+576
    assert qz.adapter_params(30, 576, 9, 3, 16) == 30 * 16 * (1152 + 768 + 768 + 1152)


# ---------------------------------------------------------------- with SmolLM2's real file


def test_matrices_are_the_files_own_tensors(smollm2):
    gguf = pytest.importorskip("gguf")

    reader = assets.open_gguf(assets.smollm2_gguf_path())
    tensors = {t.name: t for t in reader.tensors}
    for layer, name in [(0, "q_proj"), (4, "k_proj"), (7, "v_proj"), (29, "o_proj"), (1, "up_proj"), (2, "down_proj")]:
        t = tensors[f"blk.{layer}.{qz.GGUF_NAMES[name]}.weight"]
        want = gguf.quants.dequantize(t.data, t.tensor_type)  # (out, in) from the file
        got = qz.matrix(smollm2.model.w, layer, name)
        np.testing.assert_array_equal(got, want)
        assert got.shape == qz.matrix_shape(smollm2.config, name)


def test_the_files_types_and_sizes_follow_their_format_definitions():
    types = qz.gguf_tensor_types(str(assets.smollm2_gguf_path()))
    # Q4_1 block: fp16 scale + fp16 minimum + 32 4-bit numbers = 20 bytes per 32 weights (ggml-common.h)
    q41 = [t for t in types.values() if t["type"] == "Q4_1"]
    assert q41 and all(t["bytes"] == t["n"] * 20 // 32 for t in q41)
    # Q8_0 block: fp16 scale + 32 int8 = 34 bytes per 32: exactly our 8-bit, block-32 formula
    q80 = [t for t in types.values() if t["type"] == "Q8_0"]
    assert q80 and all(t["bytes"] == qz.size_bytes(t["n"], 8, 32) for t in q80)


@pytest.mark.slow
def test_quantizing_one_matrix_changes_only_it_and_the_logits_match_gguf_q8_0(smollm2):
    gguf = pytest.importorskip("gguf")
    from glasslm.engine.models.llama.llama import Llama

    w = smollm2.model.w
    before = np.array(w.layers[5].gate_up_proj[:4, :4])
    gen = qz.quantized_weights(w, [(5, "up_proj")], 8, 32)
    progress = []
    try:
        while True:
            progress.append(next(gen))
    except StopIteration as end:
        new = end.value
    assert progress == [(1, 1)]
    np.testing.assert_array_equal(w.layers[5].gate_up_proj[:4, :4], before)  # the shared model untouched
    F = smollm2.config.d_ff
    np.testing.assert_array_equal(new.layers[5].gate_up_proj[:, :F], w.layers[5].gate_up_proj[:, :F])  # gate kept
    assert new.layers[4] is w.layers[4]
    # the same matrix through gguf's own Q8_0, put in by hand: identical logits
    up = qz.matrix(w, 5, "up_proj")
    ref = gguf.quants.dequantize(
        gguf.quants.quantize(up, gguf.GGMLQuantizationType.Q8_0), gguf.GGMLQuantizationType.Q8_0
    )
    np.testing.assert_array_equal(new.layers[5].gate_up_proj[:, F:], ref.T)
    ids = smollm2.encode("The capital of France is")
    gen = qz.quantized_next_logits(smollm2, ids, [(5, "up_proj")], 8, 32)
    try:
        while True:
            next(gen)
    except StopIteration as end:
        logits = end.value
    hand = Llama(new)
    np.testing.assert_array_equal(logits, hand.prefill(ids, hand.new_cache(len(ids)), last_only=True)[-1])
