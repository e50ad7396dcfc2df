"""What every run of a study's grid is measured on, computed once from its trained model and
cached next to the run (:func:`vsc_lib.cache.cached_evaluation`): the basic evaluation every
chapter reads, the importance-weighted likelihood, and the field's standard disentanglement
scores.

Evaluations are stored as ``<cache>/_evals/<run name>/<what>-<settings digest>.json`` together
with the model's checksum, the settings they were computed with and the cache version; a
retrained model or other settings recompute them, and a run evaluated with two settings keeps both.
"""

from __future__ import annotations

import numpy as np
import torch

from . import analysis, datasets, disentanglement, metrics
from .cache import TrainedRun, cached_evaluation
from .data import load_dataset
from .evaluation import IWEstimate
from .studies.grid import Grid, validation_split
from .training import load_run_data


def standard_scores(run: TrainedRun, grid: Grid) -> dict:
    """MIG, SAP and DCI (:mod:`vsc_lib.disentanglement`) of the run's deterministic code on the
    test examples against their ground-truth sources (Smiley), cached as evaluation ``scores``."""

    def compute() -> dict:
        _, test = load_run_data(run.config)
        if test.factors is None:
            raise ValueError(f"{run.config.data.dataset} has no ground-truth sources to score a code against.")
        codes = metrics.latent_codes(run.model, test.x).numpy()
        return disentanglement.scores(codes, np.asarray(test.factors))

    return cached_evaluation(run, "scores", {"code": "default", "num_test": grid.num_test, "mig_bins": 20,
                                             "dci": "lasso-0.01"}, compute)


def basic_evaluation(run: TrainedRun, grid: Grid, family: str) -> dict:
    """Test bound, training-set bound (for model selection), sparsity and, for the grid's probe
    families, the linear-probe accuracies. On data with ground-truth sources (Smiley): the
    correlation disentanglement and completeness on the test and validation examples and the
    test (J, K) |correlation| matrix. Values are plain floats (lists for matrices)."""
    probe = family in grid.probe_families

    def compute() -> dict:
        train, test = load_run_data(run.config)
        model = run.model
        torch.manual_seed(0)
        out = {f"test_{k}": v for k, v in metrics.evaluate(model, test.x, num_samples=grid.elbo_samples).items()}
        torch.manual_seed(0)
        selection = train.x[: min(10_000, len(train))]
        out["train_neg_elbo"] = metrics.evaluate(model, selection, num_samples=1)["neg_elbo"]
        encoded = metrics.encode_dataset(model, test.x)
        if model.has_spikes:
            stats = metrics.spike_statistics(encoded.spike_prob, test.y, len(test.classes))
            out.update(active_per_example=stats.mean_active, dims_used=stats.dims_ever_used,
                       expected_active=float(stats.expected_per_example.mean()))
            if grid.class_profiles or test.factors is not None:
                out["per_class_mean_pi"] = stats.per_class_mean_pi.tolist()
                share = (encoded.spike_prob > 0.5).float().mean(0)  # per dimension: share of examples where it is on
                out["input_dependent_dims"] = int(((share >= 0.01) & (share <= 0.99)).sum())
                out["always_on_dims"] = int((share > 0.99).sum())
        else:
            units = analysis.active_units(encoded.mu)  # a VAE's codes have no exact zeros: the same for every image
            out.update(active_per_example=float(units), dims_used=units)
        if test.factors is not None:
            codes = metrics.latent_codes(model, test.x)
            score = metrics.correlation_disentanglement(codes, test.factors)
            out.update(disentanglement=score.disentanglement, completeness=score.completeness, coverage=score.coverage,
                       abs_corr=metrics.abs_correlation(codes, test.factors).round(decimals=4).tolist())
            # the authors' measure: |z| of one stochastic sample against |S * V|
            sampled = metrics.sampled_codes(model, test.x, seed=0)
            score = metrics.correlation_disentanglement(sampled, test.factors, magnitudes=True)
            out.update(authors_disentanglement=score.disentanglement, authors_completeness=score.completeness,
                       authors_coverage=score.coverage,
                       authors_abs_corr=metrics.magnitude_correlation(sampled, test.factors).round(decimals=4).tolist())
            # blocks: latents against the attribute groups (the largest |correlation| within a group)
            groups = datasets.get(run.config.data.dataset).factor_groups or None
            block = metrics.correlation_disentanglement(sampled, test.factors, magnitudes=True, groups=groups)
            signed = metrics.correlation_disentanglement(codes, test.factors, groups=groups)
            out.update(authors_block_disentanglement=block.disentanglement, authors_block_coverage=block.coverage,
                       block_disentanglement=signed.disentanglement)
            held_out = validation_split(grid, run.config.data.dataset)
            if held_out is not None:
                score = metrics.correlation_disentanglement(metrics.latent_codes(model, held_out[0]), held_out[1])
                out.update(val_disentanglement=score.disentanglement, val_completeness=score.completeness,
                           val_coverage=score.coverage)
                held_sample = metrics.sampled_codes(model, held_out[0], seed=0)
                score = metrics.correlation_disentanglement(held_sample, held_out[1], magnitudes=True)
                out["val_authors_disentanglement"] = score.disentanglement
                score = metrics.correlation_disentanglement(held_sample, held_out[1], magnitudes=True,
                                                            groups=groups)
                out["val_authors_block_disentanglement"] = score.disentanglement
        if grid.conditional and model.has_spikes:
            out.update(conditional_class_kept(model, train, test, grid.probe_labels))
        if probe:
            kinds = ("gated", "slab_mean") if model.has_spikes else ("default",)
            labels = min(grid.probe_labels, len(train))
            held = labelled_validation(grid, run.config.data.dataset) if test.factors is None else None
            for kind in kinds:
                result = metrics.linear_probe(metrics.latent_codes(model, train.x, kind), train.y,
                                              metrics.latent_codes(model, test.x, kind), test.y, num_labels=labels, seed=0)
                out[f"probe_{kind}"] = 100 * result.accuracy
                if held is not None:  # the same fitted probe on the held-out examples: what choices read
                    predicted = result.predict(metrics.latent_codes(model, held[0], kind))
                    out[f"val_probe_{kind}"] = 100 * float((predicted == held[1]).double().mean())
        return out

    return cached_evaluation(run, "basic", basic_settings(grid, family), compute)


