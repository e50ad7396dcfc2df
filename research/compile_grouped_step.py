"""Does torch.compile fuse chapter 6's grouped training step into something faster? One process,
one thread: the grouped model of nine MLP VSCs (J = 200, batch 128 each, fp32, denormals
flushed) trained eagerly and with ``torch.compile(model)``, each timed for a few seconds after
30 warm-up steps (the compiled one's include compiling).

    python research/compile_grouped_step.py [--seconds 8] [--json results/compile-grouped-step.json]

Why: the step's matrix products alone reach about 93 % of the matmul peak and its Adam update
takes 5 % of the step (``benchmarks/grouped.py --ceiling``); the elementwise rest (sampling, KL,
likelihood, activations and their gradients) is what keeps the fp32 step below 80 % of the peak,
and fusing it is what a compiler could do.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.grouped import BATCH, _images, bench_model  # noqa: E402  (the benchmark's model and data)
from vsc_lib.training import flushed_denormals  # noqa: E402


def time_step(groups: int, compiled: bool, seconds: float, images: torch.Tensor) -> dict:
    model, optimiser = bench_model(groups)
    forward = torch.compile(model, dynamic=False) if compiled else model
    rows = groups * BATCH
    batches = [images[i:i + rows] for i in range(0, images.shape[0] - rows + 1, rows)]

    def step(x):
        output = forward(x)
        optimiser.zero_grad(set_to_none=True)
        (output.loss.total * groups).backward()
        optimiser.step()

    with flushed_denormals():
        began = time.perf_counter()
        for i in range(30):
            step(batches[i % len(batches)])
        warmup = time.perf_counter() - began
        steps, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            step(batches[steps % len(batches)])
            steps += 1
        per_step = (time.perf_counter() - began) / steps
    return {"warmup_seconds": warmup, "ms_per_step": 1000 * per_step, "images_per_second": rows / per_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    images = _images()
    out = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__, "groups": args.groups,
           "eager": time_step(args.groups, False, args.seconds, images),
           "compiled": time_step(args.groups, True, args.seconds, images)}
    out["compiled_speed_over_eager"] = out["eager"]["ms_per_step"] / out["compiled"]["ms_per_step"]
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
