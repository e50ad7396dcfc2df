"""The closed forms against Monte Carlo estimates and their special cases."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal

from vsc_lib.losses import bernoulli_kl, bernoulli_nll, gaussian_kl, probability_logit, spike_slab_kl


@pytest.fixture(autouse=True)
def _float64():
    """Monte Carlo checks in double precision; restored afterwards so no other test sees it."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _log_spike_slab(z, pi, mu, sd):
    """log density of a spike-and-slab at z w.r.t. Lebesgue measure + a unit atom at 0."""
    on = torch.log(pi) + Normal(mu, sd).log_prob(z)
    off = torch.log1p(-pi).expand_as(z)
    return torch.where(z != 0, on, off)


def test_gaussian_kl_is_zero_at_the_prior():
    mu, logvar = torch.zeros(5), torch.zeros(5)
    assert torch.allclose(gaussian_kl(mu, logvar), torch.zeros(5))
    # and positive elsewhere
    assert (gaussian_kl(torch.full((5,), 0.3), torch.full((5,), -0.2)) > 0).all()


def test_gaussian_kl_matches_monte_carlo():
    generator = torch.Generator().manual_seed(0)
    mu, logvar = torch.tensor([0.7, -1.2]), torch.tensor([-0.5, 0.8])
    prior_mu, prior_logvar = torch.tensor([0.2, 0.1]), torch.tensor([0.3, -0.4])
    q, p = Normal(mu, (0.5 * logvar).exp()), Normal(prior_mu, (0.5 * prior_logvar).exp())
    z = mu + (0.5 * logvar).exp() * torch.randn(400_000, 2, generator=generator)
    mc = (q.log_prob(z) - p.log_prob(z)).mean(0)
    exact = gaussian_kl(mu, logvar, prior_mu, prior_logvar)
    assert torch.allclose(mc, exact, atol=0.01), (mc, exact)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spike_slab_kl_matches_monte_carlo(seed):
    """Sample the mixture q exactly and average log q(z) - log r(z) under the mixed measure."""
    generator = torch.Generator().manual_seed(seed)
    J, n = 4, 400_000
    mu, logvar = torch.randn(J, generator=generator), torch.randn(J, generator=generator) * 0.5
    spike_logit = torch.randn(J, generator=generator) * 2
    prior_mu, prior_logvar = torch.randn(J, generator=generator) * 0.5, torch.randn(J, generator=generator) * 0.3
    prior_logit = torch.randn(J, generator=generator)
    pi, rho = torch.sigmoid(spike_logit), torch.sigmoid(prior_logit)
    sd, prior_sd = (0.5 * logvar).exp(), (0.5 * prior_logvar).exp()

    on = torch.rand(n, J, generator=generator) < pi
    z = torch.where(on, mu + sd * torch.randn(n, J, generator=generator), torch.zeros(()))
    mc = (_log_spike_slab(z, pi, mu, sd) - _log_spike_slab(z, rho, prior_mu, prior_sd)).mean(0)

    slab, spike = spike_slab_kl(mu, logvar, spike_logit, prior_mu, prior_logvar, prior_logit)
    assert torch.allclose(mc, slab + spike, atol=0.02), (mc, slab + spike)


def test_spike_slab_kl_is_zero_at_the_fixed_prior():
    alpha = 0.01
    J = 6
    slab, spike = spike_slab_kl(torch.zeros(J), torch.zeros(J), torch.full((J,), probability_logit(alpha)),
                                prior_spike_logit=probability_logit(alpha))
    assert torch.allclose(slab + spike, torch.zeros(J), atol=1e-12)


def test_spike_slab_kl_with_pi_equal_alpha_is_alpha_times_gaussian_kl():
    alpha = 0.3
    mu, logvar = torch.tensor([0.5, -2.0, 1.0]), torch.tensor([0.1, -1.0, 0.7])
    logit = torch.full((3,), probability_logit(alpha))
    slab, spike = spike_slab_kl(mu, logvar, logit, prior_spike_logit=probability_logit(alpha))
    assert torch.allclose(slab, alpha * gaussian_kl(mu, logvar))
    assert torch.allclose(spike, torch.zeros(3), atol=1e-12)


def test_bernoulli_kl_is_finite_at_extreme_logits_and_correct_in_between():
    logit = torch.tensor([-80.0, 0.0, 80.0], dtype=torch.float32)
    kl = bernoulli_kl(logit, probability_logit(0.01))
    assert torch.isfinite(kl).all()
    # pi -> 1 against alpha = 0.01 costs log(1 / 0.01)
    assert kl[2].item() == pytest.approx(math.log(100), rel=1e-4)
    p, q = 0.5, 0.01
    assert kl[1].item() == pytest.approx(p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q)), rel=1e-5)


def test_probability_logit_rejects_out_of_range():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        probability_logit(1.0)


def test_bernoulli_nll_sums_pixels_per_example():
    x = torch.tensor([[[[1.0, 0.0]]], [[[0.5, 0.5]]]])
    logits = torch.zeros_like(x)
    assert torch.allclose(bernoulli_nll(logits, x), torch.full((2,), 2 * math.log(2)))


def test_bernoulli_nll_matches_torch_in_value_and_gradient():
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(6, 1, 28, 28, generator=generator) * 8).requires_grad_()
    x = torch.rand(6, 1, 28, 28, generator=generator)
    reference = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    ours = bernoulli_nll(logits, x)
    assert torch.allclose(ours, reference, rtol=1e-9, atol=1e-6)
    weights = torch.rand(6, generator=generator)
    (g_ref,) = torch.autograd.grad((reference * weights).sum(), logits)
    (g_ours,) = torch.autograd.grad((ours * weights).sum(), logits)
    assert torch.allclose(g_ours, g_ref, atol=1e-12)


def test_bernoulli_nll_float32_error_is_tiny_at_extreme_logits():
    logits = torch.tensor([[-100.0, -20.0, -1e-3, 0.0, 5.0, 30.0, 100.0]], dtype=torch.float32)
    x = torch.tensor([[0.0, 0.3, 1.0, 0.5, 0.0, 1.0, 0.2]], dtype=torch.float32)
    exact = torch.nn.functional.binary_cross_entropy_with_logits(logits.double(), x.double(), reduction="sum")
    assert abs(bernoulli_nll(logits, x).item() - exact.item()) < 1e-5


def test_gaussian_nll_matches_torch_distributions_with_the_variance_floor():
    from vsc_lib.losses import gaussian_nll

    x, mean = torch.randn(4, 6, 128), torch.randn(4, 6, 128)
    logvar = torch.randn(6, 128)
    expected = -torch.distributions.Normal(mean, (logvar.exp() + 0.01).sqrt()).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(gaussian_nll(mean, logvar, x, 0.01), expected, rtol=1e-5, atol=1e-3)
    # however small the learned variance, the floor bounds the density
    tiny = torch.full((6, 128), -50.0)
    assert torch.isfinite(gaussian_nll(x, tiny, x, 1e-3)).all()