def labelled_validation(grid: Grid, dataset: str):
    """``(x, labels)`` of the grid's validation examples (the ``grid.num_validation`` training
    examples after the first ``grid.num_train``), or None when it holds none out."""
    if not grid.num_validation:
        return None
    full = load_dataset(dataset, "train", subset=grid.num_train + grid.num_validation)
    return full.x[grid.num_train:], full.y[grid.num_train:]


def conditional_class_kept(model, train, test, probe_labels: int, num_inputs: int = 500, draws: int = 4) -> dict:
    """How often conditional samples keep the input's class: a linear probe fitted on the gated
    codes of the training images classifies the gated codes of ``draws`` conditional samples of
    each of the first ``num_inputs`` test images (``cond_kept``, %), beside the same probe's
    accuracy on the real test images (``cond_real``, %)."""
    generator = torch.Generator().manual_seed(0)
    inputs, labels = test.x[:num_inputs], test.y[:num_inputs]
    _, samples = analysis.conditional_samples(model, inputs, draws, generator)
    probe = metrics.linear_probe(metrics.latent_codes(model, train.x, "gated"), train.y, metrics.latent_codes(model, inputs),
                                 labels, num_labels=min(probe_labels, len(train)), seed=0)
    predicted = probe.predict(metrics.latent_codes(model, samples.flatten(0, 1)))
    kept = 100 * float((predicted == labels.repeat_interleave(draws)).double().mean())
    return {"cond_kept": kept, "cond_real": 100 * probe.accuracy}


def basic_settings(grid: Grid, family: str) -> dict:
    """What a stored basic evaluation must have been computed with to be reused (a change to
    what an evaluation computes bumps :data:`vsc_lib.config.CACHE_VERSION` instead)."""
    return {"elbo_samples": grid.elbo_samples, "probe_labels": grid.probe_labels, "probe": family in grid.probe_families,
            "validation": [grid.num_train, grid.num_validation] if grid.num_validation else None,
            "class_profiles": bool(grid.class_profiles),
            "factor_scores": any(datasets.get(d).has_factors for d in grid.datasets),
            "conditional": bool(grid.conditional)}


def iw_evaluation(run: TrainedRun, grid: Grid) -> IWEstimate:
    """Importance-weighted log-likelihood (K = grid.iw_samples) and the ELBO on the same first
    ``grid.iw_images`` test images."""

    def compute() -> dict:
        test = load_dataset(run.config.data.dataset, "test", subset=run.config.data.num_test)
        x = test.x[: grid.iw_images]
        torch.manual_seed(0)
        iw = metrics.importance_weighted_log_likelihood(run.model, x, num_samples=grid.iw_samples)
        torch.manual_seed(0)
        elbo = metrics.evaluate(run.model, x, num_samples=grid.elbo_samples)["neg_elbo"]
        return {"iw_neg_log_likelihood": float(-iw.mean()), "neg_elbo_same_images": elbo, "num_images": len(x)}

    values = cached_evaluation(run, "iw", {"samples": grid.iw_samples, "images": grid.iw_images}, compute)
    return IWEstimate(values["iw_neg_log_likelihood"], values["neg_elbo_same_images"], int(values["num_images"]))
