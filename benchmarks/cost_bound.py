"""A lower bound on the time chapter 7's default grids need on this CPU, from arithmetic alone.

    python benchmarks/cost_bound.py [--json results/chapter7-cost-bound.json]

Counts the matrix-product FLOPs of one training step of every distinct run of the ``authors``
and ``ablation`` book grids (``torch.utils.flop_counter``: forward, backward and the pseudo-input
passes; elementwise work, Adam and the evaluation are left out, so the count is a lower bound),
multiplies by the run's iterations, and divides the total by the machine's measured 2048 x 2048
matmul rate of both cores together in fp32 and in bf16 (a rate no training step exceeds: the
step's products are smaller). Whatever the implementation, the grids cannot train faster than
this on the machine; the measured run times (``benchmarks/recipe_step.py``) are the real figure.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported as benchmarks.cost_bound
from grouped import _matmul, _matmul_bf16, rates  # noqa: E402  (the benchmarks' matmul timer)

from vsc_lib.models import build_model  # noqa: E402
from vsc_lib.studies import STUDIES
from vsc_lib.training import flushed_denormals, make_optimiser, native_bf16  # noqa: E402


def step_flops(config) -> float:
    """Matrix-product FLOPs of one training step of ``config`` (batch of its size)."""
    torch.manual_seed(0)
    model = build_model(config.model, config.input_shape)
    optimiser = make_optimiser(model, config.train.lr)
    x = torch.rand(config.train.batch_size, *config.input_shape)
    model.train()
    if hasattr(model, "schedule"):
        model.schedule(0, config.train.epoch_iterations or 1, 1)
    with FlopCounterMode(display=False) as counter:
        output = model(x)
        optimiser.zero_grad(set_to_none=True)
        output.loss.total.backward()
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("results/chapter7-cost-bound.json"))
    parser.add_argument("--budget-minutes", type=float, default=45.0)
    args = parser.parse_args()
    configs = {}
    for grid in (STUDIES["authors"]["book"], STUDIES["ablation"]["book"]):
        for config in grid.configs().values():
            configs[config.to_json()] = config  # the grids share the recipe's J = 40 runs
    total, per_kind = 0.0, {}
    for config in configs.values():
        iterations = config.train.num_epochs * config.train.epoch_iterations
        flops = step_flops(config) * iterations
        total += flops
        key = f"{config.model.kind} hidden {config.model.hidden_dim}"
        per_kind[key] = per_kind.get(key, 0.0) + flops
    torch.set_num_threads(1)
    with flushed_denormals():
        fp32 = sum(rates(_matmul, (2.0,), processes=2))  # two one-thread processes: both cores
        bf16 = sum(rates(_matmul_bf16, (2.0,), processes=2)) if native_bf16("cpu") else None
    out = {"cpu": platform.processor() or platform.machine(), "distinct_runs": len(configs),
           "matrix_product_pflop": total / 1e15, "pflop_by_model": {k: v / 1e15 for k, v in per_kind.items()},
           "two_core_matmul_gflops": {"fp32": fp32, "bf16": bf16},
           "lower_bound_minutes": {"fp32": total / (fp32 * 1e9) / 60,
                                   "bf16": total / (bf16 * 1e9) / 60 if bf16 else None},
           "budget_minutes": args.budget_minutes}
    print(json.dumps(out, indent=1))
    args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
