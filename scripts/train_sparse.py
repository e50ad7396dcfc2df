"""Train and record chapter 9's runs: the ``sparse`` grid (fit's VSC now and before issue 31, and
the VAE, on two (M, k) settings of known atoms, three seeds), the ``sparse_k`` grid (fit's VSC
at k = 1 to 4 of 16 atoms), each run with its sparse-coding evaluation, the ``sparse_choice``
grid (alpha x usage weight, evaluated on the validation examples) and the ``sparse_mnist`` grid
(the two defaults on MNIST); then the classic methods
(dictionary learning with OMP and the lasso, OMP on the true atoms, PCA) on every setting and seed
with as many components as VSC has dimensions, and dictionary learning told the true number of
atoms on the two main settings. Everything goes into the evidence store the moment it is done.

Resumable: trained runs and evaluations come from the run cache, records already in the store
are kept (``--replace`` rewrites them).

    python scripts/train_sparse.py [--profile book] [--workers 1] [--replace]
"""

from __future__ import annotations

import argparse
import time

from vsc_lib import sparse_study, stored_runs, studies, sweep
from vsc_lib.evidence import RecordExistsError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="book", choices=("quick", "book"))
    parser.add_argument("--workers", type=int, default=1, help="training processes (one thread each)")
    parser.add_argument("--replace", action="store_true", help="rewrite records already in the store")
    args = parser.parse_args()
    splits = {"sparse": "test", "sparse_k": "test", "sparse_choice": "validation", "sparse_mnist": None}
    grids = [studies.get_grid(args.profile, study) for study in splits]
    for grid, split in zip(grids, splits.values(), strict=True):
        for dataset in grid.datasets:
            cells = [c for c in grid.cells() if c[0] == dataset]
            todo = [c for c in cells if args.replace or not recorded(grid, c, split)]
            if not todo:
                print(f"[{grid.name}] {dataset}: all {len(cells)} runs recorded", flush=True)
                continue
            began = time.perf_counter()
            result = sweep.run_grid(grid, workers=args.workers, threads=1, cells=todo, progress=False)
            for cell in todo if split else ():
                sparse_study.code_evaluation(stored_runs.load_cell(grid, cell), grid, split)
            print(f"[{grid.name}] {dataset}: {result.trained} trained, {time.perf_counter() - began:.0f} s", flush=True)
            print("\n".join(stored_runs.record_runs(grid, todo, replace=True)), flush=True)
    book = grids[0]
    for grid in grids[:2]:
        for dataset in grid.datasets:
            for seed in grid.seeds:
                sizes = {max(grid.latent_dims)}
                if dataset in book.datasets:  # dictionary learning told the true number of atoms
                    sizes.add(sparse_study.atoms.SETTINGS[dataset].num_atoms)
                for n in sorted(sizes):
                    began = time.perf_counter()
                    try:
                        values = sparse_study.classic_evaluation(dataset, seed, n, grid.num_train, grid.num_test,
                                                                 record=True, replace=args.replace)
                    except RecordExistsError as error:
                        print(f"[classic] {error}", flush=True)
                        continue
                    f1 = values["dictionary learning + OMP"]["support_f1"]
                    print(f"[classic] {dataset} seed {seed} {n} components: DL+OMP F1 {f1:.3f} "
                          f"({values['_source']}, {time.perf_counter() - began:.0f} s)", flush=True)


def recorded(grid, cell, split: str | None) -> bool:
    """Whether the store holds the cell's run with the evaluations this script computes."""
    record = stored_runs.usable_record(grid, cell)
    if record is None:
        return False
    return split is None or record.evaluation("sparse", sparse_study.code_settings(grid, split)) is not None


if __name__ == "__main__":
    main()
