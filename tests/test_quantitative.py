"""Chapter 6's analyses (vsc_lib.quantitative) on constructed sweeps and models: the curves and
tables, every seed's value handed to the readings, and the pixel classifier that judges
conditional samples, on a model built to keep the class and one built to lose it."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tests.test_experiments import evaluation
from vsc_lib import analysis, quantitative
from vsc_lib.config import ModelConfig
from vsc_lib.evaluation import IWEstimate
from vsc_lib.models import build_model
from vsc_lib.studies import Grid
from vsc_lib.sweep_result import SweepResult

NAMES = {"mnist": "MNIST"}
JS = (8, 32)


def _sweep(value, families=("vae", "vsc0.5", "vsc0.01"), seeds=(0, 1, 2)) -> SweepResult:
    """``value(family, J, seed)`` -> the evaluation's values of one cell."""
    grid = Grid("t", ("mnist",), families, JS, seeds, num_epochs=1)
    return SweepResult(grid, evaluations={c: evaluation(**value(*c[1:])) for c in grid.cells()})


def _bound(family, J, seed):
    gap = {"vae": 0.0, "vsc0.5": 2.0, "vsc0.01": 6.0}[family]
    return {"test_neg_elbo": 100.0 + gap + 0.5 * seed + (1.0 if J == 8 else 0.0),
            "train_neg_elbo": 99.0 + (0.0 if J == 32 else 3.0),
            "active_per_example": {"vae": float(J), "vsc0.5": J / 2, "vsc0.01": 2.0 + 0.1 * seed}[family],
            "dims_used": J}


def test_curves_and_reference_curves_are_means_and_sds_over_seeds_per_j():
    result = _sweep(_bound)
    panels = quantitative.curves(result, "test_neg_elbo", datasets=NAMES)
    J, mean, sd = panels["MNIST"]["VSC α=0.01"]
    assert J == [8, 32] and mean.tolist() == pytest.approx([107.5, 106.5]) and sd[0] == pytest.approx(0.5)
    refs = quantitative.reference_curves({("mnist", "vae"): {8: 110.0, 16: 105.0}}, ["vae"], NAMES)
    assert refs == {"MNIST": {"VAE (reproduction)": ([8, 16], [110.0, 105.0])}}


def test_bound_facts_pair_each_seed_with_the_vae_and_the_reproduction():
    facts = quantitative.bound_facts(_sweep(_bound), {("mnist", "vae"): {32: 100.0}}, NAMES)["MNIST"]
    assert list(facts["gaps"]) == ["VSC α=0.5", "VSC α=0.01"]  # decreasing alpha
    assert facts["gaps"]["VSC α=0.01"] == pytest.approx([6.0, 6.0, 6.0])  # paired by seed: the seed offset cancels
    assert facts["reproduction"] == pytest.approx([0.0, 0.5, 1.0])  # J = 32 only: the one J both have
    assert facts["vae"] == {8: pytest.approx(101.5), 32: pytest.approx(100.5)}
    assert quantitative.against_reference(_sweep(_bound), "test_neg_elbo", "vae", "mnist", {16: 1.0}) == []


def test_iw_table_reads_each_family_at_its_training_bound_best_j():
    result = _sweep(_bound)
    asked = []

    def estimate(cell):
        asked.append(cell)
        return IWEstimate(iw_neg_log_likelihood=95.0 + cell[3], neg_elbo_same_images=100.0 + 2 * cell[3], num_images=20)

    table, gaps = quantitative.iw_table(result, estimate, NAMES)
    assert {c[2] for c in asked} == {32}  # the training bound prefers J = 32
    assert table.loc[("MNIST", "VAE"), "best J"] == 32 and table.loc[("MNIST", "VAE"), "gap (nats)"] == 6.0
    assert gaps["MNIST"]["VAE"] == [5.0, 6.0, 7.0]


def test_probe_table_and_facts_carry_every_seed():
    def probes(family, J, seed):
        out = {"active_per_example": 3.0}
        if family == "vae":
            out["probe_default"] = 80.0 + J / 8 + seed
        if family == "vsc0.01":
            out |= {"probe_gated": 70.0 + seed, "probe_slab_mean": 90.0 + seed}
        return out

    result = _sweep(probes)
    reference = {("mnist", "vae"): {32: 83.0}, ("mnist", "vsc0.01"): {32: 85.0}}
    table = quantitative.probe_table(result, reference, NAMES)
    assert table.loc[("MNIST", "VAE", "reproduction"), "J=32"] == "83.0"
    assert ("MNIST", "VSC α=0.01, slab mean", "reproduction") not in table.index
    facts = quantitative.probe_facts(result, reference, NAMES)["MNIST"]
    assert facts["vae"] == ([81.0, 82.0, 83.0], [84.0, 85.0, 86.0], [1.0, 2.0, 3.0])
    assert facts["vsc"] == ([70.0, 71.0, 72.0], [90.0, 91.0, 92.0], 85.0, [3.0, 3.0, 3.0])
    assert facts["between"] == []  # no J >= 128 in this grid


