"""MIG, SAP and DCI on oracle codes: the factors score near 1, a rotation of them low, noise near 0;
and a hand-computed mutual information on a tiny shared example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vsc_lib import disentanglement as dis


@pytest.fixture(scope="module")
def factors():
    return np.random.default_rng(0).uniform(-1, 1, size=(4000, 4))


#: an orthogonal matrix that mixes every factor into every dimension equally (a 4 x 4 Hadamard / 2)
HADAMARD = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], dtype=float) / 2


def test_identity_code_scores_near_one(factors):
    code = np.hstack([factors, np.random.default_rng(2).normal(size=(len(factors), 2)) * 1e-3])  # two dead dims
    assert dis.mig(code, factors) > 0.8
    assert dis.sap(code, factors) > 0.9
    d = dis.dci(code, factors)
    assert d.disentanglement > 0.95 and d.completeness > 0.95 and d.informativeness > 0.95
    assert dis.dci(code, factors, importance="gbt").disentanglement > 0.9


def test_a_rotated_code_scores_low_though_it_keeps_the_information(factors):
    code = factors @ HADAMARD
    assert dis.mig(code, factors) < 0.3
    assert dis.sap(code, factors) < 0.4
    d = dis.dci(code, factors)
    assert d.disentanglement < 0.6 and d.completeness < 0.6
    assert d.informativeness > 0.95  # a rotation loses nothing: only the structure goes


def test_noise_scores_near_zero(factors):
    noise = np.random.default_rng(3).normal(size=(len(factors), 6))
    assert dis.mig(noise, factors) < 0.05
    assert dis.sap(noise, factors) < 0.05
    d = dis.dci(noise, factors)
    assert d.informativeness < 0.05


def test_mutual_information_matches_a_hand_computation():
    # a = b on half the examples' bins: a in {0, 1}, b = a -> MI = H(a) = ln 2
    a = np.array([[0.0], [1.0]] * 10)
    assert dis.mutual_information_matrix(a, a, bins=2)[0, 0] == pytest.approx(math.log(2))
    # independent binary columns: MI = 0
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5, dtype=float)
    assert dis.mutual_information_matrix(x[:, :1], x[:, 1:], bins=2)[0, 0] == pytest.approx(0.0, abs=1e-12)


def test_discrete_factors_and_bad_input():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, size=(600, 1)).astype(float)  # a presence flag, as Smiley's groups
    code = np.hstack([labels + rng.normal(size=labels.shape) * 0.05, rng.normal(size=labels.shape)])
    assert dis.sap(code, labels) > 0.4  # a linear classifier on one dimension: the flag's dimension wins
    assert dis.sap(code[:, ::-1], labels) == pytest.approx(dis.sap(code, labels))
    with pytest.raises(ValueError, match="same examples"):
        dis.mig(code, labels[:100])
    with pytest.raises(ValueError, match="not finite"):
        dis.dci(np.full((20, 2), np.nan), labels[:20])
    with pytest.raises(ValueError, match="'lasso' or 'gbt'"):
        dis.dci(code, labels, importance="forest")
