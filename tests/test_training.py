"""Training, schedules, the run cache and resumption (on tiny synthetic data)."""

from __future__ import annotations

import json
import os

import pytest
import torch

from vsc_lib import training
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
from vsc_lib.training import CorruptRunError, c_at, kl_anneal_at, lam_at, load_run, train, train_or_load

from .conftest import synthetic_split


def test_c_is_annealed_per_iteration_from_start_to_end():
    config = RunConfig(model=ModelConfig(c_start=50.0, c_end=200.0))
    values = [c_at(config, i, 101) for i in range(101)]
    assert values[0] == 50.0 and values[-1] == 200.0
    assert all(b > a for a, b in zip(values, values[1:], strict=False))


def test_warmup_holds_lambda_at_zero_then_ramps_to_exactly_one():
    config = RunConfig(model=ModelConfig(warmup_epochs=1.0, warmup_ramp_epochs=2.0))
    lams = [lam_at(config, i, 10) for i in range(40)]
    assert lams[:10] == [0.0] * 10
    assert 0 < lams[10] < lams[20] < 1
    assert lams[29] == 1.0 and lams[-1] == 1.0
    assert lam_at(RunConfig(), 0, 10) == 1.0  # no warm-up: the learned slab from the start


def test_kl_warmup_ramps_the_kl_weight_then_leaves_it_at_one():
    config = RunConfig(model=ModelConfig(kl_warmup_epochs=2.0))
    weights = [kl_anneal_at(config, i, 10) for i in range(30)]
    assert weights[0] == pytest.approx(0.05) and weights[19] == 1.0 and weights[-1] == 1.0
    assert all(b >= a for a, b in zip(weights, weights[1:], strict=False))
    assert kl_anneal_at(RunConfig(), 0, 10) == 1.0


def test_history_has_every_loss_term_and_vsc_diagnostics(synthetic_data, tiny_config):
    run = train(tiny_config, progress=False)
    assert [row["epoch"] for row in run.history] == [0, 1]
    row = run.history[-1]
    for split in ("train", "test"):
        for term in ("total", "recon", "kl", "neg_elbo", "kl_slab", "kl_spike",
                     "mean_pi", "dims_pi_gt_half", "active_expected", "active_hard"):
            assert f"{split}_{term}" in row
    assert row["c"] == pytest.approx(200.0) and row["lam"] == 1.0


def test_same_seed_gives_identical_history(synthetic_data, tiny_config):
    first = train(tiny_config, progress=False).history
    second = train(tiny_config, progress=False).history
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(first) == strip(second)
    other = train(tiny_config.replace(train={"seed": 4}), progress=False).history
    assert strip(other) != strip(first)


@pytest.mark.slow
def test_tiny_overfit_of_one_batch():
    """A VAE (and an AE) drive the reconstruction of 32 fixed images far below its start."""
    data = synthetic_split(32, 0, "train")
    for kind in ("ae", "vae", "vsc"):
        config = RunConfig(DataConfig(num_train=32, num_test=32), ModelConfig(kind=kind, latent_dim=16, hidden_dim=128, alpha=0.5),
                           TrainConfig(num_epochs=150, batch_size=32, lr=3e-3))
        run = train(config, data=(data, data), progress=False)
        first, last = run.history[0]["train_recon"], run.history[-1]["train_recon"]
        assert last < 0.6 * first, (kind, first, last)


def test_cache_hit_loads_without_training_or_data(synthetic_data, tiny_config, tmp_path, monkeypatch):
    first = train_or_load(tiny_config, cache=tmp_path, progress=False)
    assert not first.from_cache and len(synthetic_data) == 1
    folder = tmp_path / run_name(tiny_config)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "history.csv", "meta.json", "model.pt"]
    assert not (tmp_path / f"{folder.name}.partial").exists()

    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained on a cache hit"))
    second = train_or_load(tiny_config, cache=tmp_path)
    assert second.from_cache and len(synthetic_data) == 1
    assert second.history == first.history
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key])
    assert float(second.model.c) == pytest.approx(200.0)


def test_half_written_runs_are_never_loaded(synthetic_data, tiny_config, tmp_path, monkeypatch):
    # a crash while saving leaves nothing under the final name and no temporary folder
    def crash(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(training.os, "rename", crash)
        with pytest.raises(OSError, match="disk full"):
            train_or_load(tiny_config, cache=tmp_path, progress=False)
    assert not (tmp_path / run_name(tiny_config)).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    # the next call does not mistake the leftovers for a run: it finishes training and saves
    run = train_or_load(tiny_config, cache=tmp_path, progress=False)
    assert not run.from_cache and (tmp_path / run_name(tiny_config) / "model.pt").is_file()


def test_corrupted_runs_are_refused_with_a_clear_message(synthetic_data, tiny_config, tmp_path):
    run = train_or_load(tiny_config, cache=tmp_path, progress=False)
    model_file = run.path / "model.pt"
    payload = bytearray(model_file.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    model_file.write_bytes(bytes(payload))
    with pytest.raises(CorruptRunError, match=r"checksum.*mv .*\.bad"):
        train_or_load(tiny_config, cache=tmp_path)
    assert model_file.exists()  # nothing deleted

    (run.path / "config.json").write_text(json.dumps({"data": {}}))
    with pytest.raises(CorruptRunError, match="does not match"):
        load_run(tiny_config, tmp_path)
    os.remove(run.path / "meta.json")
    with pytest.raises(CorruptRunError, match="meta.json"):
        load_run(tiny_config, tmp_path)


def test_retrain_keeps_the_previous_run(synthetic_data, tiny_config, tmp_path):
    train_or_load(tiny_config, cache=tmp_path, progress=False)
    train_or_load(tiny_config, cache=tmp_path, progress=False, retrain=True)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names[0] == run_name(tiny_config)
    assert names[1].startswith(run_name(tiny_config) + ".replaced-")


def test_interrupted_training_resumes_to_the_same_result(synthetic_data, tiny_config, tmp_path):
    config = tiny_config.replace(train={"num_epochs": 3})
    reference = train(config, progress=False)

    def interrupt(epoch, row):
        if epoch == 1:
            raise KeyboardInterrupt

    checkpoint_dir = tmp_path / "partial"
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=False, checkpoint_dir=checkpoint_dir, on_epoch_end=interrupt)
    resumed = train(config, progress=False, checkpoint_dir=checkpoint_dir)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(resumed.history) == strip(reference.history)
    for key, value in reference.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key])


