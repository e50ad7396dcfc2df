"""Dask sweeps on this machine: the same small grid on 1 and on 2 local workers, and the
scheduling overhead per run, measured in one run.

    python benchmarks/sweep_scaling.py [--json results/sweep-scaling.json]

- start-up: seconds to start a LocalCluster of 2 one-thread worker processes, the first of this
  process (its fork server starts with it) and again (forked from the running server), as
  :func:`vsc_lib.sweep.dask_client` starts them by default;
- overhead per task: 200 tasks that do nothing through that cluster (submit, schedule, run,
  gather), wall time per task;
- scaling: a 16-run grid (MNIST, VAE and VSC, 8 seeds, 10,000 training images, 3 epochs, J = 16) trained
  and evaluated from an empty cache with ``run_grid(workers=1)`` and ``run_grid(workers=2)``;
  speed-up = wall(1) / wall(2), and the sweep's overhead per run = (wall x workers - summed
  training seconds) / runs (the part of each worker's time not spent in training steps: loading
  data, evaluating, starting processes, scheduling).

Run it on an otherwise idle machine: a second job on the same cores halves the 2-worker rate.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from vsc_lib.studies import Grid
from vsc_lib.sweep import dask_client, in_workers, run_grid


def _nothing(i: int) -> int:
    return i


def scaling_grid(num_train: int = 10_000, epochs: int = 3, seeds: int = 8) -> Grid:
    """The grid timed on 1 and 2 workers: MNIST, VAE and VSC alpha = 0.2, J = 16, ``seeds`` each."""
    return Grid("scaling", ("mnist",), ("vae", "vsc0.2"), (16,), tuple(range(seeds)), num_epochs=epochs, hidden_dim=400,
                num_train=num_train, num_test=500, probe_families=(), elbo_samples=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--num-train", type=int, default=10_000, help="training images per run")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=8, help="seeds per family (2 families)")
    args = parser.parse_args()
    out = {"machine": platform.processor() or platform.machine()}
    began = time.perf_counter()
    with dask_client(workers=2) as client:
        out["startup_seconds"] = time.perf_counter() - began
        list(in_workers(_nothing, [(0,), (1,)], client=client, progress=False))  # warm the workers
        began = time.perf_counter()
        results = list(in_workers(_nothing, [(i,) for i in range(200)], client=client, progress=False))
        out["overhead_per_task_ms"] = 1000 * (time.perf_counter() - began) / len(results)
    began = time.perf_counter()
    with dask_client(workers=2):
        out["startup_seconds_again"] = time.perf_counter() - began
    grid = scaling_grid(args.num_train, args.epochs, args.seeds)
    out["grid"] = {"runs": grid.size, "num_train": grid.num_train, "epochs": grid.num_epochs}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as cache:
            result = run_grid(grid, workers=workers, cache=cache, progress=False)
        out[f"workers_{workers}"] = {"runs": result.trained, "wall_seconds": result.wall_seconds,
                                     "train_seconds_summed": result.train_seconds,
                                     "overhead_per_run_seconds": (result.wall_seconds * workers - result.train_seconds)
                                     / result.trained}
    out["speedup_2_over_1"] = out["workers_1"]["wall_seconds"] / out["workers_2"]["wall_seconds"]
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
