"""Tiny training runs whose exact results are recorded in ``tests/reference/training-reference.json``.

The reference was written by the library *before* the authors' recipe (issue 10) added its
configuration fields; ``test_training_reference.py`` trains the same runs again and checks that
every loss in the history and every weight is bit-identical, so runs that leave the new fields
at their defaults train exactly as before and their cached results stay valid.

Regenerate (only when a change is *meant* to alter default training, together with a bump of
the cache version): ``python -m tests.training_reference``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from tests.conftest import synthetic_split
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, config_hash
from vsc_lib.training import train

REFERENCE = Path(__file__).parent / "reference" / "training-reference.json"

#: one run per model kind and prior, every field not named here at its default
CASES = {
    "vae": {"kind": "vae", "latent_dim": 6},
    "vsc-fixed": {"kind": "vsc", "latent_dim": 6, "alpha": 0.2, "warmup_epochs": 1.0, "warmup_ramp_epochs": 0.5},
    "vsc-learned": {"kind": "vsc", "latent_dim": 6, "alpha": 0.2, "prior": "learned", "num_pseudo_inputs": 4,
                    "warmup_epochs": 0.5, "warmup_ramp_epochs": 0.5},
}


def case_config(name: str) -> RunConfig:
    return RunConfig(
        DataConfig("mnist", num_train=192, num_test=64),
        ModelConfig(hidden_dim=24, **CASES[name]),
        TrainConfig(num_epochs=3, batch_size=64, seed=5, lr_schedule="step", lr_decay_epoch=2),
    )


def run_case(name: str) -> dict:
    """Train one case on one thread and return its hash, its losses and a digest of its weights."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = case_config(name)
        run = train(config, data=(synthetic_split(192, 0, "train"), synthetic_split(64, 1, "test")), progress=False)
    finally:
        torch.set_num_threads(threads)
    digest = hashlib.sha256()
    for key, value in sorted(run.model.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().contiguous().numpy().tobytes())
    losses = [{k: repr(v) for k, v in row.items() if k != "seconds"} for row in run.history]
    return {"config_hash": config_hash(config), "history": losses, "weights_sha256": digest.hexdigest()}


def main() -> None:
    record = {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__,
              "cases": {name: run_case(name) for name in CASES}}
    REFERENCE.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
