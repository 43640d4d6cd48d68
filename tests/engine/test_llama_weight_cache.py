"""The dequantized-weight cache: built once, reused, rebuilt when corrupt or stale."""

import os
import shutil

import numpy as np
import pytest

from glasslm.assets import smollm2_gguf_path
from glasslm.engine.models.llama.gguf_weights import load_weights

pytestmark = pytest.mark.slow  # each build dequantizes the whole model (~5 s)


def test_cache_is_reused_and_rebuilt_when_corrupt_or_stale(tmp_path):
    gguf_copy = tmp_path / "model.gguf"
    shutil.copy(smollm2_gguf_path(), gguf_copy)
    root = tmp_path / "cache"
    first = load_weights(gguf_copy, cache_root=root)
    assert first.load_info["source"] == "gguf"
    expected = np.array(first.layers[5].qkv_proj)
    second = load_weights(gguf_copy, cache_root=root)
    assert second.load_info["source"] == "cache"
    np.testing.assert_array_equal(second.layers[5].qkv_proj, expected)
    folder = root / os.listdir(root)[0]
    del first, second

    # one flipped 32-bit word in the middle of the file
    weights = folder / "weights.npy"
    with open(weights, "r+b") as f:
        f.seek(weights.stat().st_size // 2 + 12)
        word = f.read(4)
        f.seek(-4, 1)
        f.write(bytes(b ^ 0xFF for b in word))
    third = load_weights(gguf_copy, cache_root=root)
    assert third.load_info["source"] == "gguf"
    np.testing.assert_array_equal(third.layers[5].qkv_proj, expected)
    del third

    # a damaged tokenizer metadata file
    fields = folder / "tokenizer_fields.json"
    fields.write_text(fields.read_text().replace("Paris", "Lyon", 1))
    assert load_weights(gguf_copy, cache_root=root).load_info["source"] == "gguf"

    # a half-written manifest
    (folder / "manifest.json").write_text('{"format_version": 3, "tot')
    assert load_weights(gguf_copy, cache_root=root).load_info["source"] == "gguf"

    # the model file changed: a new cache, the stale one removed
    st = gguf_copy.stat()
    os.utime(gguf_copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    fresh = load_weights(gguf_copy, cache_root=root)
    assert fresh.load_info["source"] == "gguf"
    assert [p.name for p in root.iterdir()] == [fresh.load_info["cache_dir"].rsplit("/", 1)[-1]]
