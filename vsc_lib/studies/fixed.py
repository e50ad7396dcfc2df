"""Chapter 6's last section: the fixed prior on MNIST and Fashion-MNIST at alpha = 0.01, J = 200:
the authors' spike form and their long spike-only phase against the book's sigmoid spike, with and
without it (every family probed; conditional samples judged)."""

from __future__ import annotations

from .grid import Grid
from .latent import DATASETS

NAME = "fixed"
FAMILIES = ("vsc0.01", "vsc0.01+hold", "vsc0.01+min0", "vsc0.01+min0+hold")
_SETTINGS = {"datasets": DATASETS, "families": FAMILIES, "latent_dims": (200,), "class_profiles": True,
             "probe_families": FAMILIES, "conditional": True}
GRIDS: dict[str, Grid] = {
    "quick": Grid("fixed-quick", seeds=(0,), num_epochs=1, num_train=1000, num_test=500, iw_samples=10, iw_images=200,
                  probe_labels=1000, elbo_samples=2, **_SETTINGS),
    "book": Grid("fixed-book", seeds=(0, 1, 2), num_epochs=4, **_SETTINGS),
    "paper": Grid("fixed-paper", seeds=(0, 1, 2), num_epochs=30, **_SETTINGS),
}
