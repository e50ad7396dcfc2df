"""Tiny training runs whose exact results are recorded in ``tests/reference/training-reference.json``.

The reference was written by the library *before* the authors' recipe (issue 10) added its
configuration fields; ``test_training_reference.py`` trains the same runs again and checks that
every loss in the history and every weight is bit-identical, so runs that leave the new fields
at their defaults train exactly as before and their cached results stay valid.

Bit-identity holds only on CPUs whose kernels round alike, and one SIMD level ("AVX512") spans
CPUs that do not (an AVX512 machine with AMX computed the same losses to 2e-7 but other weight
bits). ``machines`` therefore holds exact digests per CPU fingerprint (SIMD level and CPU flags);
elsewhere the test compares losses to 1e-4. Add this machine's digests, after checking that its
losses agree with the record: ``python -m tests.training_reference --add-machine``.

Regenerate (only when a change is *meant* to alter default training, together with a bump of
the cache version): ``python -m tests.training_reference``.
"""

from __future__ import annotations

import argparse
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


def cpu_fingerprint() -> str:
    """The SIMD level torch uses and a digest of the CPU's flags (two CPUs with the same SIMD level
    can still round differently)."""
    flags = ""
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    digest = hashlib.sha256(" ".join(sorted(flags.split(":", 1)[-1].split())).encode()).hexdigest()[:16]
    return f"{torch.backends.cpu.get_cpu_capability()}-{torch.__version__}-{digest}"


def losses_agree(got: list[dict], want: list[dict]) -> list[str]:
    """The keys whose losses differ by more than 1e-4 (relative or absolute) between two histories."""
    bad = []
    for epoch, (row_got, row_want) in enumerate(zip(got, want, strict=True)):
        for key, value in row_want.items():
            a, b = float(row_got[key]), float(value)
            if abs(a - b) > max(1e-4 * abs(b), 1e-4):
                bad.append(f"epoch {epoch} {key}: {a} vs {b}")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description="record the training reference")
    parser.add_argument("--add-machine", action="store_true",
                        help="add this CPU's exact results to the existing record (its losses must agree)")
    args = parser.parse_args()
    runs = {name: run_case(name) for name in CASES}
    if args.add_machine:
        record = json.loads(REFERENCE.read_text())
        for name, run in runs.items():
            bad = losses_agree(run["history"], record["cases"][name]["history"])
            if bad:
                raise SystemExit(f"{name}: this machine's losses differ from the record ({bad[:3]}); not added.")
    else:
        record = {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__,
                  "cases": runs}
    record.setdefault("machines", {})[cpu_fingerprint()] = {
        name: {"history": run["history"], "weights_sha256": run["weights_sha256"]} for name, run in runs.items()}
    REFERENCE.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
