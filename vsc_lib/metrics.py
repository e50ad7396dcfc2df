"""Evaluation: loss terms on a data set, spike statistics, codes and a linear probe.

Everything that does not need a model is a pure function of arrays (so it can be tested on
oracle inputs); the functions that do need one run it in eval mode without gradients and put
it back in the mode it was in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .models import LatentModel, ModelOutput


@contextmanager
def eval_mode(model: LatentModel) -> Iterator[LatentModel]:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


class LossAccumulator:
    """Running example-weighted means of the loss terms and the spike diagnostics.

    Sums stay tensors (no per-batch ``.item()``), and are turned into floats once by :meth:`means`.
    """

    def __init__(self):
        self.count = 0
        self.names: list[str] | None = None
        self.sums: Tensor | None = None
        self.pi_per_dim: Tensor | None = None
        self.hard_active: Tensor | None = None
        self.hard_per_dim: Tensor | None = None

    def add(self, output: ModelOutput) -> None:
        loss = output.loss
        n = loss.neg_elbo.shape[0]
        if self.names is None:
            self.names = ["total", "recon", "kl", "neg_elbo", *loss.parts]
        terms = torch.stack([loss.total, loss.recon, loss.kl, loss.neg_elbo.mean(), *loss.parts.values()]).detach() * n
        self.sums = terms if self.sums is None else self.sums + terms
        pi = output.posterior.spike_prob
        if pi is not None:
            pi = pi.detach()
            on = pi > 0.5
            per_dim, hard, on_per_dim = pi.sum(0), on.sum(), on.sum(0)
            self.pi_per_dim = per_dim if self.pi_per_dim is None else self.pi_per_dim + per_dim
            self.hard_active = hard if self.hard_active is None else self.hard_active + hard
            self.hard_per_dim = on_per_dim if self.hard_per_dim is None else self.hard_per_dim + on_per_dim
        self.count += n

    def means(self) -> dict[str, float]:
        """Per-example means; for VSC also the collapse diagnostics:

        ``mean_pi`` (mean spike probability), ``dims_pi_gt_half`` (dimensions whose mean pi
        over the examples exceeds 0.5), ``active_expected`` (mean of sum_j pi_j per example)
        and ``active_hard`` (mean number of dimensions with pi_j > 0.5 per example), and
        ``dims_used`` (dimensions with pi_j > 0.5 for at least 1 % of the examples: the code's
        size, whose shrinking over training is the starvation of issue 31).
        """
        out = {name: float(value) / self.count for name, value in zip(self.names, self.sums.tolist(), strict=True)}
        if self.pi_per_dim is not None:
            mean_pi_dim = self.pi_per_dim / self.count
            out["mean_pi"] = float(mean_pi_dim.mean())
            out["dims_pi_gt_half"] = float((mean_pi_dim > 0.5).sum())
            out["active_expected"] = float(mean_pi_dim.sum())
            out["active_hard"] = float(self.hard_active) / self.count
            out["dims_used"] = float((self.hard_per_dim >= 0.01 * self.count).sum())
        return out


def evaluate(model: LatentModel, x: Tensor, batch_size: int = 1000, num_samples: int = 1) -> dict[str, float]:
    """Mean loss terms over ``x`` in eval mode (VSC: hard spike, stored lambda).

    The KL terms are closed-form; the reconstruction term is a Monte Carlo estimate with
    ``num_samples`` latent draws per example, so ``neg_elbo`` is an unbiased estimate of the
    negative ELBO in nats per example.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples={num_samples} must be >= 1.")
    accumulator = LossAccumulator()
    with eval_mode(model):
        if num_samples == 1:
            for batch in x.split(batch_size):
                accumulator.add(model(batch.to(model.device)))
            return accumulator.means()
        # the encoding is deterministic in eval mode: with several samples, encode each batch once
        # (the draws come in the same order as from num_samples passes of model(batch))
        batches = [batch.to(model.device) for batch in x.split(batch_size)]
        posteriors = [model.encode(batch) for batch in batches]
        for _ in range(num_samples):
            for batch, posterior in zip(batches, posteriors, strict=True):
                accumulator.add(model.forward_posterior(posterior, batch))
    return accumulator.means()


