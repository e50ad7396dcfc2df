"""Pilot: at what reduced size does the authors' Smiley recipe show input-switched latents?

Trains ``recipe_config(SMILEY, width, length, latent_dim=40)`` through the run cache (resumable)
and writes its switching statistics and both correlation scores to
``results/pilot-authors-smiley-w<width>-l<length>-s<seed>.json``.

    python research/pilot_authors_smiley.py --width 0.1333 --length 0.05 --seed 0 --threads 1
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from vsc_lib import metrics
from vsc_lib.data import load_dataset
from vsc_lib.recipes import SMILEY, recipe_config
from vsc_lib.training import train_or_load


def switching(spike_prob: torch.Tensor) -> dict:
    on = spike_prob > 0.5
    share = on.float().mean(0)
    return {"active_per_image": float(on.sum(1).float().mean()), "dims_used": int((share >= 0.01).sum()),
            "input_switched_dims": int(((share >= 0.01) & (share <= 0.99)).sum()),
            "always_on_dims": int((share > 0.99).sum())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=float, required=True)
    parser.add_argument("--length", type=float, required=True)
    parser.add_argument("--latent-dim", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ingredients", default="")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ingredients = tuple(i for i in args.ingredients.split(",") if i)
    config = recipe_config(SMILEY, width=args.width, length=args.length, latent_dim=args.latent_dim, seed=args.seed,
                           num_train=50_000, num_test=5_000, ingredients=ingredients)
    began = time.perf_counter()
    run = train_or_load(config)
    test = load_dataset("smiley", "test", subset=5_000)
    encoded = metrics.encode_dataset(run.model, test.x)
    out = {"config": config.to_dict(), "train_seconds": run.meta["train_seconds"], "wall": time.perf_counter() - began,
           **switching(encoded.spike_prob), "test_neg_elbo": run.history[-1]["test_neg_elbo"]}
    gated = metrics.latent_codes(run.model, test.x)
    sampled = metrics.sampled_codes(run.model, test.x)
    for name, codes, mags in (("signed", gated, False), ("authors", sampled, True)):
        score = metrics.correlation_disentanglement(codes, test.factors, magnitudes=mags)
        out[name] = {"D": score.disentanglement, "C": score.completeness, "coverage": score.coverage,
                     "latents_related": int((score.importance.amax(1) > 0).sum())}
    tag = "-".join(ingredients) or "recipe"
    path = Path("results") / f"pilot-authors-smiley-{tag}-j{args.latent_dim}-w{args.width:g}-l{args.length:g}-s{args.seed}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "config"}, indent=1))


if __name__ == "__main__":
    main()
