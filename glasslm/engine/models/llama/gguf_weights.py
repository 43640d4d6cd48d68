"""SmolLM2's weights: from the 4-bit GGUF file to float32 numpy arrays, cached.

What this file does, once per machine:
  1. opens the GGUF with the `gguf` package (no hand-written parser),
  2. reads the model's shape from the file's own metadata into `LlamaConfig`
     (nothing is typed in: a different Llama-architecture GGUF gives a
     different config),
  3. renames every tensor from llama.cpp's names to the names of the Hugging
     Face checkpoint (`blk.3.attn_q.weight` -> `layers.3.self_attn.q_proj.weight`),
     in ONE table, `GGUF_TO_CHECKPOINT`,
  4. dequantizes (Q4_1, Q8_0 -> float32) with the `gguf` package's own
     dequantizers, a few hundred rows at a time, straight into the cache file
     (no whole-model float32 copy is built first; first load ~2.5 s in all),
  5. lays the matrices out for `x @ W` (transposed, contiguous; down_proj keeps
     the file's (out, in) rows, see LayerWeights) and fuses the projections that
     read the same input: q|k|v -> `qkv_proj`, gate|up -> `gate_up_proj` (one
     matrix product instead of three or two),
  6. writes everything into one flat float32 `.npy` in the user's cache folder
     with a JSON manifest (offsets, shapes, the config, a checksum).

Every later start memory-maps that file: no parsing, no dequantizing.

RoPE convention (see ASSETS.md's pitfall): llama.cpp stores the rows of
`attn_q`/`attn_k` in the original Meta layout, where RoPE rotates ADJACENT
pairs (x[2i], x[2i+1]) as in the RoFormer paper (Su et al. 2021, eq. 34).
We keep those rows exactly as the file has them and `basics/rope.py` rotates adjacent
pairs. (Hugging Face un-permutes the rows instead and rotates the two halves;
both give identical attention scores, mixing them does not.)

Cache validity: the cache folder's name is a hash of the GGUF's size, mtime
and its first and last MiB plus `FORMAT_VERSION`, so a different or updated
model file gets a fresh cache (stale caches are removed). A cache is used only
if its manifest is complete, its file has the expected size and its checksum
(the sum of all 32-bit words plus a hash of sampled blocks) matches; otherwise
it is rebuilt.

Left out on purpose: writing GGUF, quantizing, other architectures than llama.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from glasslm import assets

FORMAT_VERSION = 4  # bump when the cached layout changes: old caches then rebuild
_SAMPLES = 64  # blocks hashed to check a cache (enough to catch truncation or garbage)
_SAMPLE_BYTES = 1 << 16


@dataclass(frozen=True)
class LlamaConfig:
    """The shape of a Llama-architecture model, read from GGUF metadata."""

    n_layers: int  # llama.block_count: transformer blocks stacked
    d_model: int  # llama.embedding_length: width C of the residual stream
    d_ff: int  # llama.feed_forward_length: hidden width F of the SwiGLU MLP
    n_heads: int  # llama.attention.head_count: query heads H
    n_kv_heads: int  # llama.attention.head_count_kv: key/value heads (GQA)
    head_dim: int  # d_model / n_heads (or llama.rope.dimension_count)
    rope_theta: float  # llama.rope.freq_base: base of RoPE's wavelengths
    norm_eps: float  # llama.attention.layer_norm_rms_epsilon: RMSNorm's epsilon
    context_length: int  # llama.context_length: longest sequence trained for
    vocab_size: int  # number of tokens V (llama.vocab_size or the token list)
    tied_embeddings: bool  # True when the file has no output.weight

    @property
    def group_size(self) -> int:
        """Query heads that share one key/value head."""
        return self.n_heads // self.n_kv_heads


# llama.cpp name -> Hugging Face checkpoint name ({i} is the block index).
GGUF_TO_CHECKPOINT = {
    "token_embd.weight": "embed_tokens.weight",
    "output_norm.weight": "norm.weight",
    "output.weight": "lm_head.weight",
    "blk.{i}.attn_norm.weight": "layers.{i}.input_layernorm.weight",
    "blk.{i}.attn_q.weight": "layers.{i}.self_attn.q_proj.weight",
    "blk.{i}.attn_k.weight": "layers.{i}.self_attn.k_proj.weight",
    "blk.{i}.attn_v.weight": "layers.{i}.self_attn.v_proj.weight",
    "blk.{i}.attn_output.weight": "layers.{i}.self_attn.o_proj.weight",
    "blk.{i}.ffn_norm.weight": "layers.{i}.post_attention_layernorm.weight",
    "blk.{i}.ffn_gate.weight": "layers.{i}.mlp.gate_proj.weight",
    "blk.{i}.ffn_up.weight": "layers.{i}.mlp.up_proj.weight",
    "blk.{i}.ffn_down.weight": "layers.{i}.mlp.down_proj.weight",
}


def checkpoint_name(gguf_name: str) -> str:
    """Translate one GGUF tensor name; unknown names are an error, not skipped."""
    match = re.fullmatch(r"blk\.(\d+)\.(.+)", gguf_name)
    if match:
        pattern = GGUF_TO_CHECKPOINT.get("blk.{i}." + match.group(2))
        if pattern:
            return pattern.format(i=int(match.group(1)))
    elif gguf_name in GGUF_TO_CHECKPOINT:
        return GGUF_TO_CHECKPOINT[gguf_name]
    raise ValueError(f"unknown tensor {gguf_name!r} in the GGUF file: is it a llama model?")


# Metadata kept beside the cache for the tokenizer, so that a cached start
# need not open the 98 MB GGUF (parsing its 49,152 tokens takes about 2 s).
TOKENIZER_KEYS = (
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.chat_template",
)


class SavedField:
    """One saved metadata value, read like gguf's ReaderField: `.contents()`."""

    def __init__(self, value):
        self._value = value

    def contents(self):
        return self._value


