"""Train the latent-dimension sweep of the paper's quantitative claims into the run cache.

Usage:
  python scripts/sweep.py [--datasets mnist fashion_mnist] [--latent-dims 8 16 32 64 128 200]
                          [--families vae vsc0.5 vsc0.2 vsc0.01] [--seeds 0 1 2] [--epochs 30]
                          [--workers 2] [--threads 1] [--dry-run]

Every (dataset, family, J, seed) is one RunConfig (MLP body, 400 hidden units, Adam 1e-3,
batch 128); `vsc<alpha>` is the fixed-prior VSC with that alpha, trained with the
straight-through spike and 3 epochs of KL warm-up. Runs already in the cache are skipped, so an
interrupted sweep continues where it stopped. Prints the wall time and a summary of the final
test -ELBO (one sample, from each run's history) per cell, mean and sd over seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.paths import cache_dir
from vsc_lib.sweep import train_many
from vsc_lib.training import load_run


def family_config(family: str, latent_dim: int) -> ModelConfig:
    if family == "vae":
        return ModelConfig(kind="vae", latent_dim=latent_dim)
    if family.startswith("vsc"):
        return ModelConfig(kind="vsc", latent_dim=latent_dim, alpha=float(family[3:]),
                           spike_estimator="straight_through", kl_warmup_epochs=3.0)
    raise ValueError(f"unknown family {family!r}; use vae or vsc<alpha>, e.g. vsc0.01.")


def grid(datasets, families, latent_dims, seeds, epochs) -> dict[tuple, RunConfig]:
    return {
        (d, f, j, s): RunConfig(DataConfig(d), family_config(f, j), TrainConfig(num_epochs=epochs, batch_size=128, seed=s))
        for d in datasets for f in families for j in latent_dims for s in seeds
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"])
    parser.add_argument("--families", nargs="+", default=["vae", "vsc0.5", "vsc0.2", "vsc0.01"])
    parser.add_argument("--latent-dims", type=int, nargs="+", default=[8, 16, 32, 64, 128, 200])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    configs = grid(args.datasets, args.families, args.latent_dims, args.seeds, args.epochs)
    print(f"{len(configs)} runs in the grid")
    if args.dry_run:
        return
    began = time.perf_counter()
    trained = train_many(list(configs.values()), workers=args.workers, threads=args.threads)
    print(f"trained {len(trained)} runs in {time.perf_counter() - began:.0f} s wall "
          f"({sum(t['train_seconds'] for t in trained):.0f} s of training summed over runs)")
    cells: dict[tuple, list[float]] = {}
    for (d, f, j, _), config in configs.items():
        cells.setdefault((d, f, j), []).append(load_run(config, cache_dir(), "cpu").history[-1]["test_neg_elbo"])
    for (d, f, j), values in cells.items():
        sd = statistics.stdev(values) if len(values) > 1 else float("nan")
        print(f"{d:>13} {f:>8} J={j:<4} -ELBO {statistics.mean(values):7.2f} +- {sd:5.2f} (n={len(values)})")


if __name__ == "__main__":
    main()
