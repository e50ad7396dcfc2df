"""The test bound of chapter 6 (10 latent samples per test image, 10,000 MNIST test images, MLP
body, J = 200) evaluated the way it was before session 9 (every sample a full forward pass, the
encoder included) beside today's ``metrics.evaluate`` (each batch encoded once), in one run.

    python benchmarks/evaluation.py [--pairs 3] [--json results/evaluation-benchmark.json]

The two are timed alternately ``--pairs`` times per model on one thread (median reported) and
must return the same numbers bit for bit from the same seed. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from vsc_lib import metrics
from vsc_lib.config import ModelConfig
from vsc_lib.data import load_dataset
from vsc_lib.models import build_model

MODELS = {"VAE": ModelConfig(kind="vae", latent_dim=200),
          "VSC": ModelConfig(kind="vsc", latent_dim=200, alpha=0.01, spike_estimator="straight_through")}


def before(model, x, batch_size: int = 1000, num_samples: int = 10) -> dict[str, float]:
    """``metrics.evaluate`` as it was: the whole forward pass for every sample."""
    accumulator = metrics.LossAccumulator()
    with metrics.eval_mode(model):
        for _ in range(num_samples):
            for batch in x.split(batch_size):
                accumulator.add(model(batch))
    return accumulator.means()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--json", type=Path, default=Path("results/evaluation-benchmark.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = load_dataset("mnist", "test").x
    out = {"images": len(x), "samples": args.samples, "threads": 1, "rows": []}
    for name, config in MODELS.items():
        torch.manual_seed(0)
        model = build_model(config)
        times = {"before": [], "now": []}
        results = {}
        for _ in range(args.pairs):
            for variant, function in (("before", before), ("now", metrics.evaluate)):
                torch.manual_seed(1)
                began = time.perf_counter()
                results[variant] = function(model, x, num_samples=args.samples)
                times[variant].append(time.perf_counter() - began)
        row = {"model": name, "before_seconds": statistics.median(times["before"]),
               "now_seconds": statistics.median(times["now"]), "same_bits": results["before"] == results["now"]}
        row["ratio"] = row["before_seconds"] / row["now_seconds"]
        out["rows"].append(row)
        print(f"{name}: {row['before_seconds']:.2f} s before, {row['now_seconds']:.2f} s now "
              f"({row['ratio']:.2f}x), same bits: {row['same_bits']}", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
