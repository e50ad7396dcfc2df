"""A Sphinx extension that makes the plain ``jupyter-book build book/`` build the complete book.

The chapters are notebooks in ``notebooks/``, executed by papermill into ``book/`` by
``scripts/build_book.py`` (``make book``). A plain ``jupyter-book build book/`` used to render only
the introduction and the conclusion, with a "nonexisting document" warning per chapter. Named in
``_config.yml`` (``sphinx.extra_extensions``), this extension runs when Sphinx has read its
configuration, before it looks for documents: every chapter of the table of contents whose executed
copy in ``book/`` is missing, or stamped with another :func:`vsc_lib.book.chapter_key` (its
notebook, the library, the locked requirements, the data or the evidence store changed), is executed
first through the same pipeline (``build_book.py --only ... --no-html``, in the profile of
``$VSC_PROFILE``, default ``book``). Only ``book/`` itself is handled: the quick build's copy is
executed by ``build_book.py``, which stamps what it executes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from .book import chapter_key, get_profile
from .paths import REPO_ROOT

BOOK = REPO_ROOT / "book"
NOTEBOOKS = REPO_ROOT / "notebooks"


def toc_chapters(toc: Path) -> list[str]:
    """The files of the table of contents that are chapter notebooks in ``notebooks/``, in the
    table's order."""
    names: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                names.append(Path(node["file"]).stem)
            for value in node.values():
                if isinstance(value, list | dict):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc.read_text()))
    return [n for n in dict.fromkeys(names) if (NOTEBOOKS / f"{n}.ipynb").is_file()]


def is_current(name: str, profile: str, folder: Path = BOOK) -> bool:
    """Whether ``folder/<name>.ipynb`` was executed in ``profile`` with today's inputs."""
    path = folder / f"{name}.ipynb"
    try:
        stamp = json.loads(path.read_text()).get("metadata", {}).get("vsc_build", {})
    except (OSError, ValueError):
        return False
    return stamp.get("profile") == profile and stamp.get("key") == chapter_key(name, profile)


def execute_out_of_date(app, config=None) -> None:
    if Path(app.srcdir).resolve() != BOOK.resolve():
        return
    profile = get_profile().name
    stale = [n for n in toc_chapters(REPO_ROOT / "_toc.yml") if not is_current(n, profile)]
    if not stale:
        return
    print(f"[vsc] executing the chapters missing or out of date in book/ ({profile} profile): {', '.join(stale)}",
          flush=True)
    command = [sys.executable, str(REPO_ROOT / "scripts" / "build_book.py"), "--profile", profile, "--no-html",
               "--into", str(BOOK), "--only", *stale]
    result = subprocess.run(command, cwd=REPO_ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"executing {', '.join(stale)} failed (exit code {result.returncode}); the executed copies "
                           "with their tracebacks are in book/. Fix the chapter, or run `make book` for the full log.")


def setup(app) -> dict:
    app.connect("config-inited", execute_out_of_date)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
