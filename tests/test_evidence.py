"""The evidence store: records written from the run cache, read back instead of training, and
refused (named, never used) when stale or corrupted."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from vsc_lib import config, evidence, grid_evaluation, reproduce, stored_runs, studies, sweep
from vsc_lib.config import CACHE_VERSION
from vsc_lib.models import build_model
from vsc_lib.studies import Grid
from vsc_lib.sweep import run_grid

TINY = Grid("tiny-evidence", ("mnist",), ("vae", "vsc0.01"), (4,), (0, 1), num_epochs=1, hidden_dim=16,
            num_train=300, num_test=100, probe_families=(), elbo_samples=1, iw_samples=4, iw_images=20)
CELL = ("mnist", "vsc0.01", 4, 0)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A study ``tiny`` with one grid, an empty store and an empty run cache."""
    monkeypatch.setitem(studies.STUDIES, "tiny", {"book": TINY})
    monkeypatch.setenv(evidence.DIR_ENV, str(tmp_path / "evidence"))
    monkeypatch.delenv(evidence.MODE_ENV, raising=False)
    return tmp_path


def _recorded(store):
    """Train the tiny grid into one cache, record it, and return the first result."""
    first = run_grid(TINY, workers=1, cache=store / "cache-a", progress=False)
    grid_evaluation.iw_evaluation(stored_runs.load_cell(TINY, CELL, cache=store / "cache-a"), TINY)
    lines = stored_runs.record_runs(TINY, cache=store / "cache-a")
    assert all("recorded" in line for line in lines) and len(lines) == 4
    return first


def test_weights_export_at_float16_round_trips_through_the_librarys_format(tmp_path):
    from vsc_lib.fit import export_model, load_model

    model = build_model(TINY.config(CELL).model, (1, 28, 28))
    path = export_model(model, tmp_path / "m.vsc", precision="float16")
    full = export_model(model, tmp_path / "f.vsc")
    assert path.stat().st_size < 0.7 * full.stat().st_size
    back = load_model(path)
    for name, tensor in model.state_dict().items():
        assert back.state_dict()[name].dtype == torch.float32
        assert torch.allclose(back.state_dict()[name], tensor, rtol=1e-3, atol=1e-4)
    with pytest.raises(ValueError, match="float32' or 'float16"):
        export_model(model, tmp_path / "x.vsc", precision="int8")


def test_a_fresh_cache_reads_every_run_and_evaluation_from_the_store(store, monkeypatch):
    first = _recorded(store)
    history = stored_runs.load_cell(TINY, CELL, cache=store / "cache-a").history
    paths = evidence.all_records()
    assert len(paths) == 4 and all(p.parent.name == "book" and p.parent.parent.name == "tiny" for p in paths)
    data = json.loads(paths[0].read_text())
    assert data["cache_version"] == CACHE_VERSION and data["run"] == config.run_name(TINY.config(CELL)) or \
        data["cell"] != list(CELL)
    assert data["machine"]["precision"] == "fp32" and data["machine"]["cpu"] and data["code"]["fingerprint"]
    assert len(data["history"]) == 1 and data["train_seconds"] > 0

    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(sweep, "train_or_load", no_training)
    again = run_grid(TINY, workers=1, cache=store / "cache-b", progress=False)
    assert again.trained == 0 and again.evaluations == first.evaluations
    assert set(again.sources.values()) == {"store"} and len(again.records) == 4
    note = again.provenance("The table")
    assert note.startswith("The table shows 4 runs: 4 from the evidence store.") and "(cpu, fp32)" in note
    # a run read from the store: history and stored evaluations without a model
    run = stored_runs.load_cell(TINY, CELL, cache=store / "cache-b")
    assert isinstance(run, stored_runs.StoredRun) and run.history == history
    iw = grid_evaluation.iw_evaluation(run, TINY)
    assert iw.num_images == 20
    assert not (store / "cache-b").exists() or not any((store / "cache-b").iterdir())  # nothing written there


