"""The disentanglement field's standard scores of a code against known factors: MIG, SAP and DCI.

They sit beside the authors' correlation measure (:func:`vsc_lib.metrics.correlation_disentanglement`)
so that a reader can compare the book's runs with published β-VAE numbers. Definitions follow the
papers (and the way disentanglement_lib computes them, read for reference):

- **MIG** (Chen et al., 2018): codes and factors binned into ``bins`` equal-width bins; for each
  factor, the mutual information of its two most informative code dimensions, their gap divided by
  the factor's entropy; averaged over factors.
- **SAP** (Kumar et al., 2018): for each (dimension, factor), how well the dimension alone predicts
  the factor on held-out examples (R² of a linear fit for a continuous factor; accuracy of a linear
  classifier for a discrete one); per factor the gap between the best two dimensions; averaged.
- **DCI** (Eastwood and Williams, 2018): an importance matrix R (dimensions × factors) from one
  regressor per factor (the lasso on standardised codes, ``|coefficient|``, or gradient-boosted
  trees' feature importances); *disentanglement* D = Σ_j ρ_j (1 − H_K(R_j· / Σ_k R_jk)) with
  ρ_j the dimension's share of the total importance; *completeness* C, the same per factor over
  dimensions, weighted by each factor's share; *informativeness*, the regressors' mean held-out R².

Each is checked on oracle codes in ``tests/test_disentanglement.py``: the factors themselves
score near 1, a rotation of them low, noise near 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _as_2d(array, name: str) -> np.ndarray:
    out = np.asarray(array, dtype=np.float64)
    if out.ndim != 2 or len(out) < 10:
        raise ValueError(f"{name} must be an (N, D) array with N >= 10; got shape {out.shape}.")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} holds values that are not finite.")
    return out


def _check(codes, factors) -> tuple[np.ndarray, np.ndarray]:
    z, v = _as_2d(codes, "codes"), _as_2d(factors, "factors")
    if len(z) != len(v):
        raise ValueError(f"codes ({len(z)} rows) and factors ({len(v)} rows) must describe the same examples.")
    return z, v


def discretise(values: np.ndarray, bins: int = 20) -> np.ndarray:
    """Each column binned into ``bins`` equal-width bins over its range (a constant column: one bin)."""
    out = np.zeros(values.shape, dtype=np.int64)
    for k in range(values.shape[1]):
        column = values[:, k]
        low, high = column.min(), column.max()
        if high > low:
            edges = np.linspace(low, high, bins + 1)[1:-1]
            out[:, k] = np.digitize(column, edges)
    return out


def _entropy(labels: np.ndarray) -> float:
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    joint = a.astype(np.int64) * (int(b.max()) + 1) + b
    return _entropy(a) + _entropy(b) - _entropy(joint)


def mutual_information_matrix(codes, factors, bins: int = 20) -> np.ndarray:
    """(D, K) mutual information (nats) between binned code dimensions and binned factors."""
    z, v = _check(codes, factors)
    zd, vd = discretise(z, bins), discretise(v, bins)
    return np.array([[_mutual_information(zd[:, j], vd[:, k]) for k in range(v.shape[1])]
                     for j in range(z.shape[1])])


def mig(codes, factors, bins: int = 20) -> float:
    """The mutual information gap (0 to 1); factors with zero entropy are skipped."""
    z, v = _check(codes, factors)
    if z.shape[1] < 2:
        raise ValueError("MIG needs a code of at least two dimensions (it compares the best two).")
    mi = mutual_information_matrix(z, v, bins)
    entropy = np.array([_entropy(col) for col in discretise(v, bins).T])
    top = np.sort(mi, axis=0)[::-1]
    keep = entropy > 0
    return float(np.mean((top[0, keep] - top[1, keep]) / entropy[keep]))


def _split(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    cut = int(0.8 * n)
    return order[:cut], order[cut:]


def _is_discrete(column: np.ndarray, max_levels: int = 10) -> bool:
    return len(np.unique(column)) <= max_levels


def sap_matrix(codes, factors) -> np.ndarray:
    """(D, K) how well each code dimension alone predicts each factor on held-out examples."""
    from sklearn.svm import LinearSVC

    z, v = _check(codes, factors)
    train, test = _split(len(z))
    scores = np.zeros((z.shape[1], v.shape[1]))
    for k in range(v.shape[1]):
        target = v[:, k]
        for j in range(z.shape[1]):
            x = z[:, j]
            if np.ptp(x[train]) == 0:
                continue  # a dimension that never changes predicts nothing
            if _is_discrete(target):
                if len(np.unique(target[train])) < 2:
                    continue
                model = LinearSVC(C=0.01).fit(x[train, None], target[train])
                scores[j, k] = float((model.predict(x[test, None]) == target[test]).mean())
            else:
                slope, intercept = np.polyfit(x[train], target[train], 1)
                residual = target[test] - (slope * x[test] + intercept)
                total = ((target[test] - target[test].mean()) ** 2).sum()
                scores[j, k] = max(0.0, 1.0 - float((residual**2).sum() / total)) if total > 0 else 0.0
    return scores


def sap(codes, factors) -> float:
    """The separated attribute predictability: per factor, best minus second-best dimension."""
    scores = sap_matrix(codes, factors)
    if scores.shape[0] < 2:
        raise ValueError("SAP needs a code of at least two dimensions (it compares the best two).")
    top = np.sort(scores, axis=0)[::-1]
    return float(np.mean(top[0] - top[1]))


@dataclass(frozen=True)
class DCI:
    """Disentanglement, completeness and informativeness, with the importance matrix behind them."""

    disentanglement: float
    completeness: float
    informativeness: float
    importance: np.ndarray


def _one_minus_entropy(p: np.ndarray, base: int) -> np.ndarray:
    """1 − entropy (log base ``base``) of each row of non-negative weights."""
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1) / np.log(base)
    return 1.0 - h


def dci(codes, factors, importance: str = "lasso", alpha: float = 0.01) -> DCI:
    """DCI from lasso (``importance="lasso"``, on standardised codes and factors) or gradient-boosted
    trees (``"gbt"``): one regressor per factor, fitted on 80 % of the examples, R² on the rest."""
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import Lasso

    if importance not in ("lasso", "gbt"):
        raise ValueError(f"importance={importance!r}: use 'lasso' or 'gbt'.")
    z, v = _check(codes, factors)
    z = (z - z.mean(0)) / np.where(z.std(0) > 0, z.std(0), 1.0)
    v = (v - v.mean(0)) / np.where(v.std(0) > 0, v.std(0), 1.0)
    train, test = _split(len(z))
    R = np.zeros((z.shape[1], v.shape[1]))
    r2 = []
    for k in range(v.shape[1]):
        if importance == "lasso":
            model = Lasso(alpha=alpha, max_iter=5000).fit(z[train], v[train, k])
            R[:, k] = np.abs(model.coef_)
        else:
            model = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0).fit(z[train], v[train, k])
            R[:, k] = model.feature_importances_
        prediction = model.predict(z[test])
        total = ((v[test, k] - v[test, k].mean()) ** 2).sum()
        r2.append(1.0 - float(((v[test, k] - prediction) ** 2).sum() / total) if total > 0 else 0.0)
    total = R.sum()
    if total <= 0:
        return DCI(0.0, 0.0, float(np.mean(r2)), R)
    D, K = R.shape
    disentanglement = float((_one_minus_entropy(R, K) * (R.sum(1) / total)).sum()) if K > 1 else 1.0
    completeness = float((_one_minus_entropy(R.T, D) * (R.sum(0) / total)).sum()) if D > 1 else 1.0
    return DCI(disentanglement, completeness, float(np.mean(r2)), R)


def scores(codes, factors) -> dict[str, float]:
    """MIG, SAP and DCI (lasso) of a code: the values an evaluation stores."""
    d = dci(codes, factors)
    return {"mig": mig(codes, factors), "sap": sap(codes, factors), "dci_disentanglement": d.disentanglement,
            "dci_completeness": d.completeness, "dci_informativeness": d.informativeness}
