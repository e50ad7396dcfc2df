"""Closed-form divergences and the likelihood, all per example and per dimension.

Conventions: every function returns per-dimension terms (no reduction), so callers sum over
latent dimensions and pixels and average over the batch; the loss is then in nats per example.
Probabilities of the spike are handled through logits and ``logsigmoid`` so that
``log pi`` and ``log(1 - pi)`` stay finite for every logit.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def gaussian_kl(mu, logvar, prior_mu=0.0, prior_logvar=0.0):
    """KL( N(mu, exp(logvar)) || N(prior_mu, exp(prior_logvar)) ) per
    dimension.

    Args:
        mu, logvar: (..., J) posterior mean and log-variance.
        prior_mu, prior_logvar: prior mean and log-variance,
            broadcastable to (..., J).

    Returns:
        (..., J) non-negative KL in nats.
    """
    standard = isinstance(prior_mu, float) and isinstance(prior_logvar, float)
    if standard and prior_mu == 0.0 and prior_logvar == 0.0:
        # standard normal prior: fewer passes
        return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)
    like = {"dtype": mu.dtype, "device": mu.device}
    prior_mu = torch.as_tensor(prior_mu, **like)
    prior_logvar = torch.as_tensor(prior_logvar, **like)
    return 0.5 * (
        prior_logvar - logvar
        + (logvar.exp() + (mu - prior_mu).pow(2)) / prior_logvar.exp()
        - 1.0
    )


def bernoulli_kl(logit, prior_logit, prob=None):
    """KL( Bernoulli(sigmoid(logit)) || Bernoulli(sigmoid(prior_logit)) ) per dimension.

    pi log(pi / rho) + (1 - pi) log((1 - pi) / (1 - rho)), from logits so that it is finite
    even where pi or rho round to 0 or 1 in floating point. With log(1 - pi) = log pi - t
    (t the logit) it needs one ``logsigmoid`` of the posterior logits. ``prob``, if given, is
    sigmoid(logit) already computed by the caller.
    """
    pi = torch.sigmoid(logit) if prob is None else prob
    log_pi = F.logsigmoid(logit)
    if isinstance(prior_logit, float):
        log_rho, log_1m_rho = _log_sigmoid_float(prior_logit), _log_sigmoid_float(-prior_logit)
        # pi (log pi - log rho) + (1 - pi)(log pi - t - log(1 - rho))
        return log_pi - (1.0 - pi) * (logit + log_1m_rho) - pi * log_rho
    if isinstance(prior_logit, RowPriorLogit):  # one prior per block of rows (a grouped model)
        rows = prior_logit.expand_rows(logit.shape[0]).to(logit.dtype)
        return log_pi - (1.0 - pi) * (logit + F.logsigmoid(-rows)) - pi * F.logsigmoid(rows)
    prior_logit = torch.as_tensor(prior_logit, dtype=logit.dtype, device=logit.device)
    return pi * (log_pi - F.logsigmoid(prior_logit)) + (1.0 - pi) * (
        F.logsigmoid(-logit) - F.logsigmoid(-prior_logit)
    )


class RowPriorLogit:
    """Prior spike logits of G models trained as one grouped model (``vsc_lib.grouped``): the
    batch holds G blocks of rows, block g under prior logit ``logits[g]``. Passed where a single
    model passes its float ``prior_spike_logit``; :func:`bernoulli_kl` expands it to a (rows, 1)
    column and applies the same closed form as for a float."""

    def __init__(self, logits: Tensor):
        self.logits = logits.flatten()

    def expand_rows(self, rows: int) -> Tensor:
        groups = self.logits.numel()
        if rows % groups:
            raise ValueError(f"{rows} rows cannot be split into {groups} equal blocks, one per grouped model.")
        return self.logits.repeat_interleave(rows // groups)[:, None]


def _log_sigmoid_float(t: float) -> float:
    return -math.log1p(math.exp(-t)) if t >= 0 else t - math.log1p(math.exp(t))


def probability_logit(p: float) -> float:
    """log(p / (1 - p)) for a probability strictly between 0 and 1."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a probability strictly between 0 and 1 is needed, got {p}.")
    return math.log(p) - math.log1p(-p)


