"""The authors' full-size Smiley recipe on a CUDA GPU (issue 10: at least one run of the full
preset). A short prepared script for a session that is lent a GPU; nothing on the CPU can train
it in a session (about 7.7 hours at 2 threads in fp32 on session 8's machine).

    python scripts/gpu_full_smiley.py --probe 400                 # seconds per iteration, projected run time
    python scripts/gpu_full_smiley.py [--cells authors:60:0 ...] [--workers 1] \\
        [--cache .cache/runs] [--csv results/authors-paper.csv] [--json results/gpu-full-smiley.json]

``--probe N`` trains the full-size network (3,000 units, J = 60, batch 500) for N iterations of
the recipe's schedule scaled to that length and reports the seconds per iteration and what
200,000 would take: run it first and choose how many cells fit the device's time. Without it the
script trains cells of the ``authors`` paper grid (``family:J:seed``; default the recipe at
J = 60, seed 0) through the run cache, each checkpointed every 2,000 iterations so that a call
cut short resumes where it stopped, on ``--workers`` processes sharing the GPU; evaluates them as
chapter 7 does; merges each cell's row into ``--csv`` (the ``paper`` sweep the chapter shows when
its runs are in the cache) and writes the wall time per cell to ``--json``.

On a lent device machine, give ``--cache "$OUT/runs"`` so that the finished run (its folder and
its evaluation under ``_evals/``, about 40 MB for the full-size model) comes back with the
results; copied into ``.cache/runs/``, chapter 7 of a ``paper`` build reads it instead of
training it.

``--grid quick --allow-cpu`` runs the same path on the CPU in a minute (a check of the script,
not a measurement).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from vsc_lib.recipes import SMILEY, recipe_config
from vsc_lib.stored_runs import record_runs
from vsc_lib.studies import STUDIES, parse_cell
from vsc_lib.sweep import run_grid
from vsc_lib.sweep_result import CSV_MATRICES
from vsc_lib.training import load_run_data, train


def smiley_cell(text: str):
    """``family:J:seed`` as a cell of the Smiley dataset (:func:`vsc_lib.studies.parse_cell`)."""
    return parse_cell(text, dataset="smiley")



def probe(iterations: int, device: str) -> dict:
    """Seconds per iteration of the full-size network on ``device``, over ``iterations``."""
    config = recipe_config(SMILEY, length=iterations / SMILEY.iterations, blocks=4, num_test=500)
    data = load_run_data(config)
    began = time.perf_counter()
    run = train(config, data=data, device=device, progress=True)
    per = run.meta["train_seconds"] / iterations
    return {"iterations": iterations, "wall_seconds": time.perf_counter() - began, "seconds_per_iteration": per,
            "projected_full_run_minutes": per * SMILEY.iterations / 60}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", type=int, metavar="N", help="only time N iterations of the full-size network")
    parser.add_argument("--cells", type=smiley_cell, nargs="+", default=[("smiley", "authors", 60, 0)])
    parser.add_argument("--grid", default="paper", choices=sorted(STUDIES["authors"]))
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the GPU, one cell each")
    parser.add_argument("--cache", type=Path, help="run cache (default: the library's)")
    parser.add_argument("--csv", type=Path, default=Path("results/authors-paper.csv"))
    parser.add_argument("--json", type=Path, default=Path("results/gpu-full-smiley.json"))
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU (a check of the script)")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    if not cuda and not args.allow_cpu:
        raise SystemExit("no CUDA device here: the full-size recipe takes hours on a CPU (use --allow-cpu with "
                         "--grid quick, or a small --probe, to check this script on the CPU).")
    out = {"device": torch.cuda.get_device_name(0) if cuda else platform.processor() or "cpu",
           "torch": torch.__version__}
    if args.probe:
        out["probe"] = probe(args.probe, "cuda" if cuda else "cpu")
        print(json.dumps(out, indent=1))
        return
    grid = STUDIES["authors"][args.grid]
    unknown = [c for c in args.cells if c not in set(grid.cells())]
    if unknown:
        raise SystemExit(f"cells {unknown} are not in the {grid.name} grid (families {grid.families}, "
                         f"J {grid.latent_dims}, seeds {grid.seeds}).")
    began = time.perf_counter()
    result = run_grid(grid, workers=args.workers, threads=1, cache=args.cache, cells=args.cells, progress=True)
    out |= {"grid": grid.name, "cells": [list(c) for c in args.cells], "workers": args.workers,
            "wall_seconds": time.perf_counter() - began, "trained": result.trained,
            "train_seconds_summed": result.train_seconds}
    result.merge_csv(args.csv)
    # into the evidence store (set VSC_EVIDENCE_DIR to a folder that comes back from a lent machine)
    print("\n".join(record_runs(grid, args.cells, cache=args.cache)), flush=True)
    frame = result.frame()
    out["rows"] = frame.drop(columns=[c for c in CSV_MATRICES if c in frame]).to_dict(orient="records")
    print(json.dumps(out, indent=1, default=str))
    args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
