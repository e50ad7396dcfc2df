"""Typed evaluation records: what a sweep's evaluation of one cell holds.

An :class:`Evaluation` is frozen and declares every value an evaluation can produce; a value an
evaluation does not apply to (a VAE has no spike probabilities, MNIST no ground-truth factors)
is ``None``. Building one from values it does not declare is an error, so a new measure is
added here, with its meaning, before any chapter can use it. Matrices are tuples of rows.
:class:`IWEstimate` is the importance-weighted estimate of chapter 6.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Matrix = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Evaluation:
    """The evaluated values of one trained run (one cell of a grid).

    Bound (test split, nats per example; the training objective's terms at weight 1):
    ``test_neg_elbo`` (= recon + kl), ``test_recon``, ``test_kl``, ``test_total`` (the training
    objective), the KL's parts ``test_kl_gauss`` (VAE) or ``test_kl_slab`` / ``test_kl_spike``
    (VSC), the learned prior's penalty ``test_sparsity``, and VSC's spike diagnostics
    ``test_mean_pi``, ``test_dims_pi_gt_half``, ``test_active_expected``, ``test_active_hard``,
    ``test_dims_used``.
    ``train_neg_elbo``: the bound on (up to) 10,000 training examples, for model selection.

    Usage of the code: ``active_per_example`` (VSC: dimensions with pi > 0.5 per test example;
    VAE: active units), ``dims_used`` (ever on), ``expected_active`` (mean sum of pi),
    ``input_dependent_dims`` / ``always_on_dims`` (on for 1-99 % / over 99 % of examples),
    ``per_class_mean_pi`` (classes x J).

    Ground-truth factors (Smiley): disentanglement, completeness and coverage from signed
    correlations of the codes (``disentanglement`` ...), from the authors' |z| of one sample
    (``authors_*``), against the attribute groups (``*block*``), the (J, K) matrices
    ``abs_corr`` / ``authors_abs_corr``, and the same on the validation split (``val_*``).

    Linear probes (test accuracy, %): ``probe_default`` (VAE), ``probe_gated`` and
    ``probe_slab_mean`` (VSC's two codes); the same probes scored on the grid's validation split
    (``val_probe_*``: held-out training examples, what a choice of J or code is made on);
    conditional samples: ``cond_kept`` (% of draws whose
    class a probe on real codes reads as the input's), ``cond_real`` (that probe on real codes).
    ``eval_seconds``: the evaluation's wall time.
    """

    test_neg_elbo: float
    test_recon: float
    test_kl: float
    test_total: float
    train_neg_elbo: float
    active_per_example: float
    dims_used: int
    eval_seconds: float = 0.0
    test_kl_gauss: float | None = None
    test_kl_slab: float | None = None
    test_kl_spike: float | None = None
    test_sparsity: float | None = None
    test_mean_pi: float | None = None
    test_dims_pi_gt_half: float | None = None
    test_active_expected: float | None = None
    test_active_hard: float | None = None
    #: dimensions on (pi > 0.5) for at least 1 % of the test examples (evaluations since session 15)
    test_dims_used: float | None = None
    expected_active: float | None = None
    input_dependent_dims: int | None = None
    always_on_dims: int | None = None
    per_class_mean_pi: Matrix | None = None
    disentanglement: float | None = None
    completeness: float | None = None
    coverage: float | None = None
    abs_corr: Matrix | None = None
    authors_disentanglement: float | None = None
    authors_completeness: float | None = None
    authors_coverage: float | None = None
    authors_abs_corr: Matrix | None = None
    authors_block_disentanglement: float | None = None
    authors_block_coverage: float | None = None
    block_disentanglement: float | None = None
    val_disentanglement: float | None = None
    val_completeness: float | None = None
    val_coverage: float | None = None
    val_authors_disentanglement: float | None = None
    val_authors_block_disentanglement: float | None = None
    probe_default: float | None = None
    probe_gated: float | None = None
    probe_slab_mean: float | None = None
    val_probe_default: float | None = None
    val_probe_gated: float | None = None
    val_probe_slab_mean: float | None = None
    cond_kept: float | None = None
    cond_real: float | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Evaluation:
        """The record of a stored evaluation's values; an undeclared name is a ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"evaluation values {unknown} are not declared in vsc_lib.evaluation.Evaluation; add "
                             "them there (with their meaning) before computing them.")
        return cls(**{k: _frozen(v) for k, v in values.items()})

    def as_dict(self) -> dict[str, Any]:
        """The values that apply (not None), matrices as nested lists: one row of a table."""
        return {f.name: _listed(getattr(self, f.name)) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class IWEstimate:
    """Importance-weighted estimate of -log p(x) on the first ``num_images`` test images, with
    the ELBO on the same images (nats per image)."""

    iw_neg_log_likelihood: float
    neg_elbo_same_images: float
    num_images: int

    @property
    def gap(self) -> float:
        """How much the importance-weighted estimate tightens the bound (>= 0 up to noise)."""
        return self.neg_elbo_same_images - self.iw_neg_log_likelihood


def _frozen(value):
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _listed(value):
    if isinstance(value, tuple):
        return [_listed(v) for v in value]
    return value
