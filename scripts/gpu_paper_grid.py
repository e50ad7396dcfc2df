"""Chapter 6's paper grid on a CUDA GPU, many models at once: its wall time, and its bounds
against the CPU's (issue 12, part 3). A short prepared script for a session that is lent a GPU.

    python scripts/gpu_paper_grid.py [--workers 8] [--grid paper] [--json results/gpu-paper-grid.json]

Every cell's seeds train as one grouped model (``run_grid(grouped=True)``: stacked weights, one
batched product per layer), and ``--workers`` one-thread Dask worker processes share the GPU, so
that while one waits on a kernel launch another's kernels run. The run cache is a fresh
temporary folder (nothing is read from an earlier run). Reported: the wall time of the sweep
(training and evaluation), the training seconds summed over groups, and for every cell that
``results/sweep-paper-subset.csv`` holds (VAE and VSC alpha = 0.01 at J = 16 / 128 / 200 on both
datasets, trained on the CPU, 3 seeds, 30 epochs) the mean test -ELBO over seeds on both machines
and its difference (goal: within 0.5 nats). Goal for the wall time: 15 minutes for 144 runs.

``--grid quick --allow-cpu`` runs the same code path on the CPU in a minute (a check of the
script, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from vsc_lib.stored_runs import record_runs
from vsc_lib.studies import STUDIES
from vsc_lib.sweep import run_grid

KEY = ["dataset", "family", "latent_dim"]


def compare(frame: pd.DataFrame, reference: pd.DataFrame, tolerance: float = 0.5) -> dict:
    """Mean test -ELBO per cell over seeds, here and in the reference, for the cells both hold."""
    here = frame.groupby(KEY)["test_neg_elbo"].agg(["mean", "count"])
    there = reference.groupby(KEY)["test_neg_elbo"].agg(["mean", "count"])
    out = {}
    for key in here.index.intersection(there.index):
        diff = float(here.loc[key, "mean"] - there.loc[key, "mean"])
        out[" ".join(map(str, key))] = {"here": float(here.loc[key, "mean"]), "reference": float(there.loc[key, "mean"]),
                                        "seeds": int(here.loc[key, "count"]), "diff": diff,
                                        "within": abs(diff) <= tolerance}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8, help="Dask worker processes sharing the GPU")
    parser.add_argument("--grid", default="paper", choices=sorted(STUDIES["latent"]))
    parser.add_argument("--reference", type=Path, default=Path("results/sweep-paper-subset.csv"))
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU (a check of the script)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--record", action="store_true",
                        help="record the trained runs in the evidence store ($VSC_EVIDENCE_DIR or evidence/)")
    args = parser.parse_args()
    if not torch.cuda.is_available() and not args.allow_cpu:
        raise SystemExit("no CUDA device here: this script measures the GPU (use --allow-cpu with --grid quick to "
                         "check it on the CPU).")
    grid = STUDIES["latent"][args.grid]
    out = {"grid": grid.name, "runs": grid.size, "epochs": grid.num_epochs, "workers": args.workers,
           "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "cpu",
           "torch": torch.__version__}
    with tempfile.TemporaryDirectory(prefix="vsc-gpu-grid-") as cache:
        began = time.perf_counter()
        result = run_grid(grid, workers=args.workers, threads=1, cache=cache, progress=True, grouped=True)
        out["wall_seconds"] = time.perf_counter() - began
        if args.record:  # before the temporary cache goes: the store keeps the runs
            print("\n".join(record_runs(grid, cache=cache)), flush=True)
    out["trained"], out["train_seconds_summed"] = result.trained, result.train_seconds
    out["within_15_minutes"] = out["wall_seconds"] <= 15 * 60
    frame = result.frame()
    if args.reference.exists():
        out["bounds"] = compare(frame, pd.read_csv(args.reference))
        out["all_within_0.5"] = all(v["within"] for v in out["bounds"].values()) if out["bounds"] else None
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
