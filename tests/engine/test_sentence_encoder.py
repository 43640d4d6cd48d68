"""glasslm's numpy all-MiniLM-L6-v2 against the references: its WordPiece ids against Hugging Face
tokenizers, its sentence vectors against transformers' BertModel with mean pooling."""

import numpy as np
import pytest

from glasslm import assets
from glasslm.engine.embeddings.sentence_encoder import sentence_encoder

TEXTS = [
    "How do I reset my password?",
    "Refunds are paid within five working days.",
    "Naïve café owners can't stand CAPITALS, emojis 🙂 or 東京!",
    "x",
    "supercalifragilisticexpialidocious",
]


@pytest.mark.parametrize("text", TEXTS)
def test_wordpiece_matches_hugging_face(text):
    tokenizers = pytest.importorskip("tokenizers")
    ref = tokenizers.Tokenizer.from_file(str(assets.minilm_dir() / "tokenizer.json"))
    ref.no_padding()  # the shipped file pads to 128 for batching
    assert sentence_encoder().tokenizer.encode(text) == ref.encode(text).ids


def test_vectors_match_transformers():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(str(assets.minilm_dir()))
    model = transformers.AutoModel.from_pretrained(str(assets.minilm_dir())).eval()
    enc = sentence_encoder()
    for text in TEXTS:
        with torch.no_grad():
            out = model(**tok(text, return_tensors="pt")).last_hidden_state[0].mean(0).numpy()
        np.testing.assert_allclose(enc.embed(text), out / np.linalg.norm(out), atol=1e-5)


def test_meaning_beats_shared_words():
    enc = sentence_encoder()
    q = enc.embed("How can I get my money back?")
    same_meaning = enc.embed("Refunds are paid within five working days.")
    shared_words = enc.embed("I can get back to my desk and count the money.")
    assert q @ same_meaning > q @ shared_words  # no word in common, yet nearer
    assert 22_000_000 < enc.n_params < 23_000_000
