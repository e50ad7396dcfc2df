"""Where data and trained runs live (overridable by environment variables)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The repository root when the package is used from a checkout (``pip install -e .``).
REPO_ROOT = Path(__file__).resolve().parent.parent


def in_checkout() -> bool:
    """Whether the package runs from this project's source tree (not from ``site-packages``)."""
    return (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "vsc_lib").is_dir() and \
        "site-packages" not in REPO_ROOT.parts


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vsc_lib"


def data_dir() -> Path:
    """Dataset folder: ``$VSC_DATA_DIR``; else ``data/`` at the repository root of a checkout, or
    ``~/.cache/vsc_lib/data`` (``$XDG_CACHE_HOME``) for an installed package."""
    if os.environ.get("VSC_DATA_DIR"):
        return Path(os.environ["VSC_DATA_DIR"])
    return REPO_ROOT / "data" if in_checkout() else _user_cache() / "data"


def cache_dir() -> Path:
    """Trained-run cache: ``$VSC_CACHE_DIR``; else ``.cache/runs`` at the repository root of a
    checkout, or ``~/.cache/vsc_lib/runs`` (``$XDG_CACHE_HOME``) for an installed package."""
    if os.environ.get("VSC_CACHE_DIR"):
        return Path(os.environ["VSC_CACHE_DIR"])
    return REPO_ROOT / ".cache" / "runs" if in_checkout() else _user_cache() / "runs"


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
