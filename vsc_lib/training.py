"""Training with a content-addressed cache of finished runs.

:func:`train_or_load` is the only way a chapter gets a model. A run lives in
``<cache>/<dataset>-<kind>-<body>-j<J>-<hash>/`` where the hash covers the full
:class:`~vsc_lib.config.RunConfig`; the folder holds ``config.json``, ``model.pt`` (a state
dict, loaded with ``weights_only=True``), ``history.csv`` (every loss term per epoch, train and
test) and ``meta.json`` (versions, device, wall time, checksum of ``model.pt``).

Finished runs are written to a temporary folder and renamed into place, so a half-written run
is never visible under its final name. While a run trains, a checkpoint is kept in
``<name>.partial/`` after every epoch; calling :func:`train_or_load` again with the same
configuration resumes from it (same result as an uninterrupted run).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import shutil
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import torch
from tqdm import tqdm

from . import datasets, schedules
from .cache import (  # noqa: F401 (load_run, save_run, CorruptRunError: the cache's API, used from here too)
    CorruptRunError,
    TrainedRun,
    claim,
    default_device,
    library_versions,
    load_run,
    same_config,
    save_run,
    tensor_bytes,
)
from .config import RunConfig, run_name
from .metrics import LossAccumulator, evaluate
from .models import LatentModel, build_model
from .paths import cache_dir, write_atomic
from .provenance import code_fingerprint, cpu_model
from .stacking import group_models, split_output, ungroup


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


def iterations_per_epoch(num_examples: int, batch_size: int) -> int:
    return math.ceil(num_examples / batch_size)


def c_at(config: RunConfig, iteration: int, total_iterations: int) -> float:
    """Relaxation sharpness of a run at an iteration (see :func:`vsc_lib.schedules.c_at`)."""
    return schedules.c_at(config.model, iteration, total_iterations)


def lam_at(config: RunConfig, iteration: int, iters_per_epoch: int) -> float:
    """Warm-up coefficient of a run at an iteration (see :func:`vsc_lib.schedules.lam_at`)."""
    return schedules.lam_at(config.model, iteration, iters_per_epoch)


def kl_anneal_at(config: RunConfig, iteration: int, iters_per_epoch: int) -> float:
    """KL warm-up factor of a run at an iteration (see :func:`vsc_lib.schedules.kl_anneal_at`)."""
    return schedules.kl_anneal_at(config.model, iteration, iters_per_epoch)


def block_timing(history: list[dict]) -> dict:
    """What a run's blocks took: ``recorded_seconds`` (the run's own wall time, which includes any
    time the process was paused or shared its cores) and ``computation_seconds``, the median block
    times the number of blocks: the run's cost on its machine without the pauses and contention,
    which hit few blocks. Raises ValueError for an empty history."""
    if not history:
        raise ValueError("block_timing needs at least one block of history")
    cumulative = [float(row["seconds"]) for row in history]
    median = statistics.median(b - a for a, b in zip([0.0, *cumulative[:-1]], cumulative, strict=True))
    return {"blocks": len(cumulative), "recorded_seconds": cumulative[-1], "median_block_seconds": median,
            "computation_seconds": median * len(cumulative)}


def lr_at(config: RunConfig, epoch: int) -> float:
    t = config.train
    if t.lr_schedule in ("step", "restart") and epoch >= t.lr_decay_epoch:
        return t.lr * t.lr_decay
    return t.lr


# ---------------------------------------------------------------------------------------------
# training


#: set to 1 to train under bf16 autocast on a device without native bfloat16 (numerical checks only)
ALLOW_EMULATED_BF16 = "VSC_ALLOW_EMULATED_BF16"


def native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` multiplies bfloat16 matrices in hardware: a CUDA GPU that supports it,
    or a CPU with AVX512-BF16 or AMX. Elsewhere (an AVX2-only CPU) torch emulates bf16, and a
    training step under bf16 autocast runs about 7 times slower than in fp32 (measured: the
    chapter-6 MLP VSC at batch 128 on an AMD EPYC with AVX2, 756 against 5,238 images/s)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, name, lambda: False)() for name in probes)
    return False


def check_precision(precision: str, device: torch.device | str) -> None:
    """Refuse bf16 training where bf16 is emulated: it would be several times slower, not faster.

    Raises:
        ValueError: ``precision == "bf16"`` on a device without native bfloat16, unless
            ``$VSC_ALLOW_EMULATED_BF16`` is 1.
    """
    if precision != "bf16" or native_bf16(device) or os.environ.get(ALLOW_EMULATED_BF16) == "1":
        return
    capability = torch.backends.cpu.get_cpu_capability() if torch.device(device).type == "cpu" else str(device)
    raise ValueError(
        f"precision='bf16' on {torch.device(device)} ({capability}): this device has no native bfloat16 "
        "(AVX512-BF16 or AMX on a CPU), so torch emulates it and bf16 training runs about 7 times slower than "
        "fp32. Train with precision='fp32' (TrainConfig / Grid / --precision fp32); set "
        f"{ALLOW_EMULATED_BF16}=1 only to check bf16 numerics."
    )


#: set to 1 to train with denormal floats computed exactly (slow; for benchmarks of the old path)
KEEP_DENORMALS = "VSC_KEEP_DENORMALS"


@contextlib.contextmanager
def flushed_denormals():
    """Treat denormal (subnormal) floats as zero on the CPU for the duration, then switch it off.

    Adam keeps a first moment for every weight; a weight whose gradient is exactly zero from some
    step on (the decoder columns and encoder rows of a VSC dimension that is never switched on)
    has that moment multiplied by 0.9 at every step, so it falls below 1.2e-38 within about 800
    steps and then stays at the smallest denormal for ever (0.9 times it rounds back to it). x86
    cores compute on denormals many times slower: measured on the chapter-6 MLP VSC (J = 200,
    batch 128, one thread), 482,000 of 1.9 million moments were denormal after a few hundred
    steps and a step took 15.6 ms instead of 7.5 (``benchmarks/grouped.py`` times both paths).
    Flushing them changes only values below 1.2e-38. Yields whether the CPU supports it.
    ``$VSC_KEEP_DENORMALS=1`` keeps the exact (slow) arithmetic.
    """
    if os.environ.get(KEEP_DENORMALS) == "1" or not torch.set_flush_denormal(True):
        yield False
        return
    try:
        yield True
    finally:
        torch.set_flush_denormal(False)


def with_flushed_denormals(function):
    """Run ``function`` inside :func:`flushed_denormals` (the training loop, :func:`train_models`, uses it)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with flushed_denormals():
            return function(*args, **kwargs)

    return wrapper


