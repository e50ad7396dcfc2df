"""Published numbers our experiments are compared with.

Source: the ICLR 2019 Reproducibility Challenge reproduction of Variational Sparse Coding
(Alfo5123 et al.), its saved result arrays ``results/checkpoints/*-vlb*.npy`` (test negative
ELBO per example, one latent sample, 11 epochs, batches of 32, MLP with 400 hidden units, Bernoulli likelihood)
and ``*-acc*.npy`` (accuracy of a classifier trained on the encoder means of 5,000 labelled
training images). Only the latent sizes our sweep also trains are listed. The MNIST α = 0.2
bound curve exists only as a plot in that report, so it is not listed.
"""

from __future__ import annotations

#: {(dataset, family): {latent_dim: test -ELBO in nats}}
REPRODUCTION_NEG_ELBO: dict[tuple[str, str], dict[int, float]] = {
    ("mnist", "vae"): {8: 111.2, 16: 104.6, 32: 104.8, 64: 105.1, 128: 105.9, 200: 106.1},
    ("mnist", "vsc0.5"): {8: 117.2, 16: 112.0, 32: 111.5, 64: 112.5, 128: 112.8, 200: 114.9},
    ("fashion_mnist", "vae"): {8: 242.7, 16: 242.1, 32: 243.1, 64: 242.9, 128: 243.5, 200: 244.6},
    ("fashion_mnist", "vsc0.5"): {8: 246.6, 16: 246.5, 32: 247.8, 64: 247.3, 128: 249.0, 200: 249.7},
    ("fashion_mnist", "vsc0.2"): {8: 252.5, 16: 250.5, 32: 250.4, 64: 251.8, 128: 252.3, 200: 253.7},
}

#: {(dataset, family): {latent_dim: test accuracy in percent}}
REPRODUCTION_ACCURACY: dict[tuple[str, str], dict[int, float]] = {
    ("mnist", "vae"): {8: 69.4, 16: 85.5, 32: 86.7, 64: 86.4, 128: 86.4, 200: 86.6},
    ("mnist", "vsc0.01"): {8: 68.2, 16: 68.3, 32: 80.4, 64: 85.0, 128: 89.7, 200: 91.8},
    ("fashion_mnist", "vae"): {8: 72.9, 16: 74.6, 32: 73.4, 64: 74.8, 128: 74.4, 200: 67.0},
    ("fashion_mnist", "vsc0.01"): {8: 66.9, 16: 52.8, 32: 68.6, 64: 68.3, 128: 78.3, 200: 79.7},
}

#: epochs the reproduction trained for
REPRODUCTION_EPOCHS = 11
