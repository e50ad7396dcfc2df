"""Train several models of the same shape as one: stacked weights, one batched matrix product per layer.

A grid trains many small MLPs that differ only in their seed (and chapter 6's fixed-prior VSC
families only in alpha, a constant of the loss). :func:`train_group` trains such a group in one
process, through the one training loop (:func:`vsc_lib.training.train_models`): every
``nn.Linear`` of the G models becomes one :class:`~vsc_lib.stacking.GroupedLinear`
whose (G, out, in) weight multiplies the G models' batches at once (``torch.baddbmm``), and the
rest of the forward pass (sampling, likelihood, KL) runs unchanged on the G batches laid end to
end. Fewer, larger kernels: the per-kernel overhead that dominates a 128-image step of one small
MLP is paid once per group (``benchmarks/grouped.py`` measures it).

Each model is exactly what :func:`vsc_lib.training.train` would have built and fed: the same
initial weights (its seed), its own minibatch order (its own generator), its own Adam moments (one
Adam over the stacked weights is G independent Adams, the update being elementwise), and the sum
of the G objectives as the loss, so each model's gradient is its own. What differs is the order
in which the sampling noise is drawn, so a grouped run equals its single run in distribution,
not bit for bit (a model without sampling, the AE, trains to the same weights up to rounding;
tested). The finished runs are ordinary runs: each is saved in the run cache under its own
configuration.

Supported: MLP bodies, every likelihood, AE / VAE / fixed-prior VSC (models of one group may have
different alphas: the spike KL then takes each block of rows' own prior,
:class:`~vsc_lib.losses.RowPriorLogit`), epochs as passes over the data (chapter 6's grids). A
group is checkpointed after every epoch (``.group-<key>.partial`` in the cache) and an interrupted
group resumes there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from contextlib import ExitStack
from pathlib import Path

import torch

from .cache import TrainedRun, claim, save_run
from .config import RunConfig, run_name
from .paths import cache_dir
from .training import train_models


def check_group(configs: list[RunConfig]) -> None:
    """A ValueError unless the configurations differ only in their seed (and, for the fixed-prior
    VSC, in alpha) and are supported."""
    if not configs:
        raise ValueError("a group needs at least one configuration.")
    first = configs[0]
    mixed_alpha = first.model.kind == "vsc" and first.model.prior == "fixed"
    for config in configs:
        model = dataclasses.replace(config.model, alpha=first.model.alpha) if mixed_alpha else config.model
        if dataclasses.replace(config.train, seed=first.train.seed) != first.train or model != first.model \
                or config.data != first.data:
            allowed = "train.seed and, for the fixed-prior VSC, alpha" if mixed_alpha else "train.seed"
            raise ValueError(f"{run_name(config)} differs from {run_name(first)} in more than its seed; a group "
                             f"trains models that differ only in {allowed}.")
    if len({(c.train.seed, c.model.alpha) for c in configs}) != len(configs):
        raise ValueError("the configurations of a group must differ from each other (in seed or alpha).")
    m, t = first.model, first.train
    if m.body != "mlp" or (m.kind == "vsc" and m.prior != "fixed") or t.epoch_iterations is not None \
            or m.usage_weight:
        raise ValueError("grouped training supports MLP bodies, AE / VAE / fixed-prior VSC and epochs as passes "
                         f"over the data; {run_name(first)} is not one of those (train it with train_or_load).")


def train_group(configs: list[RunConfig], data=None, device: str | torch.device | None = None,
                progress: bool = True, checkpoint_dir: Path | None = None,
                on_epoch_end=None) -> list[TrainedRun]:
    """Train models that differ only in their seed (see :func:`check_group`) as one grouped
    model; one run per configuration: the training loop :func:`vsc_lib.training.train_models`
    with the group.

    Args:
        configs: the runs (see :func:`check_group`).
        data: optional ``(train, test)`` datasets (default: loaded from the configuration).
        device: where to train (default: CUDA when present).
        progress: a tqdm bar over the iterations.
        checkpoint_dir: if given, the group is checkpointed there after every epoch and resumes
            from it when it was written for the same configurations.
        on_epoch_end: called with the epoch after each epoch's checkpoint.
    """
    check_group(configs)
    hook = None if on_epoch_end is None else (lambda epoch, rows: on_epoch_end(epoch))
    return train_models(configs, data, device, progress, checkpoint_dir, hook)


def train_group_or_load(configs: list[RunConfig], cache=None, device=None, progress: bool = True) -> list[dict]:
    """Train the configurations not yet in the cache as one group and save each run; a summary
    per configuration (``name``, ``from_cache``, ``train_seconds``). The group holds every
    member's claim while it trains (:func:`vsc_lib.cache.claim`)."""
    root = Path(cache) if cache is not None else cache_dir()
    pending = [c for c in configs if not (root / run_name(c)).is_dir()]
    out = [{"name": run_name(c), "from_cache": True, "train_seconds": 0.0} for c in configs if c not in pending]
    if not pending:
        return out
    with ExitStack() as claims:
        for c in pending:
            claims.enter_context(claim(root, run_name(c)))
        pending = [c for c in pending if not (root / run_name(c)).is_dir()]  # finished meanwhile by another process
        if pending:
            key = hashlib.sha256("".join(run_name(c) for c in pending).encode()).hexdigest()[:12]
            partial = root / f".group-{key}.partial"
            for run in train_group(pending, device=device, progress=progress, checkpoint_dir=partial):
                save_run(run, root)
                out.append({"name": run_name(run.config), "from_cache": False,
                            "train_seconds": run.meta["train_seconds"]})
            shutil.rmtree(partial, ignore_errors=True)
    return out
