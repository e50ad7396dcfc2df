"""Does bf16 autocast change chapter 7's findings at the book's size? (issues 10 and 12)

The authors' recipe at the default build's size (400 units, 10,000 iterations of 500, J = 40)
trained from the same seeds in fp32 (the book's runs, through the run cache) and under bf16
autocast (separate cached runs), each evaluated as chapter 7 evaluates it; the script prints
and writes, per seed and as mean ± sd, the quantities the chapter's verdicts rest on (dimensions
used, switched by the input, always on, on per face, the authors' block disentanglement, whether
the seed has the block structure by the ablation's rule) and the test bound, with the summed
training time of each precision's runs.

    python research/bf16_book_smiley_check.py [--seeds 0 1 2] [--workers 2] [--out results/bf16-book-smiley-check.json]

Needs a CPU with native bf16 (AVX512-BF16 or AMX) or a GPU; the fp32 cells are the `authors`
book grid's own, so a later `make book` reuses them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from pathlib import Path

from vsc_lib import readings
from vsc_lib.studies import STUDIES
from vsc_lib.sweep import run_grid

COLUMNS = ("dims_used", "input_dependent_dims", "always_on_dims", "active_per_example",
           "authors_block_disentanglement", "block_disentanglement", "test_neg_elbo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--latent-dim", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/bf16-book-smiley-check.json"))
    args = parser.parse_args()
    book = STUDIES["authors"]["book"]
    cells = [("smiley", "authors", args.latent_dim, s) for s in args.seeds]
    out: dict = {"grid": book.name, "latent_dim": args.latent_dim, "seeds": args.seeds, "precisions": {}}
    for precision in ("fp32", "bf16"):
        grid = dataclasses.replace(book, precision=precision)
        result = run_grid(grid, workers=args.workers, cells=cells, progress=True)
        per_seed = []
        for cell in cells:
            e = result.evaluations[cell]
            row = {c: getattr(e, c) for c in COLUMNS} | {"seed": cell[3]}
            row["has_structure"] = readings.has_structure(row["dims_used"], row["input_dependent_dims"])
            per_seed.append(row)
        summary = {c: (statistics.fmean(r[c] for r in per_seed), statistics.stdev(r[c] for r in per_seed))
                   for c in COLUMNS} if len(per_seed) > 1 else {}
        summary["seeds_with_structure"] = sum(r["has_structure"] for r in per_seed)
        out["precisions"][precision] = {"per_seed": per_seed, "mean_sd": summary, "trained": result.trained,
                                        "train_seconds_summed": result.train_seconds,
                                        "wall_seconds": result.wall_seconds}
        print(precision, json.dumps(out["precisions"][precision], indent=1, default=str), flush=True)
    fp32, bf16 = (out["precisions"][p]["per_seed"] for p in ("fp32", "bf16"))
    out["bf16_minus_fp32_per_seed"] = {c: [b[c] - a[c] for a, b in zip(fp32, bf16, strict=True)] for c in COLUMNS}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print(json.dumps(out["bf16_minus_fp32_per_seed"], indent=1))


if __name__ == "__main__":
    main()
