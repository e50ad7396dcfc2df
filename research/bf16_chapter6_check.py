"""Does bf16 autocast keep chapter 6's bound? The book grid's MNIST and Fashion-MNIST cells at
J = 200 (VAE and VSC alpha = 0.01, 4 epochs, 3 seeds) trained in fp32 and in bf16, side by side:
the test -ELBO difference (bf16 - fp32, mean and sd over seeds) against issue 12's 0.5-nat
criterion, and the training images per second of each.

    python research/bf16_chapter6_check.py [--workers 1] > results/bf16-chapter6-check.txt
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics

from vsc_lib.studies import STUDIES
from vsc_lib.sweep import run_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    base = dataclasses.replace(STUDIES["latent"]["book"], families=("vae", "vsc0.01"), latent_dims=(200,), probe_families=())
    results = {p: run_grid(dataclasses.replace(base, name=f"book-{p}", precision=p), workers=args.workers)
               for p in ("fp32", "bf16")}
    out = {}
    for dataset in base.datasets:
        for family in base.families:
            per_seed = {p: [results[p].evaluations[(dataset, family, 200, s)].test_neg_elbo for s in base.seeds]
                        for p in results}
            diffs = [b - f for f, b in zip(per_seed["fp32"], per_seed["bf16"], strict=True)]
            out[f"{dataset} {family}"] = {"fp32": statistics.fmean(per_seed["fp32"]),
                                          "bf16": statistics.fmean(per_seed["bf16"]),
                                          "diff_mean": statistics.fmean(diffs), "diff_sd": statistics.stdev(diffs),
                                          "within_0.5": abs(statistics.fmean(diffs)) <= 0.5}
    out["images_per_second"] = {p: statistics.fmean(r.images_per_second) if r.images_per_second else None
                                for p, r in results.items()}
    print(json.dumps(out, indent=1))
    print(results["bf16"].table("test_neg_elbo"))


if __name__ == "__main__":
    main()
