"""Variants carry their own behaviour: what code outside ``models`` asks a model, answered by
each variant, and a new variant added with one class and one registry entry."""

from __future__ import annotations

import math

import pytest
import torch

from vsc_lib import analysis, models, schedules
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.losses import gaussian_kl
from vsc_lib.models import VAE, build_model
from vsc_lib.training import train

SMALL = {"latent_dim": 3, "hidden_dim": 8}
CONFIGS = {
    "ae": ModelConfig(kind="ae", **SMALL),
    "vae": ModelConfig(kind="vae", **SMALL),
    "vsc": ModelConfig(kind="vsc", alpha=0.2, warmup_epochs=1.0, warmup_ramp_epochs=1.0, **SMALL),
    "lvsc": ModelConfig(kind="vsc", prior="learned", num_pseudo_inputs=4, **SMALL),
}


def _model(name):
    torch.manual_seed(0)
    return build_model(CONFIGS[name]).eval()


def test_only_the_spike_and_slab_variants_have_spikes():
    assert {n: _model(n).has_spikes for n in CONFIGS} == {"ae": False, "vae": False, "vsc": True, "lvsc": True}
    with pytest.raises(ValueError, match="switching needs a spike-and-slab model.*got VAE"):
        _model("vae").require_spikes("switching")
    _model("vsc").require_spikes("switching")


@pytest.mark.parametrize("name", ["vae", "vsc"])
def test_the_kl_per_dimension_adds_up_to_the_regulariser(name):
    model, x = _model(name), torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        posterior = model.encode(x)
        per_dim = model.kl_per_dimension(posterior)
        total = sum(model.regularizer(posterior, x).values())
    assert per_dim.shape == (5, 3) and torch.allclose(per_dim.sum(1), total, atol=1e-5)


@pytest.mark.parametrize("name", ["vae", "vsc"])
def test_log_prior_and_posterior_give_the_kl_in_expectation(name):
    """Monte Carlo E_q[log q(z) - log p(z)] from the model's densities matches its closed-form KL."""
    model, x = _model(name), torch.rand(2, 1, 28, 28)
    if model.has_spikes:
        model.set_schedule(lam=1.0)  # after the warm-up: draws from the learned slab
    torch.manual_seed(1)
    with torch.no_grad():
        posterior = model.encode(x)
        z = torch.stack([model.sample(posterior) for _ in range(40_000)])  # eval mode: exact draws
        terms = model.log_posterior(z, posterior) - model.log_prior(z)
        kl = model.kl_per_dimension(posterior).sum(1)
    error = terms.std(0) / math.sqrt(len(z))
    assert torch.all((terms.mean(0) - kl).abs() < 4 * error + 1e-3)


def test_models_without_a_latent_density_say_so():
    with pytest.raises(ValueError, match="AE has no latent density"):
        _model("ae").log_prior(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="learned prior depends on the input"):
        _model("lvsc").log_prior(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="AE has no KL per dimension"):
        analysis.kl_per_dimension(_model("ae"), torch.rand(4, 1, 28, 28))
    with pytest.raises(ValueError, match="learned prior's KL is a weighted sum"):
        analysis.kl_per_dimension(_model("lvsc"), torch.rand(4, 1, 28, 28))


def test_each_variant_advances_its_own_schedules():
    config = CONFIGS["vsc"].__class__(**{**CONFIGS["vsc"].__dict__, "kl_warmup_epochs": 2.0})
    vsc = build_model(config)
    vsc.schedule(iteration=15, iters_per_epoch=10, total_iterations=40)
    assert vsc.schedule_state() == {"c": pytest.approx(schedules.c_at(config, 15, 40)), "lam": pytest.approx(0.6)}
    assert vsc.kl_anneal == pytest.approx(schedules.kl_anneal_at(config, 15, 10)) == pytest.approx(0.8)
    vae = build_model(ModelConfig(kind="vae", kl_warmup_epochs=1.0, **SMALL))
    vae.schedule(iteration=4, iters_per_epoch=10, total_iterations=40)
    assert vae.schedule_state() == {} and vae.kl_anneal == pytest.approx(0.5)


