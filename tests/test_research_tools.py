"""The research scripts' own logic: pooling chapter 6's checks over seeds, and chapter 7's cost bound."""

from __future__ import annotations

import math

import pytest

from research.pool_chapter6_checks import pool, t95


def _check(seeds, today, grouped, family="mnist vae J=200"):
    return {"grid": {"seeds": list(seeds)}, "throughput_ratio": 1.0,
            "test_neg_elbo": {family: {"today_per_seed": today, "grouped_per_seed": grouped,
                                       "diff": sum(grouped) / len(grouped) - sum(today) / len(today)}}}


def test_pooled_differences_are_paired_per_seed_with_a_student_interval():
    checks = [_check((0, 1, 2), [100.0, 101.0, 102.0], [100.1, 101.3, 101.8]),
              _check((3, 4, 5), [99.0, 100.0, 98.0], [99.2, 100.1, 98.4])]
    row = pool(checks)["mnist vae J=200"]
    diffs = [0.1, 0.3, -0.2, 0.2, 0.1, 0.4]
    mean = sum(diffs) / 6
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 5)
    assert row["seeds"] == 6
    assert row["mean_diff"] == pytest.approx(mean)
    assert row["sd_diff"] == pytest.approx(sd)
    assert row["ci95"][1] - row["mean_diff"] == pytest.approx(2.571 * sd / math.sqrt(6))
    assert row["interval_inside_0.5"] and row["interval_contains_0"] and row["runs_within_0.5"] == 2


def test_a_shift_larger_than_the_noise_is_outside_the_criterion_and_excludes_zero():
    checks = [_check((0, 1, 2), [100.0, 101.0, 102.0], [101.0, 102.1, 102.9]),
              _check((3, 4, 5), [99.0, 100.0, 98.0], [100.1, 100.9, 99.0])]
    row = pool(checks)["mnist vae J=200"]
    assert row["mean_diff"] == pytest.approx(1.0, abs=0.01)
    assert not row["mean_within_0.5"] and not row["interval_inside_0.5"] and not row["interval_contains_0"]


def test_checks_on_the_same_seeds_are_refused_since_they_are_not_independent_runs():
    with pytest.raises(ValueError, match=r"seeds \[2\]"):
        pool([_check((0, 1, 2), [1.0] * 3, [1.0] * 3), _check((2, 3, 4), [1.0] * 3, [1.0] * 3)])


def test_t_quantiles_are_the_tables_and_conservative_between_its_rows():
    assert t95(2) == 4.303 and t95(8) == 2.306
    assert t95(13) == 2.179  # between 12 and 14: the larger quantile of df 12
    assert t95(100) == 1.96
    with pytest.raises(ValueError):
        t95(0)



def test_the_cost_bound_counts_a_beta_vae_steps_matrix_products_by_hand():
    from research.chapter7_cost_bound import step_flops
    from vsc_lib.recipes import SMILEY, recipe_config

    config = recipe_config(SMILEY, width=0.01, length=0.001, latent_dim=6, kind="vae", beta=4.0)
    h, j, d, batch = config.model.hidden_dim, 6, 1024, config.train.batch_size
    layers = [(d, h), (h, 2 * j), (j, h), (h, 2 * d)]  # encoder, mean/log-variance heads, decoder, mean/variance heads
    forward = sum(2 * batch * a * b for a, b in layers)
    # backward: every weight's gradient, and every layer's input gradient but the first's (the images need none)
    assert step_flops(config) == 3 * forward - 2 * batch * d * h
