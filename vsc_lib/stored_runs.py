"""The runs of a study's grid as the evidence store holds them: finding a cell's record (and
refusing a stale one, named), reading a stored run where a trained one is used
(:class:`StoredRun`), writing records from the run cache (:func:`record_runs`) and checking the
whole store (:func:`check_store`). The file format itself is :mod:`vsc_lib.evidence`'s.
"""

from __future__ import annotations

from pathlib import Path

from . import evidence, sparse_study
from .cache import TrainedRun, load_run
from .config import RunConfig, run_name
from .families import family_alpha
from .grid_evaluation import basic_evaluation, basic_settings
from .paths import cache_dir
from .studies import STUDIES, evidence_key
from .studies.grid import Cell, Grid
from .training import block_timing, train_or_load


def stored_record(grid: Grid, cell: Cell) -> evidence.Lookup:
    """What the evidence store holds for one cell of a study's grid (see :func:`evidence.lookup`)."""
    key = evidence_key(grid)
    if key is None:
        return evidence.Lookup()
    return evidence.lookup(*key, cell, grid.config(cell))


def usable_record(grid: Grid, cell: Cell) -> evidence.Record | None:
    """The cell's record if the store holds its exact run *and* the basic evaluation with the
    settings the current code asks for (what every chapter reads); a stale record is named."""
    found = stored_record(grid, cell)
    if found.stale is not None:
        print(f"[evidence] stale record {found.stale}: {found.stale_reason}. It is not used; the run trains.")
    record = found.record
    if record is not None and record.evaluation("basic", basic_settings(grid, cell[1])) is None:
        print(f"[evidence] {record.path} holds no evaluation with the settings the current code uses; it is not "
              "used. Re-evaluate its run and re-record it (scripts/record.py --replace).")
        return None
    return record


def cached_cells(grid: Grid, cache: Path | str | None = None) -> list[Cell]:
    """The cells of ``grid`` whose trained runs are in the run cache or the evidence store
    (nothing is trained): how a chapter shows the paper-size runs that someone has trained."""
    root = Path(cache) if cache is not None else cache_dir()
    out = []
    for cell in grid.cells():
        if (root / run_name(grid.config(cell))).is_dir():
            out.append(cell)
            continue
        # a record without today's evaluation is not offered: reading it would train the run
        # (hours for a full-size one)
        if usable_record(grid, cell) is not None:
            out.append(cell)
    return out


def load_cell(grid: Grid, cell: Cell, cache: Path | str | None = None) -> TrainedRun | StoredRun:
    """The trained run of one cell: from the run cache, else from the evidence store (a
    :class:`StoredRun`: its history and evaluations at once, its model from the stored weights or,
    when the record has none, trained on first use), else trained."""
    config = grid.config(cell)
    root = Path(cache) if cache is not None else cache_dir()
    if not (root / run_name(config)).is_dir():
        found = stored_record(grid, cell)
        if found.record is not None:
            return StoredRun(found.record, config, cache)
    return train_or_load(config, cache=cache, progress=False)


def run_timing(run) -> dict:
    """A run's recorded wall time and computation (:func:`vsc_lib.training.block_timing`); for a
    stored run whose record gives its computation (a partial record's history is not one row per
    block), the record's numbers."""
    record = getattr(run, "record", None)
    if record is not None and record.data.get("computation_seconds"):
        return {"recorded_seconds": record.data["train_seconds"],
                "computation_seconds": record.data["computation_seconds"]}
    return block_timing(run.history)


class StoredRun:
    """A run read from the evidence store, used where a :class:`~vsc_lib.cache.TrainedRun` is:
    ``config``, ``history`` and ``meta`` come from the record; ``model`` is built from the stored
    weights (float16, widened to float32) on first use, or trained when the record has none; the
    evaluations the record holds are served by :func:`vsc_lib.cache.cached_evaluation` without a model."""

    from_cache = True
    path = None

    def __init__(self, record: evidence.Record, config: RunConfig, cache: Path | str | None = None):
        self.record, self.config, self.cache = record, config, cache
        self.history = record.data["history"]
        # evaluations computed here from the float16 weights are stamped apart from the trained model's
        self.meta = {"model_sha256": f"{record.data['model_sha256']}-stored-float16",
                     "train_seconds": record.data["train_seconds"],
                     "evidence": str(record.path)} | {k: v for k, v in record.data["machine"].items()}
        self._model = None

    @property
    def model(self):
        if self._model is None:
            if self.record.weights is not None:
                model = evidence.load_model(self.record)
                model.kl_anneal = 1.0
                self._model = model
            else:
                print(f"[evidence] {self.record.path} stores no weights; training its run to decode with it.")
                self._model = train_or_load(self.config, cache=self.cache, progress=False).model
        return self._model

    def history_frame(self):
        import pandas as pd

        return pd.DataFrame(self.history).set_index("epoch")