def test_the_usage_score_is_each_variants_measure_of_use():
    x = torch.rand(6, 1, 28, 28)
    with torch.no_grad():
        vsc, vae, ae = _model("vsc"), _model("vae"), _model("ae")
        assert torch.equal(vsc.usage_score(vsc.encode(x)), vsc.encode(x).spike_prob.mean(0))
        p = vae.encode(x)
        assert torch.allclose(vae.usage_score(p), gaussian_kl(p.mu, p.logvar).mean(0))
        assert torch.equal(ae.usage_score(ae.encode(x)), ae.encode(x).mu.var(0))


class WidePriorVAE(VAE):
    """A new variant for the test: a VAE whose prior is N(0, 4)."""

    def regularizer(self, posterior, x=None):
        var = posterior.logvar.exp()
        kl = 0.5 * (math.log(4.0) - posterior.logvar + (var + posterior.mu.pow(2)) / 4.0 - 1.0)
        return {"kl_gauss": kl.sum(1)}


def test_adding_a_variant_is_one_class_and_one_registry_entry(monkeypatch):
    monkeypatch.setattr(models, "VARIANTS", dict(models.VARIANTS))
    with pytest.raises(ValueError, match="prior='wide' is not a prior of kind='vae'"):
        ModelConfig(kind="vae", prior="wide")
    models.register_variant("vae", "wide", WidePriorVAE)
    config = RunConfig(DataConfig(num_train=64, num_test=32), ModelConfig(kind="vae", prior="wide", **SMALL),
                       TrainConfig(num_epochs=1, batch_size=32))
    run = train(config, progress=False)
    assert type(run.model) is WidePriorVAE and math.isfinite(run.history[0]["test_neg_elbo"])
    with pytest.raises(ValueError, match="already WidePriorVAE"):
        models.register_variant("vae", "wide", VAE)
    with pytest.raises(TypeError, match="LatentModel subclass"):
        models.register_variant("vae", "other", object)


def test_the_usage_term_spreads_use_over_dimensions_and_leaves_old_hashes_alone():
    from vsc_lib.config import HASHED_WHEN_SET, DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
    from vsc_lib.grouped import check_group
    from vsc_lib.models import Posterior, build_model
    from vsc_lib.studies import STUDIES

    # the first full-size run's name, recorded in results/ before the field existed
    assert run_name(STUDIES["authors"]["paper"].config(("smiley", "authors", 60, 0))) == "smiley-vsc-mlp-j60-9ce18b3c8052"
    plain = RunConfig(DataConfig("mnist"), ModelConfig(latent_dim=4, hidden_dim=8), TrainConfig())
    used = plain.replace(model={"usage_weight": 1.0})
    assert "usage_weight" not in plain.to_json() and '"usage_weight":1.0' in used.to_json()
    assert run_name(plain) != run_name(used) and ("model", "usage_weight") in HASHED_WHEN_SET
    with pytest.raises(ValueError, match="usage_weight"):
        ModelConfig(usage_weight=-1.0)
    with pytest.raises(ValueError, match="fixed-prior VSC"):
        ModelConfig(kind="vae", usage_weight=1.0)
    with pytest.raises(ValueError, match="grouped training supports"):
        check_group([used, used.replace(train={"seed": 1})])

    def usage_gradient(first_logit: float) -> float:
        """The usage term's share of the gradient on dimension 0's logits (with minus without)."""
        grads = []
        for weight in (1.0, 0.0):
            model = build_model(ModelConfig(latent_dim=4, hidden_dim=8, alpha=0.25, usage_weight=weight), (1, 28, 28))
            model.train()
            logits = torch.tensor([[first_logit, 1.0, 0.0, -1.0]] * 16, requires_grad=True)
            posterior = Posterior(mu=torch.zeros(16, 4), logvar=torch.zeros(16, 4), spike_logit=logits)
            parts, penalties = model.objective_terms(posterior, torch.zeros(16, 1, 28, 28))
            assert ("usage" in penalties) == (weight > 0)
            (sum(p.sum() for p in parts.values()) + sum(p.sum() for p in penalties.values())).backward()
            grads.append(float(logits.grad[:, 0].sum()))
        return grads[0] - grads[1]

    # a dimension used less than alpha is pushed on, one used more is pushed off (gradient descent
    # raises a logit whose gradient is negative): usage is spread over the dimensions
    assert usage_gradient(-2.0) < -0.5 and usage_gradient(2.0) > 0.5
    assert abs(usage_gradient(float(torch.logit(torch.tensor(0.25))))) < 1e-3  # at alpha: no push
