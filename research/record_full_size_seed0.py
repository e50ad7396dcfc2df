"""Rebuild the evidence record of the first full-size Smiley run (``authors:60:0`` of the paper grid)
from ``results/``, marked partial: the run cache that held its model and block-by-block history
was lost with its machine (an AMD EPYC Zen 5, sessions 10-14).

    python research/record_full_size_seed0.py [--replace]

What the record holds, and from where:
- the configuration: the paper grid's cell, whose run name the current code still gives as the
  one that trained (``results/full-smiley-cpu-zen5-progress.json`` names it; checked here);
- the final evaluation's scalar values (``results/authors-paper.csv``; its matrices were never
  written to a CSV, so the correlation matrices are missing);
- the history: the first 31 blocks in full (to 62,000 iterations, the progress file), then the test
  measures of every checkpoint evaluation from 70,000 (``results/full-smiley-checkpoints.json``)
  and the final evaluation at 200,000;
- the timing: 49,644 s recorded, 31,213 s of computation (``results/full-smiley-timing-zen5.json``).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from vsc_lib import evidence
from vsc_lib.config import CACHE_VERSION, config_hash, run_name
from vsc_lib.grid_evaluation import basic_settings
from vsc_lib.provenance import git_commit
from vsc_lib.studies import STUDIES, evidence_key

RESULTS = Path(__file__).resolve().parent.parent / "results"
CELL = ("smiley", "authors", 60, 0)
FINISHED = "2026-12-07T15:47:00+00:00"  # session 14's note: the run finished at 15:47 UTC
MACHINE = {"cpu": "AMD EPYC (Zen 5, 2 vCPUs, AVX-512 with native bf16)", "cpu_from": "session notes", "threads": 2,
           "device": "cpu", "precision": "fp32", "torch": None, "python": None, "finished_utc": FINISHED}


def build(grid) -> dict:
    config = grid.config(CELL)
    progress = json.loads((RESULTS / "full-smiley-cpu-zen5-progress.json").read_text())
    if progress["run"] != run_name(config):
        raise SystemExit(f"the stored run {progress['run']} is not what the current code trains for {CELL} "
                         f"({run_name(config)}): the record would be stale; not written.")
    checkpoints = json.loads((RESULTS / "full-smiley-checkpoints.json").read_text())
    timing = json.loads((RESULTS / "full-smiley-timing-zen5.json").read_text())
    frame = pd.read_csv(RESULTS / "authors-paper.csv")
    row = frame[(frame.family == "authors") & (frame.latent_dim == 60) & (frame.seed == 0)]
    values = {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
              for k, v in row.drop(columns=["dataset", "family", "latent_dim", "seed"]).iloc[0].items()}
    per_block = config.train.epoch_iterations
    history = [dict(block) for block in progress["blocks"]]
    last = history[-1]["epoch"]
    for entry in checkpoints:
        epoch = entry["iterations"] // per_block - 1
        if epoch > last:
            history.append({"epoch": epoch, "test_neg_elbo": entry["test_neg_elbo"],
                            "test_active_hard": entry["test_active_hard"], "seconds": entry["train_seconds_so_far"]})
    history.append({"epoch": config.train.num_epochs - 1, "test_neg_elbo": values["test_neg_elbo"],
                    "test_active_hard": values["test_active_hard"], "seconds": timing["recorded_seconds"]})
    study, profile = evidence_key(grid)
    return {
        "schema": evidence.SCHEMA, "study": study, "profile": profile, "cell": list(CELL),
        "run": run_name(config), "config_hash": config_hash(config), "cache_version": CACHE_VERSION,
        "config": config.to_dict(), "code": {"fingerprint": "unknown (not recorded then)", "commit": git_commit()},
        "machine": MACHINE, "train_seconds": timing["recorded_seconds"],
        "computation_seconds": timing["computation_seconds"], "history": history,
        "evaluations": [{"what": "basic", "settings": basic_settings(grid, "authors"), "values": values}],
        "model_sha256": "unknown (the run cache that held the model is gone)", "weights": None,
        "recorded_utc": datetime.now(UTC).isoformat(timespec="seconds"), "partial": True,
        "note": "Rebuilt from results/ after the run cache was lost: the final evaluation's scalars (no matrices), "
                "the full history to 62,000 iterations, then the test measures every 10,000 iterations.",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replace", action="store_true")
    args = parser.parse_args()
    # one run, two grids: chapter 7's full-size section and the size campaign's full-size grid
    for grid in (STUDIES["authors"]["paper"], STUDIES["size"]["paper"]):
        path, replaced = evidence.write_record(build(grid), replace=args.replace)
        print(f"wrote {path}" + (f" (replaced {replaced})" if replaced else ""))


if __name__ == "__main__":
    main()
