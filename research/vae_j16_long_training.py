"""How far a longer training takes the MNIST VAE with J = 16 (the chapter's -ELBO <= 100 target).

Usage: python research/vae_j16_long_training.py [--epochs 80] [--out results/vae-j16-long.json]

Trains (or loads from the run cache) the MLP VAE of the sweep (784-400-16, Adam 1e-3, seed 0)
for ``--epochs`` epochs with three recipes: batch 128, batch 256, and batch 128 with the learning
rate divided by 10 for the last quarter; writes the per-epoch test -ELBO of each (one latent
sample per test image, recorded by the training loop) and the final one with 10 samples.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from vsc_lib import metrics
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.data import load_dataset
from vsc_lib.training import train_or_load


def recipes(epochs: int) -> dict[str, TrainConfig]:
    return {
        "batch 128, lr 1e-3": TrainConfig(num_epochs=epochs, batch_size=128, lr=1e-3, seed=0),
        "batch 256, lr 1e-3": TrainConfig(num_epochs=epochs, batch_size=256, lr=1e-3, seed=0),
        "batch 128, lr 1e-3 then 1e-4": TrainConfig(num_epochs=epochs, batch_size=128, lr=1e-3, lr_schedule="step",
                                                     lr_decay=0.1, lr_decay_epoch=3 * epochs // 4, seed=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--out", type=Path, default=Path("results/vae-j16-long.json"))
    parser.add_argument("--only", nargs="*", help="recipe names to run (default: all)")
    args = parser.parse_args()
    test = load_dataset("mnist", "test")
    out = {}
    for name, train in recipes(args.epochs).items():
        if args.only and name not in args.only:
            continue
        run = train_or_load(RunConfig(DataConfig("mnist"), ModelConfig(kind="vae", latent_dim=16), train))
        torch.manual_seed(0)
        final = metrics.evaluate(run.model, test.x, num_samples=10)["neg_elbo"]
        curve = [round(h["test_neg_elbo"], 2) for h in run.history]
        out[name] = {"epochs": args.epochs, "test_neg_elbo_10_samples": round(final, 2), "curve_1_sample": curve,
                     "train_seconds": round(run.meta["train_seconds"], 1)}
        print(f"{name:>30}: test -ELBO {final:.2f} after {args.epochs} epochs; at epochs 10/30/50: "
              f"{curve[9]:.1f} / {curve[min(29, len(curve) - 1)]:.1f} / {curve[min(49, len(curve) - 1)]:.1f}")
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
