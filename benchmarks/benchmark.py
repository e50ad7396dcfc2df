"""Training throughput of every model x body against this machine's fp32 matmul peak, in one run.

Usage: python benchmarks/benchmark.py [--batch-sizes 64 256 512] [--repeats 5] [--json PATH]

For each configuration it times full training steps (forward, backward, Adam) of the library's
own code path on random MNIST-shaped data, counts the floating-point operations of one step
with ``torch.utils.flop_counter`` (matmuls and convolutions, forward and backward), and prints
images/s, GFLOP/s and the ratio of that to the fp32 matrix-multiply rate measured in the same
run. Medians over ``--repeats`` timings, because the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from vsc_lib.config import ModelConfig
from vsc_lib.models import build_model
from vsc_lib.training import make_optimiser


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Median fp32 GFLOP/s of a square matrix multiply."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    rates = []
    for _ in range(repeats):
        began = time.perf_counter()
        for _ in range(10):
            a @ b
        rates.append(10 * 2 * size**3 / (time.perf_counter() - began) / 1e9)
    return statistics.median(rates)


def training_step(model, optimiser, x):
    output = model(x)
    optimiser.zero_grad(set_to_none=True)
    output.loss.total.backward()
    optimiser.step()


def flops_per_step(model, optimiser, x) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        training_step(model, optimiser, x)
    return counter.get_total_flops()


def measure(kind: str, body: str, latent_dim: int, batch_size: int, repeats: int, seconds: float) -> dict:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, body=body, latent_dim=latent_dim)).train()
    optimiser = make_optimiser(model, lr=1e-3)
    x = torch.rand(batch_size, 1, 28, 28)
    flops = flops_per_step(model, optimiser, x)
    began = time.perf_counter()
    steps = 0
    while time.perf_counter() - began < 0.5 or steps < 3:  # warm-up
        training_step(model, optimiser, x)
        steps += 1
    per_block = max(3, int(steps / (time.perf_counter() - began) * seconds))
    rates = []
    for _ in range(repeats):
        began = time.perf_counter()
        for _ in range(per_block):
            training_step(model, optimiser, x)
        rates.append(per_block / (time.perf_counter() - began))
    steps_per_second = statistics.median(rates)
    return {
        "kind": kind, "body": body, "latent_dim": latent_dim, "batch_size": batch_size,
        "images_per_second": steps_per_second * batch_size,
        "gflops": steps_per_second * flops / 1e9,
        "flops_per_image": flops / batch_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 512])
    parser.add_argument("--kinds", nargs="+", default=["ae", "vae", "vsc"])
    parser.add_argument("--bodies", nargs="+", default=["mlp", "conv"])
    parser.add_argument("--latent-dim", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.6, help="length of one timed block")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    peak = matmul_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print(f"fp32 matmul (2048x2048): {peak:.1f} GFLOP/s\n")
    header = f"{'model':>5} {'body':>5} {'J':>4} {'batch':>6} {'images/s':>10} {'GFLOP/s':>8} {'of peak':>8}"
    print(header)
    print("-" * len(header))
    rows = []
    for body in args.bodies:
        for kind in args.kinds:
            for batch_size in args.batch_sizes:
                row = measure(kind, body, args.latent_dim, batch_size, args.repeats, args.seconds)
                row["fraction_of_peak"] = row["gflops"] / peak
                rows.append(row)
                print(f"{kind:>5} {body:>5} {args.latent_dim:>4} {batch_size:>6} {row['images_per_second']:>10.0f} "
                      f"{row['gflops']:>8.1f} {row['fraction_of_peak']:>8.0%}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"matmul_gflops": peak, "threads": torch.get_num_threads(),
                                         "torch": torch.__version__, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
