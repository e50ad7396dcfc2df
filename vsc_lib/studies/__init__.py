"""The book's studies, one module each: the grids a study trains for each book profile, its
families and its evaluation settings (and, for the size campaign, its plan and verdict).

=================  ==========  ======================================================
study              chapter     module
=================  ==========  ======================================================
``latent``         6           :mod:`.latent`: VAE against fixed-prior VSC as J grows
``fixed``          6           :mod:`.fixed`: the fixed prior's spike form and phase
``authors``        7           :mod:`.authors`: the authors' recipe against β-VAEs
``ablation``       7           :mod:`.ablation`: the recipe, one ingredient put back
``size``           7           :mod:`.size`: the campaign on length and width
``har``            8           :mod:`.har`: UCI HAR
``sparse``         9           :mod:`.sparse`: known atoms, VSC against the VAE
``sparse_k``       9           :mod:`.sparse_k`: k atoms on per example
``sparse_choice``  9           :mod:`.sparse_choice`: how fit's default was chosen
``sparse_mnist``   9           :mod:`.sparse_mnist`: fit's defaults on MNIST
=================  ==========  ======================================================

Profiles (``$VSC_PROFILE`` or a chapter's ``profile`` parameter, see :mod:`vsc_lib.book`):
``quick`` (CI and the notebook tests; tiny subsets, one epoch), ``book`` (what the default build
shows; sized to its cold-build budget), ``paper`` (paper-size grids, trained ahead of a build).
A new study is a module here with ``NAME`` and ``GRIDS``, added to :data:`STUDIES`.
"""

from __future__ import annotations

from ..book import get_profile
from . import ablation, authors, fixed, har, latent, size, sparse, sparse_choice, sparse_k, sparse_mnist
from .grid import Cell, CellFormatError, Grid, family_model, parse_cell, validation_split

__all__ = ["STUDIES", "Cell", "CellFormatError", "Grid", "evidence_key", "family_model", "get_grid", "parse_cell",
           "validation_split"]

#: each study's grids by profile name
STUDIES: dict[str, dict[str, Grid]] = {
    module.NAME: module.GRIDS
    for module in (latent, fixed, authors, ablation, size, har, sparse, sparse_k, sparse_choice, sparse_mnist)
}


def get_grid(profile: str | None = None, study: str = "latent", largest: str = "paper") -> Grid:
    """The grid of a study for a book profile (``quick``, ``book`` or ``paper``; None reads
    ``$VSC_PROFILE``, see :func:`vsc_lib.book.get_profile`). ``largest`` caps the choice (chapter 7
    never trains its full-size grid inside a build: ``largest="book"``)."""
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; use one of {', '.join(STUDIES)}.")
    name = get_profile(profile).name
    grids = STUDIES[study]
    order = list(grids)
    if largest in order and order.index(name) > order.index(largest):
        name = largest
    return grids[name]


def evidence_key(grid: Grid) -> tuple[str, str] | None:
    """``(study, profile)`` of a grid of :data:`STUDIES` (the store's folder for its records), or
    None for a grid of one's own (its runs are never read from or written to the store)."""
    for study, grids in STUDIES.items():
        for profile, candidate in grids.items():
            if candidate == grid:
                return study, profile
    return None
