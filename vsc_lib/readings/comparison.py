"""Chapter 5's readings: AE, VAE and VSC compared on one split."""

from __future__ import annotations

from collections.abc import Mapping


def denoise_reading(worst: Mapping[str, str]) -> str:
    """``worst[dataset] = model`` that removed the least noise, for two datasets in order."""
    if all(model.startswith("VSC") for model in worst.values()):
        return ("On both datasets a VSC model denoises worst: noise changes *which* dimensions switch on, and a wrong "
                "set of active dimensions decodes to a different digit or garment (the VSC rows of the figures above), "
                "whereas the dense codes of the AE and the VAE degrade more gradually. This is where sparsity is a "
                "weakness.")
    names = list(worst)
    return ("The worst denoiser is " + " on MNIST and ".join(f"the {worst[n]}" for n in names) + " on Fashion-MNIST; "
            "a wrong set of active dimensions makes a VSC reconstruction a different digit or garment, while dense "
            "codes degrade more gradually.")
