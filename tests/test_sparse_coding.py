"""Sparse-coding measures on oracle codes, the atoms data's ground truth, and the baselines."""

from __future__ import annotations

import numpy as np
import pytest

from vsc_lib import atoms
from vsc_lib import sparse_coding as sc
from vsc_lib.integrity import DataIntegrityError


@pytest.fixture(scope="module")
def data():
    return atoms.generate(3000, seed=5, setting=atoms.AtomsSetting(16, 2))


def test_the_generator_keeps_its_promises_and_its_digests(data, monkeypatch):
    assert data.x.shape == (3000, 1, 28, 28) and data.support.shape == (3000, 16)
    assert (data.support.sum(1) == 2).all()
    assert ((data.coefficients > 0) == data.support).all() and data.coefficients.max() <= 1.5
    flat = data.atoms.reshape(16, -1)
    overlap = (flat > 0.2).astype(int) @ (flat > 0.2).astype(int).T
    assert (overlap[~np.eye(16, dtype=bool)] > 0).any()  # strokes cross: not separable by pixel
    varying = atoms.generate(500, 1, atoms.AtomsSetting(16, 3, varying=True))
    assert set(varying.support.sum(1)) == {1, 2, 3}
    assert atoms.generate(10, 7).digest() == atoms.generate(10, 7).digest() != atoms.generate(10, 8).digest()
    assert atoms.load("atoms", "validation").x.shape == (2000, 1, 28, 28)
    monkeypatch.setitem(atoms.DIGESTS, ("atoms", "validation"), "0" * 64)
    with pytest.raises(DataIntegrityError, match="draws differently"):
        atoms.load("atoms", "validation")
    with pytest.raises(ValueError, match="between 1 and num_atoms"):
        atoms.AtomsSetting(4, 5)


def test_the_true_support_scores_one_and_broken_codes_score_low(data):
    s = data.support
    assert sc.support_f1(s, s) == 1.0 and sc.dims_used(s) == 16 and sc.on_per_example(s) == 2.0
    assert sc.coefficient_correlation(data.coefficients, s, s, data.coefficients) == pytest.approx(1.0)
    permuted = s[:, np.random.default_rng(0).permutation(16)]
    assert sc.support_f1(permuted, s) == 1.0  # matching needs no labels: a relabelled code is as good
    shuffled = s[np.random.default_rng(1).permutation(len(s))]
    assert sc.support_f1(shuffled, s) < 0.3  # on/off unrelated to the examples
    dense = np.ones_like(s)
    assert sc.support_f1(dense, s) < 0.3 and sc.on_per_example(dense) == 16
    starved = s[:, :7]  # seven dimensions that are perfect for seven atoms, nothing for the rest
    assert sc.support_f1(starved, s) < 0.7 and sc.dims_used(starved) == 7
    with pytest.raises(ValueError, match="same N"):
        sc.support_f1(s[:10], s)


def test_the_oracle_omp_recovers_the_supports_and_beats_pca(data):
    train, test = data.x[:2000], data.x[2000:]
    truth = (data.support[2000:], data.coefficients[2000:])
    results = {r.method: r.measures(test, *truth)
               for r in sc.classic_codes(train, test, data.atoms, k=2, num_components=16)}
    oracle = results["OMP on the true atoms (oracle)"]
    assert oracle["support_f1"] > 0.85 and oracle["on_per_example"] == pytest.approx(2.0)
    assert results["PCA"]["support_f1"] < oracle["support_f1"]
    assert results["dictionary learning + OMP"]["on_per_example"] == pytest.approx(2.0)
    assert all(r["examples_per_second"] > 0 for r in results.values())
