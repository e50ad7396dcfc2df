"""The background-cell script (scripts/train_cell.py): a checkpoint evaluated as its own model, and
the progress entries it merges."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from train_cell import checkpoint_run, merge_checkpoint_entry  # noqa: E402


def _tiny_block_config(num_epochs=3):
    from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    return RunConfig(
        DataConfig("mnist", num_train=64, num_test=16),
        ModelConfig(kind="vsc", prior="learned", latent_dim=4, hidden_dim=16, num_pseudo_inputs=3, spike_form="min0",
                    pseudo_sharpness=10.0, likelihood="normalised_gaussian", init="xavier", c_start=100.0,
                    c_end=100.0, warmup_iterations=6, warmup_ramp_iterations=2),
        TrainConfig(num_epochs=num_epochs, batch_size=32, epoch_iterations=4, batch_order="sequential", seed=2),
    )


def test_a_checkpoint_is_evaluated_as_its_model_never_under_the_runs_cache_entry(tmp_path):
    import dataclasses

    import torch

    from tests.conftest import synthetic_split
    from vsc_lib.config import run_name
    from vsc_lib.training import train

    config = _tiny_block_config(num_epochs=3)
    assert checkpoint_run(config, root=tmp_path) is None  # nothing trained yet
    data = synthetic_split(64, 0, "train"), synthetic_split(16, 1, "test")
    short = dataclasses.replace(config, train=dataclasses.replace(config.train, num_epochs=2))
    partial = tmp_path / f"{run_name(config)}.partial"
    trained = train(short, data=data, progress=False, checkpoint_dir=partial)
    state = torch.load(partial / "checkpoint.pt", weights_only=True)
    state["configs"] = json.dumps([config.to_json()])  # as if the three-block run had been stopped after two blocks
    torch.save(state, partial / "checkpoint.pt")
    run = checkpoint_run(config, root=tmp_path, scratch=tmp_path / "scratch")
    assert run.meta["iterations"] == 8 and run.meta["checkpoint_epoch"] == 1 and len(run.history) == 2
    assert not run.model.training and run.model.kl_anneal == 1.0
    for key, value in trained.model.state_dict().items():
        assert torch.equal(value, run.model.state_dict()[key]), key
    assert run.path.parent == tmp_path / "scratch"  # evaluations go beside it, not into the cache
    other = dataclasses.replace(config, train=dataclasses.replace(config.train, seed=3))
    (tmp_path / f"{run_name(other)}.partial").mkdir()
    torch.save(state, tmp_path / f"{run_name(other)}.partial" / "checkpoint.pt")
    with pytest.raises(ValueError, match="another configuration"):
        checkpoint_run(other, root=tmp_path)


def test_checkpoint_entries_are_kept_in_order_and_replaced_by_iterations(tmp_path):
    path = tmp_path / "progress.json"
    merge_checkpoint_entry(path, {"iterations": 40, "d": 0.4})
    merge_checkpoint_entry(path, {"iterations": 20, "d": 0.2})
    entries = merge_checkpoint_entry(path, {"iterations": 40, "d": 0.5})
    assert entries == [{"iterations": 20, "d": 0.2}, {"iterations": 40, "d": 0.5}]
    assert json.loads(path.read_text()) == entries