def load_run_data(config: RunConfig):
    """Training and test splits of a run's data configuration."""
    d = config.data
    dataset = datasets.get(d.dataset)  # a dataset that is not stored (a user's array) says so on load
    train = dataset.load("train", subset=d.num_train, subset_mode=d.subset_mode, seed=d.subset_seed)
    test = dataset.load("test", subset=d.num_test, subset_mode=d.subset_mode, seed=d.subset_seed)
    return train, test


class BatchStream:
    """Minibatch indices for runs whose epochs are blocks of ``TrainConfig.epoch_iterations``:
    full batches that run on over the data, wrapping around at its end, in file order
    (``"sequential"``, the authors' batch manager) or through a fresh permutation per pass
    (``"shuffled"``). Its state goes into the checkpoint, so a resumed run sees the same batches."""

    def __init__(self, num: int, batch_size: int, order: str, generator: torch.Generator):
        self.num, self.batch_size, self.shuffled, self.generator = num, batch_size, order == "shuffled", generator
        self.position = 0
        self.order = self._new_order()

    def _new_order(self) -> torch.Tensor:
        return torch.randperm(self.num, generator=self.generator) if self.shuffled else torch.arange(self.num)

    def next(self) -> torch.Tensor:
        parts, needed = [], self.batch_size
        while needed:
            take = min(needed, self.num - self.position)
            parts.append(self.order[self.position:self.position + take])
            self.position += take
            needed -= take
            if self.position == self.num:
                self.position, self.order = 0, self._new_order()
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def state(self) -> dict:
        return {"position": self.position, "order": self.order}

    def load(self, state: dict) -> None:
        self.position, self.order = int(state["position"]), state["order"]