def test_a_checkpoint_from_before_the_loops_were_one_resumes(synthetic_data, tiny_config, tmp_path):
    """A one-model checkpoint in the earlier form (``config``, ``history``, ``rng`` with
    ``shuffle``) is read by the one loop and resumes to the uninterrupted result."""
    config = tiny_config.replace(train={"num_epochs": 3})
    reference = train(config, progress=False)

    def interrupt(epoch, row):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, progress=False, checkpoint_dir=tmp_path, on_epoch_end=interrupt)
    path = tmp_path / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    assert json.loads(state["configs"]) == [config.to_json()]  # the one loop's form, before it is rewritten
    old = {"config": config.to_json(), "model": state["model"], "optimiser": state["optimiser"],
           "rng": {"torch": state["rng"]["torch"], "shuffle": state["rng"]["generators"][0]},
           "history": json.dumps(json.loads(state["histories"])[0]), "epoch": state["epoch"],
           "elapsed": state["elapsed"]}
    torch.save(old, path)
    resumed = train(config, progress=False, checkpoint_dir=tmp_path)
    assert resumed.meta["resumed_from_epoch"] == 2
    for key, value in reference.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key])


def test_train_or_load_rejects_a_non_config():
    with pytest.raises(TypeError, match="RunConfig"):
        train_or_load({"model": "vsc"})


def test_an_unreadable_checkpoint_is_kept_aside_and_training_starts_over(synthetic_data, tiny_config, tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    run = train(tiny_config, progress=False, checkpoint_dir=tmp_path)
    assert len(run.history) == tiny_config.train.num_epochs
    assert (tmp_path / "checkpoint.pt.bad").read_bytes() == b"not a checkpoint"
    assert "could not be read" in capsys.readouterr().out


DENORMAL = 1e-39  # below float32's smallest normal number, 1.18e-38


def _flushed() -> bool:
    """Whether arithmetic on float32 denormals gives zero right now."""
    return float(torch.tensor([DENORMAL]) * 1.0) == 0.0


def test_adam_leaves_a_weight_without_gradient_at_a_denormal_moment_unless_flushed():
    """The reason training flushes denormals: a first moment times 0.9 per step gets stuck at the
    smallest denormal (0.9 times it rounds back to it) and every later step computes on it."""
    for flush in (False, True):
        weight = torch.nn.Parameter(torch.ones(4))
        optimiser = torch.optim.Adam([weight], lr=1e-3)
        weight.grad = torch.full((4,), 1e-3)
        optimiser.step()
        with training.flushed_denormals() if flush else torch.autograd.grad_mode.no_grad():
            for _ in range(1200):
                weight.grad = torch.zeros(4)
                optimiser.step()
        moment = optimiser.state[weight]["exp_avg"]
        if flush:
            assert torch.all(moment == 0)
        else:
            assert torch.all((moment > 0) & (moment < 1.18e-38))  # stuck at a denormal


def test_training_flushes_denormals_and_switches_it_off_afterwards(synthetic_data, tiny_config):
    seen = []
    assert not _flushed()
    train(tiny_config, progress=False, on_epoch_end=lambda epoch, row: seen.append(_flushed()))
    assert seen and all(seen)
    assert not _flushed()  # the process's arithmetic is as before


def test_keep_denormals_trains_with_exact_arithmetic(synthetic_data, tiny_config, monkeypatch):
    monkeypatch.setenv(training.KEEP_DENORMALS, "1")
    seen = []
    train(tiny_config, progress=False, on_epoch_end=lambda epoch, row: seen.append(_flushed()))
    assert seen and not any(seen)


def test_a_grouped_training_flushes_denormals_too(tiny_config):
    import dataclasses

    from vsc_lib.grouped import train_group

    configs = [tiny_config.replace(train=dataclasses.replace(tiny_config.train, seed=s)) for s in (0, 1)]
    seen = []
    data = synthetic_split(256, 0, "train"), synthetic_split(128, 1, "test")
    train_group(configs, data=data, progress=False, on_epoch_end=lambda epoch: seen.append(_flushed()))
    assert seen and all(seen) and not _flushed()


def test_block_timing_separates_the_recorded_time_from_the_computation():
    history = [{"seconds": s} for s in (300.0, 610.0, 2610.0, 2915.0)]  # the third block ran through a pause
    timing = training.block_timing(history)
    assert timing["recorded_seconds"] == 2915.0 and timing["blocks"] == 4
    assert timing["median_block_seconds"] == pytest.approx(307.5)  # blocks 300, 310, 2000, 305
    assert timing["computation_seconds"] == pytest.approx(4 * 307.5)
    assert training.block_timing([{"seconds": 5.0}])["computation_seconds"] == 5.0
    with pytest.raises(ValueError, match="at least one block"):
        training.block_timing([])
