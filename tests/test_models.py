"""Every model in the registry builds, runs, has finite losses and trains every parameter."""

from __future__ import annotations

import pytest
import torch

from vsc_lib.config import ModelConfig
from vsc_lib.models import MODELS, VSC, LossTerms, ModelOutput, Posterior, build_model

CASES = [(kind, body) for kind in MODELS for body in ("mlp", "conv")]


def _model(kind, body, **overrides):
    torch.manual_seed(0)
    config = ModelConfig(kind=kind, body=body, latent_dim=12, hidden_dim=64, **overrides)
    return build_model(config)


@pytest.mark.parametrize(("kind", "body"), CASES)
def test_forward_shapes_finite_loss_and_gradients_everywhere(kind, body):
    model = _model(kind, body, **({"warmup_epochs": 1.0} if kind == "vsc" else {}))
    if kind == "vsc":
        model.set_schedule(lam=0.5)  # exercise the warm-up interpolation too
    x = torch.rand(5, 1, 28, 28)
    out = model(x)
    assert isinstance(out, ModelOutput) and isinstance(out.loss, LossTerms) and isinstance(out.posterior, Posterior)
    assert out.decoded.shape == x.shape
    assert out.z.shape == (5, 12)
    assert out.loss.neg_elbo.shape == (5,)
    for value in (out.loss.total, out.loss.recon, out.loss.kl, *out.loss.parts.values()):
        assert value.ndim == 0 and torch.isfinite(value)
    out.loss.total.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, f"no gradient reaches {name}"


@pytest.mark.parametrize("kind", ["vae", "vsc"])
def test_kl_parts_add_up_and_beta_only_weights_the_objective(kind):
    model = _model(kind, "mlp", beta=4.0)
    torch.manual_seed(1)
    out = model(torch.rand(7, 1, 28, 28))
    assert torch.allclose(sum(out.loss.parts.values()), out.loss.kl)
    assert torch.allclose(out.loss.total, out.loss.recon + 4.0 * out.loss.kl)
    assert torch.allclose(out.loss.neg_elbo.mean(), out.loss.recon + out.loss.kl)


def test_reconstruction_gradient_reaches_the_spike_logits():
    """The bug that collapsed the earlier course project: a non-differentiable spike sample."""
    model = _model("vsc", "mlp")
    model.train()
    x = torch.rand(16, 1, 28, 28)
    posterior = model.encode(x)
    posterior.spike_logit.retain_grad()
    from vsc_lib.losses import bernoulli_nll

    recon = bernoulli_nll(model.decode(model.sample(posterior)), x).mean()
    recon.backward()
    assert posterior.spike_logit.grad is not None
    assert posterior.spike_logit.grad.abs().sum() > 0


def test_eval_mode_draws_exact_spikes_with_probability_pi():
    model = _model("vsc", "mlp").eval()
    torch.manual_seed(0)
    x = torch.rand(1, 1, 28, 28).expand(20_000, 1, 28, 28)
    with torch.no_grad():
        posterior = model.encode(x[:1])
        z = model.sample(Posterior(*(t.expand(20_000, -1) for t in (posterior.mu, posterior.logvar, posterior.spike_logit))))
    on_rate = (z != 0).float().mean(0)
    assert torch.allclose(on_rate, posterior.spike_prob[0], atol=0.015)


def test_training_mode_relaxed_spike_is_soft_but_sharp():
    model = _model("vsc", "mlp")
    model.set_schedule(c=200.0)
    posterior = Posterior(torch.ones(1, 50_000), torch.full((1, 50_000), -20.0), torch.zeros(1, 50_000))
    z = model.sample(posterior)  # slab is ~1 exactly, so z is the relaxed mask
    soft = ((z > 0.05) & (z < 0.95)).float().mean()
    # about 2 ln 19 / c of the draws land in the soft band
    assert 0.01 < soft < 0.05


