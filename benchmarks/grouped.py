"""Grouped training against the earlier one-model-per-process path, in one run: images per second
of the whole machine (2 one-thread processes) for the MLP VSC of chapter 6 (J = 200, batch 128).

    python benchmarks/grouped.py [--groups 2 4 8] [--seconds 6] [--warmup 1500] [--json results/grouped-benchmark.json]

For each variant, two processes (one torch thread each, as a sweep's two workers) first train
``--warmup`` steps on MNIST training batches (in file order; random data where MNIST is not
prepared), so that the model is timed in the state a sweep spends most of its time in (unused
dimensions switched off, their Adam moments denormal), then train for ``--seconds`` at the same
time, and the images per second of both are summed. Variants: ``before`` (one model per process
with denormals computed exactly: the sweep's path until session 8), ``single`` (one model per
process, ``vsc_lib.training``'s step, denormals flushed as ``train`` does), ``grouped G`` (G models
per process as one grouped model, ``vsc_lib.grouped``), each in fp32 and under bf16 autocast.
The fraction of the fp32 matmul peak uses fp32-equivalent FLOPs of the single model's step
(``torch.utils.flop_counter``) and a 2048 x 2048 fp32 matmul measured on both cores at the same
time; the same FLOPs are also given as a fraction of a bf16 2048 x 2048
matmul's rate (the ceiling of the bf16 variants). On a CPU without native bf16 (AVX512-BF16 or
AMX) only fp32 is timed. Run it on an otherwise idle machine.

``--ceiling`` adds, for each fp32 variant, its step's matrix products alone: the products a
step makes (recorded with their shapes and strides by a dispatch mode) are replayed back to back
on random operands, with nothing else in between. The fraction of the peak they reach is the
most any elementwise fusion of that step could reach at batch 128. It also times the step's
Adam update alone (``optimiser.step()`` on fixed gradients), the largest memory-bound part.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from vsc_lib.config import ModelConfig
from vsc_lib.integrity import DataSourceError
from vsc_lib.models import build_model
from vsc_lib.stacking import group_models
from vsc_lib.training import flushed_denormals, make_optimiser, native_bf16

CONFIG = ModelConfig(kind="vsc", latent_dim=200, alpha=0.01, spike_estimator="straight_through")
BATCH = 128


def _step(model, optimiser, x, groups, bf16):
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        output = model(x)
    optimiser.zero_grad(set_to_none=True)
    (output.loss.total * groups).backward()
    optimiser.step()


def _images() -> torch.Tensor:
    try:
        from vsc_lib.data import load_dataset

        return load_dataset("mnist", "train").x
    except (DataSourceError, OSError):
        return torch.rand(60_000, 1, 28, 28)


def bench_model(groups: int):
    """The benchmark's model and its Adam: one MLP VSC (seed 0) or ``groups`` of them (seeds 0..G-1)
    as one grouped model."""
    models = []
    for seed in range(groups):
        torch.manual_seed(seed)
        models.append(build_model(CONFIG))
    model = models[0] if groups == 1 else group_models(models)
    return model, make_optimiser(model, 1e-3)


def _timed(work, seconds: float, images_per_call: int, start, queue) -> None:
    """Wait at ``start``, call ``work(i)`` for ``seconds``, put the images per second on ``queue``."""
    start.wait()
    calls, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        work(calls)
        calls += 1
    queue.put(calls * images_per_call / (time.perf_counter() - began))


def _worker(groups: int, bf16: bool, flush: bool, warmup: int, seconds: float, start, queue) -> None:
    torch.set_num_threads(1)
    model, optimiser = bench_model(groups)
    images, rows = _images(), groups * BATCH
    batches = [images[i:i + rows] for i in range(0, images.shape[0] - rows + 1, rows)]
    with flushed_denormals() if flush else contextlib.nullcontext():
        for i in range(warmup):
            _step(model, optimiser, batches[i % len(batches)], groups, bf16)
        _timed(lambda i: _step(model, optimiser, batches[i % len(batches)], groups, bf16), seconds, rows, start,
               queue)


#: the matrix products of a training step (forward and backward)
MATMULS = {torch.ops.aten.mm.default, torch.ops.aten.addmm.default, torch.ops.aten.bmm.default,
           torch.ops.aten.baddbmm.default}


class RecordMatmuls(TorchDispatchMode):
    """Records every matrix product run inside it: (op, [(shape, stride, dtype) of each tensor
    argument], the other arguments)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in MATMULS:
            self.calls.append((func, [(tuple(a.shape), a.stride(), a.dtype) if isinstance(a, torch.Tensor) else a
                                      for a in args], dict(kwargs or {})))
        return func(*args, **(kwargs or {}))


