"""Metrics on oracle inputs, where the right answer is known."""

from __future__ import annotations

import pytest
import torch

from vsc_lib import metrics
from vsc_lib.config import ModelConfig
from vsc_lib.metrics import encode_dataset, evaluate, latent_codes, linear_probe, reconstruction_error, spike_statistics
from vsc_lib.models import build_model


def test_spike_statistics_on_a_known_pattern():
    # class 0 uses dimensions {0, 1}, class 1 uses {2}; dimension 3 is never used
    pi = torch.tensor([[0.9, 0.8, 0.1, 0.0], [0.7, 0.6, 0.2, 0.0], [0.1, 0.0, 0.99, 0.0]])
    labels = torch.tensor([0, 0, 1])
    stats = spike_statistics(pi, labels, num_classes=3)
    assert stats.active_per_example.tolist() == [2, 2, 1]
    assert stats.mean_active == pytest.approx(5 / 3)
    assert torch.allclose(stats.per_class_mean_pi[0], torch.tensor([0.8, 0.7, 0.15, 0.0]))
    assert stats.per_class_active.tolist() == [2.0, 1.0, 0.0]  # class 2 has no examples
    assert stats.dims_ever_used == 3
    assert stats.dims_mean_pi_gt_half == 1
    assert torch.allclose(stats.expected_per_example, pi.sum(1))


def test_linear_probe_scores_one_on_separable_codes_and_chance_on_noise():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (3000,), generator=generator)
    informative = torch.nn.functional.one_hot(labels, 10).float() * 3 + 0.3 * torch.randn(3000, 10, generator=generator)
    informative = torch.cat([informative, torch.zeros(3000, 5)], 1)  # dead dimensions are harmless
    result = linear_probe(informative[:2000], labels[:2000], informative[2000:], labels[2000:], num_labels=500)
    assert result.accuracy > 0.99 and result.num_labels == 500
    noise = torch.randn(3000, 10, generator=generator)
    chance = linear_probe(noise[:2000], labels[:2000], noise[2000:], labels[2000:], num_labels=1000)
    assert chance.accuracy < 0.16
    with pytest.raises(ValueError, match="num_labels=5000"):
        linear_probe(noise[:2000], labels[:2000], noise[2000:], labels[2000:], num_labels=5000)


def test_evaluate_averages_over_examples_and_samples():
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=4, hidden_dim=16))
    x = torch.rand(30, 1, 28, 28)
    one = evaluate(model, x, batch_size=7)
    with torch.no_grad():
        out = model.eval()(x)
    assert one["kl"] == pytest.approx(float(out.loss.kl), rel=1e-5)  # closed form: no sampling noise
    model.train()
    many = evaluate(model, x, batch_size=30, num_samples=20)
    assert many["neg_elbo"] == pytest.approx(many["recon"] + many["kl"], rel=1e-6)
    assert model.training  # mode restored



@pytest.mark.parametrize("config", [
    ModelConfig(kind="vae", latent_dim=4, hidden_dim=16),
    ModelConfig(kind="vsc", latent_dim=5, hidden_dim=16, alpha=0.2),
    ModelConfig(kind="vsc", prior="learned", latent_dim=5, hidden_dim=16, num_pseudo_inputs=3,
                likelihood="normalised_gaussian"),
], ids=["vae", "vsc", "learned-prior"])
def test_several_samples_encode_once_and_give_the_same_bits_as_repeated_forward_passes(config):
    torch.manual_seed(0)
    model = build_model(config)
    x = (torch.rand(25, 1, 28, 28) > 0.7).float()
    x[:, 0, 0, 0] = 1.0  # no empty image for the normalised likelihood
    reference = metrics.LossAccumulator()
    torch.manual_seed(5)
    with torch.no_grad():
        model.eval()
        for _ in range(4):
            for batch in x.split(10):
                reference.add(model(batch))
    model.train()
    torch.manual_seed(5)
    assert evaluate(model, x, batch_size=10, num_samples=4) == reference.means()
    torch.manual_seed(6)
    assert evaluate(model, x, batch_size=10, num_samples=4) != reference.means()  # the draws do matter

def test_codes_and_reconstruction_error_of_an_identity_like_autoencoder():
    model = build_model(ModelConfig(kind="vsc", latent_dim=6, hidden_dim=16))
    x = torch.rand(10, 1, 28, 28)
    encoded = encode_dataset(model, x, batch_size=3)
    assert encoded.mu.shape == encoded.spike_prob.shape == (10, 6)
    codes = latent_codes(model, x, batch_size=4)
    assert torch.allclose(codes, encoded.mu * (encoded.spike_prob > 0.5), atol=1e-6)
    errors = reconstruction_error(model, x)
    assert errors["bce"] > 0 and 0 < errors["mse"] < 1
    # a perfect reconstruction of binary images has zero squared error
    binary = (x > 0.5).float()
    model.decode = lambda z: (binary * 2 - 1) * 50.0  # logits saturating at the right pixels
    assert reconstruction_error(model, binary)["mse"] < 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["vae", "vsc"])
