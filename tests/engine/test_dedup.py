"""Exact and near-duplicate detection, checked against exact set arithmetic.

The independent truth for MinHash is the exact Jaccard similarity of the
shingle sets: the estimate must fall within a few standard errors
(sqrt(J(1-J)/K)) of it, and its error must shrink as K grows.
"""

import itertools

import numpy as np
import pytest

from glasslm.engine.pretraining.dedup import (
    MinHasher,
    candidate_probability,
    estimate_jaccard,
    exact_duplicates,
    jaccard,
    lsh_candidates,
    near_duplicates,
    normalize,
    shingles,
    text_hash,
)


def test_normalize_and_exact_duplicates_by_hand():
    assert normalize("  The CAT,\n sat!  ") == "the cat sat"
    assert normalize("ﬁne") == "fine"  # NFKC unfolds the ligature
    docs = ["The cat sat.", "a dog", "the  cat sat", "A DOG!", "a dog barked"]
    assert exact_duplicates(docs) == [None, None, 0, 1, None]
    assert text_hash(docs[0]) == text_hash(docs[2]) != text_hash(docs[4])
    assert len(text_hash("x")) == 64  # SHA-256 in hex


def test_shingles_and_jaccard_by_hand():
    assert shingles("a b c d", 2) == {"a b", "b c", "c d"}
    assert shingles("a b", 3) == {"a b"}  # shorter than k: the whole text is one shingle
    assert shingles("", 3) == set()
    # {a b, b c, c d} vs {a b, b c, c e}: 2 shared of 4 distinct
    assert jaccard(shingles("a b c d", 2), shingles("a b c e", 2)) == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="shingle size"):
        shingles("a b", 0)


def overlapping_sets(n, shared):
    """Two sets of n words sharing `shared`: J = shared / (2n - shared)."""
    a = {f"w{i}" for i in range(n)}
    b = {f"w{i}" for i in range(n - shared, 2 * n - shared)}
    return a, b


@pytest.mark.parametrize("shared", [0, 10, 30, 50, 70, 100])
def test_minhash_estimate_is_within_statistical_tolerance_of_exact_jaccard(shared):
    a, b = overlapping_sets(100, shared)
    exact = jaccard(a, b)
    assert exact == pytest.approx(shared / (200 - shared))
    k = 512
    h = MinHasher.create(k, seed=3)
    est = estimate_jaccard(h.signature(a), h.signature(b))
    se = np.sqrt(max(exact * (1 - exact), 1e-4) / k)
    assert abs(est - exact) <= 4 * se


def test_minhash_error_shrinks_with_more_hash_functions():
    pairs = [overlapping_sets(60, s) for s in (5, 15, 25, 35, 45, 55)]
    errors = {}
    for k in (16, 256):
        errs = []
        for seed in range(8):
            h = MinHasher.create(k, seed=seed)
            errs += [abs(estimate_jaccard(h.signature(a), h.signature(b)) - jaccard(a, b)) for a, b in pairs]
        errors[k] = np.mean(errs)
    # the standard error scales as 1/sqrt(K): 16x more functions, about 4x less error
    assert errors[256] < errors[16] / 2.5
    assert errors[256] < 0.05


def test_identical_and_disjoint_sets():
    h = MinHasher.create(64)
    a, b = overlapping_sets(20, 0)
    assert estimate_jaccard(h.signature(a), h.signature(set(a))) == 1.0
    assert estimate_jaccard(h.signature(a), h.signature(b)) < 0.1
    with pytest.raises(ValueError, match="hash functions"):
        MinHasher.create(0)


def test_lsh_candidates_equal_brute_force_band_agreement():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 3, size=(12, 8)).astype(np.uint64)  # few values: many bands agree
    bands, rows = 4, 2
    brute = {
        (i, j)
        for i, j in itertools.combinations(range(12), 2)
        if any(
            np.array_equal(sigs[i, b * rows : (b + 1) * rows], sigs[j, b * rows : (b + 1) * rows]) for b in range(bands)
        )
    }
    assert lsh_candidates(sigs, bands) == brute
    with pytest.raises(ValueError, match="bands"):
        lsh_candidates(sigs, 3)


def test_candidate_probability_matches_simulation():
    # Each row agrees with probability s, independently: simulate bands of r rows.
    rng = np.random.default_rng(1)
    s, r, b = 0.6, 4, 8
    agree = rng.random((20000, b, r)) < s
    simulated = np.mean(agree.all(axis=2).any(axis=1))
    assert candidate_probability(s, r, b) == pytest.approx(simulated, abs=0.02)


def test_near_duplicates_find_the_edited_copy():
    base = "the quick brown fox jumps over the lazy dog near the quiet river bank at dawn"
    edited = base.replace("lazy", "sleepy")
    other = "pretraining data is cleaned by removing duplicates and low quality pages"
    pairs, copy_of = near_duplicates([base, other, edited], k=3, num_perm=256, bands=64, threshold=0.4)
    assert copy_of == [None, None, 0]
    (p,) = pairs
    assert (p.i, p.j) == (0, 2)
    assert p.exact == pytest.approx(jaccard(shingles(base, 3), shingles(edited, 3)))
    assert abs(p.estimated - p.exact) < 4 * np.sqrt(p.exact * (1 - p.exact) / 256)
    assert p.candidate
