"""Configs: range checks with clear messages, a stable hash that sees every field."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from vsc_lib.config import CACHE_VERSION, DataConfig, ModelConfig, RunConfig, TrainConfig, config_hash, run_name

# a different valid value for every field of every part
CHANGES = {
    "data": {"dataset": "fashion_mnist", "num_train": 100, "num_test": 50, "subset_mode": "random", "subset_seed": 1,
             "data_hash": "b" * 64, "input_shape": (5,)},
    "model": {"kind": "vae", "body": "conv", "latent_dim": 7, "hidden_dim": 99, "beta": 2.0, "alpha": 0.5,
              "c_start": 10.0, "c_end": 300.0, "warmup_epochs": 1.0, "warmup_ramp_epochs": 2.0,
              "spike_estimator": "straight_through", "spike_bias_init": 2.0, "kl_warmup_epochs": 1.0,
              "prior": "learned", "num_pseudo_inputs": 3, "selector": "sigmoid", "likelihood": "gaussian",
              "variance_floor": 0.01, "spike_form": "min0", "spike_floor": 1e-3, "pseudo_sharpness": 10.0,
              "init": "xavier", "warmup_iterations": 100, "warmup_ramp_iterations": 20, "usage_weight": 1.0},
    "train": {"num_epochs": 3, "batch_size": 17, "lr": 3e-4, "lr_schedule": "step", "lr_decay": 0.5,
              "lr_decay_epoch": 1, "seed": 9, "epoch_iterations": 50, "batch_order": "sequential",
              "precision": "bf16"},
}


def test_every_field_is_covered_by_this_test():
    for part, cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig)):
        assert {f.name for f in dataclasses.fields(cls)} == set(CHANGES[part])


@pytest.mark.parametrize(("part", "field"), [(p, f) for p, fields in CHANGES.items() for f in fields])
def test_hash_changes_with_every_field(part, field):
    base = RunConfig(train=TrainConfig(num_epochs=5))
    if field == "pseudo_sharpness":  # an option of the learned prior
        base = base.replace(model={"prior": "learned"})
    if field in ("data_hash", "input_shape"):  # these name a user's array
        base = base.replace(data=DataConfig("array", data_hash="a" * 64, input_shape=(4,)))
    update = {field: CHANGES[part][field]}
    if part == "model" and field.startswith("warmup"):
        update["kind"] = "vsc"
    if part == "train" and field == "lr_schedule":
        update["lr_decay_epoch"] = 2
    if field == "likelihood":  # valid only with a real-valued dataset: build the pair without RunConfig's check
        changed = object.__new__(RunConfig)
        for name in ("data", "model", "train"):
            object.__setattr__(changed, name, getattr(base, name))
        object.__setattr__(changed, "model", dataclasses.replace(base.model, **update))
    else:
        changed = base.replace(**{part: update})
    assert config_hash(changed) != config_hash(base)
    assert run_name(changed) != run_name(base)


def test_hash_is_stable_across_processes_and_key_order():
    config = RunConfig(DataConfig("fashion_mnist", num_train=1000), ModelConfig(alpha=0.2), TrainConfig(seed=4))
    code = (
        "import json,sys; from vsc_lib.config import *; "
        "print(config_hash(RunConfig.from_dict(json.loads(sys.argv[1]))))"
    )
    reversed_json = json.dumps({k: dict(reversed(list(v.items()))) for k, v in reversed(list(config.to_dict().items()))})
    out = subprocess.run([sys.executable, "-c", code, reversed_json], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == config_hash(config)


def test_int_and_float_spellings_hash_the_same():
    assert config_hash(RunConfig(model=ModelConfig(c_start=50))) == config_hash(RunConfig(model=ModelConfig(c_start=50.0)))


def test_round_trip_through_json():
    config = RunConfig(DataConfig(num_train=10), ModelConfig(kind="vae", beta=4.0), TrainConfig(lr=0.01))
    assert RunConfig.from_dict(json.loads(config.to_json())) == config


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ModelConfig(alpha=0.0), r"alpha=0.0 is out of range: it must lie in \(0.0, 1.0\)"),
        (lambda: ModelConfig(alpha=1.2), "alpha=1.2 is out of range"),
        (lambda: ModelConfig(latent_dim=0), "latent_dim=0 is out of range"),
        (lambda: ModelConfig(latent_dim=2.5), "latent_dim must be an int"),
        (lambda: ModelConfig(beta=-1.0), "beta=-1.0 is out of range"),
        (lambda: ModelConfig(c_start=float("nan")), "c_start must be a finite number"),
        (lambda: ModelConfig(body="resnet"), "body='resnet' is not one of 'mlp', 'conv'"),
        (lambda: ModelConfig(kind="vae", warmup_epochs=2.0), "warm-up is a VSC option"),
        (lambda: DataConfig(dataset="cifar10"), "unknown dataset 'cifar10'; available datasets: mnist, fashion_mnist"),
        (lambda: DataConfig(num_train=0), "num_train=0 is out of range"),
        (lambda: TrainConfig(lr=0.0), "lr=0.0 is out of range"),
        (lambda: TrainConfig(batch_size=0), "batch_size=0 is out of range"),
        (lambda: TrainConfig(lr_schedule="step", lr_decay_epoch=0), "needs 0 < lr_decay_epoch < num_epochs"),
        (lambda: RunConfig.from_dict({"model": {"latent_dims": 3}}), r"unknown model config keys \['latent_dims'\]"),
        (lambda: ModelConfig(spike_form="relu"), "spike_form='relu' is not one of 'sigmoid', 'min0'"),
        (lambda: ModelConfig(spike_floor=0.0), "spike_floor=0.0 is out of range"),
        (lambda: ModelConfig(pseudo_sharpness=10.0), "sharpens the learned prior's pseudo-input spikes"),
        (lambda: ModelConfig(pseudo_sharpness=-1.0, prior="learned"), "pseudo_sharpness=-1.0 is out of range"),
        (lambda: ModelConfig(init="he"), "init='he' is not one of 'torch', 'xavier'"),
        (lambda: ModelConfig(warmup_epochs=1.0, warmup_iterations=10), "given both in epochs and in iterations"),
        (lambda: ModelConfig(kind="vae", warmup_iterations=10), "warm-up is a VSC option"),
        (lambda: ModelConfig(kind="vae", spike_form="min0"), "spike_form='min0' is a VSC option"),
        (lambda: TrainConfig(epoch_iterations=0), "epoch_iterations=0 is out of range"),
        (lambda: TrainConfig(batch_order="random"), "batch_order='random' is not one of"),
        (lambda: RunConfig(DataConfig("har"), ModelConfig(likelihood="normalised_gaussian")),
         "dataset 'har' needs likelihood='gaussian'"),
        (lambda: RunConfig(DataConfig("smiley"), ModelConfig(likelihood="gaussian")),
         "needs likelihood='bernoulli' or 'normalised_gaussian'"),
    ],
)
def test_out_of_range_values_are_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ModelConfig().alpha = 0.5


def test_the_run_name_hashes_every_field_with_the_cache_version():
    """Cache version 2 hashes the whole configuration (version 1 left later fields out while they
    had their defaults: the name pinned from then is no longer used); a config.json written
    before a field existed still reads, with the field at its default."""
    import hashlib

    config = RunConfig(DataConfig("mnist"), ModelConfig(kind="vae", latent_dim=16), TrainConfig(num_epochs=30))
    expected = hashlib.sha256(f"v{CACHE_VERSION}:{config.to_json()}".encode()).hexdigest()[:12]
    assert run_name(config) == f"mnist-vae-mlp-j16-{expected}" != "mnist-vae-mlp-j16-3eeb38f5ff94"
    stored = config.to_dict()
    for name in ("prior", "num_pseudo_inputs", "selector", "likelihood", "variance_floor", "spike_form",
                 "spike_floor", "pseudo_sharpness", "init", "warmup_iterations", "warmup_ramp_iterations"):
        del stored["model"][name]  # a config.json written before the fields existed
    for name in ("epoch_iterations", "batch_order", "precision"):
        del stored["train"][name]
    for name in ("data_hash", "input_shape"):
        del stored["data"][name]
    assert RunConfig.from_dict(stored) == config
    assert run_name(config.replace(model={"kind": "vsc", "prior": "learned"})) != run_name(config.replace(model={"kind": "vsc"}))


def test_learned_prior_is_a_vsc_option():
    with pytest.raises(ValueError, match="prior='learned' is not a prior of kind='vae'"):
        ModelConfig(kind="vae", prior="learned")
    with pytest.raises(ValueError, match="selector"):
        ModelConfig(selector="argmax")
    with pytest.raises(ValueError, match="num_pseudo_inputs"):
        ModelConfig(prior="learned", num_pseudo_inputs=0)
