"""Chapter 9's study: the goal's verdict in each outcome, the classic methods' records (fresh,
reused, stale, corrupted, recorded), the code evaluation of a trained run, the speed measure."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from vsc_lib import evidence, families, reproduce, sparse_study, stats, stored_runs, studies, sweep

GOOD_VSC, DL = [0.97, 0.99, 0.98], [0.50, 0.55, 0.52]


def test_the_goal_is_met_when_vsc_beats_dictionary_learning_with_the_right_counts():
    check = sparse_study.sparse_goal(GOOD_VSC, DL, [16, 17, 16], [2.0, 2.2, 2.1], M=16, k=2)
    assert check.verdict == "met" and check.f1.decision == stats.ABOVE
    assert "met" in check.sentence("M = 16, k = 2")


def test_the_goal_is_missed_when_vsc_finds_fewer_atoms():
    check = sparse_study.sparse_goal(DL, GOOD_VSC, [16, 16, 16], [2.0, 2.0, 2.0], M=16, k=2)
    assert check.verdict == "missed" and check.f1.decision == stats.BELOW


@pytest.mark.parametrize("dims, on", [([16, 15, 16], [2.0, 2.0, 2.0]), ([16, 16, 16], [2.0, 3.2, 2.0]),
                                      ([16, 16, 16], [0.9, 2.0, 2.0])])
def test_the_goal_is_missed_when_a_count_is_wrong_on_any_seed(dims, on):
    check = sparse_study.sparse_goal(GOOD_VSC, DL, dims, on, M=16, k=2)
    assert check.verdict == "missed"
    assert ("fewer than M" in check.sentence("s")) == (min(dims) < 16)


def test_the_goal_is_not_settled_without_a_difference_or_with_too_few_seeds():
    level = sparse_study.sparse_goal([0.5, 0.7, 0.6], [0.55, 0.65, 0.6], [16] * 3, [2.0] * 3, M=16, k=2)
    assert level.verdict == "not settled" and level.f1.decision == stats.NO_DIFFERENCE
    few = sparse_study.sparse_goal([0.99, 0.98], DL, [16] * 2, [2.0] * 2, M=16, k=2)
    assert few.verdict == "not settled" and few.f1.decision == stats.TOO_FEW


def test_the_summary_table_gives_each_measure_with_its_interval():
    values = [{"support_f1": f, "dims_used": 16, "on_per_example": 2.0, "coef_corr": 0.9, "recon_mse": 0.01}
              for f in (0.9, 1.0, 0.95)]
    table = sparse_study.summary_table({("M=16, k=2", "VSC"): values})
    assert table.loc[("M=16, k=2", "VSC"), "support F1"] == stats.interval([0.9, 1.0, 0.95]).format(2)
    assert table.loc[("M=16, k=2", "VSC"), "dimensions used"].startswith("16.0 [16.0, 16.0]")


@pytest.fixture
def stores(tmp_path, monkeypatch):
    monkeypatch.setenv("VSC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VSC_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.delenv("VSC_EVIDENCE", raising=False)
    return tmp_path


SMALL = {"dataset": "atoms", "seed": 0, "num_components": 16, "num_train": 300, "num_test": 100, "dl_iterations": 1}


def small(**options):
    return sparse_study.classic_evaluation(**(SMALL | options))


def test_classic_methods_are_computed_cached_recorded_and_read_back(stores):
    first = small(record=True)
    assert first["_source"] == "computed"
    assert set(sparse_study.CLASSIC_METHODS) <= set(first)
    assert first["OMP on the true atoms (oracle)"]["support_f1"] > 0.9  # the oracle finds the atoms
    assert sparse_study.unpack_images(first["dictionary learning + OMP"]["matched_images"]).shape == (16, 28, 28)
    assert small()["_source"] == "cache"
    for path in (stores / "cache" / "_classic").glob("*.json"):
        path.unlink()  # a fresh machine: the store serves it
    again = small()
    assert again["_source"] == "store"
    assert again["PCA"] == first["PCA"]
    assert sparse_study.check_classic() == []


def test_a_stale_classic_record_is_named_and_not_used(stores, capsys, monkeypatch):
    small(record=True)
    stored = next((stores / "evidence" / "classic").glob("*.json"))
    data = json.loads(stored.read_text())
    data["settings"]["lasso_alpha"] = 0.5  # computed with other settings
    data["key"] = sparse_study._key(data["settings"])
    stored.write_text(json.dumps(data))
    for path in (stores / "cache" / "_classic").glob("*.json"):
        path.unlink()
    assert small()["_source"] == "computed"
    assert "stale classic-method record" in capsys.readouterr().out
    assert any("is stale" in p for p in sparse_study.check_classic())
    monkeypatch.setenv("VSC_EVIDENCE", "only")
    for path in (stores / "cache" / "_classic").glob("*.json"):
        path.unlink()
    with pytest.raises(evidence.StaleEvidenceError, match="forbids computing"):
        small()


def test_a_corrupted_classic_record_is_a_clear_error(stores):
    small(record=True)
    stored = next((stores / "evidence" / "classic").glob("*.json"))
    data = json.loads(stored.read_text())
    data["values"]["PCA"]["support_f1"] = 1.0
    data["settings"]["seed"] = 1  # edited by hand: the key no longer matches
    stored.write_text(json.dumps(data))
    for path in (stores / "cache" / "_classic").glob("*.json"):
        path.unlink()
    with pytest.raises(evidence.CorruptEvidenceError, match=str(stored.name)):
        small()
    stored.write_text("{not json")
    with pytest.raises(evidence.CorruptEvidenceError, match="not readable JSON"):
        small()
    assert any("cannot be trusted" in p for p in sparse_study.check_classic())


def test_a_recorded_classic_record_is_not_replaced_silently(stores):
    small(record=True)
    stored = next((stores / "evidence" / "classic").glob("*.json"))
    data = json.loads(stored.read_text())
    data["settings"]["lasso_alpha"] = 0.5
    data["key"] = sparse_study._key(data["settings"])
    stored.write_text(json.dumps(data))
    with pytest.raises(evidence.RecordExistsError, match="replace"):
        small(record=True)
    small(record=True, replace=True)
    assert json.loads(stored.read_text())["settings"]["lasso_alpha"] == sparse_study.LASSO_ALPHA


def test_the_code_evaluation_of_a_trained_run(stores):
    grid = studies.STUDIES["sparse"]["quick"]
    out = {}
    for family in ("fit", "vae"):
        run = stored_runs.load_cell(grid, ("atoms", family, 32, 0))
        out[family] = sparse_study.code_evaluation(run, grid)
    for values in out.values():
        assert 0.0 <= values["support_f1"] <= 1.0 and len(values["atom_f1"]) == values["M"] == 16
        assert values["k"] == 2.0 and values["examples_per_second"] > 0
    assert sparse_study.unpack_images(out["fit"]["matched_images"]).shape == (16, 28, 28)
    assert "matched_images" not in out["vae"]  # a dense code has no dimension to switch on alone
    assert out["vae"]["dims_used"] == 32  # "on" beyond one sd: every dimension of a dense code


def test_fits_families_train_what_fit_trains():
    grid = studies.STUDIES["sparse"]["book"]
    now, before = grid.config(("atoms", "fit", 32, 0)), grid.config(("atoms", "fit-old", 32, 0))
    assert (now.model.alpha, now.model.usage_weight, now.train.num_epochs) == (0.125, 2.0, 20)
    assert (before.model.alpha, before.model.usage_weight, before.train.num_epochs) == (0.01, 0.0, 10)
    assert now.model.likelihood == "gaussian" and now.model.spike_estimator == "relaxed"
    # the k = 2 runs are the same runs in both grids
    assert studies.STUDIES["sparse_k"]["book"].config(("atoms", "fit", 32, 1)) == grid.config(("atoms", "fit", 32, 1))


def test_encoding_speed_measures_both_in_one_run():
    speed = sparse_study.encoding_speed(64, 8, 8, 2, hidden_dim=32, num=200, repeats=1)
    assert speed["vsc"] > 0 and speed["omp"] > 0
    assert speed["ratio"] == pytest.approx(speed["vsc"] / speed["omp"])


def test_atoms_are_drawn_with_their_sign_and_scale_removed():
    atom = np.zeros((28, 28))
    atom[10:12, 5:20] = 0.5
    shown = sparse_study.for_display(np.stack([atom, -3 * atom, np.zeros((28, 28))]))
    assert np.allclose(shown[0], shown[1]) and shown[0].max() == 1.0
    assert not shown[2].any()  # a blank image stays blank


def test_the_classic_provenance_counts_each_source():
    machine = {"cpu": "CPU A", "finished_utc": "2026-12-07T21:00:00+00:00"}
    text = sparse_study.classic_provenance([{"_source": "store", "_machine": machine},
                                            {"_source": "computed", "_machine": machine}])
    assert "2 results" in text and "1 computed by this build" in text and "1 from the evidence store" in text
    assert "CPU A, 2026-12-07" in text
    assert "cache" not in text
    assert sparse_study.classic_provenance([]) == "No classic-method result is shown."


def test_the_k_reading_compares_at_each_k_and_reads_the_slope():
    f1 = {"a": ([0.99, 0.98, 0.99], [0.6, 0.62, 0.58]), "b": ([0.9, 0.91, 0.89], [0.5, 0.52, 0.48]),
          "c": ([0.8, 0.79, 0.81], [0.4, 0.42, 0.38])}
    text = sparse_study.k_reading([1, 2, 3], f1, ["a", "b", "c"])
    assert text.count("VSC is above dictionary learning") == 3
    assert "falls" in text
    flat = {"a": ([0.9, 0.95, 0.85], [0.9, 0.95, 0.85]), "b": ([0.85, 0.95, 0.9], [0.9, 0.95, 0.85])}
    text = sparse_study.k_reading([1, 2], flat, ["a", "b"])
    assert "flat within the interval" in text and "no difference detected" in text


def test_the_starvation_reading_counts_starved_seeds():
    text = sparse_study.starvation_reading({"M = 16, k = 2": ([[1, 7, 16], [2, 9, 17], [1, 8, 16]],
                                                              [[0, 0], [1, 1], [0, 0]], 16)})
    assert "first epoch the earlier default used 0, 1, 0 dimensions" in text
    assert "fewer than the 16 atoms on 3 of 3 seeds" in text and "at least 16 on 3 of 3" in text
    assert "1, 2, 1 after the first epoch and 16, 17, 16 at the end" in text
    assert "no per-epoch counts" in sparse_study.starvation_reading({"s": ([[]], [[]], 16)})


def test_the_speed_sentence_says_which_is_faster():
    base = {"examples": 2000, "threads": 2, "cpu": "CPU A"}
    assert "5.0 times faster" in sparse_study.speed_sentence(base | {"vsc": 50.0, "omp": 10.0, "ratio": 5.0}, 2)
    assert "2.0 times slower" in sparse_study.speed_sentence(base | {"vsc": 5.0, "omp": 10.0, "ratio": 0.5}, 2)


def test_the_choice_takes_the_best_mean_on_validation_and_says_whether_it_is_the_default():
    scores = {"fit+a0.01+u0": [0.1, 0.2], "fit+a0.0625+u2": [0.95, 0.9], "fit+a0.125+u5": [0.9, 0.95]}
    chosen = sparse_study.choose_variant(scores)
    assert chosen == "fit+a0.0625+u2"  # a tie goes to the first named
    text = sparse_study.choice_reading(chosen, "fit+a0.0625+u2", scores, families.family_label)
    assert "That is `fit`'s default." in text
    scores["fit+a0.125+u5"] = [0.99, 0.99]
    chosen = sparse_study.choose_variant(scores)
    text = sparse_study.choice_reading(chosen, "fit+a0.0625+u2", scores, families.family_label)
    assert chosen == "fit+a0.125+u5" and "**not**" in text
    with pytest.raises(ValueError, match="at least one"):
        sparse_study.choose_variant({})


def test_the_variants_share_the_default_run_and_read_the_validation_examples(stores):
    choice, sparse = studies.STUDIES["sparse_choice"]["book"], studies.STUDIES["sparse"]["book"]
    assert choice.config(("atoms", "fit+a0.125+u2", 32, 0)) == sparse.config(("atoms", "fit", 32, 0))
    with pytest.raises(ValueError, match="validation"):
        sparse_study.code_settings(studies.STUDIES["sparse_mnist"]["book"], "validation")
    quick = studies.STUDIES["sparse_choice"]["quick"]
    run = stored_runs.load_cell(quick, ("atoms", "fit+a0.125+u0", 32, 0))
    held = sparse_study.code_evaluation(run, quick, "validation")
    test = sparse_study.code_evaluation(run, quick)
    assert "matched_images" not in held and "matched_images" in test
    assert held != test


def test_images_are_packed_small_and_come_back_to_within_a_step():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(16, 28, 28))
    images[3] = 0.0
    packed = sparse_study.pack_images(images)
    assert len(json.dumps(packed)) < 20_000  # against about 150 kB as a JSON list
    back = sparse_study.unpack_images(packed)
    peak = np.abs(images).reshape(16, -1).max(1)
    assert np.all(np.abs(back - images).reshape(16, -1).max(1) <= peak / 127 / 2 + 1e-12)
    assert not back[3].any()
    assert np.allclose(sparse_study.for_display(packed), sparse_study.for_display(back))
    with pytest.raises(ValueError, match="evaluate again"):
        sparse_study.unpack_images([[0.0]])


def test_the_store_check_counts_and_checks_the_classic_records(stores):
    small(record=True)
    report = stored_runs.check_store()
    assert report["per_study"]["classic"] == 1 and report["records"] == 1 and not report["problems"]
    stored = next((stores / "evidence" / "classic").glob("*.json"))
    stored.write_text("[]")
    assert any("cannot be trusted" in p for p in stored_runs.check_store()["problems"])


def test_a_reproduction_compares_the_sparse_measures_and_catches_a_doctored_one(stores, monkeypatch):
    grid = dataclasses.replace(studies.STUDIES["sparse"]["quick"], name="tiny-sparse", datasets=("atoms",),
                               families=("fit",), seeds=(0, 1), num_train=300, num_validation=100, num_test=100)
    monkeypatch.setitem(studies.STUDIES, "tiny_sparse", {"book": grid})
    run_grid_result = sweep.run_grid(grid, workers=1, cache=stores / "cache-a", progress=False)
    assert run_grid_result.trained == 2
    for cell in grid.cells():
        sparse_study.code_evaluation(stored_runs.load_cell(grid, cell, cache=stores / "cache-a"), grid)
    stored_runs.record_runs(grid, cache=stores / "cache-a")
    cell = ("atoms", "fit", 32, 0)
    out = reproduce.reproduce_runs(grid, [cell], stores / "fresh", workers=1)
    assert out["reproduced"] and "sparse: support_f1" in {r["measure"] for r in out["rows"]}
    assert "sparse: examples_per_second" not in {r["measure"] for r in out["rows"]}  # a timing
    path = evidence.evidence_dir() / evidence.cell_file("tiny_sparse", "book", cell)
    data = json.loads(path.read_text())
    next(e for e in data["evaluations"] if e["what"] == "sparse")["values"]["support_f1"] += 0.5
    path.write_text(json.dumps(data))
    out = reproduce.reproduce_runs(grid, [cell], stores / "fresh-2", workers=1)
    assert not out["reproduced"]
    assert [r["measure"] for r in out["rows"] if not r["within"]] == ["sparse: support_f1"]


def test_a_choice_at_the_edge_of_its_grid_is_said_to_be_there():
    assert "largest tried" in sparse_study.edge_note("α", 0.25, [0.01, 0.0625, 0.125, 0.25])
    assert "smallest tried" in sparse_study.edge_note("α", 0.01, [0.01, 0.0625, 0.125, 0.25])
    assert sparse_study.edge_note("α", 0.125, [0.01, 0.0625, 0.125, 0.25]) == ""
    assert sparse_study.edge_note("usage weight", 0.0, [0.0, 1.0, 2.0, 5.0]) == ""  # no weight below 0
    assert sparse_study.edge_note("α", 0.1, [0.1]) == ""


def test_a_setting_is_named_by_its_atoms_and_how_many_are_on():
    assert sparse_study.atoms.SETTINGS["atoms-m24-k3"].label == "M = 24, k = 3"
    assert sparse_study.atoms.AtomsSetting(16, 3, varying=True).label == "M = 16, k = 3 (at most)"