def replay_operands(calls):
    """Random operands with each recorded call's shapes and strides (the layout decides the
    kernel's speed as much as the shape)."""
    out = []
    for func, args, kwargs in calls:
        made = [torch.empty_strided(a[0], a[1], dtype=a[2]).normal_() if isinstance(a, tuple) and len(a) == 3
                and isinstance(a[0], tuple) else a for a in args]
        out.append((func, made, kwargs))
    return out


def matmul_flops(calls) -> float:
    """FLOPs of the recorded products: 2 m n k per product (times the batch for bmm / baddbmm)."""
    total = 0.0
    for func, args, _ in calls:
        if func in (torch.ops.aten.addmm.default, torch.ops.aten.baddbmm.default):
            args = args[1:]  # the added term comes first
        (a, _, _), (b, _, _) = args[0], args[1]
        batch = a[0] if len(a) == 3 else 1
        total += 2.0 * batch * a[-2] * a[-1] * b[-1]
    return total


def _ceiling_worker(groups: int, seconds: float, start, queue) -> None:
    """A grouped step's matrix products alone, replayed back to back: images/s equivalent."""
    torch.set_num_threads(1)
    model, optimiser = bench_model(groups)
    x = torch.rand(groups * BATCH, 1, 28, 28)
    recorder = RecordMatmuls()
    with recorder:
        _step(model, optimiser, x, groups, False)
    calls = replay_operands(recorder.calls)

    def replay(_):
        for func, args, kwargs in calls:
            func(*args, **kwargs)

    replay(0)
    _timed(replay, seconds, groups * BATCH, start, queue)


def _adam_worker(groups: int, seconds: float, start, queue) -> None:
    """A step's Adam update alone, on the gradients of one step: images/s equivalent."""
    torch.set_num_threads(1)
    model, optimiser = bench_model(groups)
    _step(model, optimiser, torch.rand(groups * BATCH, 1, 28, 28), groups, False)
    with flushed_denormals():
        optimiser.step()
        _timed(lambda _: optimiser.step(), seconds, groups * BATCH, start, queue)


def step_breakdown(rows: dict, peak: float, flops: float, target: float = 0.8) -> dict:
    """Per fp32 variant timed whole and in parts: microseconds per image (both cores together) of
    the step, its matrix products, its Adam update and the rest, and the most the rest may take
    for the step to reach ``target`` of the matmul peak with the products and Adam as they are."""
    out = {}
    for name in rows:
        prefix = name.removesuffix(" fp32")
        whole, products, adam = (rows.get(f"{prefix} fp32{part}") for part in ("", ", matrix products only",
                                                                                ", Adam step only"))
        if name.endswith(" fp32") and name != "before fp32" and whole and products and adam:
            us = {k: 1e6 / r["images_per_second"] for k, r in (("step", whole), ("products", products), ("adam", adam))}
            us["rest"] = us["step"] - us["products"] - us["adam"]
            us["rest_allowed_for_target"] = 1e6 * flops / (target * peak * 1e9) - us["products"] - us["adam"]
            out[name] = {f"{k}_us_per_image": v for k, v in us.items()}
    return out