def test_vsc_prior_samples_are_sparse_with_rate_alpha():
    model = _model("vsc", "mlp", alpha=0.1)
    z = model.sample_prior(5000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (5000, 12)
    assert abs((z != 0).float().mean().item() - 0.1) < 0.01
    nonzero = z[z != 0]
    assert abs(nonzero.std().item() - 1.0) < 0.05


def test_vae_prior_is_dense_standard_normal_and_ae_has_none():
    z = _model("vae", "mlp").sample_prior(4000, generator=torch.Generator().manual_seed(0))
    assert (z != 0).all() and abs(z.std().item() - 1) < 0.05
    with pytest.raises(NotImplementedError, match="no prior"):
        _model("ae", "mlp").sample_prior(3)


def test_schedule_buffers_travel_with_the_state_dict():
    model = _model("vsc", "mlp", warmup_epochs=2.0)
    assert float(model.lam) == 0.0
    model.set_schedule(c=173.0, lam=0.25)
    clone = _model("vsc", "mlp", warmup_epochs=2.0)
    clone.load_state_dict(model.state_dict())
    assert float(clone.c) == 173.0 and float(clone.lam) == 0.25
    with pytest.raises(ValueError, match="lam"):
        model.set_schedule(lam=1.5)


def test_vsc_codes():
    model = _model("vsc", "mlp").eval()
    x = torch.rand(4, 1, 28, 28)
    posterior = model.encode(x)
    gated = model.code(x)
    assert torch.equal(gated, posterior.mu * (posterior.spike_prob > 0.5))
    assert torch.equal(model.code(x, "slab_mean"), posterior.mu)
    with pytest.raises(ValueError, match="code kind"):
        model.code(x, "nope")


def test_unknown_kind_is_a_clear_error_and_each_kind_builds_its_class():
    with pytest.raises(ValueError, match="kind"):
        ModelConfig(kind="gan")
    built = {kind: type(build_model(ModelConfig(kind=kind, latent_dim=2, hidden_dim=4))) for kind in MODELS}
    assert built == MODELS  # the registry is what build_model uses
    learned = build_model(ModelConfig(kind="vsc", prior="learned", latent_dim=2, hidden_dim=4, num_pseudo_inputs=2))
    assert type(learned).__name__ == "LearnedPriorVSC" and isinstance(learned, VSC)


def test_conv_body_refuses_odd_image_sizes():
    with pytest.raises(ValueError, match="divisible by 4"):
        build_model(ModelConfig(kind="ae", body="conv", latent_dim=4), input_shape=(1, 30, 30))


def test_straight_through_spike_is_exact_forward_and_still_differentiable():
    model = _model("vsc", "mlp", spike_estimator="straight_through")
    model.set_schedule(c=100.0)
    x = torch.rand(16, 1, 28, 28)
    posterior = model.encode(x)
    posterior.spike_logit.retain_grad()
    torch.manual_seed(0)
    z = model.sample(posterior)
    torch.manual_seed(0)
    slab = posterior.mu + torch.randn_like(posterior.mu) * (0.5 * posterior.logvar).exp()
    # every element is either exactly 0 or exactly the slab value
    assert torch.all((z == 0) | torch.isclose(z, slab))
    from vsc_lib.losses import bernoulli_nll

    bernoulli_nll(model.decode(z), x).mean().backward()
    assert posterior.spike_logit.grad.abs().sum() > 0


def test_spike_bias_init_sets_the_initial_spike_probability():
    model = _model("vsc", "mlp", spike_bias_init=4.0)
    pi = model.encode(torch.zeros(2, 1, 28, 28)).spike_prob  # zero input: mostly the bias
    assert torch.allclose(pi, torch.full_like(pi, torch.sigmoid(torch.tensor(4.0)).item()), atol=2e-3)


def test_gaussian_likelihood_models_real_valued_signals():
    """HAR-shaped inputs (6 channels x 128 samples): decoder outputs are means, the variance is
    learned per feature and receives gradients, and reconstructions are not squashed by a sigmoid."""
    torch.manual_seed(0)
    for kind in ("vae", "vsc"):
        model = build_model(ModelConfig(kind=kind, latent_dim=5, hidden_dim=16, likelihood="gaussian"), input_shape=(6, 128))
        x = 3 * torch.randn(8, 6, 128)
        out = model(x)
        out.loss.total.backward()
        assert model.output_logvar.grad is not None and model.output_logvar.grad.abs().sum() > 0
        assert out.decoded.shape == x.shape and torch.isfinite(out.loss.neg_elbo).all()
        with torch.no_grad():
            model.decoder[-2].bias.fill_(5.0)  # means beyond [0, 1] must come through unchanged
        assert model.reconstruct(x).max() > 1.5
    assert "output_logvar" not in dict(build_model(ModelConfig(kind="vae", latent_dim=5, hidden_dim=16)).named_parameters())