@dataclass(frozen=True)
class Encoded:
    """Posterior parameters of a whole data set, on the CPU.

    Attributes:
        mu: (N, J) code / mean / slab mean.
        logvar: (N, J) or None.
        spike_prob: (N, J) spike probabilities (VSC) or None.
        spike_logit: (N, J) their logits (VSC) or None.
    """

    mu: Tensor
    logvar: Tensor | None
    spike_prob: Tensor | None
    spike_logit: Tensor | None = None


def encode_dataset(model: LatentModel, x: Tensor, batch_size: int = 1000) -> Encoded:
    """Encode ``x`` (N, C, H, W) batch by batch."""
    parts = {"mu": [], "logvar": [], "spike_prob": [], "spike_logit": []}
    with eval_mode(model):
        for batch in x.split(batch_size):
            posterior = model.encode(batch.to(model.device))
            parts["mu"].append(posterior.mu.cpu())
            if posterior.logvar is not None:
                parts["logvar"].append(posterior.logvar.cpu())
            if posterior.spike_logit is not None:
                parts["spike_prob"].append(posterior.spike_prob.cpu())
                parts["spike_logit"].append(posterior.spike_logit.cpu())
    return Encoded(**{k: torch.cat(v) if v else None for k, v in parts.items()})


def latent_codes(model: LatentModel, x: Tensor, kind: str = "default", batch_size: int = 1000) -> Tensor:
    """Deterministic codes for downstream use, (N, J) on the CPU (see ``model.code``)."""
    with eval_mode(model):
        return torch.cat([model.code(b.to(model.device), kind).cpu() for b in x.split(batch_size)])


def reconstruction_error(model: LatentModel, x: Tensor, kind: str = "default", batch_size: int = 1000) -> dict[str, float]:
    """Error of the reconstruction decoded from the deterministic code.

    Returns:
        ``bce``: the negative log-likelihood of x under the decoded distribution, nats per
        example (for the Bernoulli likelihood the binary cross-entropy); ``mse``: mean squared
        error per feature between x and the decoded means (pixel probabilities).
    """
    bce = mse = 0.0
    with eval_mode(model):
        for batch in x.split(batch_size):
            batch = batch.to(model.device)
            logits = model.decode(model.code(batch, kind))
            bce += float(model.nll(logits, batch).sum())
            mse += float((model.output_mean(logits) - model.likelihood.prepare(batch)).pow(2).sum())
    n = x.shape[0]
    return {"bce": bce / n, "mse": mse / x[0].numel() / n}


@dataclass(frozen=True)
class SpikeStats:
    """How many latent dimensions examples use.

    Attributes:
        active_per_example: (N,) number of dimensions with pi > threshold.
        expected_per_example: (N,) sum_j pi_j, the expected number of non-zero dimensions.
        mean_active: mean of ``active_per_example``.
        per_class_mean_pi: (C, J) mean spike probability per class.
        per_class_active: (C,) mean active dimensions per class.
        dims_ever_used: dimensions active (pi > threshold) for at least one example.
        dims_mean_pi_gt_half: dimensions whose mean pi over all examples exceeds 0.5.
    """

    active_per_example: Tensor
    expected_per_example: Tensor
    mean_active: float
    per_class_mean_pi: Tensor
    per_class_active: Tensor
    dims_ever_used: int
    dims_mean_pi_gt_half: int


def spike_statistics(spike_prob: Tensor, labels: Tensor, num_classes: int, threshold: float = 0.5) -> SpikeStats:
    """Spike statistics of (N, J) probabilities with (N,) integer labels in [0, num_classes)."""
    if spike_prob.ndim != 2 or labels.shape != spike_prob.shape[:1]:
        raise ValueError(f"need spike_prob (N, J) and labels (N,), got {tuple(spike_prob.shape)} and {tuple(labels.shape)}.")
    active = spike_prob > threshold
    active_per_example = active.sum(1).to(torch.float32)
    counts = torch.bincount(labels, minlength=num_classes).clamp_min(1).to(torch.float32)
    per_class_mean_pi = torch.zeros(num_classes, spike_prob.shape[1]).index_add_(0, labels, spike_prob.float()) / counts[:, None]
    per_class_active = torch.zeros(num_classes).index_add_(0, labels, active_per_example) / counts
    return SpikeStats(
        active_per_example=active_per_example,
        expected_per_example=spike_prob.sum(1),
        mean_active=float(active_per_example.mean()),
        per_class_mean_pi=per_class_mean_pi,
        per_class_active=per_class_active,
        dims_ever_used=int(active.any(0).sum()),
        dims_mean_pi_gt_half=int((spike_prob.mean(0) > 0.5).sum()),
    )


