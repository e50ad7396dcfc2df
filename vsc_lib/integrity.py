"""The integrity toolkit every dataset uses: one error type, checksums, one allow-list unpickler.

- :class:`DataSourceError` — a dataset's file is missing and no source could provide it; its
  subclass :class:`DataIntegrityError` — a file exists but is not the published one (checksum
  mismatch, wrong contents). Messages name the file and the command that fixes it.
- :func:`digest` / :func:`file_digest` / :func:`verify` — MD5 or SHA-256 of bytes or files (a
  file's digest is remembered per path, size and modification time, so repeated loads hash it
  once) and a check that raises :class:`DataIntegrityError` with the fix.
- :class:`AllowListUnpickler` — reads a pickle but resolves only the globals on its allow-list,
  so a tampered data file cannot run code (:data:`NUMPY_ARRAYS` holds what plain NumPy arrays
  need).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class DataSourceError(RuntimeError):
    """A dataset file is missing and no source could provide it."""


class DataIntegrityError(DataSourceError):
    """A dataset file exists but is not the published one (its checksum or contents are wrong)."""


ALGORITHMS = ("md5", "sha256")


def digest(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of ``data`` (``"md5"`` or ``"sha256"``)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}.")
    return hashlib.new(algorithm, data).hexdigest()


_REMEMBERED: dict[tuple[str, str, int, int], str] = {}


def file_digest(path: Path | str, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in blocks and remembered per (path, size, mtime)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}.")
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), algorithm, stat.st_size, stat.st_mtime_ns)
    if key not in _REMEMBERED:
        hasher = hashlib.new(algorithm)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        _REMEMBERED[key] = hasher.hexdigest()
    return _REMEMBERED[key]


def verify(path: Path | str, expected: str, algorithm: str, fix: str) -> Path:
    """Check a file against its published checksum; return its path.

    Raises:
        DataSourceError: the file does not exist (the message ends with ``fix``).
        DataIntegrityError: its checksum differs (the message names both digests and ``fix``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"{path} is missing.\n{fix}")
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise DataIntegrityError(f"{path} is corrupted ({algorithm} {actual}, expected {expected}); it was not loaded.\n"
                                 f"Delete it and prepare it again:\n  rm {path}\n{fix}")
    return path


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _numpy_scalar():
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar
    return scalar


def numpy_arrays() -> dict[tuple[str, str], Any]:
    """The globals a pickle of plain NumPy arrays refers to (under NumPy 1 and 2 module names)."""
    import numpy as np

    reconstruct, scalar = _numpy_reconstruct(), _numpy_scalar()
    return {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): reconstruct,
        ("numpy.core.multiarray", "scalar"): scalar,
        ("numpy._core.multiarray", "scalar"): scalar,
    }


class AllowListUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in ``allowed`` ({(module, name): object}).

    Anything else raises :class:`pickle.UnpicklingError` naming the global and ``what`` was
    being read, so a tampered file is refused before it can run code.
    """

    def __init__(self, handle, allowed: Mapping[tuple[str, str], Any], what: str = "a data pickle",
                 encoding: str = "latin1"):
        super().__init__(handle, encoding=encoding)
        self._allowed, self._what = dict(allowed), what

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{self._what} refers to {module}.{name}, which is not on the allow-list; "
                                         "refusing to load it") from None
