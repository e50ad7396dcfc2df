"""Training throughput of every model x body against this machine's fp32 matmul peak, in one run.

Usage: python benchmarks/benchmark.py [--batch-sizes 64 256 512] [--repeats 5] [--json PATH]

For each configuration it times full training steps (forward, backward, Adam) of the library's
own code path on random MNIST-shaped data, counts the floating-point operations of one step
with ``torch.utils.flop_counter`` (matmuls and convolutions, forward and backward), and prints
images/s, GFLOP/s and the ratio of that to the fp32 matrix-multiply rate measured in the same
run. The machine is shared and noisy (rates drift by tens of per cent within minutes), so every row
alternates ``--repeats`` blocks of training with blocks of the reference matmul and reports the
median of the per-pair ratios.
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


class Matmul:
    """A fixed fp32 2048x2048 matrix multiply, timed in short blocks."""

    def __init__(self, size: int = 2048):
        self.a, self.b = torch.randn(size, size), torch.randn(size, size)
        self.flops = 2 * size**3
        for _ in range(3):
            self.a @ self.b

    def gflops(self, count: int = 4) -> float:
        began = time.perf_counter()
        for _ in range(count):
            self.a @ self.b
        return count * self.flops / (time.perf_counter() - began) / 1e9


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


def measure(kind: str, body: str, latent_dim: int, batch_size: int, repeats: int, seconds: float,
            matmul: Matmul) -> dict:
    """Alternate timed blocks of training and of the reference matmul; medians of both and of
    the per-pair ratio, so a slow spell of the shared machine hits both sides of a ratio."""
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
    rates, peaks = [], []
    for _ in range(repeats):
        peaks.append(matmul.gflops())
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
        "matmul_gflops": statistics.median(peaks),
        "fraction_of_peak": statistics.median(r * flops / 1e9 / p for r, p in zip(rates, peaks, strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 512])
    parser.add_argument("--kinds", nargs="+", default=["ae", "vae", "vsc"])
    parser.add_argument("--bodies", nargs="+", default=["mlp", "conv"])
    parser.add_argument("--latent-dim", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.6, help="length of one timed block")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print("peak: fp32 2048x2048 matmul GFLOP/s, timed in blocks alternating with the row's training blocks;")
    print("of peak: median over the pairs of (training GFLOP/s / matmul GFLOP/s)\n")
    matmul = Matmul()
    header = (f"{'model':>5} {'body':>5} {'J':>4} {'batch':>6} {'images/s':>10} {'GFLOP/s':>8} {'peak':>6} "
              f"{'of peak':>8}")
    print(header)
    print("-" * len(header))
    rows = []
    for body in args.bodies:
        for kind in args.kinds:
            for batch_size in args.batch_sizes:
                row = measure(kind, body, args.latent_dim, batch_size, args.repeats, args.seconds, matmul)
                peak = row["matmul_gflops"]
                rows.append(row)
                print(f"{kind:>5} {body:>5} {args.latent_dim:>4} {batch_size:>6} {row['images_per_second']:>10.0f} "
                      f"{row['gflops']:>8.1f} {peak:>6.0f} {row['fraction_of_peak']:>8.0%}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"threads": torch.get_num_threads(),
                                         "torch": torch.__version__, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
