"""Chapter 8: UCI HAR, a dataset the paper did not use: the VAE, a β-VAE and the fixed-prior VSC
on standardised raw sensor windows (Gaussian likelihood), every family probed, per-class spike
profiles kept.

The training windows are ordered by volunteer, so the last :data:`NUM_VALIDATION` (volunteers 27,
28, 29 and 30 of the 21 training volunteers) are held out as the validation split: models train
on the first :data:`NUM_TRAIN` (17 volunteers), and every choice the chapter makes (the best J of
a code, the best code) is made on the probes' accuracy there, never on the test volunteers'."""

from __future__ import annotations

from .grid import Grid

NAME = "har"
#: the first 17 training volunteers' windows; the last four volunteers' are the validation split
NUM_TRAIN, NUM_VALIDATION = 5910, 1505
FAMILIES = ("vae", "beta4", "vsc0.2")
_SETTINGS = {"datasets": ("har",), "families": FAMILIES, "probe_families": FAMILIES, "class_profiles": True,
             "probe_labels": 10_000, "num_train": NUM_TRAIN, "num_validation": NUM_VALIDATION}
GRIDS: dict[str, Grid] = {
    "quick": Grid("har-quick", latent_dims=(4, 16), seeds=(0, 1, 2), num_epochs=1, num_test=500, elbo_samples=2,
                  **(_SETTINGS | {"num_train": 1000, "num_validation": 500})),
    "book": Grid("har-book", latent_dims=(4, 8, 16, 32), seeds=(0, 1, 2), num_epochs=15, **_SETTINGS),
    "paper": Grid("har-paper", latent_dims=(2, 4, 8, 16, 32, 64), seeds=(0, 1, 2, 3, 4), num_epochs=60, **_SETTINGS),
}
