"""The length-and-width campaign's plan, status and verdicts."""

from __future__ import annotations

from vsc_lib import studies
from vsc_lib.studies import size as size_study


def test_the_campaign_grids_hold_every_planned_run_and_share_the_full_size_recipe_run():
    long, full = studies.STUDIES["size"]["book"], studies.STUDIES["size"]["paper"]
    plan = size_study.planned("authors-beta16", edge=False)
    assert set(plan["long"]) <= set(long.cells()) and set(plan["full"]) <= set(full.cells())
    assert len(plan["long"]) == 8 and len(plan["full"]) == 6
    cell = ("smiley", "authors", 60, 0)
    assert full.config(cell) == studies.STUDIES["authors"]["paper"].config(cell)  # seed 0's earlier run counts
    assert long.config(cell).model.hidden_dim == 400 and full.config(cell).model.hidden_dim == 3000
    t = long.config(cell).train
    assert t.num_epochs * t.epoch_iterations == 200_000


def test_beta_is_chosen_on_validation_only_when_all_three_are_present_and_edges_are_flagged():
    assert size_study.choose_beta({"authors-beta4": 0.5, "authors-beta16": 0.6}) is None
    assert size_study.choose_beta({"authors-beta4": 0.5, "authors-beta16": 0.6, "authors-beta64": 0.4}) == (
        "authors-beta16", False)
    chosen, edge = size_study.choose_beta({"authors-beta4": 0.7, "authors-beta16": 0.6, "authors-beta64": 0.4})
    assert chosen == "authors-beta4" and edge
    assert ("smiley", "authors-beta1", 60, 0) in size_study.planned(chosen, edge)["full"]


def test_status_lists_present_and_missing_runs_per_phase():
    present = {"long": [("smiley", "authors", 60, 0)], "full": [("smiley", "authors", 60, 0)]}
    text = size_study.status(present, None, False)
    assert "1 of 6 planned runs present; missing: authors seed 1, authors seed 2, authors-beta4 seed 0" in text
    assert "1 of 3 planned runs present" in text and "not yet planned" in text
    done = size_study.status({"long": size_study.planned("authors-beta16", False)["long"]}, "authors-beta16", False)
    assert "8 of 8 planned runs present." in done and "β chosen on the validation images: 16." in done


def test_the_verdict_reads_both_directions_and_says_what_it_lacks():
    assert "not decided: the β-VAE's β has not been chosen" in size_study.verdict([0.6], [], "At size", None)
    assert "needs 3 of each" in size_study.verdict([0.6, 0.7], [0.5, 0.4, 0.5], "At size", "authors-beta16")
    up = size_study.verdict([0.66, 0.68, 0.65], [0.40, 0.42, 0.41], "At the authors' size", "authors-beta16")
    assert "VSC is above the β-VAE (β = 16)" in up
    down = size_study.verdict([0.40, 0.42, 0.41], [0.66, 0.68, 0.65], "At size", "authors-beta16")
    assert "the β-VAE (β = 16) is above VSC" in down
    none = size_study.verdict([0.5, 0.6, 0.55], [0.52, 0.58, 0.6], "At size", "authors-beta16")
    assert "no difference detected" in none and "95 % interval" in none
