"""Where a Dask sweep's time goes on 1 and on 2 local workers: the grid of
``benchmarks/sweep_scaling.py`` (16 runs: MNIST, VAE and VSC, J = 16, 10,000 images, 3 epochs),
timed inside each task.

    python research/sweep_breakdown.py [--repeats 3] [--json results/sweep-breakdown.json]

Per sweep: the wall time (cluster start included), the summed task time measured inside the
workers, the summed training time, the task time outside training (loading, building, evaluating,
writing), and the worker time spent outside any task (cluster start, imports, scheduling, the idle
tail when one worker has finished) = wall x workers - summed task time. Run it on an otherwise
idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from sweep_scaling import scaling_grid  # noqa: E402  (the benchmark's grid)

from vsc_lib.experiments import Grid, _work  # noqa: E402
from vsc_lib.sweep import dask_client, in_workers  # noqa: E402


def timed(grid, cell, cache) -> dict:
    """One cell trained and evaluated as a sweep does, with its time inside the worker."""
    began, cpu = time.perf_counter(), time.process_time()
    _, _, info = _work(grid, cell, cache)
    return {"task": time.perf_counter() - began, "cpu": time.process_time() - cpu, "train": info["train_seconds"]}


def sweep(grid: Grid, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        began = time.perf_counter()
        with dask_client(workers=workers) as client:
            start = time.perf_counter() - began
            out = list(in_workers(timed, [(grid, c, cache) for c in grid.cells()], client=client, progress=False))
        wall = time.perf_counter() - began
    task, train = sum(o["task"] for o in out), sum(o["train"] for o in out)
    return {"workers": workers, "wall": wall, "cluster_start": start, "sum_task": task, "sum_train": train,
            "sum_task_cpu": sum(o["cpu"] for o in out), "task_outside_training": task - train,
            "worker_time_outside_tasks": wall * workers - task}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    grid = scaling_grid()
    rows = []
    for _ in range(args.repeats):
        one, two = sweep(grid, 1), sweep(grid, 2)
        rows.append({"one": one, "two": two, "speedup": one["wall"] / two["wall"],
                     "training_rise": two["sum_train"] / one["sum_train"] - 1})
        print(f"1 worker {one['wall']:.1f} s, 2 workers {two['wall']:.1f} s: {rows[-1]['speedup']:.2f}x; training "
              f"{one['sum_train']:.1f} -> {two['sum_train']:.1f} s, in tasks outside training "
              f"{one['task_outside_training']:.1f} -> {two['task_outside_training']:.1f} s, worker time outside "
              f"tasks {one['worker_time_outside_tasks']:.1f} -> {two['worker_time_outside_tasks']:.1f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"grid_runs": grid.size, "repeats": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
