"""Chapter 7's ablation at J = 40: the authors' recipe with one ingredient at a time put back to the
book's earlier choice (:data:`vsc_lib.recipes.EARLIER`). At the default build's width of 400 units
the width ingredient is the recipe itself, so only the full size ablates it."""

from __future__ import annotations

from ..recipes import EARLIER
from .authors import LENGTH, QUICK_SETTINGS, SETTINGS, WIDTH
from .grid import Grid

NAME = "ablation"
FAMILIES = ("authors", *(f"authors~{name}" for name in EARLIER))
BOOK_FAMILIES = tuple(f for f in FAMILIES if f != "authors~width")
GRIDS: dict[str, Grid] = {
    "quick": Grid("ablation-quick", families=FAMILIES[:3], latent_dims=(40,), seeds=(0,), **QUICK_SETTINGS),
    "book": Grid("ablation-book", families=BOOK_FAMILIES, latent_dims=(40,), seeds=(0, 1, 2),
                 width=WIDTH, length=LENGTH, **SETTINGS),
    "paper": Grid("ablation-paper", families=FAMILIES, latent_dims=(40,), seeds=(0, 1, 2), **SETTINGS),
}
