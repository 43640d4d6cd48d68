"""Approximate search against the exact answer: faiss's IVF index at full probe equals brute force,
recall falls as fewer clusters are opened, and the exact top-k is checked against a sort."""

import numpy as np
import pytest

pytest.importorskip("faiss")

from glasslm.engine.applications.vector_search import build_ivf, exact_top_k, measure, recall_at_k  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 16)).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_exact_top_k_is_a_full_sort(data):
    Q = data[:7]
    want = np.argsort(-(Q @ data.T), axis=1)[:, :10]
    np.testing.assert_array_equal(exact_top_k(data, Q, 10), want)


def test_probing_every_cluster_is_exact_and_fewer_lose_recall(data):
    index = build_ivf(data, 64)
    queries = np.arange(0, 5000, 50)
    full = measure(index, data, queries, nprobe=64)
    assert full["recall"] == 1.0
    one = measure(index, data, queries, nprobe=1)
    assert one["recall"] < 0.9 and one["share_scanned"] == 1 / 64
    assert measure(index, data, queries, nprobe=8)["recall"] > one["recall"]


def test_recall_and_bad_knobs():
    assert recall_at_k(np.array([[1, 2, 3, 4]]), np.array([[4, 3, 9, 8]])) == 0.5
    with pytest.raises(ValueError, match="nlist"):
        build_ivf(np.zeros((10, 4), dtype=np.float32), 100)