def spike_slab_kl(mu, logvar, spike_logit, prior_mu=0.0, prior_logvar=0.0,
                  prior_spike_logit=0.0, spike_prob=None):
    """Closed-form KL between two factorised spike-and-slab distributions,
    split in two parts.

    For q_j = pi_j N(mu_j, s_j^2) + (1 - pi_j) delta_0 and
    r_j = rho_j N(a_j, b_j^2) + (1 - rho_j) delta_0 the KL (with respect to
    Lebesgue measure plus a unit atom at zero) is
    pi_j KL(N(mu_j, s_j^2) || N(a_j, b_j^2)) + KL_B(pi_j || rho_j).

    Args:
        mu, logvar, spike_logit: (..., J) slab mean, slab log-variance and
            spike logit of q.
        prior_mu, prior_logvar, prior_spike_logit: the same for r,
            broadcastable to (..., J).
        spike_prob: sigmoid(spike_logit), if the caller already has it.

    Returns:
        ``(slab, spike)``: two (..., J) tensors whose sum is the KL per
        dimension.
    """
    pi = torch.sigmoid(spike_logit) if spike_prob is None else spike_prob
    slab = pi * gaussian_kl(mu, logvar, prior_mu, prior_logvar)
    spike = bernoulli_kl(spike_logit, prior_spike_logit, prob=pi)
    return slab, spike


class _BernoulliNLL(torch.autograd.Function):
    """-log Bernoulli(x | sigmoid(l)) summed per example, with a hand-written backward.

    softplus(l) - x l = max(l, 0) - x l + log(1 + exp(-|l|)). ``torch.log`` is vectorised on
    the CPU where ``log1p`` and ``logsigmoid`` are not (2.5x slower here); since
    1 + exp(-|l|) lies in (1, 2], the absolute error per pixel stays below 1e-7. The gradient
    is sigmoid(l) - x, computed in one pass instead of autograd's chain of small kernels.
    """

    @staticmethod
    def forward(ctx, logits, x):
        ctx.save_for_backward(logits, x)
        softplus_minus_xl = torch.addcmul(logits.clamp_min(0), x, logits, value=-1.0)
        softplus_minus_xl.add_(torch.exp(-logits.abs()).add_(1.0).log_())
        return softplus_minus_xl.flatten(1).sum(1)

    @staticmethod
    def backward(ctx, grad):
        logits, x = ctx.saved_tensors
        shape = (-1,) + (1,) * (logits.dim() - 1)
        grad_x = None
        if ctx.needs_input_grad[1]:
            grad_x = -logits * grad.view(shape)
        return torch.sigmoid(logits).sub_(x).mul_(grad.view(shape)), grad_x


def bernoulli_nll(x_logits, x):
    """-log p(x | z) for a Bernoulli likelihood on logits, summed over all but the batch axis.

    Args:
        x_logits: (B, ...) decoder logits.
        x: (B, ...) targets in [0, 1] (grey levels are used as soft targets).

    Returns:
        (B,) nats per example.
    """
    return _BernoulliNLL.apply(x_logits, x)


