"""The sweep behind the quantitative chapter: grids, families, cached evaluations, summaries."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from vsc_lib import config, data, families, grid_evaluation, recipes, stored_runs, studies, sweep
from vsc_lib.cache import evaluation_path
from vsc_lib.config import CACHE_VERSION, DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.evaluation import Evaluation
from vsc_lib.families import family_alpha
from vsc_lib.readings import NBSP as NB
from vsc_lib.reference import REPRODUCTION_ACCURACY, REPRODUCTION_NEG_ELBO
from vsc_lib.studies import STUDIES, Grid, authors, get_grid
from vsc_lib.sweep import run_grid
from vsc_lib.sweep_result import SweepResult


def test_families_parse_and_reject_what_they_do_not_know():
    assert family_alpha("vae") is None
    assert family_alpha("vsc0.01") == 0.01
    assert family_alpha("beta4") is None and families.parse_family("beta4").beta == 4.0
    assert families.parse_family("lvsc0.2") == families.Family("vsc", alpha=0.2, prior="learned", selector="softmax")
    assert families.parse_family("lvsc0.01-sigmoid").selector == "sigmoid"
    assert [families.family_label(f) for f in ("vae", "beta2", "vsc0.5", "lvsc0.2", "lvsc0.2-sharpened")] == [
        "VAE", "β-VAE β=2", "VSC α=0.5", "VSC learned prior α=0.2", "VSC learned prior α=0.2 (sharpened)"]
    for bad in ("ae", "vsc", "vsc1.5", "vsc0", "vscx", "VSC0.1", "beta", "beta0", "beta-1", "lvsc0.2-max",
                "vsc0.2-sigmoid", "lvsc", None):
        with pytest.raises(ValueError, match="unknown model family"):
            family_alpha(bad)
    with pytest.raises(ValueError, match="unknown model family"):
        Grid("bad", ("mnist",), ("vae", "beta"), (8,), (0,), num_epochs=1)


def test_grid_spans_every_combination_with_one_recipe():
    grid = STUDIES["latent"]["paper"]
    configs = grid.configs()
    assert len(configs) == grid.size == 2 * 4 * 6 * 3
    assert len({c.to_json() for c in configs.values()}) == grid.size  # all distinct runs
    vsc = configs[("fashion_mnist", "vsc0.2", 64, 1)]
    assert (vsc.model.kind, vsc.model.alpha, vsc.model.latent_dim, vsc.train.seed) == ("vsc", 0.2, 64, 1)
    assert vsc.model.spike_estimator == "straight_through"
    assert vsc.model.kl_warmup_epochs == pytest.approx(0.1 * grid.num_epochs)
    assert configs[("mnist", "vae", 8, 0)].model.kind == "vae"


def test_family_models_of_the_later_chapters():
    beta = studies.family_model("beta4", 40, 8, dataset="smiley")
    assert (beta.kind, beta.beta, beta.likelihood) == ("vae", 4.0, "bernoulli")
    learned = studies.family_model("lvsc0.2-sigmoid", 40, 10, dataset="smiley", num_pseudo_inputs=10)
    assert (learned.prior, learned.selector, learned.num_pseudo_inputs, learned.alpha) == ("learned", "sigmoid", 10, 0.2)
    assert (learned.warmup_epochs, learned.warmup_ramp_epochs) == pytest.approx((2.0, 1.0))
    assert learned.spike_estimator == "relaxed"
    har = studies.family_model("vsc0.2", 16, 20, dataset="har")
    assert (har.likelihood, har.spike_estimator, har.kl_warmup_epochs) == ("gaussian", "straight_through", 2.0)
    assert studies.family_model("vae", 16, 20, dataset="har").likelihood == "gaussian"
    RunConfig(DataConfig("har"), har, TrainConfig())  # a valid run: the likelihood suits the data


def test_every_study_has_the_three_profiles_and_valid_runs():
    for study, grids in studies.STUDIES.items():
        assert set(grids) == {"quick", "book", "paper"}, study
        for grid in grids.values():
            assert len({c.to_json() for c in grid.configs().values()}) == grid.size
        # what a build trains grows with the profile (chapter 7's book grid holds every beta, of which a
        # build trains each on one seed and the chosen one on the others: vsc_lib.studies.authors.cells_for)
        trained = {name: len(authors.cells_for(g, dict.fromkeys(g.latent_dims, g.families[1])))
                   if (study, name) == ("authors", "book") else g.size for name, g in grids.items()}
        assert trained["quick"] <= trained["book"] <= trained["paper"], study
        quick = grids["quick"]
        if quick.recipe:  # a recipe grid counts iterations
            train = quick.config(quick.cells()[0]).train
            assert train.num_epochs * train.epoch_iterations <= 200
        else:
            assert quick.num_epochs == 1
    smiley = STUDIES["authors"]["book"]
    assert smiley.latent_dims == (18, 40, 60) and smiley.num_train + smiley.num_validation <= 60_000
    assert min(len(g.seeds) for g in studies.STUDIES["har"].values()) >= 3
    assert get_grid("quick", study="har").name == "har-quick"
    with pytest.raises(ValueError, match="unknown study"):
        get_grid(study="celeba")
    with pytest.raises(ValueError, match="validation split needs num_train"):
        Grid("bad", ("smiley",), ("beta1",), (8,), (0,), num_epochs=1, num_validation=10)


def test_evaluation_settings_name_everything_an_evaluation_depends_on():
    """A stored evaluation is reused only with identical settings, so they must differ whenever
    what the evaluation computes differs."""
    import dataclasses

    for grid in STUDIES["latent"].values():
        for family in grid.families:
            settings = grid_evaluation.basic_settings(grid, family)
            assert settings["probe"] == (family in ("vae", "vsc0.01"))
            assert settings["validation"] is None and settings["factor_scores"] is False
    smiley = grid_evaluation.basic_settings(STUDIES["authors"]["book"], "authors-beta1")
    assert smiley["validation"] and smiley["factor_scores"] is True
    grid = STUDIES["latent"]["quick"]
    for change in ({"elbo_samples": grid.elbo_samples + 1}, {"probe_labels": grid.probe_labels + 1},
                   {"conditional": not grid.conditional}):
        assert grid_evaluation.basic_settings(dataclasses.replace(grid, **change), "vae") != \
            grid_evaluation.basic_settings(grid, "vae")


def test_paper_grid_shares_the_vsc_chapter_run():
    """The 30-epoch J=200, alpha=0.01 seed-0 MNIST cell is the VSC chapter's straight-through
    run, so a build trains it once."""
    model = ModelConfig(kind="vsc", latent_dim=200, alpha=0.01, spike_estimator="straight_through", kl_warmup_epochs=3.0)
    chapter = RunConfig(DataConfig("mnist"), model, TrainConfig(num_epochs=30, batch_size=128, lr=1e-3, seed=0))
    assert STUDIES["latent"]["paper"].config(("mnist", "vsc0.01", 200, 0)) == chapter


def test_get_grid_follows_the_one_profile_setting(monkeypatch):
    monkeypatch.delenv("VSC_PROFILE", raising=False)
    assert get_grid().name == "book"  # the default profile
    assert get_grid("quick").name == "quick" and get_grid("paper").name == "paper"
    monkeypatch.setenv("VSC_PROFILE", "paper")
    assert get_grid().name == "paper" and get_grid(study="har").name == "har-paper"
    assert get_grid("quick").name == "quick"  # an explicit profile wins over the environment
    with pytest.raises(ValueError, match="unknown book profile 'huge'.*VSC_PROFILE"):
        get_grid("huge")


def test_reference_tables_only_use_latent_sizes_the_paper_grid_trains():
    grid = STUDIES["latent"]["paper"]
    for table in (REPRODUCTION_NEG_ELBO, REPRODUCTION_ACCURACY):
        for (dataset, family), row in table.items():
            assert dataset in grid.datasets and family in grid.families
            assert set(row) == set(grid.latent_dims)


def _result(rows: dict) -> SweepResult:
    grid = Grid("t", ("mnist",), ("vae", "vsc0.5"), (8, 32), (0, 1), num_epochs=1)
    return SweepResult(grid, evaluations={cell: evaluation(**values) for cell, values in rows.items()})


def test_summaries_are_mean_and_sample_sd_over_seeds_and_selection_ignores_the_test_set():
    rows = {}
    for family, base in (("vae", 100.0), ("vsc0.5", 110.0)):
        for j in (8, 32):
            for seed in (0, 1):
                # the test bound prefers J=8 and the training bound J=32: selection must follow training
                rows[("mnist", family, j, seed)] = {"test_neg_elbo": base + (0 if j == 8 else 5) + 2 * seed,
                                                    "train_neg_elbo": base + (5 if j == 8 else 0) + seed}
    result = _result(rows)
    table = result.table("test_neg_elbo")
    assert table.loc[("mnist", "vae", 32), "mean"] == pytest.approx(106.0)
    assert table.loc[("mnist", "vae", 32), "sd"] == pytest.approx(math.sqrt(2.0))
    assert table.loc[("mnist", "vsc0.5", 8), "n"] == 2
    assert result.best_latent_dims() == {("mnist", "vae"): 32, ("mnist", "vsc0.5"): 32}
    with pytest.raises(KeyError, match="no evaluated value 'probe_gated'"):
        result.table("probe_gated")


@pytest.mark.slow
def test_run_grid_trains_evaluates_caches_and_recovers_from_a_damaged_evaluation(tmp_path, capsys):
    grid = Grid("tiny", ("mnist",), ("vae", "vsc0.01"), (4,), (0, 1), num_epochs=1, hidden_dim=16, num_train=300,
                num_test=100, probe_labels=300, elbo_samples=1, iw_samples=4, iw_images=20)
    first = run_grid(grid, workers=2, cache=tmp_path, progress=False)
    assert first.trained == 4 and set(first.evaluations) == set(grid.cells())
    vsc = first.evaluations[("mnist", "vsc0.01", 4, 0)]
    assert 0 <= vsc.active_per_example <= 4 and 0 <= vsc.probe_gated <= 100 and vsc.probe_slab_mean is not None
    assert vsc.probe_default is None and first.evaluations[("mnist", "vae", 4, 1)].probe_default is not None
    again = run_grid(grid, workers=1, cache=tmp_path, progress=False)
    assert again.trained == 0 and again.evaluations == first.evaluations  # everything read back
    stored = next((tmp_path / "_evals").glob("mnist-vae-*/basic-*.json"))
    stored.write_text("{ not json")
    third = run_grid(grid, workers=1, cache=tmp_path, progress=False)
    assert third.trained == 0 and json.loads(stored.read_text())["cache_version"] == CACHE_VERSION
    cell = next(c for c in grid.cells() if config.run_name(grid.config(c)) == stored.parent.name)
    assert third.evaluations[cell].test_neg_elbo == pytest.approx(first.evaluations[cell].test_neg_elbo)
    iw = grid_evaluation.iw_evaluation(stored_runs.load_cell(grid, ("mnist", "vsc0.01", 4, 0), cache=tmp_path), grid)
    assert iw.num_images == 20 and iw.gap >= -1.0


@pytest.mark.slow
def test_a_run_shared_by_two_grids_keeps_both_evaluations_instead_of_recomputing_them(tmp_path, monkeypatch):
    # chapter 6's latent grid and its fixed-prior grid evaluate the same J = 200 VSC runs with
    # different settings; each grid used to overwrite the other's stored evaluation, so every
    # warm build recomputed both (about 85 s of chapter 6)
    plain = Grid("tiny-a", ("mnist",), ("vsc0.01",), (4,), (0,), num_epochs=1, hidden_dim=16, num_train=300,
                 num_test=100, probe_families=(), elbo_samples=1)
    profiled = dataclasses.replace(plain, name="tiny-b", class_profiles=True)
    cell = ("mnist", "vsc0.01", 4, 0)
    assert plain.config(cell) == profiled.config(cell)  # one run
    first = run_grid(plain, workers=1, cache=tmp_path, progress=False)
    other = run_grid(profiled, workers=1, cache=tmp_path, progress=False)
    assert first.trained == 1 and other.trained == 0
    assert other.evaluations[cell].per_class_mean_pi is not None and first.evaluations[cell].per_class_mean_pi is None
    assert len(list((tmp_path / "_evals").glob("mnist-vsc-*/basic-*.json"))) == 2
    assert sweep.cell_done(plain, cell, tmp_path) and sweep.cell_done(profiled, cell, tmp_path)

    def no_recomputing(*args, **kwargs):
        raise AssertionError("a stored evaluation was computed again")

    monkeypatch.setattr(grid_evaluation.metrics, "evaluate", no_recomputing)
    assert run_grid(plain, workers=1, cache=tmp_path, progress=False).evaluations == first.evaluations
    assert run_grid(profiled, workers=1, cache=tmp_path, progress=False).evaluations == other.evaluations

    # a cache written before the settings were in the file name (<what>.json) is read, not recomputed
    stored = evaluation_path(tmp_path, plain.config(cell), "basic", grid_evaluation.basic_settings(plain, cell[1]))
    stored.rename(stored.with_name("basic.json"))
    assert sweep.cell_done(plain, cell, tmp_path)
    assert run_grid(plain, workers=1, cache=tmp_path, progress=False).evaluations == first.evaluations
    assert stored.is_file()  # and written under the new name
    # ... but only for the settings it was computed with
    stored.unlink()
    other_file = next(p for p in stored.parent.glob("basic-*.json"))
    other_file.rename(stored.with_name("basic.json"))
    assert not sweep.cell_done(plain, cell, tmp_path)


def test_smiley_and_har_grids_evaluate_scores_validation_and_profiles(tmp_path):
    smiley_grid = Grid("tiny-smiley", ("smiley",), ("beta4", "lvsc0.2"), (6,), (0,), num_epochs=1, hidden_dim=16,
                       num_train=300, num_validation=200, num_test=200, elbo_samples=1, probe_families=(),
                       num_pseudo_inputs=3)
    result = run_grid(smiley_grid, workers=1, cache=tmp_path, progress=False)
    for family in smiley_grid.families:
        values = result.evaluations[("smiley", family, 6, 0)]
        for key in ("disentanglement", "completeness", "coverage", "val_disentanglement", "val_coverage"):
            assert 0.0 <= getattr(values, key) <= 1.0, key
        assert len(values.abs_corr) == 6 and len(values.abs_corr[0]) == 18
    vsc = result.evaluations[("smiley", "lvsc0.2", 6, 0)]
    assert vsc.input_dependent_dims + vsc.always_on_dims <= vsc.dims_used <= 6
    # the validation images are the training file's examples right after the training ones
    x_val, factors_val = studies.validation_split(smiley_grid, "smiley")
    full = data.load_dataset("smiley", "train", subset=500)
    assert torch.equal(x_val, full.x[300:]) and torch.equal(factors_val, full.factors[300:])

    har_grid = Grid("tiny-har", ("har",), ("vae", "vsc0.2"), (4,), (0,), num_epochs=1, hidden_dim=16, num_train=300,
                    num_test=100, elbo_samples=1, probe_families=("vae", "vsc0.2"), class_profiles=True, probe_labels=300)
    result = run_grid(har_grid, workers=1, cache=tmp_path, progress=False)
    vsc, vae = result.evaluations[("har", "vsc0.2", 4, 0)], result.evaluations[("har", "vae", 4, 0)]
    assert np.asarray(vsc.per_class_mean_pi).shape == (6, 4)
    assert vsc.probe_gated is not None and vsc.probe_slab_mean is not None and vae.probe_default is not None
    assert vae.per_class_mean_pi is None  # a VAE has no spikes


def test_authors_families_parse_label_and_reject_what_they_do_not_know():
    f = families.parse_family("authors~nu~alpha")
    assert (f.kind, f.prior, f.recipe, f.ingredients) == ("vsc", "learned", True, ("nu", "alpha"))
    assert families.parse_family("authors-beta4") == families.Family("vae", beta=4.0, recipe=True)
    assert families.family_label("authors~width") == "VSC, authors' recipe, 400 hidden units"
    assert families.family_label("authors-beta16") == "β-VAE β=16 (authors' body)"
    fixed = families.parse_family("vsc0.01+min0+hold")
    assert (fixed.alpha, fixed.spike_form, fixed.hold) == (0.01, "min0", True)
    assert families.family_label("vsc0.01+hold") == "VSC α=0.01 (long spike-only phase)"
    for bad in ("authors~optimiser", "authors-beta0", "authors-vae", "vsc0.01+min0+min0", "lvsc0.2+min0", "vsc0.01+relu"):
        with pytest.raises(ValueError, match="unknown model family"):
            families.parse_family(bad)
    with pytest.raises(ValueError, match="needs recipe="):
        Grid("bad", ("smiley",), ("authors",), (40,), (0,), num_epochs=1)


def test_authors_grids_follow_the_recipe_and_share_the_j40_run_with_the_ablation():
    for profile in ("quick", "book", "paper"):
        authors, ablation = studies.STUDIES["authors"][profile], studies.STUDIES["ablation"][profile]
        run = authors.config(("smiley", "authors", 40, 0))
        assert run == ablation.config(("smiley", "authors", 40, 0))
        assert (run.model.spike_form, run.model.likelihood, run.model.pseudo_sharpness) == ("min0", "normalised_gaussian", 10.0)
        vae = authors.config(("smiley", "authors-beta4", 40, 0))
        assert (vae.model.kind, vae.model.beta, vae.model.hidden_dim, vae.model.likelihood) == (
            "vae", 4.0, run.model.hidden_dim, "normalised_gaussian")
        assert vae.train == run.train  # same batches, optimiser and length
    paper = studies.STUDIES["authors"]["paper"].config(("smiley", "authors", 60, 0))
    assert paper.model.hidden_dim == 3000 and paper.train.num_epochs * paper.train.epoch_iterations == 200_000
    assert set(studies.STUDIES["ablation"]["paper"].families) == {"authors", *(f"authors~{i}" for i in recipes.EARLIER)}
    assert set(studies.STUDIES["ablation"]["paper"].families) - set(studies.STUDIES["ablation"]["book"].families) == {
        "authors~width"}  # the book's recipe has the earlier width already


def test_fixed_prior_grid_compares_spike_forms_and_spike_only_phases():
    grid = studies.STUDIES["fixed"]["book"]
    hold = grid.config(("mnist", "vsc0.01+min0+hold", 200, 0)).model
    assert (hold.spike_form, hold.warmup_epochs, hold.warmup_ramp_epochs) == ("min0", pytest.approx(1.5), pytest.approx(0.1))
    plain = grid.config(("mnist", "vsc0.01", 200, 0))
    assert plain == studies.STUDIES["latent"]["book"].config(("mnist", "vsc0.01", 200, 0))  # shared with chapter 6


def evaluation(**values):
    """An evaluation record with the required values at 0 and ``values``."""
    core = {"test_neg_elbo": 0.0, "test_recon": 0.0, "test_kl": 0.0, "test_total": 0.0, "train_neg_elbo": 0.0,
            "active_per_example": 0.0, "dims_used": 0}
    return Evaluation.from_values(core | values)


def test_evaluations_are_typed_records_that_refuse_undeclared_values():
    record = evaluation(abs_corr=[[0.5, 0.1]], probe_gated=90.0)
    assert record.abs_corr == ((0.5, 0.1),) and record.as_dict()["abs_corr"] == [[0.5, 0.1]]
    assert "probe_default" not in record.as_dict() and record.probe_default is None
    with pytest.raises(ValueError, match=r"\['accuracy'\] are not declared in vsc_lib.evaluation.Evaluation"):
        evaluation(accuracy=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.probe_gated = 0.0


def test_per_latent_choose_by_validation_and_cached_cells(tmp_path):
    grid = Grid("t", ("smiley",), ("beta1", "beta4"), (18, 40), (0, 1), num_epochs=1)
    result = SweepResult(grid)
    for (_, family, J, seed) in grid.cells():
        good = (family == "beta4") == (J == 40)
        result.evaluations[("smiley", family, J, seed)] = evaluation(val_disentanglement=(0.6 if good else 0.2) + 0.1 * seed,
                                                                     disentanglement=0.0)
    assert result.series("val_disentanglement", "beta4")[40] == (pytest.approx(0.65), pytest.approx(0.0707, abs=1e-4))
    assert result.seeds("val_disentanglement", "beta4", 40) == pytest.approx([0.6, 0.7])  # seed order
    assert result.seeds("val_disentanglement", "beta4", 60) == []  # a J the grid lacks: no seeds
    assert result.choose_by_validation(("beta1", "beta4"), "val_disentanglement") == {18: "beta1", 40: "beta4"}
    assert result.table("disentanglement").loc[("smiley", "beta1", 18), "n"] == 2
    assert stored_runs.cached_cells(grid, tmp_path) == []
    (tmp_path / config.run_name(grid.config(("smiley", "beta4", 40, 1)))).mkdir()
    assert stored_runs.cached_cells(grid, tmp_path) == [("smiley", "beta4", 40, 1)]


def test_mean_sd_reads_mean_and_sample_sd_and_marks_missing_columns():
    grid = Grid("t", ("smiley",), ("beta1", "authors-beta4"), (40,), (0, 1), num_epochs=1, recipe="smiley")
    result = SweepResult(grid)
    for (_, family, J, seed) in grid.cells():
        result.evaluations[("smiley", family, J, seed)] = evaluation(
            coverage=1.0 + seed, **({"cond_kept": 2.0} if family == "beta1" else {}))
    table = result.mean_sd({"a": ("beta1", 40), "b": ("authors-beta4", 40)},
                           {"x": ("coverage", 2), "y": ("cond_kept", 1)})
    assert table.loc["a", "x"] == f"1.50{NB}±{NB}0.71" and table.loc["b", "y"] == "–"
    single = SweepResult(grid)
    single.evaluations[("smiley", "beta1", 40, 0)] = evaluation(coverage=0.25)
    table = single.mean_sd({"a": ("beta1", 40)}, {"x": ("coverage", 2)})
    assert table.loc["a", "x"] == "0.25"  # one run: its value, not "0.25 ± 0.00"


def test_chapter_7_never_trains_its_full_size_grid_in_a_build(monkeypatch):
    monkeypatch.setenv("VSC_PROFILE", "paper")
    assert get_grid(study="authors", largest="book").name == "authors-book"
    assert get_grid(study="authors").name == "authors-paper"
    assert get_grid("quick", study="authors", largest="book").name == "authors-quick"


def test_conditional_class_kept_uses_one_probe_for_draws_and_real_images():
    from tests.conftest import synthetic_split
    from vsc_lib.training import train

    config = RunConfig(DataConfig("mnist", num_train=256, num_test=128),
                       ModelConfig(kind="vsc", latent_dim=8, hidden_dim=32, alpha=0.5, spike_bias_init=3.0),
                       TrainConfig(num_epochs=1, batch_size=64, seed=0))
    train_set, test_set = synthetic_split(256, 0, "train"), synthetic_split(128, 1, "test")
    run = train(config, data=(train_set, test_set), progress=False)
    out = grid_evaluation.conditional_class_kept(run.model, train_set, test_set, probe_labels=256, num_inputs=100, draws=2)
    assert set(out) == {"cond_kept", "cond_real"} and 0 <= out["cond_kept"] <= 100
    from vsc_lib import metrics

    probe = metrics.linear_probe(metrics.latent_codes(run.model, train_set.x, "gated"), train_set.y,
                                 metrics.latent_codes(run.model, test_set.x[:100]), test_set.y[:100], num_labels=256,
                                 seed=0)
    assert out["cond_real"] == pytest.approx(100 * probe.accuracy)
    again = grid_evaluation.conditional_class_kept(run.model, train_set, test_set, probe_labels=256, num_inputs=100, draws=2)
    assert again == out  # its own seeded generator


def test_merge_csv_replaces_a_measured_cell_keeps_the_others_and_drops_matrices(tmp_path):
    import pandas as pd

    from vsc_lib.sweep_result import merge_csv

    path = tmp_path / "results" / "authors-paper.csv"
    row = {"dataset": "smiley", "family": "authors", "latent_dim": 60}
    merge_csv(pd.DataFrame([row | {"seed": 1, "dims_used": 12.0}, row | {"seed": 0, "dims_used": 9.0}]), path)
    merge_csv(pd.DataFrame([row | {"seed": 0, "dims_used": 18.0, "abs_corr": [[0.1]]}]), path)
    frame = pd.read_csv(path)
    assert frame["seed"].tolist() == [0, 1] and frame["dims_used"].tolist() == [18.0, 12.0]
    assert "abs_corr" not in frame
    assert sorted(p.name for p in path.parent.iterdir()) == ["authors-paper.csv", "authors-paper.lock"]  # no temp left
