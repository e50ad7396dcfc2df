"""Train chapter 7's book grids (the authors' recipe, its beta-VAEs and the ablation) in an order
that gives the most evidence first: J = 40 with the recipe on three seeds, the ablation and the
beta-VAEs on one, the beta-VAEs on three, the ablation on three, then the other latent sizes.
Every finished evaluation is written to results/ as it goes.

The book build trains the same cells in grid order; this script exists so that a session with
little time left gets the most telling cells first. Resumable: finished runs and evaluations
come from the run cache.

    python research/train_authors_book.py  # logs to stdout; CSVs in results/
"""

from __future__ import annotations

import time
from pathlib import Path

from vsc_lib.experiments import ABLATION_GRIDS, AUTHORS_GRIDS, run_grid

AUTHORS, ABLATION = AUTHORS_GRIDS["book"], ABLATION_GRIDS["book"]
MATRICES = ("abs_corr", "authors_abs_corr", "per_class_mean_pi")


def save(result, path: Path) -> None:
    frame = result.frame().drop(columns=[c for c in MATRICES if c in result.frame()])
    frame.to_csv(path, index=False)


def main() -> None:
    seeds, betas = AUTHORS.seeds, [f for f in AUTHORS.families if f != "authors"]
    ingredients = [f for f in ABLATION.families if f != "authors"]
    phases = [
        ("recipe J=40", AUTHORS, [("smiley", "authors", 40, s) for s in seeds]),
        ("ablation seed 0", ABLATION, [("smiley", f, 40, 0) for f in ingredients]),
        ("beta J=40 seed 0", AUTHORS, [("smiley", f, 40, 0) for f in betas]),
        ("beta J=40 seeds 1-2", AUTHORS, [("smiley", f, 40, s) for f in betas for s in seeds[1:]]),
        ("ablation seeds 1-2", ABLATION, [("smiley", f, 40, s) for f in ingredients for s in seeds[1:]]),
        ("J=18 and 60", AUTHORS, [c for c in AUTHORS.cells() if c[2] != 40]),
    ]
    for name, grid, cells in phases:
        began = time.perf_counter()
        result = run_grid(grid, workers=2, threads=1, cells=cells)
        print(f"[{name}] {len(cells)} cells, {result.trained} trained, {time.perf_counter() - began:.0f} s", flush=True)
        done = [c for c in grid.cells() if c in set(cells) or c[2] == 40]
        save(run_grid(grid, workers=1, progress=False, cells=_finished(grid, done)),
             Path("results") / f"{grid.name}.csv")


def _finished(grid, cells):
    from vsc_lib.experiments import cached_cells

    cached = set(cached_cells(grid))
    return [c for c in cells if c in cached]


if __name__ == "__main__":
    main()
