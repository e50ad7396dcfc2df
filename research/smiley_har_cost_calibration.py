"""Cost and behaviour of the issue-5 models before their chapters are sized.

Usage: python research/smiley_har_cost_calibration.py [--epochs 10] [--workers 2] [--out results/issue5-calibration.json]

Trains (into the run cache) on Smiley: VSC with the learned prior (softmax and sigmoid
selectors) and beta-VAEs (beta 1 and 4), J = 40; on UCI HAR: a Gaussian VAE and a VSC (fixed
prior) with J = 16. Then reports per run the training time per epoch, the test -ELBO, the active
dimensions and, on Smiley, the correlation-based disentanglement and completeness against the 18
ground-truth sources. These numbers size the default grids of the Smiley and HAR chapters.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from vsc_lib import analysis, metrics
from vsc_lib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
from vsc_lib.data import load_dataset
from vsc_lib.paths import cache_dir
from vsc_lib.sweep import train_many
from vsc_lib.training import load_run


def configs(epochs: int) -> dict[str, RunConfig]:
    train = TrainConfig(num_epochs=epochs, batch_size=128, lr=1e-3, seed=0)
    warm = {"warmup_epochs": 0.2 * epochs, "warmup_ramp_epochs": 0.1 * epochs}
    smiley, har = DataConfig("smiley"), DataConfig("har")
    return {
        "smiley vsc learned softmax J40": RunConfig(smiley, ModelConfig(kind="vsc", prior="learned", latent_dim=40, alpha=0.2,
                                                                        num_pseudo_inputs=20, selector="softmax", **warm), train),
        "smiley vsc learned sigmoid J40": RunConfig(smiley, ModelConfig(kind="vsc", prior="learned", latent_dim=40, alpha=0.2,
                                                                        num_pseudo_inputs=20, selector="sigmoid", **warm), train),
        "smiley beta-vae b1 J40": RunConfig(smiley, ModelConfig(kind="vae", latent_dim=40, beta=1.0), train),
        "smiley beta-vae b4 J40": RunConfig(smiley, ModelConfig(kind="vae", latent_dim=40, beta=4.0), train),
        "har vae J16": RunConfig(har, ModelConfig(kind="vae", latent_dim=16, likelihood="gaussian"), train),
        "har vsc a0.2 J16": RunConfig(har, ModelConfig(kind="vsc", latent_dim=16, alpha=0.2, likelihood="gaussian",
                                                       spike_estimator="straight_through", kl_warmup_epochs=0.1 * epochs), train),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/issue5-calibration.json"))
    args = parser.parse_args()
    runs = configs(args.epochs)
    train_many(list(runs.values()), workers=args.workers)
    out = {}
    tests = {name: load_dataset(name, "test") for name in ("smiley", "har")}
    for label, config in runs.items():
        run = load_run(config, cache_dir(), "cpu")
        test = tests[config.data.dataset]
        torch.manual_seed(0)
        row = {"run": run_name(config), "seconds_per_epoch": run.meta["train_seconds"] / config.train.num_epochs,
               "test_neg_elbo": metrics.evaluate(run.model, test.x, num_samples=2)["neg_elbo"]}
        encoded = metrics.encode_dataset(run.model, test.x)
        if encoded.spike_prob is not None:
            stats = metrics.spike_statistics(encoded.spike_prob, test.y, len(test.classes))
            row.update(active_per_example=stats.mean_active, dims_used=stats.dims_ever_used)
        else:
            row.update(active_units=analysis.active_units(encoded.mu))
        if test.factors is not None:
            score = metrics.correlation_disentanglement(metrics.latent_codes(run.model, test.x), test.factors)
            row.update(disentanglement=score.disentanglement, completeness=score.completeness)
        out[label] = row
        print(f"{label:>32}: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
