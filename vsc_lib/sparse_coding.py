"""Does a code do sparse coding? Measures against known sources, and the classic methods a user
would reach for instead.

Measures (each oracle-tested in ``tests/test_sparse_coding.py``: the true supports score 1,
shuffled or dense codes low):

- :func:`support_f1`: support recovery without labels. Each atom is matched to the code
  dimension whose on/off state best follows it (the highest F1 over dimensions); the F1 of each
  atom's match, averaged over atoms.
- :func:`dims_used` (against M) and the dimensions on per example (against k).
- :func:`coefficient_correlation`: on the examples where an atom is on, the |correlation| between
  its matched dimension's value and its true coefficient, averaged over atoms.

Baselines (:func:`classic_codes`): scikit-learn's dictionary learning with OMP or with the lasso,
OMP on the true atoms (the oracle), and PCA; each returns codes, which dimensions are on, and the
reconstructions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

#: a dimension counts as used when it is on for at least this share of the examples
USED_SHARE = 0.01


def _f1(on: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """F1 of every column of ``on`` (N, J) against every column of ``truth`` (N, M): (J, M)."""
    on, truth = on.astype(np.float64), truth.astype(np.float64)
    tp = on.T @ truth
    predicted, actual = on.sum(0)[:, None], truth.sum(0)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(predicted + actual > 0, 2 * tp / (predicted + actual), 0.0)
    return f1


def match_atoms(on, support) -> tuple[np.ndarray, np.ndarray]:
    """For each atom, the dimension whose on/off state follows it best, and that F1: (M,), (M,)."""
    on, support = np.asarray(on, dtype=bool), np.asarray(support, dtype=bool)
    if on.ndim != 2 or support.ndim != 2 or len(on) != len(support):
        raise ValueError(f"need (N, J) on-states and (N, M) supports of the same N; got {on.shape} and {support.shape}.")
    f1 = _f1(on, support)
    best = f1.argmax(0)
    return best, f1[best, np.arange(support.shape[1])]


def support_f1(on, support) -> float:
    """Mean over atoms of the F1 of each atom's best-matching dimension."""
    return float(match_atoms(on, support)[1].mean())


def dims_used(on, share: float = USED_SHARE) -> int:
    """Dimensions on for at least ``share`` of the examples."""
    return int((np.asarray(on, dtype=bool).mean(0) >= share).sum())


def on_per_example(on) -> float:
    return float(np.asarray(on, dtype=bool).sum(1).mean())


def coefficient_correlation(codes, on, support, coefficients) -> float:
    """Mean over atoms of |corr(matched dimension's value, true coefficient)| where the atom is on."""
    codes, coefficients = np.asarray(codes, dtype=np.float64), np.asarray(coefficients, dtype=np.float64)
    best, _ = match_atoms(on, support)
    out = []
    for m, j in enumerate(best):
        rows = np.asarray(support, dtype=bool)[:, m]
        a, b = codes[rows, j], coefficients[rows, m]
        out.append(0.0 if rows.sum() < 3 or a.std() == 0 or b.std() == 0 else abs(float(np.corrcoef(a, b)[0, 1])))
    return float(np.mean(out))


@dataclass
class CodeResult:
    """A method's code of the test examples and what it cost."""

    method: str
    codes: np.ndarray
    on: np.ndarray
    reconstruction: np.ndarray
    encode_seconds: float
    dictionary: np.ndarray | None = None

    def measures(self, x, support, coefficients) -> dict[str, float]:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        return {"support_f1": support_f1(self.on, support), "dims_used": dims_used(self.on),
                "on_per_example": on_per_example(self.on),
                "coef_corr": coefficient_correlation(self.codes, self.on, support, coefficients),
                "recon_mse": float(((self.reconstruction.reshape(len(x), -1) - x) ** 2).mean()),
                "examples_per_second": len(x) / max(self.encode_seconds, 1e-9)}


def classic_codes(train, test, atoms, k: int, num_components: int, seed: int = 0,
                  lasso_alpha: float = 0.1, iterations: int = 20) -> list[CodeResult]:
    """Dictionary learning (``iterations`` passes over ``train``; codes by OMP with ``k``
    non-zeros, or by the lasso at ``lasso_alpha``), OMP on the true ``atoms`` (the oracle) and
    PCA, fitted on ``train`` and applied to ``test`` (both (N, D))."""
    from sklearn.decomposition import PCA, MiniBatchDictionaryLearning, SparseCoder

    train = np.asarray(train, dtype=np.float64).reshape(len(train), -1)
    test = np.asarray(test, dtype=np.float64).reshape(len(test), -1)
    out = []
    learner = MiniBatchDictionaryLearning(n_components=num_components, alpha=lasso_alpha, batch_size=256,
                                          max_iter=iterations, random_state=seed).fit(train)
    dictionary = learner.components_
    for name, algorithm, options in (("dictionary learning + OMP", "omp", {"transform_n_nonzero_coefs": k}),
                                     ("dictionary learning + lasso", "lasso_lars", {"transform_alpha": lasso_alpha})):
        coder = SparseCoder(dictionary, transform_algorithm=algorithm, **options)
        began = time.perf_counter()
        codes = coder.transform(test)
        seconds = time.perf_counter() - began
        out.append(CodeResult(name, codes, np.abs(codes) > 1e-8, codes @ dictionary, seconds, dictionary))
    true = np.asarray(atoms, dtype=np.float64).reshape(len(atoms), -1)
    true = true / np.linalg.norm(true, axis=1, keepdims=True)
    coder = SparseCoder(true, transform_algorithm="omp", transform_n_nonzero_coefs=k)
    began = time.perf_counter()
    codes = coder.transform(test)
    out.append(CodeResult("OMP on the true atoms (oracle)", codes, np.abs(codes) > 1e-8, codes @ true,
                          time.perf_counter() - began, true))
    pca = PCA(n_components=num_components, random_state=seed).fit(train)
    began = time.perf_counter()
    codes = pca.transform(test)
    seconds = time.perf_counter() - began
    on = np.abs(codes) > codes.std(0, keepdims=True)  # a dense code: "on" where a component is large
    out.append(CodeResult("PCA", codes, on, pca.inverse_transform(codes), seconds, pca.components_))
    return out
