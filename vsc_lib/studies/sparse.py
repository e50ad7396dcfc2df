"""Chapter 9: does VSC do sparse coding? fit's VSC (its default now and before issue 31) and the
VAE at J = 32 on sums of known atoms (:mod:`vsc_lib.atoms`): 20,000 training examples, the next
2,000 held out, 2,000 test examples. The measures are :mod:`vsc_lib.sparse_study`'s. The book's
size is the benchmark's, so the ``paper`` profile is the ``book`` grid (its records are "book")."""

from __future__ import annotations

from ..fit import EPOCHS
from .grid import Grid

NAME = "sparse"
FAMILIES = ("fit", "fit-old", "vae")
SETTINGS = {"latent_dims": (32,), "num_train": 20_000, "num_validation": 2_000, "probe_families": (),
            "num_epochs": EPOCHS}
QUICK_SETTINGS = SETTINGS | {"num_train": 1000, "num_validation": 500, "num_test": 500, "num_epochs": 1,
                             "elbo_samples": 2}
GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-quick", datasets=("atoms", "atoms-m24-k3"), families=FAMILIES, seeds=(0,),
                  **QUICK_SETTINGS),
    "book": Grid("sparse-book", datasets=("atoms", "atoms-m24-k3"), families=FAMILIES, seeds=(0, 1, 2),
                 **SETTINGS),
}
GRIDS["paper"] = GRIDS["book"]
