"""Chapter 6: the VAE against the fixed-prior VSC at three alphas, as the latent size J grows, on
MNIST and Fashion-MNIST (bounds, importance-weighted likelihood, sparsity, linear probes)."""

from __future__ import annotations

from .grid import Grid

NAME = "latent"
FAMILIES = ("vae", "vsc0.5", "vsc0.2", "vsc0.01")
DATASETS = ("mnist", "fashion_mnist")
GRIDS: dict[str, Grid] = {
    "quick": Grid("quick", DATASETS, FAMILIES, (8, 32), (0, 1, 2), num_epochs=1, num_train=1000, num_test=500,
                  iw_samples=10, iw_images=200, probe_labels=1000, elbo_samples=2),
    "book": Grid("book", DATASETS, FAMILIES, (8, 32, 128, 200), (0, 1, 2), num_epochs=4),
    "paper": Grid("paper", DATASETS, FAMILIES, (8, 16, 32, 64, 128, 200), (0, 1, 2), num_epochs=30),
}
