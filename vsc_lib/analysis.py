"""Analyses the chapters run on trained models: latent grids, noise and denoising, active units,
spike switching and traversals. Each function returns tensors or plain numbers; plotting is
left to :mod:`vsc_lib.plotting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .metrics import CORRELATION_THRESHOLD, encode_dataset, eval_mode
from .models import LatentModel


def decode_grid(model: LatentModel, extent: float = 3.0, num: int = 15) -> Tensor:
    """Decode a num x num grid of 2-D latent values over [-extent, extent]^2.

    Returns:
        (num, num, H, W) pixel probabilities; entry [i, j] has z = (grid[j], grid[i]).
    """
    if model.latent_dim != 2:
        raise ValueError(f"a latent grid needs a 2-D latent space, this model has J = {model.latent_dim}.")
    values = torch.linspace(-extent, extent, num)
    z2, z1 = torch.meshgrid(values, values, indexing="ij")
    z = torch.stack([z1.flatten(), z2.flatten()], 1).to(model.device)
    with eval_mode(model):
        images = model.output_image(model.decode(z)).cpu()
    return images.reshape(num, num, *images.shape[-2:])


def add_noise(x: Tensor, std: float, seed: int = 0) -> Tensor:
    """x plus Gaussian noise of standard deviation ``std``, clipped to [0, 1] (seeded)."""
    if std < 0:
        raise ValueError(f"noise std={std} must be >= 0.")
    generator = torch.Generator().manual_seed(seed)
    return (x + std * torch.randn(x.shape, generator=generator)).clamp_(0.0, 1.0)


@dataclass(frozen=True)
class DenoisingScore:
    """Mean squared error per pixel against the clean images.

    Attributes:
        noisy: error of the noisy input itself (the do-nothing baseline).
        reconstructed: error of the reconstruction of the noisy input.
        clean_reconstructed: error of the reconstruction of the clean input (the model's floor).
    """

    noisy: float
    reconstructed: float
    clean_reconstructed: float

    @property
    def improvement(self) -> float:
        """Fraction of the noise error removed: 1 - reconstructed / noisy."""
        return 1.0 - self.reconstructed / self.noisy


def denoising_score(model: LatentModel, clean: Tensor, noisy: Tensor, batch_size: int = 1000) -> DenoisingScore:
    """How close the reconstruction of a noisy image comes to the clean one."""
    def mse(a, b):
        return float((a - b).pow(2).mean())

    recon_noisy = torch.cat([model.reconstruct(b.to(model.device)).cpu() for b in noisy.split(batch_size)])
    recon_clean = torch.cat([model.reconstruct(b.to(model.device)).cpu() for b in clean.split(batch_size)])
    return DenoisingScore(noisy=mse(noisy, clean), reconstructed=mse(recon_noisy, clean),
                          clean_reconstructed=mse(recon_clean, clean))


def kl_per_dimension(model: LatentModel, x: Tensor, batch_size: int = 1000) -> Tensor:
    """(J,) mean KL of each latent dimension over x (VAE: Gaussian KL; VSC: both parts; the
    model's :meth:`~vsc_lib.models.LatentModel.kl_per_dimension`)."""
    with eval_mode(model):
        total = sum(model.kl_per_dimension(model.encode(b.to(model.device))).sum(0).cpu() for b in x.split(batch_size))
    return total / len(x)


def active_units(mu: Tensor, threshold: float = 0.01) -> int:
    """Number of latent dimensions whose posterior mean varies across inputs: Var_x E[z_j | x] > threshold
    (the 'active units' of Burda et al., 2016)."""
    return int((mu.var(0) > threshold).sum())


def active_dimensions(mu: Tensor, spike_prob: Tensor, limit: int | None = None) -> list[int]:
    """Dimensions of one (J,) code with pi > 0.5, largest |slab mean| first (at most ``limit``)."""
    on = spike_prob > 0.5
    order = torch.argsort(mu.abs() * on, descending=True)[: int(on.sum())]
    return [int(j) for j in order][:limit]


def traverse(model: LatentModel, code: Tensor, dim: int, values: Tensor) -> Tensor:
    """Decode one (J,) code with dimension ``dim`` swept over ``values``: (len(values), C, H, W)."""
    z = code.to(model.device).repeat(len(values), 1)
    z[:, dim] = values.to(z)
    with eval_mode(model):
        return model.output_image(model.decode(z)).cpu()


def decode(model: LatentModel, z: Tensor) -> Tensor:
    """Pixel probabilities of (B, J) codes."""
    with eval_mode(model):
        return model.output_image(model.decode(z.to(model.device))).cpu()


def most_used_dimensions(model: LatentModel, x: Tensor, num: int = 2) -> list[int]:
    """The ``num`` latent dimensions that carry the most over x, by the model's
    :meth:`~vsc_lib.models.LatentModel.usage_score`: highest mean spike probability (VSC),
    highest mean KL (VAE) or highest variance of the code (AE)."""
    with eval_mode(model):
        score = model.usage_score(model.encode(x.to(model.device))).cpu()
    return [int(j) for j in torch.argsort(score, descending=True)[:num]]


def sweep_two_dimensions(model: LatentModel, x: Tensor, values: Tensor) -> Tensor:
    """Decode a grid over the two most used dimensions, all other dimensions at a neutral value.

    VAE and VSC: the others are 0 (VSC: off) and the two take ``values``. AE, whose codes have
    no scale or centre: the others sit at the mean code and the two move by ``values`` times
    their standard deviation around their mean.

    Returns:
        (n, n, H, W) images; row i has the second dimension at values[-1 - i] (top = largest),
        column j has the first at values[j].
    """
    dims = most_used_dimensions(model, x, 2)
    n = len(values)
    if model.num_heads == 1:  # the AE
        mu = encode_dataset(model, x).mu
        base, scale = mu.mean(0), mu[:, dims].std(0)
    else:
        base, scale = torch.zeros(model.latent_dim), torch.ones(2)
    first, second = torch.meshgrid(values, values.flip(0), indexing="xy")
    z = base.repeat(n * n, 1)
    z[:, dims[0]] = base[dims[0]] + scale[0] * first.flatten()
    z[:, dims[1]] = base[dims[1]] + scale[1] * second.flatten()
    images = decode(model, z)
    return images.reshape(n, n, *images.shape[-2:])


def conditional_samples(model: LatentModel, x: Tensor, num: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """VSC conditional sampling: keep each input's active set (pi > 0.5) and redraw the slab
    values of those dimensions from the prior N(0, 1); every other dimension stays exactly zero.

    Returns:
        (codes, images): (B, num, J) codes and their (B, num, C, H, W) decoded pixel probabilities.
    """
    model.require_spikes("conditional sampling")
    encoded = encode_dataset(model, x)
    active = (encoded.spike_prob > 0.5).to(torch.float32)  # (B, J)
    slab = torch.randn((x.shape[0], num, active.shape[1]), generator=generator)
    codes = active[:, None, :] * slab
    images = decode(model, codes.flatten(0, 1))
    return codes, images.view(x.shape[0], num, *images.shape[1:])


def vary_largest_active(model: LatentModel, x: Tensor, values: Tensor) -> tuple[list[int], Tensor]:
    """For each input, the deterministic code (slab means of the dimensions with pi > 0.5) with
    its largest-magnitude active element set to each of ``values`` and decoded.

    Returns:
        (dims, images): the varied dimension per input (-1 when no dimension is active, in which
        case the rows decode the unchanged code) and (B, len(values), C, H, W) images.
    """
    model.require_spikes("varying the largest active element")
    encoded = encode_dataset(model, x)
    dims, rows = [], []
    for mu, pi in zip(encoded.mu, encoded.spike_prob, strict=True):
        code = mu * (pi > 0.5)
        order = active_dimensions(mu, pi, limit=1)
        dim = order[0] if order else -1
        dims.append(dim)
        rows.append(traverse(model, code, dim, values) if dim >= 0 else decode(model, code.repeat(len(values), 1)))
    return dims, torch.stack(rows)


def group_dimensions(abs_corr: Tensor, group_of_source, num_groups: int,
                     threshold: float = CORRELATION_THRESHOLD) -> list[list[int]]:
    """Latent dimensions assigned to each group of sources: a dimension belongs to the group of
    the source it correlates with most, if that |correlation| exceeds ``threshold``.

    Args:
        abs_corr: (J, K) |correlation| between latents and sources.
        group_of_source: (K,) group index of each source.
    Returns:
        ``num_groups`` lists of dimensions, each sorted by decreasing strength.
    """
    abs_corr = torch.as_tensor(abs_corr, dtype=torch.float64)
    groups = torch.as_tensor(group_of_source, dtype=torch.int64)
    if abs_corr.ndim != 2 or groups.shape != (abs_corr.shape[1],):
        raise ValueError(f"need abs_corr (J, K) and group_of_source (K,), got {tuple(abs_corr.shape)} and {tuple(groups.shape)}.")
    strength, best = abs_corr.max(1)
    out: list[list[int]] = [[] for _ in range(num_groups)]
    for j in torch.argsort(strength, descending=True).tolist():
        if strength[j] > threshold:
            out[int(groups[best[j]])].append(j)
    return out


def switch_dimensions(model: LatentModel, x: Tensor, dims: list[int], values: Tensor | None) -> Tensor:
    """Decode the gated codes of ``x`` with ``dims`` switched off (``values=None``: set to 0, the
    spike off) or on (set to ``values``, one per dimension): (N, C, H, W) pixel probabilities."""
    model.require_spikes("switch_dimensions")
    with eval_mode(model):
        z = model.code(x.to(model.device), "gated").clone()
        if dims:
            z[:, dims] = 0.0 if values is None else torch.as_tensor(values, dtype=z.dtype, device=z.device)
        return model.output_image(model.decode(z)).cpu()


def typical_state(model: LatentModel, x: Tensor, dims: list[int]) -> Tensor:
    """Per dimension, the value it takes for most examples of ``x``: 0 if its spike is off
    (pi <= 0.5) for at least half of them, else the median slab mean over those where it is on.
    Setting a group's dimensions to their typical state over faces that have (or lack) an
    attribute is how the Smiley chapter switches the attribute on (or off)."""
    model.require_spikes("typical_state")
    if not dims:
        return torch.zeros(0)
    with eval_mode(model):
        posterior = model.encode(x.to(model.device))
    mu, on = posterior.mu[:, dims].cpu(), (posterior.spike_prob[:, dims] > 0.5).cpu()
    return torch.stack([mu[on[:, k], k].median() if on[:, k].float().mean() > 0.5 else torch.tensor(0.0)
                        for k in range(len(dims))])


@dataclass(frozen=True)
class GroupSwitch:
    """What switching one attribute group's latents did (percentages of faces).

    Attributes:
        group: the group's name.
        latents: the dimensions tied to it (:func:`group_dimensions`), strongest first.
        by: ``"spike"`` when some of them are off on faces of one kind and on on the other,
            ``"slab values"`` when they only change value; None without latents.
        recon_has, recon_lacks: the detector finds the group in the plain reconstructions of
            faces that have it / lack it.
        agreement: faces (with and without it) whose plain reconstruction the detector reads
            correctly for this group: a switch is only counted on those faces.
        drawn_on: faces that lack it, whose reconstruction reads correctly without it, and that
            show it after its latents are set to their typical state on faces that have it
            (None without latents). A decoder whose reconstructions the detector cannot read
            (one that draws noise) scores 0 here, not 100.
        left_on: faces that have it and still show it after the latents are set to their
            typical state on faces that lack it, counting every face whose reconstruction does
            not read correctly with it as left on (a switch off that cannot be seen is no switch).
        others_kept: how often the other groups' detections stay as in the reconstruction.
    """

    group: str
    latents: tuple[int, ...]
    by: str | None
    recon_has: float
    recon_lacks: float
    drawn_on: float | None = None
    left_on: float | None = None
    others_kept: float | None = None
    agreement: float | None = None


def switch_groups(model: LatentModel, x: Tensor, present, abs_corr: Tensor, group_of_source, names, detect,
                  threshold: float = CORRELATION_THRESHOLD, per_group: int = 300) -> list[GroupSwitch]:
    """Switch each attribute group of a spike-and-slab model on and off and detect the result.

    Args:
        x: (N, ...) images; present: (N, G) bool, which groups each image has.
        abs_corr: (J, K) |correlation| of latents and sources, to tie latents to groups.
        group_of_source: (K,) group of each source; names: the G group names.
        detect: images (numpy) -> (N, G) bool, which groups are drawn (``smiley.detect_groups``).
        per_group: faces with and without the group that are switched.
    """
    import numpy as np

    model.require_spikes("switch_groups")
    present = np.asarray(present, dtype=bool)
    dims_of = group_dimensions(abs_corr, group_of_source, len(names), threshold)
    found = detect(switch_dimensions(model, x, [], None).numpy())
    out = []
    for g, name in enumerate(names):
        has, lacks = np.flatnonzero(present[:, g])[:per_group], np.flatnonzero(~present[:, g])[:per_group]
        dims = dims_of[g]
        read_has, read_lacks = found[has, g], ~found[lacks, g]  # the detector reads the reconstruction right
        agreement = 100 * float(np.concatenate([read_has, read_lacks]).mean())
        base = {"group": name, "latents": tuple(dims), "recon_has": 100 * float(found[has, g].mean()),
                "recon_lacks": 100 * float(found[lacks, g].mean()), "agreement": agreement}
        if not dims:
            out.append(GroupSwitch(by=None, **base))
            continue
        on_values = typical_state(model, x[torch.as_tensor(present[:, g])], dims)
        off_values = typical_state(model, x[torch.as_tensor(~present[:, g])], dims)
        found_on = detect(switch_dimensions(model, x[lacks], dims, on_values).numpy())
        found_off = detect(switch_dimensions(model, x[has], dims, off_values).numpy())
        others = [k for k in range(len(names)) if k != g]
        same = np.concatenate([found_on[:, others] == found[lacks][:, others],
                               found_off[:, others] == found[has][:, others]])
        kept = same.mean() if same.size else 1.0  # no other group: nothing to disturb
        out.append(GroupSwitch(by="spike" if bool(((on_values == 0) != (off_values == 0)).any()) else "slab values",
                               drawn_on=100 * float((read_lacks & found_on[:, g]).mean()),
                               left_on=100 - 100 * float((read_has & ~found_off[:, g]).mean()),
                               others_kept=100 * float(kept), **base))
    return out


@dataclass(frozen=True)
class SpikeGroups:
    """How each dimension a VSC uses switches with the attribute groups.

    Attributes:
        dims: the dimensions on (pi > 0.5) for at least 1 % of the examples.
        share: (D,) fraction of examples where each is on.
        corr: (D, G) Pearson correlation of each dimension's on/off with each group's presence
            (0 for a dimension on for every example or for none).
        follows: per dimension, the groups whose presence its spike follows (|corr| >= ``strong``).
    """

    dims: list[int]
    share: Tensor
    corr: Tensor
    follows: list[tuple[int, ...]]


def spike_groups(model: LatentModel, x: Tensor, present, strong: float = 0.5) -> SpikeGroups:
    """Correlate every used dimension's spike (pi > 0.5) with the presence of each attribute
    group (``present``: (N, G) bool): does a dimension switch with one group, with several
    together, or with none?"""
    model.require_spikes("spike_groups")
    encoded = encode_dataset(model, x)
    on = (encoded.spike_prob > 0.5).double()
    groups = torch.as_tensor(present, dtype=torch.float64)
    share = on.mean(0)
    dims = torch.nonzero(share >= 0.01).flatten().tolist()
    a = on[:, dims] - on[:, dims].mean(0)
    b = groups - groups.mean(0)
    scale = a.pow(2).sum(0).sqrt()[:, None] * b.pow(2).sum(0).sqrt()[None, :]
    corr = torch.where(scale > 0, (a.T @ b) / torch.where(scale > 0, scale, torch.ones_like(scale)),
                       torch.zeros_like(scale))
    follows = [tuple(int(g) for g in torch.nonzero(corr[k].abs() >= strong).flatten()) for k in range(len(dims))]
    return SpikeGroups(dims=dims, share=share[dims], corr=corr, follows=follows)
