"""How far two worker processes can scale on this machine, in one run: a compute-bound kernel
(a 1024 x 1024 fp32 matmul) and a memory-bound one (copying a 64 MB array), each timed in one
process alone and in two processes at the same time (one torch thread each).

    python benchmarks/two_cores.py [--seconds 4] [--json results/two-cores.json]

A sweep of small models sits between the two: if the copy does not double with two processes,
neither can a sweep's throughput (see ``benchmarks/sweep_scaling.py``). Run it on an otherwise
idle machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from grouped import _matmul as matmul_rate  # this folder is on the path of a script run from it
from grouped import rates


def _matmul(seconds: float, start, queue) -> None:
    matmul_rate(seconds, start, queue, size=1024)


def _copy(seconds: float, start, queue) -> None:
    torch.set_num_threads(1)
    a = torch.randn(16 * 1024 * 1024)
    b = torch.empty_like(a)
    b.copy_(a)
    start.wait()
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        b.copy_(a)
        count += 1
    queue.put(count * 2 * a.numel() * 4 / (time.perf_counter() - began) / 1e9)  # GB/s read + written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = {"cpu_capability": torch.backends.cpu.get_cpu_capability()}
    for name, target, unit in (("matmul", _matmul, "GFLOP/s"), ("copy", _copy, "GB/s")):
        one, two = rates(target, (args.seconds,), 1), rates(target, (args.seconds,), 2)
        out[name] = {"unit": unit, "one_process": one[0], "two_processes": two, "scaling": sum(two) / one[0]}
        print(f"{name:>6}: {one[0]:6.1f} {unit} alone, {sum(two):6.1f} with two processes ({sum(two) / one[0]:.2f}x)",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
