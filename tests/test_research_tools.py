"""The research scripts' own logic: pooling chapter 6's checks over seeds, and naming a cell to
train in the background."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from research.pool_chapter6_checks import pool, t95
from research.train_cell import checkpoint_run, merge_checkpoint_entry, parse_cell


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


def test_a_background_cell_is_family_J_seed():
    assert parse_cell("authors:60:0") == ("authors", 60, 0)
    for bad in ("authors:60", "authors:J:0", "60:0"):
        with pytest.raises(argparse.ArgumentTypeError, match="family:J:seed"):
            parse_cell(bad)


def test_the_cost_bound_counts_a_beta_vae_steps_matrix_products_by_hand():
    from research.chapter7_cost_bound import step_flops
    from vsc_lib.recipes import SMILEY, recipe_config

    config = recipe_config(SMILEY, width=0.01, length=0.001, latent_dim=6, kind="vae", beta=4.0)
    h, j, d, batch = config.model.hidden_dim, 6, 1024, config.train.batch_size
    layers = [(d, h), (h, 2 * j), (j, h), (h, 2 * d)]  # encoder, mean/log-variance heads, decoder, mean/variance heads
    forward = sum(2 * batch * a * b for a, b in layers)
    # backward: every weight's gradient, and every layer's input gradient but the first's (the images need none)
    assert step_flops(config) == 3 * forward - 2 * batch * d * h


def _tiny_block_config(num_epochs=3):
    from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    return RunConfig(
        DataConfig("mnist", num_train=64, num_test=16),
        ModelConfig(kind="vsc", prior="learned", latent_dim=4, hidden_dim=16, num_pseudo_inputs=3, spike_form="min0",
                    pseudo_sharpness=10.0, likelihood="normalised_gaussian", init="xavier", c_start=100.0,
                    c_end=100.0, warmup_iterations=6, warmup_ramp_iterations=2),
        TrainConfig(num_epochs=num_epochs, batch_size=32, epoch_iterations=4, batch_order="sequential", seed=2),
    )


def test_a_checkpoint_is_evaluated_as_its_model_never_under_the_runs_cache_entry(tmp_path):
    import dataclasses

    import torch

    from tests.conftest import synthetic_split
    from vsc_lib.config import run_name
    from vsc_lib.training import train

    config = _tiny_block_config(num_epochs=3)
    assert checkpoint_run(config, root=tmp_path) is None  # nothing trained yet
    data = synthetic_split(64, 0, "train"), synthetic_split(16, 1, "test")
    short = dataclasses.replace(config, train=dataclasses.replace(config.train, num_epochs=2))
    partial = tmp_path / f"{run_name(config)}.partial"
    trained = train(short, data=data, progress=False, checkpoint_dir=partial)
    state = torch.load(partial / "checkpoint.pt", weights_only=True)
    state["config"] = config.to_json()  # as if the three-block run had been stopped after two blocks
    torch.save(state, partial / "checkpoint.pt")
    run = checkpoint_run(config, root=tmp_path, scratch=tmp_path / "scratch")
    assert run.meta["iterations"] == 8 and run.meta["checkpoint_epoch"] == 1 and len(run.history) == 2
    assert not run.model.training and run.model.kl_anneal == 1.0
    for key, value in trained.model.state_dict().items():
        assert torch.equal(value, run.model.state_dict()[key]), key
    assert run.path.parent == tmp_path / "scratch"  # evaluations go beside it, not into the cache
    other = dataclasses.replace(config, train=dataclasses.replace(config.train, seed=3))
    (tmp_path / f"{run_name(other)}.partial").mkdir()
    torch.save(state, tmp_path / f"{run_name(other)}.partial" / "checkpoint.pt")
    with pytest.raises(ValueError, match="another configuration"):
        checkpoint_run(other, root=tmp_path)


def test_checkpoint_entries_are_kept_in_order_and_replaced_by_iterations(tmp_path):
    path = tmp_path / "progress.json"
    merge_checkpoint_entry(path, {"iterations": 40, "d": 0.4})
    merge_checkpoint_entry(path, {"iterations": 20, "d": 0.2})
    entries = merge_checkpoint_entry(path, {"iterations": 40, "d": 0.5})
    assert entries == [{"iterations": 20, "d": 0.2}, {"iterations": 40, "d": 0.5}]
    assert json.loads(path.read_text()) == entries
