"""GloVe word vectors: known analogies, cosine maths against numpy by hand, PCA against the SVD's definition."""

import numpy as np
import pytest

from glasslm.engine.embeddings.glove import UnknownWord, glove


@pytest.fixture(scope="module")
def g():
    try:
        return glove()
    except Exception as e:  # MissingAsset
        pytest.skip(str(e))


@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        ("king", "man", "woman", "queen"),  # ASSETS.md: cosine about 0.85
        ("paris", "france", "italy", "rome"),
        ("tokyo", "japan", "france", "paris"),
        ("walking", "walk", "swim", "swimming"),
    ],
)
def test_known_analogies(g, a, b, c, expected):
    result = g.analogy(a, b, c)
    assert result.answers[0][0] == expected
    assert all(w not in (a, b, c) for w, _ in result.answers)
    assert [s for _, s in result.answers] == sorted((s for _, s in result.answers), reverse=True)


def test_king_queen_cosine_and_rank(g):
    result = g.analogy("king", "man", "woman")
    assert result.answers[0][1] == pytest.approx(0.852, abs=0.01)
    # Without excluding the inputs, "king" itself is nearest and queen comes second.
    assert result.nearest_overall[0][0] == "king" and result.rank_with_inputs == 2


def test_cosine_matches_the_formula(g):
    u, v = g.vector("cat"), g.vector("dog")
    expected = float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
    assert g.cosine("cat", "dog") == pytest.approx(expected, abs=1e-6)
    assert g.cosine("Cat ", "DOG") == pytest.approx(expected, abs=1e-6)  # trimmed, lower-cased
    assert g.cosine("cat", "dog") > g.cosine("cat", "democracy")


def test_neighbours_equal_a_full_sort(g):
    got = g.neighbours("frog", 8)
    u = np.asarray(g.vectors, dtype=np.float64)
    unit = u / np.linalg.norm(u, axis=1, keepdims=True)
    sims = unit @ unit[g.index("frog")]
    sims[g.index("frog")] = -np.inf
    order = np.argsort(-sims)[:8]
    assert [w for w, _ in got] == [g.words[i] for i in order]
    assert [s for _, s in got] == pytest.approx(sims[order].tolist(), abs=1e-5)


def test_unknown_word_suggests_close_spellings(g):
    with pytest.raises(UnknownWord) as err:
        g.vector("elephent")
    assert err.value.suggestions[0] == "elephant" and "elephent" in str(err.value)
    with pytest.raises(UnknownWord):
        g.cosine("cat", "zzqxjv")
    assert "cat" in g and "zzqxjv" not in g


def test_pca_projection(g):
    words = ["cat", "dog", "horse", "paris", "london", "tokyo", "run", "walk", "happy", "sad"]
    coords, explained = g.project_3d(words)
    assert coords.shape == (10, 3) and explained.shape == (3,)
    assert np.all(explained[:-1] >= explained[1:]) and explained.sum() < 1
    # Coordinates are the centred vectors projected on orthonormal axes: the axes'
    # variances are the top three eigenvalues of the covariance matrix.
    X = np.stack([g.vector(w) for w in words]).astype(np.float64)
    X -= X.mean(axis=0)
    eig = np.sort(np.linalg.eigvalsh(X.T @ X))[::-1][:3]
    assert (coords.astype(np.float64) ** 2).sum(axis=0) == pytest.approx(eig, rel=1e-4)
    # Cities sit nearer each other than to animals.
    d = lambda a, b: np.linalg.norm(coords[words.index(a)] - coords[words.index(b)])
    assert d("paris", "london") < d("paris", "cat")
    with pytest.raises(ValueError, match="between 3 and"):
        g.project_3d(["cat", "dog"])
    with pytest.raises(ValueError, match="between 3 and"):
        g.project_3d(g.words[:201])


def test_vector_strip(g):
    v = g.vector("the")
    assert v.shape == (50,) and v.dtype == np.float32
    assert np.array_equal(v, np.asarray(g.vectors[0]))  # "the" is the most frequent word
