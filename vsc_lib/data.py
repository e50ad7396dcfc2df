"""Loading and preparing the registered datasets (see :mod:`vsc_lib.datasets`).

:func:`load_dataset` reads a verified split as in-memory tensors; :func:`prepare_dataset`
makes a dataset's files available offline and verified (each dataset module says from where).
Errors come from the one integrity toolkit, :mod:`vsc_lib.integrity`.

Command line: ``python -m vsc_lib.data prepare [name ...]`` (default: every dataset that has
files to prepare).
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import datasets
from .datasets import ImageDataset, load_dataset
from .integrity import DataIntegrityError, DataSourceError
from .paths import data_dir


def prepare_dataset(name: str, root: Path | None = None, log=print):
    """Make the verified files of dataset ``name`` available under ``root``; idempotent.

    Raises:
        DataSourceError: no source could provide a verified copy (the message says how to fix it).
        ValueError: an unknown dataset, or one with nothing to prepare (a user's array).
    """
    dataset = datasets.get(name)
    if dataset.prepare is None:
        raise ValueError(f"dataset {name!r} ({dataset.description}) has no files to prepare.")
    return dataset.prepare(Path(root or data_dir()), log)


def preparable() -> tuple[str, ...]:
    """The registered datasets that have files to prepare."""
    return tuple(n for n in datasets.names() if datasets.get(n).prepare is not None)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "prepare":
        print(f"usage: python -m vsc_lib.data prepare [{'] ['.join(preparable())}]", file=sys.stderr)
        return 2
    try:
        for name in argv[1:] or preparable():
            prepare_dataset(name)
    except (DataSourceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["DataIntegrityError", "DataSourceError", "ImageDataset", "load_dataset", "prepare_dataset", "preparable"]