def gaussian_nll(mean, logvar, x, variance_floor: float = 0.0):
    """-log N(x | mean, var) summed over all but the batch axis, (B,) nats per example.

    ``logvar`` (broadcastable to ``x``) is the learned log-variance; the variance used is
    exp(logvar) + ``variance_floor``, a smooth floor that keeps the density bounded.
    """
    var = logvar.exp() + variance_floor
    per_feature = 0.5 * (math.log(2 * math.pi) + var.log() + (x - mean).pow(2) / var)
    return per_feature.flatten(1).sum(1)


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class _NormalisedGaussianNLL(torch.autograd.Function):
    """-log N(x | sigmoid(l), exp(s) + floor) summed per example, with a hand-written backward.

    The decoder's (B, 2 D) output holds the mean logits l and the log-variances s. Written out
    by autograd the loss and its gradient are a chain of elementwise kernels over (B, D)
    tensors and a ``cat`` that joins the two halves' gradients; here fewer kernels, most of them
    in place, write both halves of the gradient into one buffer (1-5 % of a chapter-7 step,
    ``benchmarks/recipe_step.py``). With mu = sigmoid(l),
    v = exp(s) + floor, d = x - mu and r = d / v:
    d/dl = -r mu (1 - mu), d/ds = 1/2 (1 - d r) (1 - floor / v), d/dx = r.
    """

    @staticmethod
    def forward(ctx, out, x, floor):
        dim = x.shape[1]
        logits, logvar = out[:, :dim], out[:, dim:]
        mu = torch.sigmoid(logits)
        var = torch.exp(logvar).add_(floor)
        sq = torch.sub(x, mu)
        ratio = sq / var  # r = d / v
        sq.mul_(ratio)  # d^2 / v
        ctx.save_for_backward(mu, var, ratio, sq)
        ctx.floor = floor
        per = sq.sum(1).add_(var.log().sum(1))
        return per.add_(2 * _HALF_LOG_2PI * dim).mul_(0.5)

    @staticmethod
    def backward(ctx, grad):
        mu, var, ratio, sq = ctx.saved_tensors
        g = grad.view(-1, 1)
        dim = mu.shape[1]
        result = torch.empty((mu.shape[0], 2 * dim), dtype=mu.dtype, device=mu.device)
        d_logits, d_logvar = result[:, :dim], result[:, dim:]
        torch.mul(mu, mu - 1.0, out=d_logits)  # -mu (1 - mu)
        d_logits.mul_(ratio).mul_(g)
        # 1/2 (1 - d^2/v)(1 - floor/v) = 1/2 (d^2/v - 1)(floor/v - 1)
        torch.reciprocal(var, out=d_logvar)
        d_logvar.mul_(ctx.floor).sub_(1.0).mul_(sq - 1.0).mul_(g * 0.5)
        grad_x = ratio * g if ctx.needs_input_grad[1] else None
        return result, grad_x, None


def normalised_gaussian_nll(out: Tensor, x: Tensor, variance_floor: float) -> Tensor:
    """-log N(x | sigmoid(l), exp(s) + ``variance_floor``) summed over all but the batch axis.

    Args:
        out: (B, 2, ...) decoder outputs: mean logits l stacked on log-variances s along axis 1.
        x: (B, 1, ...) or (B, ...) targets (the L2-normalised images of the authors' likelihood).

    Returns:
        (B,) nats per example, computed in float32 (float64 for float64 outputs) with a
        hand-written backward (:class:`_NormalisedGaussianNLL`).
    """
    batch = out.shape[0]
    flat = out.reshape(batch, -1)
    targets = x.reshape(batch, -1)
    if flat.shape[1] != 2 * targets.shape[1]:
        raise ValueError(f"decoder outputs of shape {tuple(out.shape)} do not hold a mean and a log-variance "
                         f"for each of the {targets.shape[1]} features of inputs shaped {tuple(x.shape)}.")
    dtype = torch.float64 if flat.dtype == torch.float64 else torch.float32  # bf16 outputs: the loss in float32
    return _NormalisedGaussianNLL.apply(flat.to(dtype).contiguous(), targets.to(dtype), variance_floor)


def log_normal(z: Tensor, mu, logvar) -> Tensor:
    return -_HALF_LOG_2PI - 0.5 * logvar - 0.5 * (z - mu).pow(2) / torch.exp(logvar)


def spike_slab_log_density(z: Tensor, mu, logvar, spike_logit) -> Tensor:
    """log of a factorised spike-and-slab density at ``z`` (..., J), summed over J, with respect
    to Lebesgue measure plus a unit atom at zero (the measure under which the closed-form KL
    holds): log(1 - pi) where z_j = 0, log pi + log N(z_j; mu_j, exp(logvar_j)) elsewhere."""
    spike_logit = torch.as_tensor(spike_logit, dtype=z.dtype, device=z.device)
    on = torch.where(z != 0, F.logsigmoid(spike_logit) + log_normal(z, mu, torch.as_tensor(logvar, dtype=z.dtype)),
                     F.logsigmoid(-spike_logit))
    return on.sum(-1)
