"""Mean ± sd tables of chapter 7's and chapter 6 section 6's runs, from the CSVs the trainers
write to results/ (authors-book.csv, ablation-book.csv, fixed-book.csv), for notes and reviews;
then chapter 7's reading of the paper's claim computed from those rows with the chapter's own
functions (β chosen per J by the validation block disentanglement), at the J whose every family
has all its seeds.

    python research/summarise_issue10.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vsc_lib import readings
from vsc_lib.studies import STUDIES

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


VSC_METRICS = {"used": "dims_used", "switched": "input_dependent_dims", "always_on": "always_on_dims",
               "active": "active_per_example", "D": "authors_block_disentanglement"}


def claim(path: Path) -> str:
    """Chapter 7's reading of the claim from the rows of ``authors-book.csv``."""
    grid, frame = STUDIES["authors"]["book"], pd.read_csv(path)
    counts = frame.groupby(["family", "latent_dim"]).size()
    Js = [J for J in grid.latent_dims
          if all(counts.get((f, J), 0) == len(grid.seeds) for f in grid.families)]
    if not Js:
        return "no J has every family on every seed yet"
    numbers = frame.select_dtypes("number").join(frame[["family"]])
    stats = numbers.groupby(["family", "latent_dim"]).agg(["mean", "std"])
    betas = [f for f in grid.families if f != "authors"]
    chosen = {J: max(betas, key=lambda f: stats.loc[(f, J), ("val_authors_block_disentanglement", "mean")])
              for J in Js}

    def pair(family, J, column):
        return float(stats.loc[(family, J), (column, "mean")]), float(stats.loc[(family, J), (column, "std")])

    vsc = {key: {J: pair("authors", J, column) for J in Js} for key, column in VSC_METRICS.items()}
    beta = {"D": {J: pair(chosen[J], J, "authors_block_disentanglement") for J in Js}}
    tests, holds = readings.authors_claim(Js, vsc, beta)
    return (f"J = {Js}; chosen beta per J: {chosen}\ntests: {tests}, claim holds: {holds}\n"
            + readings.authors_reading(Js, vsc, beta, len(grid.seeds)))


def main() -> None:
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    for name, kind in (("authors-book", "smiley"), ("ablation-book", "smiley"), ("fixed-book", "fixed")):
        path = Path("results") / f"{name}.csv"
        if path.exists():
            print(f"== {path}")
            print(table(path, COLUMNS[kind]).to_string())
            print()
    path = Path("results") / "authors-book.csv"
    if path.exists():
        print("== chapter 7's reading of the claim, from", path)
        print(claim(path))


if __name__ == "__main__":
    main()
