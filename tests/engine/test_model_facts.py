"""Published figures: each names its source, and the architecture numbers are
consistent with the published parameter counts (about 12 x layers x d_model^2
for a GPT-style decoder, Kaplan et al. 2020)."""

from glasslm.engine.data.model_facts import PUBLISHED, published


def test_every_figure_names_its_source():
    for m in PUBLISHED:
        assert "20" in m.source and len(m.source) > 20


def test_architectures_agree_with_parameter_counts():
    for name in ("GPT-3", "Chinchilla"):
        m = published(name)
        approx = 12 * m.layers * m.d_model**2
        assert 0.85 < approx / m.params < 1.15, name
