"""Chapter 7's analyses (vsc_lib.smiley_study) on constructed sweeps, stored-run histories and a
tiny model: the tables, every seed's value handed to the readings, and the figures' data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tests.test_experiments import evaluation
from vsc_lib import readings, smiley_study
from vsc_lib.analysis import GroupSwitch, SpikeGroups
from vsc_lib.config import ModelConfig
from vsc_lib.families import family_label
from vsc_lib.models import build_model
from vsc_lib.studies import Grid
from vsc_lib.sweep_result import SweepResult

BETAS = ("authors-beta1", "authors-beta4")


def _authors(value) -> SweepResult:
    grid = Grid("a", ("smiley",), ("authors", *BETAS), (18, 40), (0, 1, 2), num_epochs=1, recipe="smiley")
    return SweepResult(grid, evaluations={c: evaluation(**value(*c[1:])) for c in grid.cells()})


def _values(family, J, seed):
    d = {"authors": 0.5, "authors-beta1": 0.3, "authors-beta4": 0.45}[family]
    return {"authors_block_disentanglement": d + 0.01 * seed, "val_authors_block_disentanglement": d + 0.02 * seed,
            "dims_used": 10 + 0.2 * seed, "input_dependent_dims": 8, "always_on_dims": 2, "active_per_example": 5.0,
            "authors_abs_corr": [[0.1] * 16] * J, "abs_corr": [[0.2] * 16] * J}


def test_the_main_table_marks_the_beta_chosen_on_validation_and_the_claim_gets_every_seed():
    result = _authors(_values)
    chosen = result.choose_by_validation(BETAS, smiley_study.CHOICE_MEASURE)
    assert chosen == {18: "authors-beta4", 40: "authors-beta4"}
    table = smiley_study.main_table(result, chosen)
    chosen_rows = [r for r in table.index if "(chosen)" in r[1]]
    assert len(chosen_rows) == 2 and all("β" in r[1] for r in chosen_rows) and len(table) == 4  # VSC + chosen per J
    vsc, d_seeds, used = smiley_study.claim_inputs(result, chosen)
    assert d_seeds[40] == (pytest.approx([0.5, 0.51, 0.52]), pytest.approx([0.45, 0.46, 0.47]))
    assert [J for J, _ in sorted(used)] == [18] * 3 + [40] * 3
    assert [u for _, u in sorted(used)] == pytest.approx([10.0, 10.2, 10.4] * 2)
    assert vsc["switched"][18] == (8.0, 0.0)
    tests, _ = readings.authors_claim([18, 40], vsc, d_seeds, used)
    assert tests["better"] and tests["steady"]  # the inputs read as the chapter reads them


def test_standard_scores_table_and_reading_compare_vsc_with_the_chosen_beta():
    result = _authors(_values)
    chosen = {18: "authors-beta1", 40: "authors-beta4"}
    base = {"authors": 0.6, "authors-beta1": 0.2, "authors-beta4": 0.6}

    def scores(cell):
        v = base[cell[1]] + 0.01 * cell[3]
        return dict.fromkeys(smiley_study.SCORES, v)

    table, per_j = smiley_study.standard_scores(result, chosen, scores)
    assert table.index[0][0] == "J=18" and table.iloc[0]["MIG"].startswith("0.61 [")  # VSC's row first
    text = readings.standard_scores_reading(per_j, "authors", chosen, {"mig": "MIG"})
    assert "At $J$ = 18: MIG: VSC is above the β-VAE" in text and "At $J$ = 40: MIG: no difference detected" in text


def test_matrix_panels_and_spike_table():
    result = _authors(_values)
    panels = smiley_study.matrix_panels(result, {40: "authors-beta4"}, 40)
    assert list(panels) == ["VSC, authors' measure", "β-VAE (chosen), authors' measure", "VSC, signed gated means"]
    assert [p[0] for p in panels["VSC, authors' measure"]] == ["seed 0", "seed 1", "seed 2"]
    groups = SpikeGroups(dims=[3, 7], share=torch.tensor([0.5, 0.25]), corr=torch.tensor([[0.9, 0, 0, 0], [0, 0, 0.8, 0.1]]),
                         follows=[(0,), (2,)])
    table = smiley_study.spike_table(groups)
    assert list(table.index) == [3, 7] and table.loc[7, "on for"] == "25%" and table.loc[3, "eyes"] == 0.9


def test_combinations_detector_and_presence():
    labels = torch.arange(16).repeat(3)
    x = torch.zeros(48, 1, 64, 64)
    rows, letters = smiley_study.combination_rows(x, labels)
    assert list(rows) == ["sample 1", "sample 2", "sample 3"] and rows["sample 1"].shape[0] == 16
    assert letters[0] == "–" and letters[15] == "EMHT" and letters[5] == "EH"
    present = smiley_study.present_groups(torch.tensor([0, 5, 15]))
    assert present.tolist() == [[False] * 4, [True, False, True, False], [True] * 4]


def test_ablation_rows_seeds_and_curves():
    grid = Grid("ab", ("smiley",), ("authors", "authors~nu", "authors~likelihood"), (40,), (0, 1), num_epochs=1,
                recipe="smiley")
    ablation = SweepResult(grid, evaluations={c: evaluation(dims_used=10 + c[3], input_dependent_dims=1 if "~" in c[1]
                                                            else 8) for c in grid.cells()})
    rows = smiley_study.ablation_rows(ablation)
    assert list(rows)[0] == "authors' recipe" and all(k.startswith("earlier: ") for k in list(rows)[1:])
    base, ingredients = smiley_study.ablation_seeds(ablation)
    assert base == {"used": [10.0, 11.0], "switched": [8.0, 8.0]} and set(ingredients) == {"nu", "likelihood"}
    curves = smiley_study.ablation_curves({"base": [{"test_active_hard": 3.0}] * 4,
                                           "short": [{"test_active_hard": 1.0}] * 2,
                                           "same": [{"test_active_hard": 2.0}] * 4}, "base")
    assert set(curves) == {"base", "same"} and curves["same"].tolist() == [2.0] * 4  # other schedules left out


def test_switching_images_switch_each_group_on_bare_faces_and_off_dressed_ones():
    model = build_model(ModelConfig(kind="vsc", latent_dim=6, hidden_dim=16, alpha=0.5), (1, 8, 8))
    model.eval()
    x = torch.rand(12, 1, 8, 8)
    present = np.zeros((12, 4), bool)
    present[6:, 2:] = True  # faces 6-11 wear a hat and a bow tie
    switches = [GroupSwitch("hat", (0, 1), "spike", 90.0, 5.0, 80.0, 10.0, 95.0, 92.5),
                GroupSwitch("bow tie", (), None, 0.0, 0.0, 0.0, 0.0, 95.0, 92.5)]
    images = smiley_study.switching_images(model, x, present, switches, num=3)
    assert list(images) == ["input", "reconstruction", "hat on", "input ", "reconstruction ", "hat off"]
    assert all(v.shape == (3, 1, 8, 8) for v in images.values())
    assert np.allclose(images["input"], x[:3].numpy())  # the bare faces first


def test_size_choice_table_and_verdicts():
    grid = Grid("s", ("smiley",), ("authors", "authors-beta4", "authors-beta16", "authors-beta64"), (60,), (0, 1, 2),
                num_epochs=1, recipe="smiley")
    val = {"authors": 0.9, "authors-beta4": 0.3, "authors-beta16": 0.5, "authors-beta64": 0.4}
    long = SweepResult(grid, evaluations={c: evaluation(val_authors_block_disentanglement=val[c[1]],
                                                        authors_block_disentanglement=val[c[1]] + 0.01 * c[3],
                                                        dims_used=20) for c in grid.cells()})
    assert smiley_study.size_choice(long) == ("authors-beta16", False)
    assert smiley_study.size_choice(None) == (None, False)
    partial = SweepResult(grid, evaluations={c: e for c, e in long.evaluations.items() if c[1] != "authors-beta64"})
    assert smiley_study.size_choice(partial) == (None, False)  # the choice waits for every beta
    table = smiley_study.size_table({"long": long})
    assert len(table) == 12 and set(table["units"]) == {400} and set(table["machine"]) == {"this machine"}
    verdicts = smiley_study.size_verdicts({"long": long}, "authors-beta16")
    assert "VSC is above the β-VAE" in verdicts[0] and "not decided" in verdicts[1]
    assert smiley_study.size_table({}).empty


def test_full_size_without_runs_is_empty_and_with_runs_compares_and_draws_histories():
    assert smiley_study.full_size(None, None, {}, None, "x") == {"comparisons": [], "panels": {}, "marks": {},
                                                                  "spans": {}}
    grid = Grid("f", ("smiley",), ("authors",), (60,), (0,), num_epochs=1, recipe="smiley")
    measures = dict.fromkeys(readings.FULL_SIZE_MEASURES, 1.0)
    paper = SweepResult(grid, evaluations={("smiley", "authors", 60, 0): evaluation(**(measures | {"dims_used": 20}))})
    reduced = SweepResult(grid, evaluations={("smiley", "authors", 60, 0): evaluation(**(measures | {"dims_used": 8}))})
    config = SimpleNamespace(train=SimpleNamespace(num_epochs=2, epoch_iterations=10, lr_schedule="constant"),
                             model=SimpleNamespace(warmup_iterations=5, warmup_ramp_iterations=2))
    run = SimpleNamespace(config=config, history=[{"test_active_hard": 3.0, "test_neg_elbo": -1.0}] * 2)
    out = smiley_study.full_size(paper, reduced, {("smiley", "authors", 60, 0): run}, lambda J: run, "400 units")
    assert len(out["comparisons"]) == 1 and "400 units" in out["comparisons"][0]
    assert set(out["panels"]["test −ELBO"]) == {"full size, J=60, seed 0", "reduced size, J=60, seed 0"}
    assert out["spans"]["spike-only phase"] == (0.0, 0.25) and out["marks"] == {}


def test_beta_is_chosen_on_the_choice_seed_and_an_end_of_the_grid_is_flagged():
    betas = ("authors-beta1", "authors-beta4", "authors-beta16")
    grid = Grid("c", ("smiley",), ("authors", *betas), (18, 40), (0, 1, 2), num_epochs=1, recipe="smiley")
    # seed 0 prefers beta 4 at J = 18 and beta 16 (an end) at J = 40; seed 1 would prefer beta 1
    val = {(18, "authors-beta1"): 0.2, (18, "authors-beta4"): 0.5, (18, "authors-beta16"): 0.3,
           (40, "authors-beta1"): 0.2, (40, "authors-beta4"): 0.3, (40, "authors-beta16"): 0.6}
    evaluations = {c: evaluation(val_authors_block_disentanglement=val.get((c[2], c[1]), 0.0) if c[3] == 0
                                 else (0.9 if c[1] == "authors-beta1" else 0.1))
                   for c in grid.cells()}
    result = SweepResult(grid, evaluations=evaluations)
    choice = smiley_study.choose_beta(result, seed=0)
    assert choice == {18: ("authors-beta4", False), 40: ("authors-beta16", True)}
    assert smiley_study.choose_beta(result, seed=1)[18] == ("authors-beta1", True)
    table = smiley_study.choice_table(result)
    assert list(table.columns) == ["J=18", "J=40"] and table.loc[family_label("authors-beta4"), "J=18"] == 0.5
    missing = SweepResult(grid, evaluations={c: e for c, e in evaluations.items() if c != ("smiley", "authors-beta4", 40, 0)})
    with pytest.raises(ValueError, match="authors-beta4 has no validation score on seed 0 at J = 40"):
        smiley_study.choose_beta(missing)
    note = readings.beta_choice_note(choice, betas, 0)
    assert "chosen among {1, 4, 16} on the validation images of seed 0: 4 at $J$ = 18, 16 at $J$ = 40 (an end" in note
    assert "may not be the best one" in note
    assert "may not be the best" not in readings.beta_choice_note({18: ("authors-beta4", False)}, betas, 0)


def test_a_build_trains_every_beta_on_the_choice_seed_and_only_the_chosen_one_on_the_others():
    from vsc_lib.studies import STUDIES, authors

    grid = STUDIES["authors"]["book"]
    assert [f.rsplit("beta", 1)[-1] for f in grid.families[1:]] == ["1", "2", "4", "8", "16", "32", "64"]
    first = authors.cells_for(grid)
    assert len(first) == 3 * 3 + 7 * 3  # VSC on every seed, every beta on seed 0
    both = authors.cells_for(grid, {18: "authors-beta8", 40: "authors-beta1", 60: "authors-beta64"})
    extra = [c for c in both if c not in first]
    assert sorted(extra) == sorted(("smiley", f, J, s) for J, f in ((18, "authors-beta8"), (40, "authors-beta1"),
                                                                    (60, "authors-beta64")) for s in (1, 2))
    assert both == [c for c in grid.cells() if c in set(both)]  # grid order
