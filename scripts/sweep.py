"""Train and evaluate a latent-dimension sweep into the run cache, ahead of a book build.

Usage:
  python scripts/sweep.py [--study latent|smiley|selectors|har|authors|ablation|fixed] [--grid quick|book|paper]
                          [--workers 2] [--threads 1] [--dry-run] [--datasets ...] [--families ...]
                          [--latent-dims ...] [--seeds ...] [--epochs N] [--precision fp32|bf16]
                          [--scheduler tcp://host:8786] [--ship-results] [--grouped] [--record [--replace]]

``--study`` picks a chapter's experiment (``latent``: chapter 6, the default; ``authors`` and
``ablation``: chapter 7, the authors' Smiley recipe and its ablation; ``fixed``: the fixed prior's
spike form and spike-only phase; ``smiley`` and ``selectors``: the earlier edition of chapter 7;
``har``: chapter 8) and ``--grid`` one of its grids in
``vsc_lib.studies`` (default ``paper``: for ``latent`` the full 30-epoch grid of the paper,
144 runs); the other options narrow or change it. Runs and
evaluations already in the cache are reused, so an interrupted sweep continues where it stopped
(an unfinished run resumes from its last epoch). Prints the wall time, the training throughput
and per cell (mean +- sd over seeds) the test -ELBO, the
active dimensions and the probe accuracies; ``--csv`` writes every run's evaluation. Build the book from that grid with
``make book PROFILE=paper``. ``--record`` writes every finished run of the study's grid into the
evidence store (``evidence/``, see ``vsc_lib.evidence``); an existing record is kept unless
``--replace`` is given, and the sweep says what it recorded, kept and replaced. Runs of a changed
grid (other epochs or precision) are not runs of the study's grid and are not recorded.

Runs train on Dask workers: by default a LocalCluster of ``--workers`` one-thread processes on
this machine, started and stopped by the sweep; with ``--scheduler`` (or ``$VSC_DASK_SCHEDULER``)
on an existing cluster. ``--ship-results`` is for workers that do not see this machine's cache
folder: they train in a private folder and send each finished run and its evaluation back.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

from vsc_lib.stored_runs import record_runs
from vsc_lib.studies import STUDIES
from vsc_lib.sweep import run_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="latent", choices=sorted(STUDIES))
    parser.add_argument("--grid", default="paper", choices=("quick", "book", "paper"))
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--families", nargs="+")
    parser.add_argument("--latent-dims", type=int, nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", choices=("fp32", "bf16"),
                        help="training precision of an authors' recipe grid (bf16: autocast; separate cached runs)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (default: $VSC_DASK_SCHEDULER, "
                                            "else a LocalCluster of --workers processes)")
    parser.add_argument("--ship-results", action="store_true",
                        help="the workers do not share the cache folder: send runs and evaluations back to this process")
    parser.add_argument("--grouped", action="store_true",
                        help="train each cell's seeds as one grouped model (vsc_lib.grouped; MLP AE/VAE/fixed-prior VSC)")
    parser.add_argument("--record", action="store_true", help="record the finished runs in the evidence store")
    parser.add_argument("--replace", action="store_true", help="with --record: replace existing records")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--csv", help="also write every cell's evaluation to this CSV file")
    args = parser.parse_args()
    changes = {k: tuple(v) for k, v in (("datasets", args.datasets), ("families", args.families),
                                        ("latent_dims", args.latent_dims), ("seeds", args.seeds)) if v}
    if args.epochs:
        changes["num_epochs"] = args.epochs
    if args.precision:
        changes["precision"] = args.precision
    grid = dataclasses.replace(STUDIES[args.study][args.grid], **changes)
    print(f"grid {grid.name!r}{' (changed)' if changes else ''}: {grid.size} runs of {grid.num_epochs} epochs")
    if args.dry_run:
        return
    result = run_grid(grid, workers=args.workers, threads=args.threads, scheduler=args.scheduler,
                      shared_cache=not args.ship_results, grouped=args.grouped)
    rate = f", {statistics.mean(result.images_per_second):.0f} training images/s per run" if result.images_per_second else ""
    print(f"{result.trained} runs trained in {result.wall_seconds:.0f} s wall ({result.train_seconds:.0f} s of training "
          f"summed over runs{rate}; {args.workers} workers x {args.threads} threads)")
    columns = {"test_neg_elbo": "-ELBO", "active_per_example": "active", "dims_used": "used", "probe_default": "probe",
               "probe_gated": "probe gated", "probe_slab_mean": "probe slab", "disentanglement": "D",
               "completeness": "C", "val_disentanglement": "val D"}
    tables = {name: result.table(column) for column, name in columns.items() if column in result.frame()}
    for key in tables["-ELBO"].index:
        parts = [f"{name} {t.loc[key, 'mean']:6.2f} +- {t.loc[key, 'sd']:4.2f}" for name, t in tables.items() if key in t.index]
        print(f"{key[0]:>13} {key[1]:>8} J={key[2]:<4} " + " | ".join(parts))
    if args.csv:
        result.frame().to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    if args.record:
        study_grid = STUDIES[args.study][args.grid]
        own = set(study_grid.cells())
        cells = [c for c in grid.cells() if c in own and grid.config(c) == study_grid.config(c)]
        if len(cells) < grid.size:
            print(f"[evidence] {grid.size - len(cells)} runs are not runs of the study's grid (other settings); "
                  "not recorded")
        print("\n".join(record_runs(study_grid, cells, replace=args.replace)))


if __name__ == "__main__":
    main()