def test_count_table_and_active_facts():
    result = _sweep(_bound)
    table = quantitative.count_table(result, NAMES)
    assert table.loc[("MNIST", "VSC α=0.5", "active per image"), "J=32"] == "16.0"
    means, points = quantitative.active_facts(result, NAMES)
    assert means["MNIST"]["VAE"] == {8: 8.0, 32: 32.0} and "VAE" not in points["MNIST"]
    assert sorted(points["MNIST"]["VSC α=0.01"]) == sorted((J, 2.0 + 0.1 * s) for J in JS for s in (0, 1, 2))


def test_fixed_table_facts_and_patterns():
    fams = ("vsc0.01", "vsc0.01+min0")
    grid = Grid("f", ("mnist",), fams, (200,), (0, 1), num_epochs=1)
    result = SweepResult(grid, evaluations={
        c: evaluation(active_per_example=1.0 + c[3], cond_kept=20.0, per_class_mean_pi=[[0.1, 0.9]])
        for c in grid.cells()})
    table = quantitative.fixed_table(result, 200, NAMES)
    assert list(table.index) == [("MNIST", "VSC α=0.01"), ("MNIST", "VSC α=0.01 (min(v, 0) spike)")]
    assert table.loc[("MNIST", "VSC α=0.01"), "on/img"] == "1.5\u00a0±\u00a00.7"
    assert quantitative.fixed_facts(result, 200, NAMES)["MNIST"]["vsc0.01+min0"] == {"active": [1.0, 2.0],
                                                                                       "kept": [20.0, 20.0]}
    patterns = quantitative.class_patterns(result, "mnist", 200, 0)
    assert all(isinstance(p, np.ndarray) and p.shape == (1, 2) for p in patterns.values())


def _classes(n: int, seed: int = 0):
    """Images of 8 x 8 pixels whose class (0-9) is the position of a bright 2 x 2 square."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = 0.1 * torch.rand(n, 1, 8, 8, generator=g)
    for i, k in enumerate(y.tolist()):
        r, c = 2 * (k // 4), 2 * (k % 4)
        x[i, 0, r:r + 2, c:c + 2] = 1.0
    return SimpleNamespace(x=x, y=y)


def test_the_pixel_classifier_keeps_the_class_of_a_model_built_to_and_not_of_one_built_not_to(monkeypatch):
    train, test = _classes(600), _classes(100, seed=1)
    classifier = quantitative.pixel_classifier(train, num_labels=600)

    def faithful(model, x, draws, generator):  # every draw is the input, slightly perturbed
        noise = 0.05 * torch.rand((x.shape[0], draws, *x.shape[1:]), generator=generator)
        return None, x[:, None] + noise

    def noise(model, x, draws, generator):  # draws of pure noise, whatever the input
        return None, torch.rand((x.shape[0], draws, *x.shape[1:]), generator=generator)

    monkeypatch.setattr(analysis, "conditional_samples", faithful)
    good = quantitative.conditional_kept(None, classifier, test.x, test.y, draws=4)
    assert good["total"] == 400 and good["kept"] >= 390 and good["real"] >= 97.0
    monkeypatch.setattr(analysis, "conditional_samples", noise)
    bad = quantitative.conditional_kept(None, classifier, test.x, test.y, draws=4)
    assert bad["kept"] < 0.3 * bad["total"] and bad["real"] == good["real"]  # the classifier is the model's judge, not its student


def test_prior_usage_counts_are_consistent():
    model = build_model(ModelConfig(kind="vsc", latent_dim=12, hidden_dim=16, alpha=0.2), (1, 8, 8))
    model.eval()
    usage = quantitative.prior_usage(model, _classes(50).x, draws=2000)
    assert 0 <= usage["used"] <= 12 and math.isclose(usage["prior_on"], 0.2 * 12, rel_tol=0.15)
    assert usage["empty"] <= usage["only_used"] <= 100 and 0 <= usage["any_used"] <= 100
