"""Smiley and UCI HAR through the same configs, loaders and training loop as MNIST."""

from __future__ import annotations

import math

import pytest

from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.data import load_dataset
from vsc_lib.datasets.smiley import CLASSES as SMILEY_CLASSES
from vsc_lib.training import train


def test_the_likelihood_must_suit_the_data():
    with pytest.raises(ValueError, match="dataset 'har' needs likelihood='gaussian'.*standardised real values"):
        RunConfig(DataConfig("har"), ModelConfig(kind="vae"))
    with pytest.raises(ValueError, match="dataset 'smiley' needs likelihood='bernoulli'.*pixel intensities"):
        RunConfig(DataConfig("smiley"), ModelConfig(kind="vae", likelihood="gaussian"))
    with pytest.raises(ValueError, match="unknown dataset 'celeba'"):
        load_dataset("celeba")


def test_smiley_classes_name_the_attribute_combinations():
    assert SMILEY_CLASSES[0] == "face only" and SMILEY_CLASSES[1] == "eyes" and SMILEY_CLASSES[15] == "eyes+mouth+hat+bow tie"
    assert len(set(SMILEY_CLASSES)) == 16


@pytest.mark.slow
def test_a_learned_prior_vsc_trains_on_smiley_and_a_gaussian_vae_on_har():
    smiley = RunConfig(DataConfig("smiley", num_train=512, num_test=128),
                       ModelConfig(kind="vsc", prior="learned", num_pseudo_inputs=4, latent_dim=18, hidden_dim=64, alpha=0.1),
                       TrainConfig(num_epochs=1, batch_size=128))
    run = train(smiley, progress=False)
    assert math.isfinite(run.history[-1]["test_neg_elbo"]) and run.model.input_shape == (1, 32, 32)
    test = load_dataset("smiley", "test", subset=128)
    assert test.factors.shape == (128, 18)
    har = RunConfig(DataConfig("har", num_train=512, num_test=128),
                    ModelConfig(kind="vae", latent_dim=8, hidden_dim=64, likelihood="gaussian"),
                    TrainConfig(num_epochs=2, batch_size=128))
    run = train(har, progress=False)
    first, last = run.history[0]["train_neg_elbo"], run.history[-1]["train_neg_elbo"]
    assert math.isfinite(last) and last < first and run.model.input_shape == (6, 128)
