"""Why does the fixed-prior VSC with alpha = 0.01 switch almost everything off? Compare fixes.

Trains VSC (MLP, J = 200, alpha = 0.01) for 10 epochs on the first 20,000 MNIST training images
with several training variants, and scores each on validation images 50,000-55,000 (never the
test set): negative ELBO (3 samples, hard spike), mean active dimensions, dimensions ever used.

Usage: python research/vsc_collapse_variants.py base st st_klwarm ...   (one line per variant)
"""

from __future__ import annotations

import sys

import torch

from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from vsc_lib.data import ImageDataset, load_dataset
from vsc_lib.metrics import encode_dataset, evaluate, spike_statistics
from vsc_lib.training import train

VARIANTS = {
    "base": {},
    "bias3": {"spike_bias_init": 3.0},
    "klwarm": {"kl_warmup_epochs": 3.0},
    "lamwarm": {"warmup_epochs": 2.0, "warmup_ramp_epochs": 2.0},
    "st": {"spike_estimator": "straight_through"},
    "st_bias3": {"spike_estimator": "straight_through", "spike_bias_init": 3.0},
    "st_klwarm": {"spike_estimator": "straight_through", "kl_warmup_epochs": 3.0},
}


def main() -> None:
    torch.set_num_threads(1)
    full = load_dataset("mnist", "train")

    def part(a, b):
        return ImageDataset(full.x[a:b], full.y[a:b], "mnist", "train", full.classes, torch.arange(a, b))

    train_set, valid = part(0, 20_000), part(50_000, 55_000)
    for name in sys.argv[1:] or list(VARIANTS):
        config = RunConfig(DataConfig(num_train=20_000, num_test=5_000),
                           ModelConfig(kind="vsc", latent_dim=200, alpha=0.01, **VARIANTS[name]),
                           TrainConfig(num_epochs=10, batch_size=128))
        run = train(config, data=(train_set, valid), progress=False)
        torch.manual_seed(0)
        scores = evaluate(run.model, valid.x, num_samples=3)
        stats = spike_statistics(encode_dataset(run.model, valid.x).spike_prob, valid.y, 10)
        last = run.history[-1]
        print(f"{name} val -ELBO {scores['neg_elbo']:.1f} recon {scores['recon']:.1f} kl {scores['kl']:.1f} "
              f"active {stats.mean_active:.2f} used {stats.dims_ever_used} | train(relaxed) -ELBO "
              f"{last['train_neg_elbo']:.1f} recon {last['train_recon']:.1f}", flush=True)


if __name__ == "__main__":
    main()