def test_stored_weights_decode_like_the_trained_model(store):
    _recorded(store)
    trained = stored_runs.load_cell(TINY, CELL, cache=store / "cache-a")
    own = evidence.evidence_dir() / evidence.cell_file("tiny", "book", CELL)
    evidence.write_record(json.loads(own.read_text()), replace=True, model=trained.model)
    run = stored_runs.load_cell(TINY, CELL, cache=store / "empty")
    assert isinstance(run, stored_runs.StoredRun) and run.record.weights["dtype"] == "float16"
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(run.model.reconstruct(x), trained.model.reconstruct(x), atol=2e-3)


def test_records_are_never_replaced_silently(store):
    _recorded(store)
    lines = stored_runs.record_runs(TINY, cells=[CELL], cache=store / "cache-a")
    assert lines == [f"{CELL}: a record exists; kept (pass --replace to replace it)"]
    lines = stored_runs.record_runs(TINY, cells=[CELL], cache=store / "cache-a", replace=True)
    assert "replaced" in lines[0] and "recorded" in lines[0]
    assert stored_runs.record_runs(TINY, cells=[CELL], cache=store / "nothing")[0].endswith("nothing recorded")


def test_a_stale_record_is_named_and_trained_over_or_fails_the_build_when_training_is_forbidden(
        store, monkeypatch, capsys):
    _recorded(store)
    changed = dataclasses.replace(TINY, num_epochs=2)  # the code now trains another run for every cell
    monkeypatch.setitem(studies.STUDIES, "tiny", {"book": changed})
    monkeypatch.setenv(evidence.MODE_ENV, "only")
    with pytest.raises(evidence.StaleEvidenceError, match="forbids training") as error:
        run_grid(changed, workers=1, cache=store / "cache-c", progress=False, cells=[CELL])
    assert "stale" in str(error.value) and "mnist_vsc0.01_j4_s0.json" in str(error.value)
    monkeypatch.setenv(evidence.MODE_ENV, "use")
    result = run_grid(changed, workers=1, cache=store / "cache-c", progress=False, cells=[CELL])
    assert result.trained == 1 and result.sources[CELL] == "trained"
    assert "[evidence] stale record" in capsys.readouterr().out
    report = stored_runs.check_store()
    assert report["records"] == 4 and sum("is stale" in p for p in report["problems"]) == 4


def test_evidence_off_ignores_the_store(store, monkeypatch):
    _recorded(store)
    monkeypatch.setenv(evidence.MODE_ENV, "off")
    result = run_grid(TINY, workers=1, cache=store / "cache-d", progress=False, cells=[CELL])
    assert result.trained == 1 and result.sources == {CELL: "trained"}
    monkeypatch.setenv(evidence.MODE_ENV, "sometimes")
    with pytest.raises(evidence.EvidenceError, match="is not one of use, off, only"):
        evidence.mode()


@pytest.mark.parametrize("damage, message", [
    (lambda d: "{ not json", "not readable JSON"),
    (lambda d: json.dumps({k: v for k, v in d.items() if k != "history"}), "'history' is missing"),
    (lambda d: json.dumps(d | {"schema": 99}), "schema 99"),
    (lambda d: json.dumps(d | {"train_seconds": "fast"}), "wrong type"),
    (lambda d: json.dumps(d | {"config": d["config"] | {"train": d["config"]["train"] | {"seed": 7}}}),
     "hashes to"),
])
def test_a_corrupted_record_is_a_clear_error_naming_the_file_and_the_fix(store, damage, message):
    _recorded(store)
    path = evidence.evidence_dir() / evidence.cell_file("tiny", "book", CELL)
    path.write_text(damage(json.loads(path.read_text())))
    with pytest.raises(evidence.CorruptEvidenceError, match=message) as error:
        run_grid(TINY, workers=1, cache=store / "cache-e", progress=False)
    assert str(path) in str(error.value) and "git checkout --" in str(error.value)
    assert any(str(path) in p for p in stored_runs.check_store()["problems"])


