"""Train one cell of a study's grid in this process (no Dask), then evaluate it as its chapter
does and merge its row into a CSV: the way to run a single long training (the authors' full-size
Smiley recipe: about 9 hours of two threads in fp32 on a Zen 5 CPU) in the background.

    python scripts/train_cell.py --study authors --grid paper --cell authors:60:0 --threads 2 \\
        [--csv results/authors-paper.csv] [--json results/full-smiley-cpu.json]
    python scripts/train_cell.py --cell authors:60:0 --progress --json results/full-smiley-progress.json
    python scripts/train_cell.py --cell authors:60:0 --evaluate-checkpoint --json results/full-smiley-checkpoints.json

A finished run is recorded in the evidence store (``evidence/``) at once, unless ``--no-record``;
an existing record is kept unless ``--replace``.

The run goes through the run cache, checkpointed after every block of iterations (2,000 for the
full-size recipe), so a call that is stopped (the end of a session, a reboot) resumes where it
stopped when called again. ``--evaluate-checkpoint`` evaluates the model of the latest checkpoint
as the chapter evaluates a finished run (its evaluation goes to a scratch folder, never to the
run's cache entry) and adds it, keyed by iterations, to the JSON file: how the paper's measures
develop while the run trains. Being one plain process, it can be paused and continued
(``kill -STOP`` / ``kill -CONT``) while a timing is measured on the same cores, which a Dask
worker would not survive (its scheduler drops workers that miss heartbeats).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import torch

from vsc_lib.cache import TrainedRun, read_history
from vsc_lib.config import run_name
from vsc_lib.grid_evaluation import basic_evaluation
from vsc_lib.models import build_model
from vsc_lib.paths import cache_dir, write_atomic
from vsc_lib.stored_runs import record_runs
from vsc_lib.studies import get_grid, parse_cell
from vsc_lib.sweep import run_grid
from vsc_lib.sweep_result import CSV_MATRICES
from vsc_lib.training import block_timing, read_checkpoint, same_config, train_or_load


def smiley_cell(text: str):
    """``family:J:seed`` as a cell of the Smiley dataset (:func:`vsc_lib.studies.parse_cell`)."""
    return parse_cell(text, dataset="smiley")



#: the columns of a block's history that say how the run is going
PROGRESS_COLUMNS = ("epoch", "lr", "c", "lam", "train_recon", "train_kl_slab", "train_kl_spike", "train_sparsity",
                    "train_active_hard", "test_neg_elbo", "test_active_hard", "test_dims_pi_gt_half", "seconds")


def progress(config) -> dict:
    """How far the run of ``config`` has trained: its checkpoint's last block and the history of
    every block so far (or the finished run's)."""
    name = run_name(config)
    root = cache_dir()
    if (root / name).is_dir():
        history = read_history((root / name / "history.csv").read_text())
        return {"run": name, "finished": True} | block_timing(history)
    checkpoint = root / f"{name}.partial" / "checkpoint.pt"
    if not checkpoint.is_file():
        return {"run": name, "finished": False, "iterations_done": 0}
    state = read_checkpoint(checkpoint)
    history = json.loads(state["histories"])[0]
    per_block = config.train.epoch_iterations
    return {"run": name, "finished": False, "iterations_done": (state["epoch"] + 1) * per_block,
            "iterations_total": config.train.num_epochs * per_block, "train_seconds_so_far": state["elapsed"],
            "timing": block_timing(history), "blocks": [{k: row.get(k) for k in PROGRESS_COLUMNS} for row in history]}


def checkpoint_run(config, root: Path | None = None, scratch: Path | None = None) -> TrainedRun | None:
    """The model of ``config``'s latest checkpoint in the cache ``root`` as a :class:`TrainedRun`
    (eval mode, the full KL), or None when there is none. Its ``path`` is under ``scratch``, so
    that evaluations of a half-trained model never land in the run's own cache entry.

    Raises:
        ValueError: the checkpoint belongs to another configuration.
    """
    name = run_name(config)
    checkpoint = Path(root or cache_dir()) / f"{name}.partial" / "checkpoint.pt"
    if not checkpoint.is_file():
        return None
    state = read_checkpoint(checkpoint)
    if not same_config(json.loads(json.loads(state["configs"])[0]), config):
        raise ValueError(f"{checkpoint} was written for another configuration than {name}'s; it is not evaluated.")
    model = build_model(config.model, config.input_shape)
    model.load_state_dict(state["model"])
    model.eval()
    model.kl_anneal = 1.0
    iterations = (state["epoch"] + 1) * config.train.epoch_iterations if config.train.epoch_iterations else None
    meta = {"model_sha256": f"checkpoint-epoch-{state['epoch']}", "train_seconds": state["elapsed"],
            "checkpoint_epoch": state["epoch"], "iterations": iterations}
    scratch = Path(scratch or tempfile.mkdtemp(prefix="vsc-checkpoint-eval-"))
    return TrainedRun(config=config, model=model, history=json.loads(state["histories"])[0], meta=meta,
                      path=scratch / name)


def merge_checkpoint_entry(path: Path, entry: dict) -> list[dict]:
    """Add ``entry`` to the list in the JSON file ``path`` (created if missing), replacing an entry
    with the same ``iterations``; the list is kept in order of iterations and written atomically."""
    entries = json.loads(path.read_text()) if path.is_file() else []
    entries = [e for e in entries if e.get("iterations") != entry.get("iterations")] + [entry]
    entries.sort(key=lambda e: e.get("iterations") or 0)
    write_atomic(path, (json.dumps(entries, indent=1, default=str) + "\n").encode())
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="authors")
    parser.add_argument("--grid", default="paper", choices=("quick", "book", "paper"))
    parser.add_argument("--cell", type=smiley_cell, default=("smiley", "authors", 60, 0))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--csv", type=Path, default=None, help="merge the cell's evaluation into this CSV")
    parser.add_argument("--json", type=Path, default=None, help="write the wall time and evaluation here")
    parser.add_argument("--no-record", action="store_true", help="do not record the finished run in the evidence store")
    parser.add_argument("--replace", action="store_true", help="replace the cell's existing evidence record")
    parser.add_argument("--progress", action="store_true",
                        help="train nothing: report how far the cell's checkpoint has got (to --json if given)")
    parser.add_argument("--evaluate-checkpoint", action="store_true",
                        help="train nothing: evaluate the latest checkpoint's model and add it to --json")
    parser.add_argument("--every", type=int, default=None,
                        help="with --evaluate-checkpoint: only when the checkpoint's iterations are a multiple of this")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    grid = get_grid(args.grid, study=args.study)
    _, family, latent_dim, seed = args.cell
    matches = [c for c in grid.cells() if c[1:] == (family, latent_dim, seed)]
    if not matches:
        raise SystemExit(f"{family}:{latent_dim}:{seed} is not a cell of {grid.name} (families {grid.families}, "
                         f"J {grid.latent_dims}, seeds {grid.seeds}).")
    cell = matches[0]
    if args.evaluate_checkpoint:
        config = grid.config(cell)
        with tempfile.TemporaryDirectory(prefix="vsc-checkpoint-eval-") as scratch:
            run = checkpoint_run(config, scratch=Path(scratch))
            if run is None:
                raise SystemExit(f"{run_name(config)} has no checkpoint yet.")
            if args.every and run.meta["iterations"] % args.every:
                print(f"checkpoint at {run.meta['iterations']} iterations: not a multiple of {args.every}, skipped")
                return
            began = time.perf_counter()
            values = basic_evaluation(run, grid, family)
        entry = {"run": run_name(config), "iterations": run.meta["iterations"],
                 "train_seconds_so_far": run.meta["train_seconds"], "eval_seconds": time.perf_counter() - began,
                 **{k: v for k, v in values.items() if k not in CSV_MATRICES and k != "eval_seconds"}}
        print(json.dumps(entry, indent=1, default=str))
        if args.json:
            merge_checkpoint_entry(args.json, entry)
        return
    if args.progress:
        out = progress(grid.config(cell))
        print(json.dumps(out, indent=1))
        if args.json:
            args.json.write_text(json.dumps(out, indent=1) + "\n")
        return
    began = time.perf_counter()
    run = train_or_load(grid.config(cell), progress=True)
    trained = time.perf_counter() - began
    result = run_grid(grid, workers=1, cells=[cell], progress=False)  # cached now: evaluated in this process
    frame = result.frame()
    if not args.no_record:
        print("\n".join(record_runs(grid, [cell], replace=args.replace)))
    if args.csv:
        result.merge_csv(args.csv)
    out = {"machine": platform.processor() or platform.machine(), "threads": args.threads, "cell": list(cell),
           "from_cache": run.from_cache, "train_seconds": run.meta["train_seconds"], "wall_this_call": trained,
           "timing": block_timing(run.history),
           "row": frame.drop(columns=[c for c in CSV_MATRICES if c in frame]).to_dict(orient="records")[0]}
    print(json.dumps(out, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
