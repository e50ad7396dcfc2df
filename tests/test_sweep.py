"""Parallel training into the cache."""

from __future__ import annotations

import pytest

from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
from vsc_lib.sweep import train_many


@pytest.mark.slow
def test_train_many_trains_each_distinct_config_once_in_parallel(tmp_path):
    base = RunConfig(DataConfig("mnist", num_train=256, num_test=64), ModelConfig(kind="vae", latent_dim=4, hidden_dim=16),
                     TrainConfig(num_epochs=1, batch_size=64))
    configs = [base, base, base.replace(train={"seed": 1})]
    done = train_many(configs, workers=2, cache=tmp_path, progress=False)
    assert sorted(d["name"] for d in done) == sorted({run_name(c) for c in configs})
    assert all((tmp_path / run_name(c) / "model.pt").is_file() for c in configs)
    assert train_many(configs, workers=2, cache=tmp_path, progress=False) == []  # all cached now


def test_train_many_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="workers=0"):
        train_many([], workers=0, cache=tmp_path)
