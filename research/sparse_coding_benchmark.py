"""Does VSC do sparse coding? VSC (``vsc_lib.fit`` with given options) against scikit-learn's
dictionary learning (OMP, lasso), OMP on the true atoms and PCA, on data with known atoms.

    python research/sparse_coding_benchmark.py [--settings atoms atoms-m24-k3] [--seeds 0 1 2]
        [--latent-dim 32] [--epochs N] [--variants old-default default] [--baselines]
        [--json results/sparse-coding-benchmark.json]

Every method is fitted on the 20,000 training examples and scored on the 2,000 test examples
(``vsc_lib.sparse_coding``: support F1 with atoms matched to dimensions without labels, dimensions
used against M, on per example against k, coefficient correlation, reconstruction error and
encoding throughput, all measured in this one run). ``--variants`` name sets of VSC options
(:data:`VARIANTS`); rows are merged into the JSON file by (setting, method, variant, seed, J).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from vsc_lib import atoms, fit, metrics, sparse_coding
from vsc_lib.paths import write_atomic

#: VSC options by name: what the benchmark compares (the library's fit defaults first)
VARIANTS: dict[str, dict] = {
    # the library's fit defaults before issue 31 (alpha = 0.01 from ModelConfig, 10 epochs) and now
    "old-default": {"alpha": 0.01, "usage_weight": 0.0, "epochs": 10},
    "default": {},
    # what was tried on the way (seed 0; results/sparse-coding-benchmark.json)
    "alpha": {"alpha": 0.0625, "usage_weight": 0.0},
    "st-warmup": {"alpha": 0.0625, "usage_weight": 0.0, "spike_estimator": "straight_through", "kl_warmup_epochs": 1.0},
    "usage-w1": {"alpha": 0.0625, "usage_weight": 1.0},
    "usage-w5": {"alpha": 0.0625, "usage_weight": 5.0},
    "usage-a0.01": {"alpha": 0.01, "usage_weight": 1.0},
    "usage-a0.1": {"alpha": 0.1, "usage_weight": 1.0},
    "usage-a0.125": {"alpha": 0.125, "usage_weight": 1.0},
    "usage-a0.1-w5": {"alpha": 0.1, "usage_weight": 5.0},
}

def vsc_result(train, test, latent_dim: int, epochs: int | None, seed: int, options: dict, kind: str = "vsc"):
    options = dict(options)
    epochs = options.pop("epochs", epochs)
    run = fit.fit(train, latent_dim=latent_dim, seed=seed, kind=kind, progress=False,
                  **({"epochs": epochs} if epochs else {}), **options)
    model = run.model
    began = time.perf_counter()
    codes = fit.encode(run, test)
    seconds = time.perf_counter() - began
    if kind == "vsc":
        on = metrics.encode_dataset(model, torch.as_tensor(test)).spike_prob.numpy() > 0.5
    else:
        on = np.abs(codes) > codes.std(0, keepdims=True)
    with torch.no_grad():
        recon = model.reconstruct(torch.as_tensor(test)).numpy()
    name = "VSC" if kind == "vsc" else "VAE"
    return sparse_coding.CodeResult(name, codes, on, recon, seconds), run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(atoms.SETTINGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=None, help="default: fit's (or the variant's)")
    parser.add_argument("--variants", nargs="+", default=["old-default", "default"], choices=sorted(VARIANTS))
    parser.add_argument("--baselines", action="store_true", help="also fit the classic methods and the VAE")
    parser.add_argument("--json", type=Path, default=Path("results/sparse-coding-benchmark.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = json.loads(args.json.read_text()) if args.json.is_file() else []
    for name in args.settings:
        setting = atoms.SETTINGS[name]
        train, test = atoms.load(name, "train"), atoms.load(name, "test")
        truth = (test.support, test.coefficients)
        for seed in args.seeds:
            results = []
            for variant in args.variants:
                result, run = vsc_result(train.x, test.x, args.latent_dim, args.epochs, seed, VARIANTS[variant])
                results.append((result, variant, run.history))
            if args.baselines:
                vae, _ = vsc_result(train.x, test.x, args.latent_dim, args.epochs, seed, {}, kind="vae")
                results.append((vae, "default", None))
                results += [(r, "-", None) for r in sparse_coding.classic_codes(
                    train.x, test.x, train.atoms, setting.k, args.latent_dim, seed=seed)]
            for r, variant, history in results:
                row = {"setting": name, "M": setting.num_atoms, "k": setting.k, "method": r.method,
                       "variant": variant, "seed": seed, "latent_dim": args.latent_dim,
                       **r.measures(test.x, *truth)}
                if history:
                    row["dims_used_per_epoch"] = [h.get("test_dims_used") for h in history]
                print(json.dumps({k: v for k, v in row.items() if k != "dims_used_per_epoch"}), flush=True)
                key = (row["setting"], row["method"], row["variant"], row["seed"], row["latent_dim"])
                rows = [x for x in rows if (x["setting"], x["method"], x["variant"], x["seed"],
                                            x.get("latent_dim")) != key] + [row]
                write_atomic(args.json, (json.dumps(rows, indent=1) + "\n").encode())


if __name__ == "__main__":
    main()
