"""Where data and trained runs live (overridable by environment variables)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The repository root when the package is used from a checkout (``pip install -e .``).
REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Dataset folder: ``$VSC_DATA_DIR`` or ``data/`` at the repository root."""
    return Path(os.environ.get("VSC_DATA_DIR") or REPO_ROOT / "data")


def cache_dir() -> Path:
    """Trained-run cache: ``$VSC_CACHE_DIR`` or ``.cache/runs`` at the repository root."""
    return Path(os.environ.get("VSC_CACHE_DIR") or REPO_ROOT / ".cache" / "runs")


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that readers see the old file or the whole new one, never
    a part: a synced temporary file in the same folder, then a rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(payload)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)