def make_optimiser(model: LatentModel, lr: float) -> torch.optim.Optimizer:
    """Adam, with the fused kernel where this torch build offers it for the model's device."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(model.parameters(), lr=lr)


def train(
    config: RunConfig,
    data=None,
    device: str | torch.device | None = None,
    progress: bool = True,
    checkpoint_dir: Path | None = None,
    on_epoch_end: Callable[[int, dict], None] | None = None,
) -> TrainedRun:
    """Train a model from scratch (or resume from ``checkpoint_dir``) and return it: the training
    loop :func:`train_models` with one model.

    Args:
        config: the run configuration.
        data: optional ``(train, test)`` datasets; loaded from the config if omitted.
        device: ``"cpu"``, ``"cuda"``; default: CUDA when present.
        progress: show a tqdm bar with the loss terms.
        checkpoint_dir: if given, a checkpoint is written there after every epoch and training
            resumes from it when it matches ``config``.
        on_epoch_end: called with ``(epoch, history_row)`` after each epoch.
    """
    hook = None if on_epoch_end is None else (lambda epoch, rows: on_epoch_end(epoch, rows[0]))
    return train_models([config], data, device, progress, checkpoint_dir, hook)[0]


def read_checkpoint(checkpoint: Path | None, device: torch.device | str = "cpu") -> dict | None:
    """A checkpoint's contents in the training loop's form (``configs`` and ``histories``: JSON
    lists, one entry per model; ``model``, ``optimiser``, ``rng`` with ``torch`` and
    ``generators``, ``streams``, ``epoch``, ``elapsed``), or None when there is none or it cannot
    be read (then it is kept as ``checkpoint.pt.bad`` and training starts from the beginning).
    Checkpoints written by the two loops this one replaced (one model: ``config``, ``history``,
    ``rng`` with ``shuffle``, ``stream``; a group: ``rng`` the global state, ``generators``) are
    read into this form, so a run interrupted before the change resumes."""
    if checkpoint is None or not checkpoint.is_file():
        return None
    try:
        state = torch.load(checkpoint, map_location=device, weights_only=True)
    except Exception as error:  # unpickling errors have many types
        kept = checkpoint.with_suffix(".pt.bad")
        os.replace(checkpoint, kept)
        print(f"{checkpoint} could not be read ({type(error).__name__}); it was kept as {kept} and "
              "training starts from the beginning.")
        return None
    if "configs" not in state:  # one model, before the loops were one
        state = state | {"configs": json.dumps([state["config"]]), "histories": json.dumps([json.loads(state["history"])]),
                         "rng": {"torch": state["rng"]["torch"], "generators": [state["rng"]["shuffle"]]}
                         | ({"cuda": state["rng"]["cuda"]} if "cuda" in state["rng"] else {}),
                         "streams": [state["stream"]] if "stream" in state else None}
    elif "generators" in state:  # a group, before the loops were one
        state = state | {"rng": {"torch": state["rng"], "generators": state["generators"]}, "streams": None}
    return state


@with_flushed_denormals
def train_models(
    configs: list[RunConfig],
    data=None,
    device: str | torch.device | None = None,
    progress: bool = True,
    checkpoint_dir: Path | None = None,
    on_epoch_end: Callable[[int, list[dict]], None] | None = None,
) -> list[TrainedRun]:
    """The training loop: one model, or several that train as one grouped model
    (:mod:`vsc_lib.stacking`; :func:`vsc_lib.grouped.check_group` says which may). Each model
    starts from the weights its seed gives and sees the minibatches its own generator draws, as it
    would alone; a group's loss is the sum of its members' objectives, so each gets its own gradient.

    Args:
        configs: the runs; more than one only when they form a group.
        data: optional ``(train, test)`` datasets; loaded from the first configuration if omitted.
        device: ``"cpu"``, ``"cuda"``; default: CUDA when present.
        progress: a tqdm bar over the iterations (with one model's loss terms).
        checkpoint_dir: if given, a checkpoint is written there after every epoch and training
            resumes from it when it was written for the same configurations.
        on_epoch_end: called with ``(epoch, history rows, one per model)`` after each epoch.

    Raises:
        TrainingDivergedError: the loss became NaN or infinite.
    """
    config, groups = configs[0], len(configs)
    device = torch.device(device or default_device())
    check_precision(config.train.precision, device)
    train_set, test_set = data if data is not None else load_run_data(config)
    x_train, x_test = train_set.x.to(device), test_set.x.to(device)
    t = config.train

    models, generators = [], []
    for c in configs:  # the initial weights and the batch order each run would have alone
        torch.manual_seed(c.train.seed)
        generators.append(torch.Generator().manual_seed(c.train.seed + 1))
        models.append(build_model(c.model, c.input_shape).to(device))
    net = models[0] if groups == 1 else group_models(models)
    optimiser = make_optimiser(net, t.lr)
    histories: list[list[dict]] = [[] for _ in configs]
    start_epoch, elapsed = 0, 0.0

    checkpoint = None if checkpoint_dir is None else Path(checkpoint_dir) / "checkpoint.pt"
    state = read_checkpoint(checkpoint, device)
    num_train = x_train.shape[0]
    blocks = t.epoch_iterations is not None  # epochs are blocks of iterations over a batch stream
    streams = [BatchStream(num_train, t.batch_size, t.batch_order, g) for g in generators] if blocks else None
    if state is not None:
        saved = json.loads(state["configs"])
        if len(saved) == groups and all(same_config(json.loads(s), c) for s, c in zip(saved, configs, strict=True)):
            net.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            torch.set_rng_state(state["rng"]["torch"])
            for generator, g_state in zip(generators, state["rng"]["generators"], strict=True):
                generator.set_state(g_state)
            if "cuda" in state["rng"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state["rng"]["cuda"])
            if streams is not None:
                for stream, s_state in zip(streams, state["streams"], strict=True):
                    stream.load(s_state)
            histories = json.loads(state["histories"])
            start_epoch, elapsed = state["epoch"] + 1, state["elapsed"]

    resumed_from = start_epoch  # 0 for a fresh run; the checkpoint's next epoch for a resumed one
    per_epoch = t.epoch_iterations if blocks else iterations_per_epoch(num_train, t.batch_size)
    total_iterations = per_epoch * t.num_epochs
    desc = run_name(config) if groups == 1 else f"group of {groups}: {run_name(config)}"
    bar = tqdm(total=total_iterations, initial=start_epoch * per_epoch, disable=not progress,
               desc=desc, unit="it", mininterval=1.0, dynamic_ncols=True)
    try:
        for epoch in range(start_epoch, t.num_epochs):
            began = time.perf_counter()
            if t.lr_schedule == "restart" and epoch == t.lr_decay_epoch:
                optimiser = make_optimiser(net, lr_at(config, epoch))  # fresh moments, as the authors
            for group in optimiser.param_groups:
                group["lr"] = lr_at(config, epoch)
            net.train()
            accumulators = [LossAccumulator() for _ in configs]
            if not blocks:
                orders = [(torch.randperm(num_train, generator=g) if t.batch_order == "shuffled"
                           else torch.arange(num_train)).to(device) for g in generators]
            for step in range(per_epoch):
                iteration = epoch * per_epoch + step
                net.schedule(iteration, per_epoch, total_iterations)
                if blocks:
                    batches = [x_train[stream.next().to(device)] for stream in streams]
                else:
                    batches = [x_train[order[step * t.batch_size:(step + 1) * t.batch_size]] for order in orders]
                batch = batches[0] if groups == 1 else torch.cat(batches)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=t.precision == "bf16"):
                    output = net(batch)
                optimiser.zero_grad(set_to_none=True)
                # a group: the sum of the G objectives, so each model gets its own gradient
                (output.loss.total if groups == 1 else output.loss.total * groups).backward()
                optimiser.step()
                for accumulator, part in zip(accumulators, [output] if groups == 1 else split_output(output, groups),
                                             strict=True):
                    accumulator.add(part)
                if step % 50 == 0 or step == per_epoch - 1:
                    total = float(output.loss.total.detach())
                    if not math.isfinite(total):
                        raise TrainingDivergedError(
                            f"{desc}: the loss became {total} at epoch {epoch}, "
                            f"iteration {step}; lower the learning rate (lr={t.lr}) or check the data."
                        )
                    if progress and groups == 1:
                        bar.set_postfix_str(_postfix(epoch, output), refresh=False)
                bar.update(1)
            if groups > 1:
                ungroup(net, models)
            rows = []
            for model, accumulator, history in zip(models, accumulators, histories, strict=True):
                row = {"epoch": epoch, "lr": lr_at(config, epoch)} | model.schedule_state()
                row.update({f"train_{k}": v for k, v in accumulator.means().items()})
                row.update({f"test_{k}": v for k, v in evaluate(model, x_test).items()})
                history.append(row)
                rows.append(row)
            elapsed += time.perf_counter() - began
            for row in rows:
                row["seconds"] = elapsed
            if progress and groups == 1:
                row = rows[0]
                bar.set_postfix_str(
                    f"ep {epoch} train -ELBO {row['train_neg_elbo']:.1f} test -ELBO {row['test_neg_elbo']:.1f}"
                    + (f" active {row['test_active_hard']:.1f}" if net.has_spikes else ""), refresh=True)
            if checkpoint is not None:
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                rng = {"torch": torch.get_rng_state(), "generators": [g.get_state() for g in generators]}
                if torch.cuda.is_available():
                    rng["cuda"] = torch.cuda.get_rng_state_all()
                write_atomic(checkpoint, tensor_bytes({
                    "configs": json.dumps([c.to_json() for c in configs]), "model": net.state_dict(),
                    "optimiser": optimiser.state_dict(), "rng": rng, "histories": json.dumps(histories),
                    "epoch": epoch, "elapsed": elapsed,
                } | ({"streams": [stream.state() for stream in streams]} if streams is not None else {})))
            if on_epoch_end is not None:
                on_epoch_end(epoch, rows)
    finally:
        bar.close()

    images = (t.batch_size * total_iterations if blocks else num_train * t.num_epochs) * groups
    runs = []
    for c, model, history in zip(configs, models, histories, strict=True):
        model.eval()
        model.kl_anneal = 1.0
        meta = {
            "resumed_from_epoch": resumed_from,
            "versions": library_versions(),
            "device": str(device),
            "threads": torch.get_num_threads(),
            "train_seconds": elapsed / groups,
            "images_per_second": images / max(elapsed, 1e-9),
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpu": cpu_model(),
            "code_fingerprint": code_fingerprint(),
        } | ({"grouped_with": groups} if groups > 1 else {})
        runs.append(TrainedRun(config=c, model=model, history=history, meta=meta))
    return runs


def _postfix(epoch: int, output) -> str:
    loss = output.loss
    total, recon, kl = (float(t.detach()) for t in (loss.total, loss.recon, loss.kl))
    text = f"ep {epoch} loss {total:.1f} recon {recon:.1f} kl {kl:.1f}"
    pi = output.posterior.spike_prob
    if pi is not None:
        text += f" active {float((pi > 0.5).sum(1).float().mean()):.1f}"
    return text


def train_or_load(
    config: RunConfig,
    cache: Path | str | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    retrain: bool = False,
    data=None,
) -> TrainedRun:
    """Load the cached run of ``config``, or train it, save it and return it.

    On a cache hit no data is loaded and nothing is trained. On a miss the run trains with a
    checkpoint after every epoch (an interrupted call resumes where it stopped) and the
    finished run is written atomically.

    Args:
        config: the full run configuration; its hash names the cache folder.
        cache: cache folder (default ``$VSC_CACHE_DIR`` or ``.cache/runs``).
        device: where to train / load (default: CUDA when present, else CPU).
        progress: tqdm progress bar while training.
        retrain: train again even if cached; the old run is kept, renamed to
            ``<name>.replaced-<UTC time>``, never silently overwritten.

    Training holds the run's claim (:func:`vsc_lib.cache.claim`), so two processes asked for the
    same run (two sweeps on one cache) never train it at the same time: the second waits and
    loads the first one's result.
        data: ``(train, test)`` datasets to train on instead of loading them from the config
            (a user's array: the config's ``data_hash`` must name them).
    """
    if not isinstance(config, RunConfig):
        raise TypeError(f"train_or_load needs a RunConfig, got {type(config).__name__}.")
    root = Path(cache) if cache is not None else cache_dir()
    final = root / run_name(config)
    if final.exists() and not retrain:
        return load_run(config, root, device)
    # one process at a time per run: a second sweep waits here, then loads what the first saved
    with claim(root, final.name):
        if final.exists() and retrain:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = final.with_name(f"{final.name}.replaced-{stamp}")
            os.rename(final, kept)
            print(f"retrain=True: the previous run was kept as {kept}")
        if final.exists():
            return load_run(config, root, device)
        partial = root / f"{final.name}.partial"
        run = train(config, data=data, device=device, progress=progress, checkpoint_dir=partial)
        save_run(run, root)
        shutil.rmtree(partial, ignore_errors=True)
        return run
