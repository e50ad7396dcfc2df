"""Train chapter 7's book grids (the authors' recipe, its β-VAEs and the ablation) in an order
that gives the most evidence first: J = 40 with the recipe on three seeds and the ablation on
one, every β of the grid (1 to 64) on the choice seed, the β chosen there (on the validation
images, as the chapter chooses it) on the other seeds, the ablation on three seeds, then the
recipe at J = 60 and 18 and their β-VAEs the same way. A phase whose cells depend on a choice
waits until every β it chooses among is stored. ``--grid`` keeps one grid's cells: two
one-worker processes, one per grid, fill both cores without waiting for each other's rounds.

Cells whose records are already in the evidence store (``evidence/authors|ablation/book/``) are
skipped; every newly finished run gets the field's standard scores (MIG, SAP, DCI, which the
chapter reads for every cell it might choose) and is recorded in the store, and its evaluation
merged into ``results/<grid>.csv``, as soon as its round of workers ends, so a session cut short
keeps what it measured.

The book build trains the same cells (``vsc_lib.studies.authors.cells_for``); this script exists
so that a session with little time left gets the most telling cells first. Resumable: finished
runs and evaluations come from the run cache, an interrupted run from its checkpoint.

    python scripts/train_authors_book.py [--workers 1]  # logs to stdout; CSVs in results/
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vsc_lib.grid_evaluation import basic_settings, standard_scores
from vsc_lib.stored_runs import load_cell, record_runs, usable_record
from vsc_lib.studies import STUDIES, authors
from vsc_lib.sweep import run_grid

AUTHORS, ABLATION = STUDIES["authors"]["book"], STUDIES["ablation"]["book"]


def csv_path(grid) -> Path:
    return Path("results") / f"{grid.name}.csv"


def stored(grid, cell) -> bool:
    """Whether the evidence store already holds the cell's exact run with its evaluations."""
    return usable_record(grid, cell) is not None


def chosen_cells(latent_dims) -> list | None:
    """The chosen β's cells on the seeds other than the choice seed at each J, the β chosen on the
    stored validation scores of every β on the choice seed (as the chapter chooses it); None while
    some of those are not stored."""
    betas = [f for f in AUTHORS.families if f != "authors"]
    out = []
    for J in latent_dims:
        scores = {}
        for f in betas:
            record = usable_record(AUTHORS, ("smiley", f, J, authors.CHOICE_SEED))
            values = record.evaluation("basic", basic_settings(AUTHORS, f)) if record is not None else None
            if not values or values.get("val_authors_block_disentanglement") is None:
                return None
            scores[f] = values["val_authors_block_disentanglement"]
        best = max(betas, key=lambda f: scores[f])
        out += [("smiley", best, J, s) for s in AUTHORS.seeds if s != authors.CHOICE_SEED]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="training processes (one thread each)")
    parser.add_argument("--grid", choices=("authors", "ablation"),
                        help="only this grid's cells (two one-worker processes, one per grid, never write the same CSV)")
    parser.add_argument("--shard", default="0/1", metavar="K/N",
                        help="keep the cells whose index in the grid is K modulo N (N processes share one grid)")
    args = parser.parse_args()
    shard, shards = (int(v) for v in args.shard.split("/"))
    if not 0 <= shard < shards:
        parser.error(f"--shard {args.shard}: K must be in 0..N-1")
    seeds, betas = AUTHORS.seeds, [f for f in AUTHORS.families if f != "authors"]
    ingredients = [f for f in ABLATION.families if f != "authors"]
    choice_seed = authors.CHOICE_SEED
    phases = [
        ("recipe J=40", AUTHORS, lambda: [("smiley", "authors", 40, s) for s in seeds]),
        ("ablation seed 0", ABLATION, lambda: [("smiley", f, 40, 0) for f in ingredients]),
        ("beta J=40 choice seed", AUTHORS, lambda: [("smiley", f, 40, choice_seed) for f in betas]),
        ("chosen beta J=40", AUTHORS, lambda: chosen_cells([40])),
        ("ablation seeds 1-2", ABLATION, lambda: [("smiley", f, 40, s) for f in ingredients for s in seeds[1:]]),
        ("recipe J=60 and 18", AUTHORS, lambda: [("smiley", "authors", j, s) for j in (60, 18) for s in seeds]),
        ("beta J=60 and 18 choice seed", AUTHORS,
         lambda: [("smiley", f, j, choice_seed) for j in (60, 18) for f in betas]),
        ("chosen beta J=60 and 18", AUTHORS, lambda: chosen_cells([60, 18])),
    ]
    chosen = {"authors": AUTHORS, "ablation": ABLATION}.get(args.grid)
    for name, grid, plan in phases:
        if chosen is not None and grid is not chosen:
            continue
        cells = plan()
        if cells is None:
            print(f"[{name}] waits: not every β it chooses among is stored yet", flush=True)
            continue
        index = {c: i for i, c in enumerate(grid.cells())}  # a cell's shard is the same in every phase
        mine = [c for c in cells if index[c] % shards == shard]
        todo = [c for c in mine if not stored(grid, c)]
        if not todo:
            print(f"[{name}] all {len(mine)} cells of this shard already in the evidence store", flush=True)
            continue
        for start in range(0, len(todo), args.workers):  # merge after every round of workers
            chunk, began = todo[start:start + args.workers], time.perf_counter()
            result = run_grid(grid, workers=args.workers, threads=1, cells=chunk, progress=False)
            print(f"[{name}] {chunk}: {result.trained} trained, {time.perf_counter() - began:.0f} s", flush=True)
            result.merge_csv(csv_path(grid))  # locked: --shard processes share the CSV
            for cell in chunk:  # the chapter's standard scores, computed while the model is at hand
                standard_scores(load_cell(grid, cell), grid)
            print("\n".join(record_runs(grid, chunk)), flush=True)  # into the evidence store, at once
            shared = [c for c in chunk if grid is AUTHORS and c in set(ABLATION.cells())]
            if shared:  # the recipe at J = 40 is also the ablation's base: its record there too
                print("\n".join(record_runs(ABLATION, shared)), flush=True)


if __name__ == "__main__":
    main()
