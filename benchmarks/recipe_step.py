"""Chapter 7's training step (the authors' Smiley recipe, learned prior, J = 40, batch 500) at the
book's width (400 units) and the authors' full width (3,000), in fp32 and under bf16 autocast, with
the normalised-Gaussian NLL written out by autograd (the path before session 9) beside the fused
one (``vsc_lib.losses.normalised_gaussian_nll``), all measured in one run on one thread.

    python benchmarks/recipe_step.py [--widths 400 3000] [--pairs 5] [--steps 20] [--json results/recipe-step.json]

Each variant trains ``--warmup`` steps on Smiley training batches in file order, then the timed
blocks of ``--steps`` steps alternate between the variants of one (width, precision) ``--pairs``
times, so that drift of a shared machine hits both alike; the reported time per step is the
median block. bf16 is timed only where the CPU multiplies bf16 in hardware. The fp32 2048 x 2048
matmul rate is measured in the same run, and each variant's fp32-equivalent FLOPs per step
(``torch.utils.flop_counter``) are given as a fraction of it. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from pathlib import Path

import torch
from grouped import _matmul, rates  # this folder is on the path of a script run from it
from torch.utils.flop_counter import FlopCounterMode

from vsc_lib.data import load_dataset
from vsc_lib.models import build_model
from vsc_lib.recipes import SMILEY, recipe_config
from vsc_lib.training import flushed_denormals, make_optimiser, native_bf16

BATCH = SMILEY.batch_size


def _autograd_nll(likelihood, out, x):
    """The normalised-Gaussian NLL as it was before session 9: autograd's ops."""
    logits, logvar = likelihood.split(out)
    var = logvar.exp() + likelihood.variance_floor
    per_feature = 0.5 * (math.log(2 * math.pi) + var.log() + (likelihood.prepare(x) - torch.sigmoid(logits)).pow(2) / var)
    return per_feature.flatten(1).sum(1)


def _model(width: int, fused: bool):
    config = recipe_config(SMILEY, width=width / SMILEY.hidden_dim, length=0.05, latent_dim=40)
    torch.manual_seed(0)
    model = build_model(config.model, config.input_shape)
    if not fused:  # the path before the fused NLL
        likelihood = model.likelihood
        likelihood.nll = lambda out, x: _autograd_nll(likelihood, out, x)
    return model, make_optimiser(model, SMILEY.lr)


def _step(model, optimiser, x, bf16: bool) -> None:
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        output = model(x)
    optimiser.zero_grad(set_to_none=True)
    output.loss.total.backward()
    optimiser.step()


def _flops(width: int, x: torch.Tensor) -> float:
    model, optimiser = _model(width, fused=True)
    with FlopCounterMode(display=False) as counter:
        _step(model, optimiser, x[:BATCH], bf16=False)
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[400, 3000])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", type=Path, default=Path("results/recipe-step.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = load_dataset("smiley", "train", subset=20_000).x
    batches = [x[i:i + BATCH] for i in range(0, x.shape[0] - BATCH + 1, BATCH)]
    precisions = ["fp32"] + (["bf16"] if native_bf16("cpu") else [])
    out = {"cpu": platform.processor() or platform.machine(), "capability": torch.backends.cpu.get_cpu_capability(),
           "torch": torch.__version__, "threads": 1, "batch": BATCH, "rows": []}
    with flushed_denormals():
        peak = 1e9 * rates(_matmul, (2.0,), processes=1)[0]
        out["fp32_matmul_gflops"] = peak / 1e9
        for width in args.widths:
            flops = _flops(width, x)
            for precision in precisions:
                bf16 = precision == "bf16"
                variants = {name: _model(width, fused) for name, fused in (("autograd NLL", False), ("fused NLL", True))}
                times: dict[str, list[float]] = {name: [] for name in variants}
                position = 0
                for model, optimiser in variants.values():
                    for i in range(args.warmup):
                        _step(model, optimiser, batches[i % len(batches)], bf16)
                for _ in range(args.pairs):
                    for name, (model, optimiser) in variants.items():
                        began = time.perf_counter()
                        for i in range(args.steps):
                            _step(model, optimiser, batches[(position + i) % len(batches)], bf16)
                        times[name].append((time.perf_counter() - began) / args.steps)
                    position += args.steps
                base = statistics.median(times["autograd NLL"])
                for name, blocks in times.items():
                    seconds = statistics.median(blocks)
                    row = {"width": width, "precision": precision, "variant": name, "ms_per_step": 1e3 * seconds,
                           "images_per_second": BATCH / seconds, "ratio_to_autograd_fp32": None,
                           "ratio_to_autograd_same_precision": base / seconds,
                           "fp32_flops_per_step": flops, "fraction_of_fp32_peak": flops / seconds / peak,
                           "full_run_hours_one_thread": seconds * SMILEY.iterations / 3600}
                    out["rows"].append(row)
                    print(f"width {width:5d} {precision} {name:13s} {1e3 * seconds:7.1f} ms/step "
                          f"({base / seconds:.2f}x), {flops / seconds / peak:.0%} of the fp32 peak", flush=True)
        for row in out["rows"]:
            reference = next(r for r in out["rows"] if r["width"] == row["width"] and r["precision"] == "fp32"
                             and r["variant"] == "autograd NLL")
            row["ratio_to_autograd_fp32"] = reference["ms_per_step"] / row["ms_per_step"]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1) + "\n")
    print(f"fp32 2048^2 matmul: {peak / 1e9:.0f} GFLOP/s; written {args.json}")


if __name__ == "__main__":
    main()
