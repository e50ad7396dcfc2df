"""Per-iteration schedules of a model's training objective, as functions of its configuration.

Models advance their own schedules (:meth:`vsc_lib.models.LatentModel.schedule`); the training
loop only tells them the iteration.
"""

from __future__ import annotations

from .config import ModelConfig


def c_at(model: ModelConfig, iteration: int, total_iterations: int) -> float:
    """Relaxation sharpness, linear in the iteration from ``c_start`` to ``c_end``."""
    fraction = iteration / max(total_iterations - 1, 1)
    return model.c_start + (model.c_end - model.c_start) * fraction


def lam_at(model: ModelConfig, iteration: int, iters_per_epoch: int) -> float:
    """Warm-up coefficient: 0 for ``warmup_epochs`` (or ``warmup_iterations``), then linear to
    exactly 1 over the ramp."""
    if not model.uses_warmup:
        return 1.0
    if model.warmup_iterations or model.warmup_ramp_iterations:
        hold, ramp = model.warmup_iterations, model.warmup_ramp_iterations
    else:
        hold = round(model.warmup_epochs * iters_per_epoch)
        ramp = round(model.warmup_ramp_epochs * iters_per_epoch)
    if iteration < hold:
        return 0.0
    if ramp == 0:
        return 1.0
    return min(1.0, (iteration - hold + 1) / ramp)


def kl_anneal_at(model: ModelConfig, iteration: int, iters_per_epoch: int) -> float:
    """KL warm-up factor: linear from 0 to 1 over ``kl_warmup_epochs``, then 1."""
    ramp = round(model.kl_warmup_epochs * iters_per_epoch)
    return 1.0 if ramp == 0 else min(1.0, (iteration + 1) / ramp)
