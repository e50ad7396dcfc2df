"""What a sweep of a study's grid returns (:class:`SweepResult`: every cell's evaluation, where
each run came from, what the call cost) and the summaries over seeds that the chapters read from
it; and the result CSVs that sweeps merge their rows into."""

from __future__ import annotations

import fcntl
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import evidence
from .evaluation import Evaluation
from .paths import write_atomic
from .readings import mean_sd
from .studies.grid import Cell, Grid

#: a cell's key columns in a result CSV; the matrix-valued evaluations are not written to CSVs
CSV_KEY = ["dataset", "family", "latent_dim", "seed"]
CSV_MATRICES = ("abs_corr", "authors_abs_corr", "per_class_mean_pi")


def merge_csv(frame: pd.DataFrame, path: Path | str) -> None:
    """Add the rows of ``frame`` (one per cell) to the CSV at ``path``: a cell measured again
    replaces its old row, the others are kept; matrix columns are dropped. Several processes may
    merge into one file: an exclusive lock on ``<path without .csv>.lock`` makes each
    read-modify-write whole, and the file is replaced atomically, so a reader never sees half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = frame.drop(columns=[c for c in CSV_MATRICES if c in frame])
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            old = pd.read_csv(path)
            keys = set(map(tuple, new[CSV_KEY].astype(object).values.tolist()))
            old = old[[tuple(k) not in keys for k in old[CSV_KEY].astype(object).values.tolist()]]
            new = pd.concat([old, new], ignore_index=True)
        write_atomic(path, new.sort_values(CSV_KEY).to_csv(index=False).encode())


@dataclass
class SweepResult:
    """Evaluations of every cell of a grid (``evaluations[cell]``, typed
    :class:`~vsc_lib.evaluation.Evaluation` records), plus what the call cost, and the summaries
    over seeds the chapters read (:meth:`table`, :meth:`series`, :meth:`mean_sd`,
    :meth:`choose_by_validation`, :meth:`best_latent_dims`)."""

    grid: Grid
    evaluations: dict[Cell, Evaluation] = field(default_factory=dict)
    trained: int = 0
    train_seconds: float = 0.0
    wall_seconds: float = 0.0
    images_per_second: list[float] = field(default_factory=list)
    #: where each cell's run came from: ``"trained"`` (by this call), ``"cache"`` or ``"store"``
    sources: dict[Cell, str] = field(default_factory=dict)
    #: the evidence records of the cells read from the store
    records: dict[Cell, evidence.Record] = field(default_factory=dict)

    def provenance(self, what: str = "This table", cells=None) -> str:
        """A sentence for the book on where the runs behind ``cells`` (default: all) came from
        (:func:`vsc_lib.evidence.provenance_note`)."""
        cells = list(self.sources) if cells is None else [c for c in cells if c in self.sources]
        return evidence.provenance_note({c: self.sources[c] for c in cells},
                                        [self.records[c] for c in cells if c in self.records], what)

    def frame(self) -> pd.DataFrame:
        """One row per cell with every value that applies to it."""
        rows = [dict(zip(CSV_KEY, cell, strict=True)) | e.as_dict() for cell, e in self.evaluations.items()]
        return pd.DataFrame(rows)

    def merge_csv(self, path: Path | str) -> None:
        """Add this result's rows to the CSV at ``path`` (see :func:`merge_csv`)."""
        merge_csv(self.frame(), path)

    def table(self, metric: str) -> pd.DataFrame:
        """Mean and sample standard deviation over seeds of ``metric``: a DataFrame indexed by
        (dataset, family, latent_dim) with columns ``mean``, ``sd`` and ``n``.

        Raises:
            KeyError: no cell was evaluated on ``metric`` (the message lists those that were).
        """
        frame = self.frame()
        if metric not in frame:
            raise KeyError(f"no evaluated value {metric!r}; available: {', '.join(sorted(frame.columns))}.")
        grouped = frame.dropna(subset=[metric]).groupby(["dataset", "family", "latent_dim"])[metric]
        return grouped.agg(mean="mean", sd="std", n="count")

    def series(self, metric: str, family: str, dataset: str | None = None) -> dict[int, tuple[float, float]]:
        """``{J: (mean, sd)}`` over seeds of ``metric`` for one family (sd 0 from a single seed)."""
        rows = self.table(metric).loc[(dataset or self.grid.datasets[0], family)]
        return {int(J): (float(r["mean"]), 0.0 if r["sd"] != r["sd"] else float(r["sd"])) for J, r in rows.iterrows()}

    def seeds(self, metric: str, family: str, latent_dim: int, dataset: str | None = None) -> list[float]:
        """Every seed's value of ``metric`` for one (family, J), in seed order (what an interval
        over seeds is computed from, :mod:`vsc_lib.stats`)."""
        dataset = dataset or self.grid.datasets[0]
        return [float(e.as_dict()[metric]) for (d, f, J, _), e in sorted(self.evaluations.items())
                if (d, f, J) == (dataset, family, latent_dim) and e.as_dict().get(metric) is not None]

    def mean_sd(self, rows, columns, dataset: str | None = None) -> pd.DataFrame:
        """A table of "mean ± sd over seeds" strings: ``rows[label] = (family, J)``,
        ``columns[name] = (evaluated column, digits)``; a column a family lacks (NaN) reads "–", and
        a row with one seed shows its value alone (one run has no spread to show)."""
        frame, dataset = self.frame(), dataset or self.grid.datasets[0]
        out = {}
        for label, (family, J) in rows.items():
            cell = frame[(frame.dataset == dataset) & (frame.family == family) & (frame.latent_dim == J)]
            out[label] = {name: ("–" if column not in cell or cell[column].isna().all() else
                                 f"{float(cell[column].mean()):.{digits}f}" if len(cell) == 1 else
                                 mean_sd(float(cell[column].mean()), float(cell[column].std()), digits))
                          for name, (column, digits) in columns.items()}
        return pd.DataFrame(out).T

    def choose_by_validation(self, families, metric: str, dataset: str | None = None) -> dict[int, str]:
        """Per J, the family with the highest mean validation ``metric`` (e.g. which β; the test
        split is never looked at)."""
        means = {f: self.series(metric, f, dataset) for f in families}
        return {J: max(families, key=lambda f: means[f][J][0]) for J in self.grid.latent_dims}

    def best_on_validation(self, metric: str, family: str, dataset: str | None = None) -> int:
        """The J with the highest mean over seeds of a validation ``metric`` (``val_*``) for one
        family: a choice that never looks at the test split.

        Raises:
            ValueError: ``metric`` is not a validation value.
        """
        if not metric.startswith("val_"):
            raise ValueError(f"best_on_validation() chooses on validation values (val_*), not {metric!r}.")
        series = self.series(metric, family, dataset)
        return max(series, key=lambda J: series[J][0])

    def best_latent_dims(self) -> dict[tuple[str, str], int]:
        """Per (dataset, family), the latent size with the lowest mean *training-set* bound (model
        selection never looks at the test set)."""
        table = self.table("train_neg_elbo")["mean"]
        return {(d, f): int(table.loc[(d, f)].idxmin()) for d in self.grid.datasets for f in self.grid.families}
