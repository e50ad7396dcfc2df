"""Several models of one shape as one: every ``nn.Linear`` of G models becomes one
:class:`GroupedLinear` whose (G, out, in) weight multiplies the G models' batches at once
(``torch.baddbmm``), the rest of the forward pass (sampling, likelihood, KL) running unchanged on
the G batches laid end to end. :func:`group_models` stacks, :func:`ungroup` copies the trained
weights back, :func:`split_output` gives each model its part of the loss. The training loop that
uses them is :func:`vsc_lib.training.train_models`; :mod:`vsc_lib.grouped` says which runs can
be grouped and trains them into the run cache.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from .losses import RowPriorLogit
from .models import LatentModel, LossTerms, ModelOutput, Posterior


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
