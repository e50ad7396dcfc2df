"""A study's grid: the cells it trains (dataset x family x latent size x seed), the one training
recipe they share, and the evaluation settings its runs are measured with.

A *family* names a model recipe (:func:`vsc_lib.families.parse_family`); :func:`family_model`
turns a family at one latent size into the model that is trained. A *cell* is
``(dataset, family, latent_dim, seed)``; :meth:`Grid.config` is the exact run a cell trains, whose
hash keys the run cache and the evidence store, so changing what a grid builds for a cell makes
its stored records stale (``make evidence`` names them).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .. import datasets
from ..config import DataConfig, ModelConfig, RunConfig, TrainConfig
from ..data import load_dataset
from ..families import parse_family
from ..fit import EARLIER_EPOCHS, EPOCHS
from ..recipes import RECIPES, recipe_config

#: fraction of the epochs over which the VSC families' KL weight ramps from 0 to 1
KL_WARMUP_FRACTION = 0.1
#: learned-prior VSC: fractions of the epochs with the slab held at N(0, 1), then ramped to the learned one
SLAB_WARMUP_FRACTION, SLAB_RAMP_FRACTION = 0.2, 0.1
#: the families whose codes get the linear probe unless a grid names others
PROBE_FAMILIES = ("vae", "vsc0.01")

Cell = tuple[str, str, int, int]  # dataset, family, latent_dim, seed


class CellFormatError(ValueError, argparse.ArgumentTypeError):
    """A cell written in a form :func:`parse_cell` does not read (argparse shows its message)."""


def parse_cell(text: str, dataset: str | None = None) -> Cell:
    """A grid cell from the command line: ``dataset:family:J:seed`` (``mnist:vae:8:0``), or
    ``family:J:seed`` when ``dataset`` is given (``authors:60:0`` for Smiley's scripts)."""
    parts = text.split(":")
    if dataset is not None:
        parts = [dataset, *parts]
    if len(parts) != 4 or not parts[0] or not parts[1] or not parts[2].isdigit() or not parts[3].isdigit():
        form, example = (("family:J:seed", "authors:60:0") if dataset is not None else
                         ("dataset:family:J:seed", "mnist:vae:8:0"))
        raise CellFormatError(f"{text!r}: write a cell as {form}, e.g. {example}")
    return parts[0], parts[1], int(parts[2]), int(parts[3])


#: fixed-prior VSC with the authors' spike-only phase: lambda = 0 for 37.5 % of training, ramp over 2.5 %
HOLD_FRACTION, HOLD_RAMP_FRACTION = 0.375, 0.025


def family_model(family: str, latent_dim: int, num_epochs: int, hidden_dim: int = 400, dataset: str = "mnist",
                 num_pseudo_inputs: int = 20) -> ModelConfig:
    """The ModelConfig (MLP body) of one family at one latent size. Real-valued datasets get the
    Gaussian likelihood. Fixed-prior VSC: straight-through spike and a KL warm-up over the first
    tenth of training. Learned-prior VSC: the relaxed spike with the slab warm-up of the UAI
    recipe (lambda held at 0 for the first fifth of training, then raised over a tenth)."""
    f = parse_family(family)
    common = {"latent_dim": latent_dim, "hidden_dim": hidden_dim}
    common["likelihood"] = datasets.get(dataset).default_likelihood
    if f.kind == "vae":
        return ModelConfig(kind="vae", beta=f.beta, **common)
    if f.fit:  # exactly what vsc_lib.fit.fit builds (its other options are ModelConfig's defaults)
        return ModelConfig(kind="vsc", alpha=f.alpha, usage_weight=f.usage, **common)
    if f.recipe:
        raise ValueError(f"family {family!r} follows an authors' recipe: build it with a Grid that names one (recipe=...).")
    if f.prior == "fixed":
        hold = ({"warmup_epochs": HOLD_FRACTION * num_epochs, "warmup_ramp_epochs": HOLD_RAMP_FRACTION * num_epochs}
                if f.hold else {})
        return ModelConfig(kind="vsc", alpha=f.alpha, spike_estimator="straight_through", spike_form=f.spike_form,
                           kl_warmup_epochs=KL_WARMUP_FRACTION * num_epochs, **hold, **common)
    return ModelConfig(kind="vsc", alpha=f.alpha, prior="learned", selector=f.selector, num_pseudo_inputs=num_pseudo_inputs,
                       warmup_epochs=SLAB_WARMUP_FRACTION * num_epochs, warmup_ramp_epochs=SLAB_RAMP_FRACTION * num_epochs,
                       **common)


@dataclass(frozen=True)
class Grid:
    """A sweep over datasets x families x latent sizes x seeds with one training recipe."""

    name: str
    datasets: tuple[str, ...]
    families: tuple[str, ...]
    latent_dims: tuple[int, ...]
    seeds: tuple[int, ...]
    num_epochs: int
    batch_size: int = 128
    lr: float = 1e-3
    hidden_dim: int = 400
    num_train: int | None = None
    num_test: int | None = None
    iw_samples: int = 100
    iw_images: int = 2000
    probe_labels: int = 5000
    elbo_samples: int = 5
    #: training examples after the first ``num_train`` held out for model selection (Smiley's beta)
    num_validation: int = 0
    num_pseudo_inputs: int = 20
    #: families whose codes get the linear probe (it costs a fit per run)
    probe_families: tuple[str, ...] = PROBE_FAMILIES
    #: store the per-class mean spike probability (J values per class) with each evaluation
    class_profiles: bool = False
    #: evaluate the class kept by conditional samples (VSC: the input's active set kept, slabs redrawn)
    conditional: bool = False
    #: the authors' recipe (a name in ``recipes.RECIPES``) that the ``authors*`` families follow,
    #: at ``width`` and ``length`` of its full size with ``blocks`` logged epochs
    recipe: str | None = None
    width: float = 1.0
    length: float = 1.0
    blocks: int = 100
    #: training precision of the grid's runs (``"fp32"`` or ``"bf16"``: bfloat16 autocast)
    precision: str = "fp32"

    def __post_init__(self):
        for family in self.families:
            if parse_family(family).recipe and self.recipe not in RECIPES:
                raise ValueError(f"grid {self.name!r}: family {family!r} needs recipe= one of {', '.join(RECIPES)}.")
        if self.num_validation and self.num_train is None:
            raise ValueError(f"grid {self.name!r}: a validation split needs num_train (the held-out examples follow it).")
        if min(len(self.datasets), len(self.families), len(self.latent_dims), len(self.seeds)) == 0:
            raise ValueError(f"grid {self.name!r} is empty: every axis needs at least one value.")

    def config(self, cell: Cell) -> RunConfig:
        dataset, family, latent_dim, seed = cell
        f = parse_family(family)
        if f.recipe:
            return recipe_config(RECIPES[self.recipe], width=self.width, length=self.length, blocks=self.blocks,
                                 latent_dim=latent_dim, seed=seed, num_train=self.num_train, num_test=self.num_test,
                                 ingredients=f.ingredients, kind=f.kind, beta=f.beta, precision=self.precision)
        # fit's earlier default trained half as long as it does now (EARLIER_EPOCHS of EPOCHS)
        epochs = max(1, self.num_epochs * EARLIER_EPOCHS // EPOCHS) if f.fit == "earlier" else self.num_epochs
        return RunConfig(
            DataConfig(dataset, num_train=self.num_train, num_test=self.num_test),
            family_model(family, latent_dim, epochs, self.hidden_dim, dataset, self.num_pseudo_inputs),
            TrainConfig(num_epochs=epochs, batch_size=self.batch_size, lr=self.lr, seed=seed, precision=self.precision),
        )

    def cells(self) -> list[Cell]:
        return [(d, f, j, s) for d in self.datasets for f in self.families for j in self.latent_dims for s in self.seeds]

    def configs(self) -> dict[Cell, RunConfig]:
        return {cell: self.config(cell) for cell in self.cells()}

    @property
    def size(self) -> int:
        return len(self.cells())


def validation_split(grid: Grid, dataset: str):
    """``(x, factors)`` of the ``grid.num_validation`` training examples that follow the first
    ``grid.num_train`` (never trained on), or None when the grid holds none out."""
    if not grid.num_validation:
        return None
    full = load_dataset(dataset, "train", subset=grid.num_train + grid.num_validation)
    factors = None if full.factors is None else full.factors[grid.num_train:]
    return full.x[grid.num_train:], factors
