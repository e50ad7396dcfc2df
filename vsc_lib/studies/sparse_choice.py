"""Chapter 9: how fit's default was chosen: alpha x usage weight on the two main settings, seed 0,
read on the validation examples only (the variant with fit's default alpha and weight is the run
of "fit")."""

from __future__ import annotations

from .grid import Grid
from .sparse import QUICK_SETTINGS, SETTINGS

NAME = "sparse_choice"
ALPHAS, USAGE_WEIGHTS = (0.01, 0.0625, 0.125, 0.25), (0.0, 1.0, 2.0, 5.0)
VARIANTS = tuple(f"fit+a{a:g}+u{u:g}" for a in ALPHAS for u in USAGE_WEIGHTS)
GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-choice-quick", datasets=("atoms",), families=("fit+a0.125+u0", "fit+a0.125+u2"),
                  seeds=(0,), **QUICK_SETTINGS),
    "book": Grid("sparse-choice-book", datasets=("atoms", "atoms-m24-k3"), families=VARIANTS, seeds=(0,),
                 **SETTINGS),
}
GRIDS["paper"] = GRIDS["book"]
