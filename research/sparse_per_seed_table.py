"""Chapter 9's measures for every method, setting and seed, read from the evidence store (no
training): VSC (fit's default and its earlier default) and the VAE from the run records of the
``sparse`` and ``sparse_k`` studies, the classic methods from ``evidence/classic/``.

    python research/sparse_per_seed_table.py [--out results/sparse-coding-per-seed.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vsc_lib import atoms, families, sparse_study, stored_runs, studies
from vsc_lib.paths import write_atomic

COLUMNS = ("support_f1", "dims_used", "on_per_example", "coef_corr", "recon_mse", "examples_per_second")


def rows() -> list[tuple]:
    out = []
    for study in ("sparse", "sparse_k"):
        grid = studies.get_grid("book", study)
        settings = sparse_study.code_settings(grid)
        for cell in grid.cells():
            if study == "sparse_k" and cell[0] in studies.get_grid("book", "sparse").datasets:
                continue  # the shared k = 2 runs are listed once
            record = stored_runs.usable_record(grid, cell)
            values = record.evaluation("sparse", settings) if record is not None else None
            if values is None:
                raise SystemExit(f"{study} {cell}: no stored sparse-coding evaluation; run scripts/train_sparse.py")
            out.append((cell[0], families.family_label(cell[1]), cell[3], values))
        for dataset in grid.datasets:
            sizes = [max(grid.latent_dims)]
            if study == "sparse":
                sizes.append(atoms.SETTINGS[dataset].num_atoms)
            elif dataset in studies.get_grid("book", "sparse").datasets:
                continue
            for n in sizes:
                for seed in grid.seeds:
                    found = sparse_study.classic_evaluation(dataset, seed, n, grid.num_train, grid.num_test)
                    for method in sparse_study.CLASSIC_METHODS:
                        name = method if n == max(grid.latent_dims) else f"{method} ({n} atoms)"
                        out.append((dataset, name, seed, found[method]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/sparse-coding-per-seed.md"))
    args = parser.parse_args()
    lines = ["# Chapter 9, every method, setting and seed (from the evidence store)", "",
             "Made by `python research/sparse_per_seed_table.py`; test examples; J = 32 (classic methods: 32 atoms "
             "unless stated); encoding speed as measured when each evaluation was computed (AMD EPYC Zen 2, "
             "under load: compare speeds within chapter 9's side-by-side measurement instead).", "",
             "| setting | method | seed | " + " | ".join(COLUMNS) + " |", "| --- " * (3 + len(COLUMNS)) + "|"]
    for dataset, method, seed, values in rows():
        cells = [f"{values[c]:.4g}" if isinstance(values[c], float) else str(values[c]) for c in COLUMNS]
        lines.append(f"| {atoms.SETTINGS[dataset].label} | {method} | {seed} | " + " | ".join(cells) + " |")
    write_atomic(args.out, ("\n".join(lines) + "\n").encode())
    print(f"{args.out}: {len(lines) - 6} rows")


if __name__ == "__main__":
    main()
