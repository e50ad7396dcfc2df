"""Chapter 9: fit's two defaults (now and before issue 31) on MNIST, probed."""

from __future__ import annotations

from ..fit import EPOCHS
from .grid import Grid

NAME = "sparse_mnist"
FAMILIES = ("fit", "fit-old")
GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-mnist-quick", datasets=("mnist",), families=FAMILIES, latent_dims=(32,), seeds=(0,),
                  num_epochs=1, num_train=1000, num_test=500, probe_families=FAMILIES, probe_labels=1000,
                  elbo_samples=2),
    "book": Grid("sparse-mnist-book", datasets=("mnist",), families=FAMILIES, latent_dims=(32,), seeds=(0, 1, 2),
                 num_epochs=EPOCHS, probe_families=FAMILIES),
}
GRIDS["paper"] = GRIDS["book"]
