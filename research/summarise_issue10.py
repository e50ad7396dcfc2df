"""Mean ± sd tables of chapter 7's and chapter 6 section 6's runs, from the CSVs the trainers
write to results/ (authors-book.csv, ablation-book.csv, fixed-book.csv), for notes and reviews.

    python research/summarise_issue10.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = {
    "smiley": ["authors_block_disentanglement", "block_disentanglement", "authors_disentanglement", "authors_coverage",
               "disentanglement", "coverage", "dims_used",
               "input_dependent_dims", "always_on_dims", "active_per_example", "val_authors_block_disentanglement",
               "test_neg_elbo"],
    "fixed": ["active_per_example", "dims_used", "probe_gated", "probe_slab_mean", "cond_kept", "cond_real",
              "test_neg_elbo"],
}


def table(path: Path, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(path)
    present = [c for c in columns if c in frame]
    grouped = frame.groupby(["dataset", "family", "latent_dim"])[present]
    mean, sd, n = grouped.mean(), grouped.std(), grouped.size()
    out = mean.round(2).astype(str) + " ± " + sd.fillna(0).round(2).astype(str)
    out["seeds"] = n
    return out


def main() -> None:
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    for name, kind in (("authors-book", "smiley"), ("ablation-book", "smiley"), ("fixed-book", "fixed")):
        path = Path("results") / f"{name}.csv"
        if path.exists():
            print(f"== {path}")
            print(table(path, COLUMNS[kind]).to_string())
            print()


if __name__ == "__main__":
    main()