def _matmul(seconds: float, start, queue, dtype=torch.float32, size: int = 2048) -> None:
    """Put the GFLOP/s of a one-thread size x size matmul, timed after ``start``, on ``queue``."""
    torch.set_num_threads(1)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    start.wait()
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        a @ b
        count += 1
    queue.put(count * 2 * size**3 / (time.perf_counter() - began) / 1e9)


def _matmul_bf16(seconds: float, start, queue) -> None:
    _matmul(seconds, start, queue, torch.bfloat16)


def rates(target, args, processes: int = 2) -> list[float]:
    """Each process's rate when ``processes`` of them run ``target(*args, start, queue)`` at the same
    time (they start together at a barrier and put their rate on the queue)."""
    context = multiprocessing.get_context("spawn")
    start, queue = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, queue)) for _ in range(processes)]
    for w in workers:
        w.start()
    values = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    return values


def _both(target, args) -> float:
    return sum(rates(target, args))


def flops_per_image() -> float:
    model, optimiser = bench_model(1)
    counter = FlopCounterMode(display=False)
    with counter:
        _step(model, optimiser, torch.rand(BATCH, 1, 28, 28), 1, False)
    return counter.get_total_flops() / BATCH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--warmup", type=int, default=1500, help="training steps before timing")
    parser.add_argument("--ceiling", action="store_true",
                        help="also time each fp32 variant's matrix products alone (the most fusion could reach)")
    parser.add_argument("--only-ceiling", action="store_true", help="time the peaks and the ceilings only")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    flops = flops_per_image()
    peak = _both(_matmul, (args.seconds,))
    native = native_bf16("cpu")  # emulated bf16 is several times slower: not worth timing
    peak_bf16 = _both(_matmul_bf16, (args.seconds,)) if native else None
    if not native:
        print(f"this CPU ({torch.backends.cpu.get_cpu_capability()}) has no native bf16: only fp32 is timed", flush=True)
    rows = {}
    variants = [("before fp32", 1, False, False)] + [
        (("single" if groups == 1 else f"grouped {groups}") + (" bf16" if bf16 else " fp32"), groups, bf16, True)
        for bf16 in ((False, True) if native else (False,)) for groups in (1, *args.groups)]
    if args.ceiling or args.only_ceiling:
        variants += [(("single" if groups == 1 else f"grouped {groups}") + f" fp32, {part} only", groups, part, None)
                     for groups in (1, *args.groups) for part in ("matrix products", "Adam step")]
    if args.only_ceiling:
        variants = [v for v in variants if isinstance(v[2], str)]
    parts = {"matrix products": _ceiling_worker, "Adam step": _adam_worker}
    for name, groups, bf16, flush in variants:
        rate = (_both(parts[bf16], (groups, args.seconds)) if isinstance(bf16, str)
                else _both(_worker, (groups, bf16, flush, args.warmup, args.seconds)))
        rows[name] = {"images_per_second": rate, "fraction_of_fp32_peak": rate * flops / 1e9 / peak}
        line = f"{name:>18}: {rate:8.0f} images/s  {rows[name]['fraction_of_fp32_peak']:.0%} of the fp32 matmul peak"
        if peak_bf16:
            rows[name]["fraction_of_bf16_peak"] = rate * flops / 1e9 / peak_bf16
            line += f", {rows[name]['fraction_of_bf16_peak']:.0%} of the bf16 one"
        print(line, flush=True)
    if "before fp32" in rows:
        base = rows["before fp32"]["images_per_second"]
        for row in rows.values():
            row["ratio_to_before"] = row["images_per_second"] / base
    breakdown = step_breakdown(rows, peak, flops)
    for name, parts in breakdown.items():
        print(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()), flush=True)
    out = {"model": "MLP VSC, J = 200, 400 hidden units, batch 128 per model", "flops_per_image": flops,
           "warmup_steps": args.warmup, "seconds": args.seconds,
           "cpu_capability": torch.backends.cpu.get_cpu_capability(), "native_bf16": native,
           "matmul_peak_gflops_two_cores": peak, "bf16_matmul_peak_gflops_two_cores": peak_bf16, "variants": rows,
           "step_breakdown": breakdown}
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
