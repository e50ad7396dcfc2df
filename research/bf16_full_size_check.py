"""Is bf16 autocast safe for the authors' full-size Smiley network? (issue 10: allowed where a
short run shows the same bound within 0.5 nats)

Trains the full-size preset (3,000 units, J = 60) for a short, proportionally scaled schedule
twice from the same seed, in fp32 and in bf16, on one shared set of batches, and writes the test
bounds after each block and the seconds per iteration to ``results/bf16-full-size-check.json``.

    python research/bf16_full_size_check.py --length 0.003 --threads 2 [--seed 0] [--out results/...json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from vsc_lib.recipes import SMILEY, recipe_config
from vsc_lib.training import load_run_data, train


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {f for line in text.splitlines() if line.startswith("flags") for f in line.split(":", 1)[1].split()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--length", type=float, default=0.003)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results/bf16-full-size-check.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base = recipe_config(SMILEY, length=args.length, blocks=4, num_train=50_000, num_test=2_000,
                         seed=args.seed)
    data = load_run_data(base)
    out = {"iterations": base.train.num_epochs * base.train.epoch_iterations, "threads": args.threads,
           "seed": args.seed, "cpu_flags": sorted(f for f in _cpu_flags() if "bf16" in f or "amx" in f),
           "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    for precision in ("fp32", "bf16"):
        config = dataclasses.replace(base, train=dataclasses.replace(base.train, precision=precision))
        began = time.perf_counter()
        run = train(config, data=data, progress=False)
        seconds = time.perf_counter() - began
        out[precision] = {"test_neg_elbo": [row["test_neg_elbo"] for row in run.history],
                          "seconds_per_iteration": run.meta["train_seconds"] / out["iterations"], "wall": seconds}
        print(precision, out[precision], flush=True)
    out["largest_bound_difference"] = max(abs(a - b) for a, b in zip(out["fp32"]["test_neg_elbo"],
                                                                         out["bf16"]["test_neg_elbo"], strict=True))
    out["speed_up"] = out["fp32"]["seconds_per_iteration"] / out["bf16"]["seconds_per_iteration"]
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