class SavedMetadata:
    """The tokenizer's GGUF metadata, read like a GGUFReader: `.fields[key].contents()`."""

    def __init__(self, values: dict):
        self.fields = {key: SavedField(value) for key, value in values.items()}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class LayerWeights:
    """One transformer block, laid out for x @ W (all float32, contiguous except down_proj).

    down_proj is the transposed view of a contiguous (C, F) array, the file's own
    (out, in) layout: its product with one token's activations is then 1536-long dot
    products, which OpenBLAS runs about 15% faster with two threads than the
    576-wide column sums of a (F, C) array (measured in benchmarks/llama.py's decode).
    """

    input_layernorm: np.ndarray  # (C,)
    qkv_proj: np.ndarray  # (C, (H + 2*Hkv) * D): q | k | v columns
    o_proj: np.ndarray  # (H*D, C)
    post_attention_layernorm: np.ndarray  # (C,)
    gate_up_proj: np.ndarray  # (C, 2F): gate | up columns
    down_proj: np.ndarray  # (F, C), a view of the stored (C, F)


@dataclass
class LlamaWeights:
    config: LlamaConfig
    embed_tokens: np.ndarray  # (V, C)
    layers: list[LayerWeights]
    norm: np.ndarray  # (C,)
    lm_head: np.ndarray  # (V, C): the same array as embed_tokens when tied
    metadata: dict = field(default_factory=dict)  # chat template, special ids, ...
    gguf_fields: SavedMetadata | None = None  # the tokenizer's metadata (tokens, merges, ...)
    load_info: dict = field(default_factory=dict)  # where from, how long


# ---------------------------------------------------------------- metadata
def _field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        if default is None:
            raise ValueError(f"the GGUF file has no metadata key {key!r}")
        return default
    return f.contents()


