"""Where a Dask sweep's time goes on 1 and on 2 local workers: the grid of
``benchmarks/sweep_scaling.py`` (16 runs: MNIST, VAE and VSC, J = 16, 10,000 images, 3 epochs),
timed inside each task.

    python research/sweep_breakdown.py [--repeats 3] [--start-method forkserver [spawn ...]] [--cold]
                                       [--json results/sweep-breakdown.json]

``--start-method`` says how the local workers start (see :func:`vsc_lib.sweep.dask_client`); with
several, each repeat runs the 1- and 2-worker sweeps of every method in turn, so that a drift of
the machine's speed touches them alike. All sweeps run in this one process, after one untimed
cluster of each method (for ``forkserver``: its server is running when the timing starts), unless
``--cold``: then each sweep runs in a fresh Python process, as a single sweep from the command
line does (the fork server is started anew each time).

Per sweep: the wall time (cluster start included), the summed task time measured inside the
workers, the summed training time, the task time outside training (loading, building, evaluating,
writing), and the worker time spent outside any task (cluster start, imports, scheduling, the idle
tail when one worker has finished) = wall x workers - summed task time. Run it on an otherwise
idle machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from sweep_scaling import scaling_grid  # noqa: E402  (the benchmark's grid)

from vsc_lib.studies import Grid
from vsc_lib.sweep import dask_client, in_workers, train_and_evaluate  # noqa: E402


def timed(grid, cell, cache) -> dict:
    """One cell trained and evaluated as a sweep does, with its time inside the worker."""
    began, cpu = time.perf_counter(), time.process_time()
    _, _, info = train_and_evaluate(grid, cell, cache)
    return {"task": time.perf_counter() - began, "cpu": time.process_time() - cpu, "train": info["train_seconds"]}


def sweep(grid: Grid, workers: int, start_method: str = "forkserver", cold: bool = False) -> dict:
    if cold:  # the same function, in a process of its own
        out = subprocess.run([sys.executable, __file__, "--one-sweep", str(workers), "--start-method", start_method],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory() as cache:
        began = time.perf_counter()
        with dask_client(workers=workers, start_method=start_method) as client:
            start = time.perf_counter() - began
            out = list(in_workers(timed, [(grid, c, cache) for c in grid.cells()], client=client, progress=False))
        wall = time.perf_counter() - began
    task, train = sum(o["task"] for o in out), sum(o["train"] for o in out)
    return {"workers": workers, "start_method": start_method, "cold": cold, "wall": wall, "cluster_start": start,
            "sum_task": task, "sum_train": train,
            "sum_task_cpu": sum(o["cpu"] for o in out), "task_outside_training": task - train,
            "worker_time_outside_tasks": wall * workers - task}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--start-method", nargs="+", default=["forkserver"])
    parser.add_argument("--cold", action="store_true", help="each sweep in a fresh Python process")
    parser.add_argument("--one-sweep", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    grid = scaling_grid()
    if args.one_sweep:
        print(json.dumps({**sweep(grid, args.one_sweep, args.start_method[0]), "cold": True}))
        return
    if not args.cold:
        for method in args.start_method:
            with dask_client(workers=1, start_method=method):
                pass
    rows = []
    for _, method in ((r, m) for r in range(args.repeats) for m in args.start_method):
        one, two = (sweep(grid, n, method, args.cold) for n in (1, 2))
        rows.append({"start_method": method, "one": one, "two": two, "speedup": one["wall"] / two["wall"],
                     "training_rise": two["sum_train"] / one["sum_train"] - 1})
        print(f"{method}: 1 worker {one['wall']:.1f} s, 2 workers {two['wall']:.1f} s: {rows[-1]['speedup']:.2f}x; training "
              f"{one['sum_train']:.1f} -> {two['sum_train']:.1f} s, in tasks outside training "
              f"{one['task_outside_training']:.1f} -> {two['task_outside_training']:.1f} s, worker time outside "
              f"tasks {one['worker_time_outside_tasks']:.1f} -> {two['worker_time_outside_tasks']:.1f} s", flush=True)
    if args.json:
        summary = {m: [r["speedup"] for r in rows if r["start_method"] == m] for m in args.start_method}
        args.json.write_text(json.dumps({"grid_runs": grid.size, "start_methods": args.start_method,
                                         "cold": args.cold, "speedups": summary, "repeats": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
