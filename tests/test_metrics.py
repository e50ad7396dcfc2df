"""Metrics on oracle inputs, where the right answer is known."""

from __future__ import annotations

import pytest
import torch

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
