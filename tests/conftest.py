"""Shared fixtures: tiny synthetic data so training tests run in a second or two."""

from __future__ import annotations

import pytest
import torch

from vsc_lib import training
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.data import ImageDataset


def synthetic_split(num: int, seed: int, split: str) -> ImageDataset:
    """Ten blurred class templates plus noise: learnable, 28x28, values in [0, 1]."""
    generator = torch.Generator().manual_seed(seed)
    templates = (torch.rand(10, 1, 28, 28, generator=torch.Generator().manual_seed(123)) > 0.7).float()
    y = torch.randint(0, 10, (num,), generator=generator)
    x = (0.85 * templates[y] + 0.15 * torch.rand(num, 1, 28, 28, generator=generator)).clamp(0, 1)
    return ImageDataset(x=x, y=y, name="mnist", split=split, classes=tuple("0123456789"), indices=torch.arange(num))


@pytest.fixture
def synthetic_data(monkeypatch):
    """Make every run load 256 synthetic training and 128 test images instead of MNIST."""
    calls = []

    def fake_load(config):
        calls.append(config)
        return synthetic_split(256, 0, "train"), synthetic_split(128, 1, "test")

    monkeypatch.setattr(training, "load_run_data", fake_load)
    return calls


@pytest.fixture
def tiny_config():
    return RunConfig(
        DataConfig("mnist", num_train=256, num_test=128),
        ModelConfig(kind="vsc", latent_dim=8, hidden_dim=32, alpha=0.2),
        TrainConfig(num_epochs=2, batch_size=64, seed=3),
    )
