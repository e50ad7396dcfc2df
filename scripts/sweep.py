"""Train and evaluate a latent-dimension sweep into the run cache, ahead of a book build.

Usage:
  python scripts/sweep.py [--grid quick|book|paper] [--workers 2] [--threads 1] [--dry-run]
                          [--datasets ...] [--families ...] [--latent-dims ...] [--seeds ...] [--epochs N]

``--grid`` picks one of the grids of ``vsc_lib.experiments`` (default ``paper``, the full
30-epoch grid of the paper: 144 runs); the other options narrow or change it. Runs and
evaluations already in the cache are reused, so an interrupted sweep continues where it stopped
(an unfinished run resumes from its last epoch). Prints the wall time, the training throughput
and the test -ELBO per cell (mean +- sd over seeds). Build the book from that grid with
``make book SWEEP=paper``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

from vsc_lib.experiments import GRIDS, run_grid, summarise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default="paper", choices=sorted(GRIDS))
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--families", nargs="+")
    parser.add_argument("--latent-dims", type=int, nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    changes = {k: tuple(v) for k, v in (("datasets", args.datasets), ("families", args.families),
                                        ("latent_dims", args.latent_dims), ("seeds", args.seeds)) if v}
    if args.epochs:
        changes["num_epochs"] = args.epochs
    grid = dataclasses.replace(GRIDS[args.grid], **changes)
    print(f"grid {grid.name!r}{' (changed)' if changes else ''}: {grid.size} runs of {grid.num_epochs} epochs")
    if args.dry_run:
        return
    result = run_grid(grid, workers=args.workers, threads=args.threads)
    rate = f", {statistics.mean(result.images_per_second):.0f} training images/s per run" if result.images_per_second else ""
    print(f"{result.trained} runs trained in {result.wall_seconds:.0f} s wall ({result.train_seconds:.0f} s of training "
          f"summed over runs{rate}; {args.workers} workers x {args.threads} threads)")
    for (d, f, j), row in summarise(result, "test_neg_elbo").iterrows():
        print(f"{d:>13} {f:>8} J={j:<4} -ELBO {row['mean']:7.2f} +- {row['sd']:5.2f} (n={int(row['n'])})")


if __name__ == "__main__":
    main()