def decoded_cells(grid: Grid) -> list[Cell]:
    """The cells of a study's grid whose models the book decodes with (not only reads the
    evaluations of): their records store weights. Chapter 6 decodes the sparsest VSC and the VAE
    at the largest J (seed 0) of each dataset; chapter 7 the recipe's VSC at its shown J, every seed."""
    key = evidence_key(grid)
    if key is None:
        return []
    study = key[0]
    J = max(grid.latent_dims)
    if study == "latent":
        sparsest = min((f for f in grid.families if f != "vae"), key=family_alpha)
        return [(d, f, J, grid.seeds[0]) for d in grid.datasets for f in (sparsest, "vae") if f in grid.families]
    if study == "authors":
        shown = 40 if 40 in grid.latent_dims else J
        return [(d, "authors", shown, s) for d in grid.datasets for s in grid.seeds if "authors" in grid.families]
    return []


def record_runs(grid: Grid, cells: list[Cell] | None = None, replace: bool = False,
                cache: Path | str | None = None) -> list[str]:
    """Write the evidence records of ``cells`` (default: every cell of ``grid`` whose run is in
    the run cache) from the run cache: configuration, history, meta and every evaluation computed
    from the run's model; weights for :func:`decoded_cells`. Returns one line per cell saying what
    was done (recorded, replaced, kept, not in the cache).

    Raises:
        ValueError: ``grid`` is not one of a study's grids (:data:`STUDIES`).
    """
    key = evidence_key(grid)
    if key is None:
        raise ValueError(f"grid {grid.name!r} is not a grid of a study in STUDIES; only those are recorded.")
    root = Path(cache) if cache is not None else cache_dir()
    chosen = grid.cells() if cells is None else [c for c in grid.cells() if c in set(cells)]
    decoded, lines = set(decoded_cells(grid)), []
    for cell in chosen:
        config = grid.config(cell)
        if not (root / run_name(config)).is_dir():
            lines.append(f"{cell}: not in the run cache ({root / run_name(config)}); nothing recorded")
            continue
        run = load_run(config, root, "cpu")
        evaluations = evidence.evaluations_in_cache(root, config, run.meta["model_sha256"])
        if not any(e["what"] == "basic" for e in evaluations):
            basic_evaluation(run, grid, cell[1])  # the evaluation every chapter reads, cached next to the run
            evaluations = evidence.evaluations_in_cache(root, config, run.meta["model_sha256"])
        record = evidence.make_record(*key, cell, run, evaluations)
        try:
            path, replaced = evidence.write_record(record, replace=replace,
                                                   model=run.model if cell in decoded else None)
        except evidence.RecordExistsError:
            lines.append(f"{cell}: a record exists; kept (pass --replace to replace it)")
            continue
        what = (f"replaced {replaced['run']} (recorded {replaced['recorded_utc']}) with {record['run']}" if replaced
                else f"recorded {record['run']}")
        lines.append(f"{cell}: {what} in {path}" + (" with its weights" if cell in decoded else ""))
    return lines


def check_store(root: Path | str | None = None, budget: int = evidence.BUDGET_BYTES) -> dict:
    """Check the whole evidence store: every record readable and whole (schema, fields, weights'
    checksums), in its study's folder, for a cell that its grid still has, and not stale (its run
    is the one the current code trains for that cell); the classic methods' records of chapter 9
    likewise (:func:`vsc_lib.sparse_study.check_classic`); the store within ``budget`` bytes.

    Returns:
        ``{"records": n, "per_study": {study/profile: n}, "bytes": size, "problems": [text, ...]}``;
        no problems means the store is sound.
    """
    root = Path(root) if root is not None else evidence.evidence_dir()
    problems, per_study = [], {}
    paths = evidence.all_records(root)
    for path in paths:
        try:
            record = evidence.read_record(path, root)
        except evidence.CorruptEvidenceError as error:
            problems.append(str(error))
            continue
        study, profile, cell = record.data["study"], record.data["profile"], tuple(record.data["cell"])
        per_study[f"{study}/{profile}"] = per_study.get(f"{study}/{profile}", 0) + 1
        if path.relative_to(root) != evidence.cell_file(study, profile, cell):
            problems.append(f"{path}: it says it is {study}/{profile} cell {cell}, which belongs in "
                            f"{root / evidence.cell_file(study, profile, cell)}")
            continue
        grid = STUDIES.get(study, {}).get(profile)
        if grid is None or cell not in set(grid.cells()):
            problems.append(f"{path}: no grid {study}/{profile} has the cell {cell} any more; delete the record")
            continue
        found = evidence.lookup(study, profile, cell, grid.config(cell), root)
        if found.stale is not None:
            problems.append(f"{path} is stale: {found.stale_reason}; retrain and re-record it "
                            f"(python scripts/record.py --study {study} --grid {profile} --replace) or delete it")
    classic = sorted((root / "classic").glob("*.json"))  # chapter 9's classic methods (vsc_lib.sparse_study)
    if classic:
        per_study["classic"] = len(classic)
        problems.extend(sparse_study.check_classic(root))
    size = evidence.size_bytes(root)
    if size > budget:
        problems.append(f"the store holds {size / 2**20:.2f} MiB, above its budget of {budget / 2**20:.0f} MiB")
    return {"records": len(paths) + len(classic), "per_study": per_study, "bytes": size, "problems": problems}