def class_pattern_distance(per_class_mean_pi: Tensor, threshold: float = 0.5) -> float:
    """Mean Jaccard distance between the classes' sets of dimensions with mean pi > threshold,
    over all ordered pairs of distinct classes: 0 when every class uses the same dimensions,
    1 when no two classes share one (two empty sets count as identical)."""
    pattern = (per_class_mean_pi > threshold).float()
    inter = pattern @ pattern.T
    union = pattern.sum(1)[:, None] + pattern.sum(1)[None, :] - inter
    distance = torch.where(union > 0, 1 - inter / union.clamp_min(1), torch.zeros_like(union))
    num = pattern.shape[0]
    return float(distance.sum() / (num * (num - 1)))


@dataclass(frozen=True)
class ProbeResult:
    """Linear-probe outcome: test accuracy, the training accuracy on the labelled subset, and
    the fitted classifier (``predict(codes)`` gives labels), to score further codes without
    fitting again."""

    accuracy: float
    train_accuracy: float
    num_labels: int
    weight: Tensor
    bias: Tensor
    mean: Tensor
    std: Tensor

    def predict(self, codes: Tensor) -> Tensor:
        """(N,) predicted labels of (N, J) codes, standardised like the training codes."""
        return (((codes.double() - self.mean) / self.std) @ self.weight + self.bias).argmax(1)


