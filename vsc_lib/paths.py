"""Where data and trained runs live (overridable by environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root when the package is used from a checkout (``pip install -e .``).
REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Dataset folder: ``$VSC_DATA_DIR`` or ``data/`` at the repository root."""
    return Path(os.environ.get("VSC_DATA_DIR") or REPO_ROOT / "data")


def cache_dir() -> Path:
    """Trained-run cache: ``$VSC_CACHE_DIR`` or ``.cache/runs`` at the repository root."""
    return Path(os.environ.get("VSC_CACHE_DIR") or REPO_ROOT / ".cache" / "runs")
