"""Chapter 9: fit's VSC as the number of atoms on per example grows (k = 1 to 4 of the same 16
atoms; the k = 2 runs are those of :mod:`.sparse`)."""

from __future__ import annotations

from .grid import Grid
from .sparse import QUICK_SETTINGS, SETTINGS

NAME = "sparse_k"
GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-k-quick", datasets=("atoms-k1", "atoms"), families=("fit",), seeds=(0,), **QUICK_SETTINGS),
    "book": Grid("sparse-k-book", datasets=("atoms-k1", "atoms", "atoms-k3", "atoms-k4"), families=("fit",),
                 seeds=(0, 1, 2), **SETTINGS),
}
GRIDS["paper"] = GRIDS["book"]