def linear_probe(
    train_codes: Tensor,
    train_labels: Tensor,
    test_codes: Tensor,
    test_labels: Tensor,
    num_labels: int = 5000,
    seed: int = 0,
    weight_decay: float = 1e-4,
    max_iter: int = 500,
) -> ProbeResult:
    """Multinomial logistic regression on codes of ``num_labels`` random training examples.

    Features are standardised with the labelled subset's mean and standard deviation
    (dimensions that never vary stay at zero); the model is a single linear layer with no
    activation on its logits, fitted by full-batch L-BFGS on cross-entropy + L2 penalty, and
    scored on all of ``test_codes``.
    """
    total = train_codes.shape[0]
    if not 1 <= num_labels <= total:
        raise ValueError(f"num_labels={num_labels} must lie between 1 and the {total} training codes.")
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(total, generator=generator)[:num_labels]
    x, y = train_codes[chosen].double(), train_labels[chosen]
    mean, std = x.mean(0), x.std(0)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    x = (x - mean) / std
    x_test = (test_codes.double() - mean) / std
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    weight = torch.zeros(x.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([weight, bias], max_iter=max_iter, tolerance_grad=1e-9,
                                  tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = F.cross_entropy(x @ weight + bias, y) + weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    with torch.no_grad():
        train_acc = float(((x @ weight + bias).argmax(1) == y).double().mean())
        test_acc = float(((x_test @ weight + bias).argmax(1) == test_labels).double().mean())
    return ProbeResult(accuracy=test_acc, train_accuracy=train_acc, num_labels=num_labels, weight=weight.detach(),
                       bias=bias.detach(), mean=mean, std=std)


def latent_log_densities(model: LatentModel, posterior, z: Tensor) -> tuple[Tensor, Tensor]:
    """log p(z) and log q(z | x), summed over dimensions, for draws ``z`` (K, B, J): the model's
    own densities (:meth:`~vsc_lib.models.LatentModel.log_prior`, ``log_posterior``; VSC's with
    respect to Lebesgue measure plus a unit atom at zero). A ValueError for models without a
    latent density (AE) or with a prior that depends on the input (the learned prior)."""
    return model.log_prior(z), model.log_posterior(z, posterior)


def importance_weighted_log_likelihood(model: LatentModel, x: Tensor, num_samples: int = 100,
                                       batch_size: int = 100, chunk: int = 50) -> Tensor:
    """Importance-weighted estimate of log p(x) per example, (N,) nats (Burda et al., 2016).

    log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x) with z_k ~ q(z | x) drawn exactly (hard
    spike for VSC). With K = 1 its mean is the ELBO; it rises towards log p(x) as K grows.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples={num_samples} must be >= 1.")
    out = []
    with eval_mode(model):
        for batch in x.split(batch_size):
            batch = batch.to(model.device)
            posterior = model.encode(batch)
            log_weights = []
            for start in range(0, num_samples, chunk):
                k = min(chunk, num_samples - start)
                z = torch.stack([model.sample(posterior) for _ in range(k)])  # (k, B, J)
                logits = model.decode(z.flatten(0, 1))
                log_lik = -model.nll(logits, batch.repeat(k, *([1] * (batch.dim() - 1)))).view(k, -1)
                log_p, log_q = latent_log_densities(model, posterior, z)
                log_weights.append(log_lik + log_p - log_q)
            log_weights = torch.cat(log_weights)
            out.append((torch.logsumexp(log_weights, 0) - math.log(num_samples)).cpu())
    return torch.cat(out)


# ---------------------------------------------------------------------------------------------
# disentanglement against known sources (Smiley)


def abs_correlation(codes: Tensor, sources: Tensor) -> Tensor:
    """(J, K) matrix of |Pearson correlation| between J latent codes and K ground-truth sources
    over N examples (inputs (N, J) and (N, K)); zero where a code or a source never varies."""
    if codes.ndim != 2 or sources.ndim != 2 or codes.shape[0] != sources.shape[0]:
        raise ValueError(f"need codes (N, J) and sources (N, K) with the same N, got {tuple(codes.shape)} and "
                         f"{tuple(sources.shape)}.")
    a = codes.double() - codes.double().mean(0)
    b = sources.double() - sources.double().mean(0)
    varies = (codes.amax(0) > codes.amin(0))[:, None] & (sources.amax(0) > sources.amin(0))[None, :]
    scale = a.pow(2).sum(0).sqrt()[:, None] * b.pow(2).sum(0).sqrt()[None, :]
    corr = (a.T @ b) / torch.where(varies, scale, torch.ones_like(scale))
    return torch.where(varies, corr.abs().clamp(max=1.0), torch.zeros_like(corr))


def magnitude_correlation(samples: Tensor, sources: Tensor) -> Tensor:
    """The VSC authors' Smiley measure: (J, K) |Pearson correlation| between the magnitudes
    |z| of one stochastic sample per example and the magnitudes |S * V| of the sources.

    It sees a latent that only switches on and off with a group's presence: a pure presence
    detector scores about 0.68 against each of that group's factors (N(0, sd) values, present
    half of the time), where the signed correlation of :func:`abs_correlation` gives 0.
    """
    return abs_correlation(samples.abs(), sources.abs())


@torch.no_grad()
def sampled_codes(model: LatentModel, x: Tensor, seed: int = 0, batch_size: int = 1000) -> Tensor:
    """(N, J) one draw z ~ q(z | x) per example (VSC: the exact spike, as in evaluation),
    with its own seeded generator state so that it is reproducible."""
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        with eval_mode(model):
            return torch.cat([model.sample(model.encode(b.to(model.device))).cpu() for b in x.split(batch_size)])
    finally:
        torch.set_rng_state(state)


@dataclass(frozen=True)
class DisentanglementScore:
    """DCI-style scores computed from an importance matrix R (latents x sources).

    Attributes:
        disentanglement: sum_j rho_j (1 - H_K(R_j / sum_k R_jk)), rho_j = share of latent j in
            the total importance; 1 when every latent is tied to one source, 0 when each spreads
            evenly over all sources (or when no latent is related to any source).
        completeness: the same per source over latents (entropy base J): 1 when every source is
            captured by one latent.
        per_latent: (J,) the disentanglement of each latent (0 for unimportant latents).
        importance: the (J, K) matrix the scores were computed from.
        coverage: mean over sources of the largest |correlation| any latent has with it: 1 when
            every source is tracked exactly by some latent, 0 when none is. The two scores above
            ignore sources that no latent captures (a code of two latents tracking two of 18
            sources scores 1 on both); coverage does not.
    """

    disentanglement: float
    completeness: float
    per_latent: Tensor
    importance: Tensor
    coverage: float = 0.0


def _normalised_entropy(p: Tensor, base: int) -> Tensor:
    """Row-wise entropy of the rows of p (each summing to 1 or all zero), divided by log(base)."""
    if base < 2:
        return torch.zeros(p.shape[0], dtype=p.dtype)
    h = -(p * torch.where(p > 0, p.log(), torch.zeros_like(p))).sum(1)
    return h / math.log(base)


#: |correlation| below this counts as no relation (the display threshold of the authors' Smiley
#: notebook; with 20,000 test images chance correlations stay below 0.03)
CORRELATION_THRESHOLD = 0.07


def correlation_disentanglement(codes: Tensor, sources: Tensor, threshold: float = CORRELATION_THRESHOLD,
                                magnitudes: bool = False, groups=None) -> DisentanglementScore:
    """Disentanglement and completeness with |Pearson correlation| as the importance of each
    latent for each source (the matrix the VSC paper shows for Smiley, turned into numbers the
    way the DCI framework of Eastwood & Williams turns a regressor's importances into scores).

    Correlations at or below ``threshold`` are set to zero first: otherwise the many chance
    correlations of a finite sample add entropy to every row and even the identity code scores
    well below 1. ``magnitudes=True`` uses the authors' measure instead (:func:`magnitude_correlation`;
    pass one stochastic sample per example as ``codes``).

    ``groups`` ((K,) group index of each source) scores *blocks* instead of single sources: the
    importance of a latent for a group is its largest |correlation| with any of the group's
    sources, so a latent that follows one attribute group (the block structure the paper argues
    from) scores 1 even when it correlates with all of that group's factors alike, as a pure
    presence detector does under the authors' measure.
    """
    importance = magnitude_correlation(codes, sources) if magnitudes else abs_correlation(codes, sources)
    importance = torch.where(importance > threshold, importance, torch.zeros_like(importance))
    if groups is not None:
        groups = torch.as_tensor(groups, dtype=torch.int64)
        if groups.shape != (importance.shape[1],):
            raise ValueError(f"groups needs one group index per source ({importance.shape[1]}), got shape {tuple(groups.shape)}.")
        importance = torch.stack([importance[:, groups == g].amax(1) for g in range(int(groups.max()) + 1)], 1)
    total = float(importance.sum())
    num_latents, num_sources = importance.shape
    coverage = float(importance.max(0).values.mean()) if num_latents else 0.0
    if total <= 0:
        return DisentanglementScore(0.0, 0.0, torch.zeros(num_latents, dtype=torch.float64), importance, coverage)
    row_sums, col_sums = importance.sum(1), importance.sum(0)
    rows = importance / torch.where(row_sums > 0, row_sums, torch.ones_like(row_sums))[:, None]
    per_latent = torch.where(row_sums > 0, 1 - _normalised_entropy(rows, num_sources), torch.zeros_like(row_sums))
    disentanglement = float((row_sums / total * per_latent).sum())
    cols = (importance / torch.where(col_sums > 0, col_sums, torch.ones_like(col_sums))[None, :]).T
    per_source = torch.where(col_sums > 0, 1 - _normalised_entropy(cols, num_latents), torch.zeros_like(col_sums))
    completeness = float((col_sums / total * per_source).sum())
    return DisentanglementScore(disentanglement, completeness, per_latent, importance, coverage)


def order_latents_by_source(importance: Tensor, threshold: float = 0.0) -> list[int]:
    """Latent indices sorted by the source they correlate with most, strongest first within a
    source; latents whose largest |correlation| does not exceed ``threshold`` go last."""
    best, strength = importance.argmax(1), importance.max(1).values
    keys = [(int(strength[j] <= threshold), int(best[j]), -float(strength[j])) for j in range(importance.shape[0])]
    return sorted(range(importance.shape[0]), key=lambda j: keys[j])


def display_order(importance, threshold: float = CORRELATION_THRESHOLD):
    """A (J, K) |correlation| matrix ready to draw: ``(matrix (K, J) with the latents in the
    order of :func:`order_latents_by_source`, their original indices)`` as numpy arrays."""
    import numpy as np

    corr = torch.as_tensor(np.asarray(importance), dtype=torch.float64)
    order = order_latents_by_source(corr, threshold)
    return corr[order].T.numpy(), np.asarray(order)
