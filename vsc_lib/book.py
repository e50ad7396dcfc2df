"""Build profiles of the book, the one setting that says how much a build computes:

- ``quick``: tiny subsets, one epoch, the quick sweep grids (CI and the notebook tests);
- ``book`` (the default): the real experiments of chapters 1-5 and the book-size grids of 6-8;
- ``paper``: as ``book``, with the paper-size grids of chapters 6 and 8 (hours on 2 cores;
  train them ahead with ``make sweep``). Chapter 7's full-size runs are never trained inside a
  build; it shows them when they are in the cache.

A chapter's ``parameters`` cell sets ``profile``; papermill overrides it (``-p profile quick``),
and ``$VSC_PROFILE`` sets it for everything else (the tests, ``make book PROFILE=...``)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from .config import DataConfig
from .paths import REPO_ROOT, data_dir
from .provenance import code_fingerprint

PROFILE_ENV = "VSC_PROFILE"


@dataclass(frozen=True)
class Profile:
    """How much data and how many epochs a chapter uses.

    Attributes:
        name: ``"quick"``, ``"book"`` or ``"paper"``; also the name of the sweep grids the
            profile's chapters 6-8 use (:func:`vsc_lib.studies.get_grid`).
        num_train, num_test: subset sizes (``None``: the whole split).
        max_epochs: cap on every run's epochs (``None``: as the chapter asks).
        num_eval: test images used by the heavier analyses.
    """

    name: str
    num_train: int | None
    num_test: int | None
    max_epochs: int | None
    num_eval: int

    @property
    def quick(self) -> bool:
        return self.name == "quick"

    def epochs(self, full: int) -> int:
        """``full`` epochs, capped in the quick profile."""
        return full if self.max_epochs is None else min(full, self.max_epochs)

    def data(self, dataset: str = "mnist") -> DataConfig:
        return DataConfig(dataset, num_train=self.num_train, num_test=self.num_test)


PROFILES = {
    "quick": Profile("quick", num_train=1000, num_test=500, max_epochs=1, num_eval=500),
    "book": Profile("book", num_train=None, num_test=None, max_epochs=None, num_eval=10_000),
    "paper": Profile("paper", num_train=None, num_test=None, max_epochs=None, num_eval=10_000),
}
DEFAULT_PROFILE = "book"


def get_profile(name: str | None = None) -> Profile:
    """The named profile; ``None`` reads ``$VSC_PROFILE`` (default ``book``)."""
    name = name or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"unknown book profile {name!r}; use one of {', '.join(PROFILES)} (the 'profile' parameter "
                         f"or ${PROFILE_ENV}).")
    return PROFILES[name]


def glue_figure(name: str, fig) -> None:
    """Glue ``fig`` under ``name`` for a ``{glue:figure}`` in the text, as the PNG of
    :func:`vsc_lib.plotting.figure_png` (which records the figure's smallest text and panel count
    for the HTML check). Nothing is displayed under the cell: the figure appears once, where the
    text places it."""
    from IPython.display import Image
    from myst_nb import glue

    from .plotting import figure_png  # not at the top: a profile lookup must not import matplotlib

    glue(name, Image(data=figure_png(fig), format="png"), display=False)


def glue_markdown(name: str, text: str) -> None:
    """Glue ``text`` (Markdown, e.g. from :mod:`vsc_lib.readings`) under ``name`` for a
    ``{glue:md}`` place in the text; nothing is displayed under the cell."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


#: the suffix of a finding's HTML twin, which other pages paste (the introduction's "What this book finds")
FINDING_HTML = "-html"


def finding_html(text: str) -> str:
    """A finding's Markdown as HTML for pasting into another page (cross-page glue carries HTML,
    not Markdown); inline maths ``$...$`` becomes the span Sphinx writes for it, which MathJax
    typesets there."""
    html = MarkdownIt("commonmark").render(text)
    return re.sub(r"(?<!\\)\$([^$\n<>]+?)\$", r'<span class="math notranslate nohighlight">\\(\1\\)</span>', html)


def glue_finding(name: str, text: str) -> None:
    """Glue a chapter's finding: ``text`` (Markdown) under ``name`` for its own page, as
    :func:`glue_markdown`, and its HTML (:func:`finding_html`) under ``name + "-html"`` for the
    introduction, which pastes every chapter's finding from the executed chapters."""
    from IPython.display import HTML
    from myst_nb import glue

    glue_markdown(name, text)
    glue(name + FINDING_HTML, HTML(finding_html(text)), display=False)


def _files_digest(folder: Path, pattern: str, contents: bool) -> str:
    """SHA-256 over the files of ``folder`` matching ``pattern``: their names and sizes, and their
    bytes when ``contents`` (for small files; the datasets are checked by their own checksums at
    set-up, so their names and sizes stand for them)."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob(pattern) if p.is_file() and not p.name.startswith(".")):
            digest.update(path.relative_to(folder).as_posix().encode() + str(path.stat().st_size).encode())
            if contents:
                digest.update(path.read_bytes())
    return digest.hexdigest()


def chapter_key(name: str, profile: str) -> str:
    """What an executed chapter depends on, as one SHA-256: its notebook, the library's code, the
    locked requirements, the data, the evidence store and the profile. A chapter in ``book/``
    stamped with another key is out of date (the plain ``jupyter-book build book/`` executes it
    again, :mod:`vsc_lib.sphinx_chapters`)."""
    digest = hashlib.sha256(f"{name}:{profile}:{code_fingerprint()}".encode())
    digest.update((REPO_ROOT / "notebooks" / f"{name}.ipynb").read_bytes())
    for lock in ("requirements.txt", "constraints.txt"):
        if (REPO_ROOT / lock).is_file():
            digest.update((REPO_ROOT / lock).read_bytes())
    digest.update(_files_digest(data_dir(), "*", contents=False).encode())
    digest.update(_files_digest(REPO_ROOT / "evidence", "*.json", contents=True).encode())
    return digest.hexdigest()[:20]
