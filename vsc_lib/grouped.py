"""Train several models of the same shape as one: stacked weights, one batched matrix product per layer.

A grid trains many small MLPs that differ only in their seed (and chapter 6's fixed-prior VSC
families only in alpha, a constant of the loss). :func:`train_group` trains such a group in one
process: every ``nn.Linear`` of the G models becomes one :class:`GroupedLinear`
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

import copy
import dataclasses
import hashlib
import json
import math
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm import tqdm

from .cache import TrainedRun, claim, default_device, library_versions, save_run, tensor_bytes
from .config import RunConfig, run_name
from .losses import RowPriorLogit
from .metrics import LossAccumulator, evaluate
from .models import LatentModel, LossTerms, ModelOutput, Posterior, build_model
from .paths import cache_dir, write_atomic
from .training import (
    check_precision,
    iterations_per_epoch,
    load_run_data,
    lr_at,
    make_optimiser,
    with_flushed_denormals,
)


class GroupedLinear(nn.Module):
    """G linear layers applied to G consecutive blocks of a batch: input (G * B, in), output
    (G * B, out), block g through weight[g] and bias[g]."""

    def __init__(self, layers: list[nn.Linear]):
        super().__init__()
        self.groups = len(layers)
        self.weight = nn.Parameter(torch.stack([layer.weight.detach() for layer in layers]).transpose(1, 2).contiguous())
        self.bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]))

    def forward(self, x: Tensor) -> Tensor:
        blocks = x.reshape(self.groups, -1, x.shape[-1])
        return torch.baddbmm(self.bias.unsqueeze(1), blocks, self.weight).reshape(-1, self.weight.shape[-1])

    def layer(self, g: int) -> tuple[Tensor, Tensor]:
        """Model g's (weight (out, in), bias (out,))."""
        return self.weight[g].t(), self.bias[g]


def group_models(models: list[LatentModel]) -> LatentModel:
    """One model whose linear layers hold the G models' layers (the other parameters and the
    buffers, such as VSC's schedules, are shared and must be equal across the group)."""
    if any(m.config.body != "mlp" for m in models):
        raise ValueError("grouped training needs MLP bodies (body='mlp').")
    grouped = copy.deepcopy(models[0])
    for name, module in list(grouped.named_modules()):
        if isinstance(module, nn.Linear):
            layers = [m.get_submodule(name) for m in models]
            parent, _, attr = name.rpartition(".")
            setattr(grouped.get_submodule(parent) if parent else grouped, attr, GroupedLinear(layers))
    for name, parameter in grouped.named_parameters():
        if "." in name and isinstance(grouped.get_submodule(name.rsplit(".", 1)[0]), GroupedLinear):
            continue
        for m in models[1:]:
            if not torch.equal(m.get_parameter(name), parameter):
                raise ValueError(f"parameter {name!r} differs between the models; only linear layers can be grouped.")
    priors = [getattr(m, "prior_spike_logit", None) for m in models]
    if any(p != priors[0] for p in priors):  # fixed-prior VSCs with different alphas: one prior per block of rows
        grouped.prior_spike_logit = RowPriorLogit(torch.tensor(priors, device=grouped.device))
    return grouped


def ungroup(grouped: LatentModel, models: list[LatentModel]) -> list[LatentModel]:
    """Copy the grouped weights back into the G standalone models (and the shared state); returns them."""
    with torch.no_grad():
        for name, module in grouped.named_modules():
            if isinstance(module, GroupedLinear):
                for g, model in enumerate(models):
                    weight, bias = module.layer(g)
                    target = model.get_submodule(name)
                    target.weight.copy_(weight)
                    target.bias.copy_(bias)
        shared = {k: v for k, v in grouped.state_dict().items()
                  if not isinstance(grouped.get_submodule(k.rsplit(".", 1)[0]) if "." in k else None, GroupedLinear)}
        for model in models:
            model.load_state_dict(shared, strict=False)
    return models


def split_output(output: ModelOutput, groups: int) -> list[ModelOutput]:
    """The grouped forward pass's output as G per-model outputs (for their loss accumulators)."""
    per = output.loss.per_example
    pi = output.posterior.spike_prob
    out, size = [], output.z.shape[0] // groups
    for g in range(groups):
        s = slice(g * size, (g + 1) * size)
        parts = {k: v[s].mean() for k, v in per.items() if k not in ("total", "recon", "kl")}
        loss = LossTerms(total=per["total"][s].mean(), recon=per["recon"][s].mean(), kl=per["kl"][s].mean(),
                         neg_elbo=output.loss.neg_elbo[s], parts=parts)
        posterior = Posterior(mu=output.posterior.mu[s],
                              spike_logit=None if pi is None else output.posterior.spike_logit[s])
        out.append(ModelOutput(decoded=output.decoded[s], z=output.z[s], posterior=posterior, loss=loss))
    return out


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


