"""Grouped training on chapter 6's grid against today's path, side by side in one run: total
training throughput of the machine and the test -ELBO of every family (issue 12's criterion:
within 0.5 nats of today's, mean over 3 seeds, after equal epochs).

    python research/grouped_chapter6_check.py [--latent-dims 200] [--precision fp32|bf16]
        > results/grouped-chapter6-check-<precision>.txt

Both paths train the book grid's cells (MNIST and Fashion-MNIST, every family, 3 seeds, 4
epochs) from empty caches with two one-thread Dask workers: today's path, ``run_grid(workers=2)``
in fp32 (one run per task; with ``--keep-denormals`` as before session 8, which computed Adam's
denormal moments exactly: ``$VSC_KEEP_DENORMALS=1`` for that sweep's workers), and the new
one, ``run_grid(workers=2, grouped=True)`` in ``--precision`` (a cell's three seeds as one
grouped model per task). Throughput = images trained by all runs / wall time of the sweep
(evaluation included, the same for both). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import tempfile
from pathlib import Path

from vsc_lib.studies import STUDIES
from vsc_lib.sweep import run_grid
from vsc_lib.training import KEEP_DENORMALS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latent-dims", type=int, nargs="+", default=[200])
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--datasets", nargs="+", help="default: the book grid's")
    parser.add_argument("--families", nargs="+", help="default: the book grid's")
    parser.add_argument("--seeds", type=int, nargs="+", help="default: the book grid's (0 1 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-denormals", action="store_true",
                        help="today's path as before session 8: denormals computed exactly (slow)")
    parser.add_argument("--reuse-today", type=Path, metavar="CHECK",
                        help="take today's path (wall time and bounds) from an earlier output of this script on the "
                             "same grid instead of training it again: that path is deterministic on one machine")
    args = parser.parse_args()
    narrowed = {k: tuple(v) for k, v in (("datasets", args.datasets), ("families", args.families),
                                         ("seeds", args.seeds)) if v}
    grid = dataclasses.replace(STUDIES["latent"]["book"], latent_dims=tuple(args.latent_dims), probe_families=(), **narrowed)
    new_grid = dataclasses.replace(grid, precision=args.precision)
    images = grid.num_epochs * 60_000 * grid.size
    out = {"grid": {"datasets": grid.datasets, "families": grid.families, "latent_dims": grid.latent_dims,
                    "seeds": grid.seeds, "epochs": grid.num_epochs, "runs": grid.size, "new_precision": args.precision},
           "today_keeps_denormals": args.keep_denormals}
    results = {}
    today_bounds = None
    if args.reuse_today:
        text = args.reuse_today.read_text()
        earlier = json.loads(text[text.index("{"):])
        if earlier["grid"] | {"new_precision": args.precision} != json.loads(json.dumps(out["grid"])):
            raise SystemExit(f"{args.reuse_today} was run on another grid: {earlier['grid']}")
        if earlier["today_keeps_denormals"] != args.keep_denormals:
            raise SystemExit(f"{args.reuse_today} ran today's path with keep_denormals={earlier['today_keeps_denormals']}")
        out["today"] = earlier["today"] | {"reused_from": str(args.reuse_today)}
        today_bounds = {key: row["today_per_seed"] for key, row in earlier["test_neg_elbo"].items()}
        print(f"today: {out['today']['wall_seconds']:.0f} s (from {args.reuse_today})", flush=True)
    for name, grouped, chosen in (("today", False, grid), ("grouped", True, new_grid)):
        if name == "today" and today_bounds is not None:
            continue
        keep = name == "today" and args.keep_denormals
        if keep:
            os.environ[KEEP_DENORMALS] = "1"  # inherited by the workers this sweep starts
        try:
            with tempfile.TemporaryDirectory() as cache:
                result = run_grid(chosen, workers=args.workers, cache=cache, progress=False, grouped=grouped)
        finally:
            os.environ.pop(KEEP_DENORMALS, None)
        results[name] = result
        out[name] = {"wall_seconds": result.wall_seconds, "images_per_second": images / result.wall_seconds}
        print(f"{name}: {result.wall_seconds:.0f} s, {images / result.wall_seconds:.0f} images/s", flush=True)
    out["throughput_ratio"] = out["grouped"]["images_per_second"] / out["today"]["images_per_second"]
    rows = {}
    for dataset in grid.datasets:
        for family in grid.families:
            for J in grid.latent_dims:
                cells = [(dataset, family, J, s) for s in grid.seeds]
                key = f"{dataset} {family} J={J}"
                today = (today_bounds[key] if today_bounds is not None
                         else [results["today"].evaluations[c].test_neg_elbo for c in cells])
                grouped = [results["grouped"].evaluations[c].test_neg_elbo for c in cells]
                diff = statistics.fmean(grouped) - statistics.fmean(today)
                rows[key] = {"today": statistics.fmean(today), "today_sd": statistics.stdev(today),
                                                     "grouped": statistics.fmean(grouped),
                                                     "grouped_sd": statistics.stdev(grouped),
                                                     "today_per_seed": today, "grouped_per_seed": grouped,
                                                     "diff": diff, "within_0.5": abs(diff) <= 0.5}
    out["test_neg_elbo"] = rows
    out["all_within_0.5"] = all(r["within_0.5"] for r in rows.values())
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
