"""The likelihoods p(x | z) a model can use, one object each, chosen by ``ModelConfig.likelihood``.

A likelihood says how many numbers the decoder must output per input feature, how an input is
prepared before the encoder and the likelihood see it, the negative log-likelihood of a batch,
the likelihood's mean, and how that mean is shown as an image. Every method takes the *raw*
input (pixel intensities in [0, 1], or standardised reals) and prepares it itself, so callers
never need to know which likelihood a model uses.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .losses import bernoulli_nll, gaussian_nll, normalised_gaussian_nll


class Likelihood:
    """Bernoulli pixels (the default): the decoder outputs one logit per pixel."""

    #: decoder outputs per input feature (stacked along dimension 1)
    outputs_per_feature = 1

    def prepare(self, x: Tensor) -> Tensor:
        """The input as the encoder and the likelihood see it."""
        return x

    def nll(self, out: Tensor, x: Tensor) -> Tensor:
        """-log p(x | z) per example, (B,), for decoder outputs ``out`` and raw inputs ``x``."""
        return bernoulli_nll(out, x)

    def mean(self, out: Tensor) -> Tensor:
        """Mean of the likelihood, in the prepared input's space."""
        return torch.sigmoid(out)

    def to_pixels(self, mean: Tensor) -> Tensor:
        """A mean shown on the raw input's scale (pixel probabilities for images)."""
        return mean


class GaussianLikelihood(Likelihood):
    """Real-valued features: the decoder outputs means; one learned log-variance per feature
    (``logvar``, a parameter of the model, so that it is saved with it) plus a floor."""

    def __init__(self, logvar: nn.Parameter, variance_floor: float):
        self.logvar = logvar
        self.variance_floor = variance_floor

    def nll(self, out, x):
        return gaussian_nll(out, self.logvar, x, self.variance_floor)

    def mean(self, out):
        return out


class NormalisedGaussianLikelihood(Likelihood):
    """The VSC authors' likelihood: every image is divided by its L2 norm (an "on" pixel of a
    Smiley face becomes about 0.05); the decoder outputs, per pixel, a mean through a sigmoid
    and an input-dependent log-variance; NLL = sum 1/2 log 2 pi v + (x - mu)^2 / 2 v with
    v = exp(log-variance) + ``variance_floor``."""

    outputs_per_feature = 2

    def __init__(self, variance_floor: float):
        self.variance_floor = variance_floor

    def prepare(self, x):
        norm = x.flatten(1).norm(dim=1).clamp_min(1e-12)
        return x / norm.view(-1, *([1] * (x.dim() - 1)))

    def split(self, out: Tensor) -> tuple[Tensor, Tensor]:
        """Decoder outputs -> (mean logits, log-variances), each shaped like the input."""
        return out.chunk(2, dim=1)

    def nll(self, out, x):
        return normalised_gaussian_nll(out, self.prepare(x), self.variance_floor)

    def mean(self, out):
        return torch.sigmoid(self.split(out)[0])

    def to_pixels(self, mean):
        """Rescale each image so that its brightest pixel is 1 (the L2 norm the data had is
        not known for a decoded code; for binary images this restores the 0/1 scale)."""
        peak = mean.flatten(1).amax(1).clamp_min(1e-12)
        return (mean / peak.view(-1, *([1] * (mean.dim() - 1)))).clamp(0, 1)
