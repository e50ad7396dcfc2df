"""The length-and-width campaign (chapter 7's last section): show its plan, or train its next runs.

    python scripts/campaign.py                 # the plan: which runs are stored, which are missing
    python scripts/campaign.py --run [--loop]  # train the next missing run (every one with --loop)

Runs are taken in the plan's order (``vsc_lib.studies.size.planned``): the long-and-narrow phase
first (the recipe at seeds 0-2, the beta-VAE at beta 4, 16, 64 at seed 0, then the beta chosen
on the validation images at seeds 1 and 2), then the full size. Each trains in this process at
the lowest priority (``nice 19``) through the run cache, checkpointed after every block of 2,000
iterations, so a stopped call resumes where it stopped when called again; a finished run is
evaluated as chapter 7 evaluates it and recorded in the evidence store at once. ``--threads``
sets torch's threads (default 1, leaving a core to other work).
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from vsc_lib.grid_evaluation import basic_settings
from vsc_lib.stored_runs import record_runs, stored_record
from vsc_lib.studies import STUDIES
from vsc_lib.studies import size as size_study
from vsc_lib.sweep import run_grid
from vsc_lib.training import train_or_load

PHASE_GRID = {"long": STUDIES["size"]["book"], "full": STUDIES["size"]["paper"]}


def plan_state() -> tuple[dict, str | None, bool]:
    """The plan with what the store holds: ``{phase: [(cell, stored), ...]}``, the chosen beta and edge."""
    long = PHASE_GRID["long"]
    seed0 = {}
    for beta in size_study.BETAS:
        found = stored_record(long, ("smiley", beta, size_study.J, 0)).record
        values = found.evaluation("basic", basic_settings(long, beta)) if found else None
        if values and values.get(size_study.CHOICE_MEASURE) is not None:
            seed0[beta] = values[size_study.CHOICE_MEASURE]
    choice = size_study.choose_beta(seed0)
    chosen, edge = choice if choice else (None, False)
    plan = size_study.planned(chosen, edge)
    state = {phase: [(c, stored_record(PHASE_GRID[phase], c).record is not None) for c in cells]
             for phase, cells in plan.items()}
    return state, chosen, edge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="train the next missing run")
    parser.add_argument("--loop", action="store_true", help="with --run: go on until the plan is done")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.run:
        os.nice(19)  # the lowest priority: other work on the machine goes first
        torch.set_num_threads(args.threads)
    while True:
        state, chosen, edge = plan_state()
        present = {phase: [c for c, stored in cells if stored] for phase, cells in state.items()}
        print(size_study.status(present, chosen, edge), flush=True)
        todo = [(phase, c) for phase, cells in state.items() for c, stored in cells if not stored]
        if not args.run or not todo:
            return 0
        phase, cell = todo[0]
        grid = PHASE_GRID[phase]
        print(f"[campaign] training {phase} {cell[1]} seed {cell[3]} ({grid.name}), resumable", flush=True)
        train_or_load(grid.config(cell), progress=True)
        run_grid(grid, workers=1, cells=[cell], progress=False)  # evaluated as chapter 7 does
        print("\n".join(record_runs(grid, [cell])), flush=True)
        if not args.loop:
            return 0


if __name__ == "__main__":
    sys.exit(main())
