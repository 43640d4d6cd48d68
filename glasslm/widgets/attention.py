"""AttentionMap: every head's attention weights for a text, one head at a time, with layer and head pickers.

For SmolLM2 the weights are those its forward pass records (`SmolLM2.trace`,
what the attention chapter draws); for a tiny GPT, `TinyGPT.trace`, what
"Train a GPT" draws while it trains. Row i of a map is where token i looked:
a probability distribution over tokens 0..i.
"""

from __future__ import annotations

import numpy as np
import traitlets as t

from glasslm.widgets.base import GlassWidget, is_tiny, rounded, smollm2_if

MAX_TOKENS = 64  # a 64 x 64 map is already more cells than one can read; the trace grows as T^2 per head


def attention_maps(model, text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, weights (L, H, T, T)) for `text` under `model` (a SmolLM2 or a TinyGPT)."""
    if not text.strip():
        raise ValueError("Type some text to draw attention for.")
    if is_tiny(model):
        tr = model.trace(text)  # [BOS] + text, cut to the model's context
        return tr["tokens"], np.stack([a[0] for a in tr["attention"]])  # per layer (1, H, T, T) -> (L, H, T, T)
    from glasslm.engine.tokenizers.token_display import token_text

    ids = model.encode(text)
    if len(ids) > MAX_TOKENS:
        raise ValueError(f"That text is {len(ids)} tokens; attention maps are drawn for at most {MAX_TOKENS}.")
    trace = model.trace(ids, attention=True, residual=False)
    return [token_text(model.tokenizer, i) for i in ids], np.stack(trace.attentions)  # (L, H, T, T)


class AttentionMap(GlassWidget):
    """AttentionMap(text, model=None, layer=0, head=0): model is a TinyGPT, or SmolLM2 when None."""

    entry = "attention.js"
    text = t.Unicode("").tag(sync=True)
    model_name = t.Unicode("").tag(sync=True)
    tokens = t.List(t.Unicode()).tag(sync=True)
    n_layers = t.Int(0).tag(sync=True)
    n_heads = t.Int(0).tag(sync=True)
    layer = t.Int(0).tag(sync=True)
    head = t.Int(0).tag(sync=True)
    weights = t.List().tag(sync=True)  # (T, T) of the chosen layer and head, rounded

    def __init__(self, text: str, model=None, layer: int = 0, head: int = 0, **kwargs):
        self._model = smollm2_if(model)
        tokens, self._att = attention_maps(self._model, text)
        L, H = self._att.shape[:2]
        if not (0 <= layer < L and 0 <= head < H):
            raise ValueError(f"layer must be 0..{L - 1} and head 0..{H - 1} (got layer {layer}, head {head})")
        name = "tiny GPT" if is_tiny(self._model) else "SmolLM2-135M"
        super().__init__(
            text=text, model_name=name, tokens=tokens, n_layers=L, n_heads=H, layer=layer, head=head, **kwargs
        )
        self._show()

    def _show(self):
        self.weights = rounded(self._att[self.layer, self.head])

    @t.validate("layer")
    def _check_layer(self, proposal):
        if self.n_layers and not 0 <= proposal.value < self.n_layers:
            raise t.TraitError(f"layer must be from 0 to {self.n_layers - 1}")
        return proposal.value

    @t.validate("head")
    def _check_head(self, proposal):
        if self.n_heads and not 0 <= proposal.value < self.n_heads:
            raise t.TraitError(f"head must be from 0 to {self.n_heads - 1}")
        return proposal.value

    @t.observe("layer", "head")
    def _picked(self, change):
        if self.n_layers:
            self._show()

    @t.observe("text")
    def _new_text(self, change):
        if not self.n_layers:
            return  # still in __init__
        try:
            tokens, att = attention_maps(self._model, change.new)
        except ValueError as err:
            self.error = str(err)
            return
        self.error = ""
        with self.hold_sync():
            self._att, self.tokens = att, tokens
            self._show()

    def data(self) -> dict:
        """{"tokens", "attention" (L, H, T, T) float array, "layer", "head", "weights" (T, T) of that head}."""
        return {
            "tokens": list(self.tokens),
            "attention": self._att.copy(),
            "layer": self.layer,
            "head": self.head,
            "weights": self._att[self.layer, self.head].copy(),
        }
