"""Published figures: each names its source, and the architecture numbers are
consistent with the published parameter counts (about 12 x layers x d_model^2
for a GPT-style decoder, Kaplan et al. 2020)."""

from glasslm.engine.data.model_facts import PUBLISHED, published


def test_every_figure_names_its_source():
    """Each field is covered by a source of its own: a paper's table or section, or a released file."""
    for m in PUBLISHED:
        named = " ".join(fields for fields, _ in m.sources)
        needed = ["parameters", "layers", "width", "heads", "context"]
        needed += ["kv heads"] if m.kv_heads != m.heads else []
        needed += ["training tokens"] if m.train_tokens else []
        assert [f for f in needed if f not in named] == [], m.name
        for fields, where in m.sources:
            assert any(w in where for w in ("Table", "Section", "released")), (m.name, fields)


def test_architectures_agree_with_parameter_counts():
    for name in ("GPT-3", "Chinchilla"):
        m = published(name)
        approx = 12 * m.layers * m.d_model**2
        assert 0.85 < approx / m.params < 1.15, name