def test_weights_whose_checksum_differs_are_refused(store):
    _recorded(store)
    trained = stored_runs.load_cell(TINY, CELL, cache=store / "cache-a")
    path, _ = evidence.write_record(json.loads((evidence.evidence_dir() / evidence.cell_file("tiny", "book", CELL))
                                               .read_text()), replace=True, model=trained.model)
    weights = evidence.evidence_dir() / json.loads(path.read_text())["weights"]["file"]
    payload = bytearray(weights.read_bytes())
    payload[-1] ^= 0xFF
    weights.write_bytes(bytes(payload))
    run = stored_runs.load_cell(TINY, CELL, cache=store / "empty")
    with pytest.raises(evidence.CorruptEvidenceError, match="does not match the SHA-256"):
        run.model  # noqa: B018
    assert any("does not match the SHA-256" in p for p in stored_runs.check_store()["problems"])


def test_check_store_counts_records_and_enforces_the_budget(store):
    _recorded(store)
    report = stored_runs.check_store()
    assert report["problems"] == [] and report["per_study"] == {"tiny/book": 4} and report["bytes"] > 0
    small = stored_runs.check_store(budget=report["bytes"] - 1)
    assert any("above its budget" in p for p in small["problems"])


def test_two_processes_recording_one_run_leave_one_whole_record(store):
    _recorded(store)
    import multiprocessing

    path = evidence.evidence_dir() / evidence.cell_file("tiny", "book", CELL)
    record = json.loads(path.read_text())
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_many, args=(record, str(evidence.evidence_dir()))) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(w.exitcode == 0 for w in workers)
    assert evidence.read_record(path).run == record["run"]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary files left


def _write_many(record, root):
    from pathlib import Path

    for _ in range(20):
        evidence.write_record(record, replace=True, root=Path(root))


def test_provenance_note_says_what_was_trained_read_and_stored():
    assert evidence.provenance_note({}, []) == "This table shows no runs."
    note = evidence.provenance_note({1: "trained", 2: "cache"}, [], "The figure")
    assert note == "The figure shows 2 runs: 1 trained by this build, 1 from this machine's run cache."


def test_reproduction_agrees_with_an_honest_record_and_catches_a_doctored_one(store):
    _recorded(store)
    out = reproduce.reproduce_runs(TINY, [CELL], store / "fresh", workers=1)
    assert out["reproduced"] and out["rows"] and all(r["within"] for r in out["rows"])
    assert {"test_neg_elbo", "active_per_example"} <= {r["measure"] for r in out["rows"]}
    path = evidence.evidence_dir() / evidence.cell_file("tiny", "book", CELL)
    data = json.loads(path.read_text())
    basic = next(e for e in data["evaluations"] if e["what"] == "basic")
    basic["values"]["test_neg_elbo"] -= 50.0  # a better number than the run gives
    path.write_text(json.dumps(data))
    out = reproduce.reproduce_runs(TINY, [CELL], store / "fresh-2", workers=1)
    assert not out["reproduced"]
    assert [r["measure"] for r in out["rows"] if not r["within"]] == ["test_neg_elbo"]
    missing = reproduce.reproduce_runs(TINY, [("mnist", "vae", 4, 5)], store / "fresh-3", workers=1)
    assert missing["missing"] == ["mnist:vae:4:5"] and not missing["reproduced"]


def test_cached_cells_never_offers_a_record_whose_evaluation_settings_changed(store, capsys):
    _recorded(store)
    assert set(stored_runs.cached_cells(TINY, cache=store / "nothing")) == set(TINY.cells())
    changed = dataclasses.replace(TINY, elbo_samples=3)  # the same runs, evaluated otherwise
    studies.STUDIES["tiny"]["book"] = changed
    assert stored_runs.cached_cells(changed, cache=store / "nothing") == []
    assert "holds no evaluation with the settings" in capsys.readouterr().out
