"""Chapter 8: UCI HAR, a dataset the paper did not use: the VAE, a β-VAE and the fixed-prior VSC
on standardised raw sensor windows (Gaussian likelihood), every family probed, per-class spike
profiles kept."""

from __future__ import annotations

from .grid import Grid

NAME = "har"
FAMILIES = ("vae", "beta4", "vsc0.2")
_SETTINGS = {"datasets": ("har",), "families": FAMILIES, "probe_families": FAMILIES, "class_profiles": True,
             "probe_labels": 10_000}
GRIDS: dict[str, Grid] = {
    "quick": Grid("har-quick", latent_dims=(4, 16), seeds=(0, 1, 2), num_epochs=1, num_train=1000, num_test=500,
                  elbo_samples=2, **_SETTINGS),
    "book": Grid("har-book", latent_dims=(4, 8, 16, 32), seeds=(0, 1, 2), num_epochs=15, **_SETTINGS),
    "paper": Grid("har-paper", latent_dims=(2, 4, 8, 16, 32, 64), seeds=(0, 1, 2, 3, 4), num_epochs=60, **_SETTINGS),
}