def read_config(reader) -> LlamaConfig:
    """LlamaConfig from an open GGUFReader's metadata."""
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"expected a llama-architecture GGUF, this one is {arch!r}")
    d_model = int(_field(reader, "llama.embedding_length"))
    n_heads = int(_field(reader, "llama.attention.head_count"))
    names = {t.name for t in reader.tensors}
    vocab = _field(reader, "llama.vocab_size", 0) or len(reader.fields["tokenizer.ggml.tokens"].data)
    return LlamaConfig(
        n_layers=int(_field(reader, "llama.block_count")),
        d_model=d_model,
        d_ff=int(_field(reader, "llama.feed_forward_length")),
        n_heads=n_heads,
        n_kv_heads=int(_field(reader, "llama.attention.head_count_kv", n_heads)),
        head_dim=int(_field(reader, "llama.rope.dimension_count", d_model // n_heads)),
        rope_theta=float(_field(reader, "llama.rope.freq_base", 10000.0)),
        norm_eps=float(_field(reader, "llama.attention.layer_norm_rms_epsilon")),
        context_length=int(_field(reader, "llama.context_length")),
        vocab_size=int(vocab),
        tied_embeddings="output.weight" not in names,
    )


def read_metadata(reader) -> dict:
    """The scalar metadata the chat template and generation need."""
    keys = {
        "chat_template": "tokenizer.chat_template",
        "bos_token_id": "tokenizer.ggml.bos_token_id",
        "eos_token_id": "tokenizer.ggml.eos_token_id",
        "padding_token_id": "tokenizer.ggml.padding_token_id",
        "add_bos_token": "tokenizer.ggml.add_bos_token",
        "name": "general.name",
    }
    out = {}
    for ours, key in keys.items():
        f = reader.fields.get(key)
        if f is not None:
            value = f.contents()
            out[ours] = value.item() if isinstance(value, np.generic) else value
    return out


# ---------------------------------------------------------------- cache key
def source_key(gguf_path: Path) -> str:
    """A hash naming this exact GGUF file (size, mtime, first and last MiB)."""
    stat = gguf_path.stat()
    h = hashlib.sha256(f"v{FORMAT_VERSION}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    with open(gguf_path, "rb") as f:
        h.update(f.read(1 << 20))
        f.seek(max(0, stat.st_size - (1 << 20)))
        h.update(f.read(1 << 20))
    return h.hexdigest()[:20]


def _checksum(flat: np.ndarray) -> str:
    """Sum of every 32-bit word (any changed word shows; ~0.1 s for 540 MB) plus a
    sha256 of 64 sampled blocks (catches garbage whose sum happens to match)."""
    words = int(flat.view(np.uint32).sum(dtype=np.uint64))  # wraps modulo 2^64
    raw = flat.view(np.uint8)  # (N*4,) bytes of the float32 array
    h = hashlib.sha256(f"{raw.size}:{words}".encode())
    step = max(1, raw.size // _SAMPLES)
    for start in range(0, raw.size, step):
        h.update(raw[start : start + _SAMPLE_BYTES].tobytes())
    h.update(raw[-_SAMPLE_BYTES:].tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------- build
def _layout(cfg: LlamaConfig) -> list[tuple[str, tuple[int, ...]]]:
    """Order and shape of every array in the flat cache file."""
    C, F, D = cfg.d_model, cfg.d_ff, cfg.head_dim
    qkv = (cfg.n_heads + 2 * cfg.n_kv_heads) * D
    items = [("embed_tokens", (cfg.vocab_size, C))]
    for i in range(cfg.n_layers):
        items += [
            (f"layers.{i}.input_layernorm", (C,)),
            (f"layers.{i}.qkv_proj", (C, qkv)),
            (f"layers.{i}.o_proj", (cfg.n_heads * D, C)),
            (f"layers.{i}.post_attention_layernorm", (C,)),
            (f"layers.{i}.gate_up_proj", (C, 2 * F)),
            (f"layers.{i}.down_proj_t", (C, F)),  # (out, in): see LayerWeights
        ]
    items.append(("norm", (C,)))
    if not cfg.tied_embeddings:
        items.append(("lm_head", (cfg.vocab_size, C)))
    return items


_CHUNK_VALUES = 1 << 17  # values dequantized per step: 512 KB of float32, stays in cache


def _dequantize_rows_into(dest: np.ndarray, tensor, transpose: bool) -> None:
    """Dequantize a GGUF tensor (out, in) straight into `dest`, a few rows at a time.

    dest: (out, in) or, with transpose, (in, out). Uses the `gguf` package's own
    dequantizer for the tensor's type (`dequantize_rows`, the same arithmetic as
    `gguf.quants.dequantize`, bit for bit) on chunks of rows, so no whole-model
    float32 copy is built first and the transposed write reads cache-hot data.
    """
    import gguf

    data = tensor.data  # (out, in) values or (out, bytes per row) for quantized types
    qtype = tensor.tensor_type
    quant = getattr(gguf.quants, qtype.name, None)
    if qtype == gguf.GGMLQuantizationType.F32 or not hasattr(quant, "dequantize_rows"):
        rows = lambda part: gguf.quants.dequantize(part, qtype)  # noqa: E731 (F32, F16 or other types)
    else:
        quant.init_grid()  # the lookup table of the IQ types; nothing for Q4_1, Q8_0
        rows = quant.dequantize_rows
    if data.ndim == 1:
        dest[...] = rows(data)
        return
    n_out = data.shape[0]
    if n_out != dest.shape[1 if transpose else 0]:
        raise ValueError(f"{tensor.name}: {n_out} rows do not fit an array of shape {dest.shape}")
    expected = (n_out, dest.shape[0]) if transpose else dest.shape
    step = max(1, _CHUNK_VALUES // max(1, dest.size // n_out))
    for start in range(0, n_out, step):
        block = rows(data[start : start + step])  # (rows, in) float32
        if block.shape[1:] != expected[1:]:
            raise ValueError(f"{tensor.name}: shape {block.shape[1:]} does not fit {expected}")
        if transpose:
            dest[:, start : start + step] = block.T
        else:
            dest[start : start + step] = block


def _fill(flat: np.ndarray, cfg: LlamaConfig, tensors: dict) -> dict:
    """Dequantize, transpose and fuse every tensor into `flat`; return {name: [offset, shape]}.

    tensors: checkpoint name -> the GGUF reader's tensor (quantized, (out, in)).
    """
    index, offset = {}, 0
    for name, shape in _layout(cfg):
        n = int(np.prod(shape))
        dest = flat[offset : offset + n].reshape(shape)
        if name in ("embed_tokens", "norm", "lm_head") or name.endswith("layernorm"):
            _dequantize_rows_into(dest, tensors[name + ".weight"], transpose=False)  # as the file has it
        elif name.endswith("down_proj_t"):
            layer = name.rsplit(".", 1)[0]  # "layers.{i}"
            _dequantize_rows_into(dest, tensors[layer + ".mlp.down_proj.weight"], transpose=False)  # (out, in)
        else:
            layer = name.rsplit(".", 1)[0]  # "layers.{i}"
            if name.endswith("qkv_proj"):
                parts = [tensors[f"{layer}.self_attn.{p}_proj.weight"] for p in "qkv"]  # (out, C) each
            elif name.endswith("gate_up_proj"):
                parts = [tensors[layer + ".mlp.gate_proj.weight"], tensors[layer + ".mlp.up_proj.weight"]]
            elif name.endswith("o_proj"):
                parts = [tensors[layer + ".self_attn.o_proj.weight"]]
            col = 0
            for p in parts:  # (out, in) -> columns col .. col+out of dest (in, out)
                width = int(p.data.shape[0])
                _dequantize_rows_into(dest[:, col : col + width], p, transpose=True)
                col += width
            if col != shape[1]:
                raise ValueError(f"{name}: fused width {col} != expected {shape[1]}")
        index[name] = [offset, list(shape)]
        offset += n
    return index


def _build(gguf_path: Path, folder: Path, reader=None) -> None:
    if reader is None:
        reader = assets.open_gguf(gguf_path)
    cfg = read_config(reader)
    tensors = {checkpoint_name(t.name): t for t in reader.tensors}
    total = sum(int(np.prod(s)) for _, s in _layout(cfg))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"weights.{os.getpid()}.tmp.npy"
    flat = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(total,))
    index = _fill(flat, cfg, tensors)
    # No flush (msync) here: it only forces the pages to disk now rather than in a
    # few seconds; if the machine dies first, the checksum finds the damage.
    fields = {k: _plain(reader.fields[k].contents()) for k in TOKENIZER_KEYS if k in reader.fields}
    fields_text = json.dumps(fields)
    (folder / "tokenizer_fields.json").write_text(fields_text)
    manifest = {
        "format_version": FORMAT_VERSION,
        "source": str(gguf_path),
        "config": asdict(cfg),
        "metadata": read_metadata(reader),
        "index": index,
        "total": total,
        "checksum": _checksum(flat),
        "fields_sha256": hashlib.sha256(fields_text.encode()).hexdigest(),
        "tensor_names": {t.name: checkpoint_name(t.name) for t in reader.tensors},
    }
    del flat
    os.replace(tmp, folder / "weights.npy")
    tmp_manifest = folder / f"manifest.{os.getpid()}.tmp.json"
    tmp_manifest.write_text(json.dumps(manifest))
    os.replace(tmp_manifest, folder / "manifest.json")  # written last: marks the cache complete


def _open_cached(folder: Path, verify: bool = True) -> LlamaWeights | None:
    """The cached weights, or None if the cache is missing, partial or corrupt.

    verify=False skips the checksum (only right after this process wrote the file)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            return None
        flat = np.load(folder / "weights.npy", mmap_mode="r")
        if flat.dtype != np.float32 or flat.shape != (manifest["total"],):
            return None
        if verify and _checksum(flat) != manifest["checksum"]:
            return None
        fields_text = (folder / "tokenizer_fields.json").read_text()
        if hashlib.sha256(fields_text.encode()).hexdigest() != manifest["fields_sha256"]:
            return None
        fields = SavedMetadata(json.loads(fields_text))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    cfg = LlamaConfig(**manifest["config"])
    flat = flat.view(np.ndarray)  # plain ndarray views over the mapped file

    def get(name):
        offset, shape = manifest["index"][name]
        return flat[offset : offset + int(np.prod(shape))].reshape(shape)

    layers = [
        LayerWeights(
            *(
                get(f"layers.{i}.{p}")
                for p in ("input_layernorm", "qkv_proj", "o_proj", "post_attention_layernorm", "gate_up_proj")
            ),
            down_proj=get(f"layers.{i}.down_proj_t").T,
        )
        for i in range(cfg.n_layers)
    ]
    embed = get("embed_tokens")
    return LlamaWeights(
        config=cfg,
        embed_tokens=embed,
        layers=layers,
        norm=get("norm"),
        lm_head=embed if cfg.tied_embeddings else get("lm_head"),
        metadata=manifest["metadata"],
        gguf_fields=fields,
    )


def load_weights(gguf_path: Path | None = None, cache_root: Path | None = None, reader=None) -> LlamaWeights:
    """Float32 weights of a llama GGUF, memory-mapped from the cache (built if needed).

    `reader`: an already open `gguf.GGUFReader` of the same file, used if the
    cache must be built (opening the file takes about 2 s).

    `load_info` on the result says whether the cache was used and the seconds taken.
    """
    start = time.perf_counter()
    gguf_path = Path(gguf_path) if gguf_path else assets.smollm2_gguf_path()
    root = Path(cache_root) if cache_root else assets.cache_dir() / "llama-weights"
    folder = root / f"{gguf_path.stem}-{source_key(gguf_path)}"
    weights = _open_cached(folder)
    source = "cache"
    if weights is None:
        source = "gguf"
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)  # corrupt or partial: start over
        for stale in root.glob(f"{gguf_path.stem}-*"):
            if stale != folder:
                shutil.rmtree(stale, ignore_errors=True)  # an older copy of this model
        _build(gguf_path, folder, reader)
        weights = _open_cached(folder, verify=False)  # its checksum was just computed from the same array
        if weights is None:
            raise RuntimeError(f"the weight cache in {folder} could not be read back after writing it")
    weights.load_info = {"source": source, "seconds": time.perf_counter() - start, "cache_dir": str(folder)}
    return weights