@with_flushed_denormals
def train_group(configs: list[RunConfig], data=None, device: str | torch.device | None = None,
                progress: bool = True, checkpoint_dir: Path | None = None,
                on_epoch_end=None) -> list[TrainedRun]:
    """Train models that differ only in their seed as one grouped model; one run per configuration.

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
    grouped = group_models(models)
    optimiser = make_optimiser(grouped, t.lr)
    num_train = x_train.shape[0]
    per_epoch = iterations_per_epoch(num_train, t.batch_size)
    total_iterations = per_epoch * t.num_epochs
    histories: list[list[dict]] = [[] for _ in configs]
    elapsed, start_epoch = 0.0, 0
    checkpoint = None if checkpoint_dir is None else Path(checkpoint_dir) / "checkpoint.pt"
    names = [c.to_json() for c in configs]
    state = None
    if checkpoint is not None and checkpoint.is_file():
        try:
            state = torch.load(checkpoint, map_location=device, weights_only=True)
        except Exception as error:  # unreadable: start again, keep the file for inspection
            os.replace(checkpoint, checkpoint.with_suffix(".pt.bad"))
            print(f"{checkpoint} could not be read ({type(error).__name__}); the group trains from the start.")
    if state is not None and json.loads(state["configs"]) == names:
        grouped.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        torch.set_rng_state(state["rng"])
        for generator, g_state in zip(generators, state["generators"], strict=True):
            generator.set_state(g_state)
        histories, start_epoch, elapsed = json.loads(state["histories"]), state["epoch"] + 1, state["elapsed"]
    resumed_from = start_epoch
    bar = tqdm(total=total_iterations, initial=start_epoch * per_epoch, disable=not progress,
               desc=f"group of {groups}: {run_name(config)}", unit="it",
               mininterval=1.0, dynamic_ncols=True)
    try:
        for epoch in range(start_epoch, t.num_epochs):
            began = time.perf_counter()
            if t.lr_schedule == "restart" and epoch == t.lr_decay_epoch:
                optimiser = make_optimiser(grouped, lr_at(config, epoch))
            for group in optimiser.param_groups:
                group["lr"] = lr_at(config, epoch)
            grouped.train()
            accumulators = [LossAccumulator() for _ in configs]
            orders = [(torch.randperm(num_train, generator=g) if t.batch_order == "shuffled" else torch.arange(num_train))
                      .to(device) for g in generators]
            for step in range(per_epoch):
                grouped.schedule(epoch * per_epoch + step, per_epoch, total_iterations)
                batch = torch.cat([x_train[order[step * t.batch_size:(step + 1) * t.batch_size]] for order in orders])
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=t.precision == "bf16"):
                    output = grouped(batch)
                optimiser.zero_grad(set_to_none=True)
                (output.loss.total * groups).backward()  # the sum of the G objectives: each model's own gradient
                optimiser.step()
                for accumulator, part in zip(accumulators, split_output(output, groups), strict=True):
                    accumulator.add(part)
                if step % 50 == 0 and not math.isfinite(float(output.loss.total.detach())):
                    raise RuntimeError(f"{run_name(config)} (group of {groups}): the loss became non-finite at epoch "
                                       f"{epoch}, iteration {step}; lower the learning rate (lr={t.lr}).")
                bar.update(1)
            elapsed += time.perf_counter() - began
            ungroup(grouped, models)
            for model, accumulator, history in zip(models, accumulators, histories, strict=True):
                row = {"epoch": epoch, "lr": lr_at(config, epoch)} | model.schedule_state()
                row.update({f"train_{k}": v for k, v in accumulator.means().items()})
                row.update({f"test_{k}": v for k, v in evaluate(model, x_test).items()})
                row["seconds"] = elapsed
                history.append(row)
            if checkpoint is not None:
                write_atomic(checkpoint, tensor_bytes({
                    "configs": json.dumps(names), "model": grouped.state_dict(), "optimiser": optimiser.state_dict(),
                    "rng": torch.get_rng_state(), "generators": [g.get_state() for g in generators],
                    "histories": json.dumps(histories), "epoch": epoch, "elapsed": elapsed}))
            if on_epoch_end is not None:
                on_epoch_end(epoch)
    finally:
        bar.close()
    runs = []
    for c, model, history in zip(configs, models, histories, strict=True):
        model.eval()
        meta = {"resumed_from_epoch": resumed_from, "grouped_with": groups, "versions": library_versions(), "device": str(device),
                "threads": torch.get_num_threads(), "train_seconds": elapsed / groups,
                "images_per_second": num_train * t.num_epochs * groups / max(elapsed, 1e-9),
                "num_parameters": sum(p.numel() for p in model.parameters()),
                "finished_utc": datetime.now(UTC).isoformat(timespec="seconds")}
        runs.append(TrainedRun(config=c, model=model, history=history, meta=meta))
    return runs


def train_group_or_load(configs: list[RunConfig], cache=None, device=None, progress: bool = True) -> list[dict]:
    """Train the configurations not yet in the cache as one group and save each run; a summary
    per configuration (``name``, ``from_cache``, ``train_seconds``). The group holds every
    member's claim while it trains (:func:`vsc_lib.cache.claim`)."""
    from contextlib import ExitStack

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
