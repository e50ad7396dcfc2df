"""The learned VSC prior (UAI paper): pseudo-inputs, selector, KL against Monte Carlo, sparsity."""

from __future__ import annotations

import math

import pytest
import torch

from vsc_lib import losses, metrics
from vsc_lib.config import ModelConfig, RunConfig, TrainConfig
from vsc_lib.losses import probability_logit
from vsc_lib.models import VSC, LearnedPriorVSC, build_model
from vsc_lib.training import train


def _model(selector="softmax", k=3, latent_dim=4, alpha=0.2, seed=0) -> LearnedPriorVSC:
    torch.manual_seed(seed)
    config = ModelConfig(kind="vsc", prior="learned", num_pseudo_inputs=k, selector=selector, latent_dim=latent_dim,
                         hidden_dim=16, alpha=alpha)
    model = build_model(config)
    assert isinstance(model, LearnedPriorVSC)
    return model


@pytest.mark.slow
def test_each_pseudo_input_kl_matches_monte_carlo():
    torch.set_default_dtype(torch.float64)
    try:
        model = _model(latent_dim=3).double().eval()
        x = torch.rand(2, 1, 28, 28, dtype=torch.float64)
        with torch.no_grad():
            q, r = model.encode(x), model.pseudo_posterior()
            slab, spike = model.pseudo_kl(q, r)
            exact = slab + spike  # (B, K)
            draws = 200_000
            z = torch.cat([torch.stack([model.sample(q) for _ in range(1000)]) for _ in range(draws // 1000)])  # (N, B, J)
            log_q = losses.spike_slab_log_density(z, q.mu, q.logvar, q.spike_logit)  # (N, B)
            for k in range(r.mu.shape[0]):
                log_r = losses.spike_slab_log_density(z, r.mu[k], r.logvar[k], r.spike_logit[k])
                terms = log_q - log_r
                estimate, error = terms.mean(0), terms.std(0) / math.sqrt(draws)
                assert torch.all((estimate - exact[:, k]).abs() < 4 * error + 1e-3), (k, estimate, exact[:, k], error)
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("selector", ["softmax", "sharpened", "sigmoid"])
def test_gradients_reach_the_pseudo_inputs_the_selector_and_the_spikes(selector):
    model = _model(selector).train()
    out = model(torch.rand(8, 1, 28, 28))
    out.loss.total.backward()
    assert {"kl_slab", "kl_spike", "sparsity"} <= set(out.loss.parts)
    for name, grad in (("pseudo_inputs", model.pseudo_inputs.grad), ("selector", model.selector.weight.grad),
                       ("spike head", model.heads.weight.grad[2 * model.latent_dim:])):
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


def test_selector_forms():
    x = torch.rand(5, 1, 28, 28)
    for form in ("softmax", "sigmoid"):
        w = _model(form).selector_weights(x)
        assert w.shape == (5, 3) and torch.allclose(w.sum(1), torch.ones(5)) and (w > 0).all()
    sharp = _model("sharpened")
    with torch.no_grad():
        sharp.selector.weight.zero_()
        sharp.selector.bias.copy_(torch.tensor([4.0, 0.0, 0.0]))  # the first pseudo-input takes ~0.96 of the softmax
    w = sharp.selector_weights(x)
    assert torch.allclose(w[:, 0], torch.ones(5), atol=1e-6) and (w[:, 1:] < 1e-6).all()  # sigmoid(60 (w - 0.5)) snaps
    # no softmax weight above 0.5 (here all equal): the sharpened weights still sum to 1, so the
    # weighted KL cannot vanish (as published they would all be sigmoid(-10) ~ 5e-5)
    with torch.no_grad():
        sharp.selector.bias.zero_()
    w = sharp.selector_weights(x)
    assert torch.allclose(w.sum(1), torch.ones(5)) and torch.allclose(w, torch.full((5, 3), 1 / 3))
    posterior = sharp.encode(x)
    kl, _ = sharp.objective_terms(posterior, x)
    assert sum(v for v in kl.values()).min() > 0


def test_one_pseudo_input_that_encodes_to_the_fixed_prior_gives_the_fixed_prior_objective():
    alpha, latent_dim = 0.2, 4
    learned = _model(k=1, latent_dim=latent_dim, alpha=alpha)
    with torch.no_grad():
        learned.encoder[1].bias.zero_()  # hidden units of an all-zero input are all zero ...
        learned.heads.bias.zero_()
        learned.heads.bias[2 * latent_dim:] = probability_logit(alpha)  # ... so u = 0 encodes to N(0, 1), rho = alpha
        learned.pseudo_inputs.zero_()
    pseudo = learned.pseudo_posterior()
    assert torch.allclose(pseudo.mu, torch.zeros(1, latent_dim)) and torch.allclose(pseudo.logvar, torch.zeros(1, latent_dim))
    fixed = VSC(learned.config.__class__(**{**learned.config.__dict__, "prior": "fixed"}))
    missing, unexpected = fixed.load_state_dict(learned.state_dict(), strict=False)
    assert not missing and set(unexpected) == {"pseudo_inputs", "selector.weight", "selector.bias"}
    x = torch.rand(6, 1, 28, 28)
    for mode in ("train", "eval"):
        getattr(learned, mode)()
        getattr(fixed, mode)()
        torch.manual_seed(1)
        a = learned(x).loss
        torch.manual_seed(1)
        b = fixed(x).loss
        assert torch.allclose(a.neg_elbo, b.neg_elbo, atol=1e-5) and torch.allclose(a.total, b.total, atol=1e-5)
        assert float(a.parts["sparsity"].detach()) == pytest.approx(0.0, abs=1e-5)


def test_sparsity_penalty_is_j_times_the_bernoulli_kl_of_the_mean_spike_probability():
    model = _model(k=2, latent_dim=4, alpha=0.1)
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        q = model.encode(x)
        w = model.selector_weights(x)
        rho = (w * model.pseudo_posterior().spike_prob.mean(1)).sum(1)
        expected = 4 * (rho * torch.log(rho / 0.1) + (1 - rho) * torch.log((1 - rho) / 0.9))
        assert torch.allclose(model.objective_terms(q, x)[1]["sparsity"], expected, atol=1e-5)


def test_prior_samples_come_from_the_pseudo_inputs_and_undefined_densities_say_so():
    model = _model(k=2, latent_dim=5).eval()
    z = model.sample_prior(1000, torch.Generator().manual_seed(0))
    assert z.shape == (1000, 5) and (z == 0).any() and (z != 0).any()
    with pytest.raises(ValueError, match="learned prior depends on the input"):
        metrics.importance_weighted_log_likelihood(model, torch.rand(2, 1, 28, 28), num_samples=2)
    with pytest.raises(ValueError, match="depends on the input"):
        model.regularizer(model.encode(torch.rand(1, 1, 28, 28)))


@pytest.mark.slow
def test_a_learned_prior_vsc_trains_and_records_its_sparsity_term(synthetic_data):
    config = RunConfig(model=ModelConfig(kind="vsc", prior="learned", num_pseudo_inputs=4, latent_dim=8, hidden_dim=32,
                                         alpha=0.2, warmup_epochs=1, warmup_ramp_epochs=1),
                       train=TrainConfig(num_epochs=3, batch_size=64))
    run = train(config, progress=False)
    last = run.history[-1]
    assert math.isfinite(last["test_neg_elbo"]) and "train_sparsity" in last and last["lam"] == 1.0