def test_importance_weighted_bound_with_one_sample_averages_to_the_elbo(kind):
    """Checks the sampled log-densities against the closed-form KL: E[log w] = ELBO for K = 1."""
    from vsc_lib.metrics import importance_weighted_log_likelihood

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, latent_dim=5, hidden_dim=16, alpha=0.3)).eval()
    x = torch.rand(1, 1, 28, 28).expand(4000, 1, 28, 28).contiguous()
    iw1 = importance_weighted_log_likelihood(model, x, num_samples=1, batch_size=1000)
    elbo = -evaluate(model, x[:1], num_samples=4000)["neg_elbo"]
    assert iw1.mean().item() == pytest.approx(elbo, abs=4 * iw1.std().item() / 4000**0.5 + 1e-3)


@pytest.mark.parametrize("kind", ["vae", "vsc"])
def test_importance_weighted_estimate_is_exact_when_q_is_the_prior_and_rises_with_k(kind):
    from vsc_lib.losses import probability_logit
    from vsc_lib.metrics import importance_weighted_log_likelihood

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, latent_dim=4, hidden_dim=8, alpha=0.2)).eval()
    x = (torch.rand(3, 1, 28, 28) > 0.5).float()
    with torch.no_grad():
        model.heads.weight.zero_()
        model.heads.bias.zero_()  # q(z|x) = N(0, I), the VAE prior ...
        if kind == "vsc":
            model.heads.bias[8:] = probability_logit(0.2)  # ... and spikes on with probability alpha
        model.decoder[0].weight.zero_()  # the decoder ignores z: p(x) = p(x | z) exactly
    logits = model.decode(torch.zeros(3, 4))
    exact = -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    estimate = importance_weighted_log_likelihood(model, x, num_samples=7)
    assert torch.allclose(estimate, exact, atol=1e-3)

    torch.manual_seed(1)
    trained_like = build_model(ModelConfig(kind=kind, latent_dim=4, hidden_dim=8, alpha=0.2)).eval()
    x = torch.rand(200, 1, 28, 28)
    small = importance_weighted_log_likelihood(trained_like, x, num_samples=1).mean()
    large = importance_weighted_log_likelihood(trained_like, x, num_samples=50).mean()
    assert large > small


def test_class_pattern_distance_on_oracle_patterns():
    from vsc_lib.metrics import class_pattern_distance

    same = torch.tensor([[0.9, 0.9, 0.0], [0.8, 0.7, 0.1], [0.6, 0.9, 0.2]])
    disjoint = torch.eye(3) * 0.9
    assert class_pattern_distance(same) == pytest.approx(0.0)
    assert class_pattern_distance(disjoint) == pytest.approx(1.0)
    half = torch.tensor([[0.9, 0.9], [0.9, 0.1]])  # {0, 1} vs {0}: Jaccard distance 1/2
    assert class_pattern_distance(half) == pytest.approx(0.5)


def test_linear_probe_predict_reproduces_its_own_test_accuracy():
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (600,))
    codes = torch.nn.functional.one_hot(labels, 3).float() + 0.3 * torch.randn(600, 3)
    result = linear_probe(codes[:400], labels[:400], codes[400:], labels[400:], num_labels=400)
    assert float((result.predict(codes[400:]) == labels[400:]).double().mean()) == pytest.approx(result.accuracy)
    assert result.accuracy > 0.9


def test_display_order_puts_latents_under_the_source_they_follow():
    corr = torch.tensor([[0.0, 0.9], [0.8, 0.0], [0.01, 0.02]])  # latent 0 -> source 1, latent 1 -> source 0
    matrix, latents = metrics.display_order(corr)
    assert latents.tolist() == [1, 0, 2]
    assert matrix.shape == (2, 3) and matrix[0, 0] == pytest.approx(0.8) and matrix[1, 1] == pytest.approx(0.9)


def test_block_scores_credit_a_presence_detector_that_source_scores_do_not():
    generator = torch.Generator().manual_seed(0)
    n = 20_000
    present = (torch.rand(n, 2, generator=generator) < 0.5).double()  # two groups of three factors
    sources = present.repeat_interleave(3, 1) * 0.5 * torch.randn(n, 6, generator=generator, dtype=torch.float64)
    detectors = present.clone()  # one latent per group, on when the group is there
    groups = [0, 0, 0, 1, 1, 1]
    per_source = metrics.correlation_disentanglement(detectors, sources, magnitudes=True)
    per_block = metrics.correlation_disentanglement(detectors, sources, magnitudes=True, groups=groups)
    assert per_source.disentanglement < 0.5  # each detector spreads over its group's three factors
    assert per_block.disentanglement > 0.99 and per_block.coverage == pytest.approx(0.68, abs=0.02)
    mixed = torch.stack([present[:, 0] + present[:, 1], present[:, 0] - present[:, 1]], 1)  # each latent sees both
    assert metrics.correlation_disentanglement(mixed.abs(), sources, magnitudes=True, groups=groups).disentanglement < 0.5
    with pytest.raises(ValueError, match="one group index per source"):
        metrics.correlation_disentanglement(detectors, sources, groups=[0, 1])
