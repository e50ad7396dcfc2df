"""Reproduction checks that keep the evidence store honest: retrain chosen records from scratch
(the store ignored), evaluate them as the chapters do, and compare every measure with the stored
value (``make reproduce``, ``scripts/evidence.py reproduce``)."""

from __future__ import annotations

import math
from pathlib import Path

from . import sparse_study
from .grid_evaluation import basic_settings
from .stored_runs import stored_record
from .studies.grid import Cell, Grid
from .sweep import groups_of, run_grid
from .training import train_or_load


def _reproduced_evaluations(grid: Grid, cells: list[Cell], stored: dict, fresh, cache):
    """(cell, what, settings, stored values, fresh values) for every evaluation a reproduction
    compares: the basic one, and chapter 9's sparse-coding evaluations where the record holds them."""
    for cell in cells:
        settings = basic_settings(grid, cell[1])
        yield cell, "basic", settings, stored[cell].evaluation("basic", settings), fresh.evaluations[cell].as_dict()
        for split in ("test", "validation"):
            try:
                sparse_settings = sparse_study.code_settings(grid, split)
            except ValueError:  # a grid without a validation split
                continue
            old = stored[cell].evaluation("sparse", sparse_settings)
            if old is not None:
                run = train_or_load(grid.config(cell), cache=cache, progress=False)
                yield cell, "sparse", sparse_settings, old, sparse_study.code_evaluation(run, grid, split)


#: timings, which a reproduction does not compare
UNREPRODUCIBLE = {"eval_seconds", "examples_per_second"}
#: a reproduced measure agrees with its record when the difference is within the range of the
#: other stored seeds of its cell's family and J, or within this fraction of the stored value
REPRODUCE_REL_TOL = 0.01


def reproduce_runs(grid: Grid, cells: list[Cell], cache: Path | str, workers: int = 2) -> dict:
    """Retrain ``cells`` of a study's grid from scratch into ``cache`` (the store ignored), evaluate
    them as the chapters do, and compare every scalar measure with the stored record. Runs whose
    records say they were trained as members of a grouped model (chapter 6's) are retrained as the
    same group, every member of it.

    A measure agrees when ``|fresh - stored|`` is at most the range of the stored values over the
    other seeds of the same (dataset, family, J), or :data:`REPRODUCE_REL_TOL` of the stored value.

    Returns:
        ``{"rows": [{cell, measure, stored, fresh, difference, seed_range, within}], "reproduced": bool,
        "missing": [cells without a usable record]}``.
    """
    stored = {c: stored_record(grid, c).record for c in grid.cells()}
    missing = [c for c in cells if stored.get(c) is None]
    wanted = [c for c in cells if c not in missing]
    # runs trained as members of a grouped model are retrained as that same group
    grouped = any(stored[c].data.get("grouped_with", 1) > 1 for c in wanted)
    train_cells = wanted
    if grouped:
        groups = [g for g in groups_of(grid, grid.cells()) if set(g) & set(wanted)]
        train_cells = [c for g in groups for c in g]
    fresh = (run_grid(grid, workers=workers, cache=cache, cells=train_cells, progress=True, grouped=grouped,
                      store=False) if wanted else None)
    rows = []
    for cell, what, settings, old, new in _reproduced_evaluations(grid, wanted, stored, fresh, cache):
        # the other seeds' spread: the reproduced record's own value must not widen its tolerance
        siblings = [stored[c].evaluation(what, settings) or {} for c in grid.cells()
                    if c[:3] == cell[:3] and c != cell and stored.get(c) is not None]
        for measure, value in sorted(old.items()):
            if measure in UNREPRODUCIBLE or not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if new.get(measure) is None or not math.isfinite(value):
                continue
            seeds = [s[measure] for s in siblings if isinstance(s.get(measure), int | float)]
            seed_range = max(seeds) - min(seeds) if len(seeds) > 1 else 0.0
            difference = float(new[measure]) - float(value)
            allowed = max(seed_range, REPRODUCE_REL_TOL * abs(value), 1e-9)
            rows.append({"cell": ":".join(map(str, cell)), "measure": measure if what == "basic" else f"{what}: {measure}",
                         "stored": value,
                         "fresh": float(new[measure]), "difference": difference, "seed_range": seed_range,
                         "within": abs(difference) <= allowed})
    return {"rows": rows, "reproduced": bool(rows) and all(r["within"] for r in rows) and not missing,
            "missing": [":".join(map(str, c)) for c in missing]}
