"""The sweeps behind chapters 6-8: their grids, the model families, and per-run evaluations
that are computed once and cached next to the trained runs.

A *family* names a model recipe (see :func:`parse_family`): ``"vae"``; ``"beta<b>"``, the
β-VAE; ``"vsc<alpha>"``, the fixed-prior VSC trained with the straight-through spike and a
linear KL warm-up over the first tenth of training (the library's documented fix for the
near-collapse of the paper's relaxation at small alpha); ``"lvsc<alpha>[-<selector>]"``, VSC
with the learned prior and the UAI recipe. A *cell* is (dataset, family, latent_dim, seed).

Each study (``STUDIES``: ``latent`` and ``fixed`` for chapter 6, ``authors`` and ``ablation``
for chapter 7, ``har`` for chapter 8, ``sparse`` and ``sparse_k`` for chapter 9) has a grid per book profile (``$VSC_PROFILE`` or a
chapter's ``profile`` parameter, see :mod:`vsc_lib.book`):

- ``quick``: CI and the notebook tests; tiny subsets, one epoch.
- ``book``: what the default full build trains; sized to fit the book's cold-build budget.
- ``paper``: paper-size grids (for chapter 6 the paper's full grid, 30 epochs, 144 runs;
  hours on 2 cores; see the README for the commands that train them ahead of a build).

Evaluations are stored by :func:`vsc_lib.cache.cached_evaluation` as
``<cache>/_evals/<run name>/<what>-<settings digest>.json`` together with the model's checksum,
the settings they were computed with and the cache version; a retrained model or other settings
recompute them, and a run evaluated with two settings keeps both.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import analysis, datasets, disentanglement, evidence, metrics, sparse_study
from .cache import TrainedRun, cached_evaluation, has_evaluation, load_run
from .config import SELECTORS, DataConfig, ModelConfig, RunConfig, TrainConfig, run_name
from .data import load_dataset
from .evaluation import Evaluation, IWEstimate
from .families import Family, FamilyRecord, family_alpha, family_colours, family_label, family_record, parse_family  # noqa: F401
from .fit import EARLIER_EPOCHS, EPOCHS
from .paths import cache_dir
from .recipes import EARLIER, RECIPES, recipe_config
from .training import block_timing, load_run_data, train_or_load

#: fraction of the epochs over which the VSC families' KL weight ramps from 0 to 1
KL_WARMUP_FRACTION = 0.1
#: learned-prior VSC: fractions of the epochs with the slab held at N(0, 1), then ramped to the learned one
SLAB_WARMUP_FRACTION, SLAB_RAMP_FRACTION = 0.2, 0.1
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


_ALL_FAMILIES = ("vae", "vsc0.5", "vsc0.2", "vsc0.01")
_BOTH = ("mnist", "fashion_mnist")
GRIDS: dict[str, Grid] = {
    "quick": Grid("quick", _BOTH, _ALL_FAMILIES, (8, 32), (0, 1, 2), num_epochs=1, num_train=1000, num_test=500,
                  iw_samples=10, iw_images=200, probe_labels=1000, elbo_samples=2),
    "book": Grid("book", _BOTH, _ALL_FAMILIES, (8, 32, 128, 200), (0, 1, 2), num_epochs=4),
    "paper": Grid("paper", _BOTH, _ALL_FAMILIES, (8, 16, 32, 64, 128, 200), (0, 1, 2), num_epochs=30),
}

# Smiley (chapter 7): beta-VAEs against the learned-prior VSC (two alphas) and the fixed-prior VSC; 40,000 training images,
# the next 10,000 of the training file held out to choose beta, scores on 5,000 test images.
_SMILEY = {"datasets": ("smiley",), "latent_dims": (18, 40, 60), "num_train": 40_000, "num_validation": 10_000,
           "num_test": 5_000, "probe_families": ()}
_SMILEY_QUICK = {"datasets": ("smiley",), "num_epochs": 1, "num_train": 1000, "num_validation": 500, "num_test": 500,
                 "elbo_samples": 2, "probe_families": ()}
SMILEY_BETAS = ("beta1", "beta2", "beta4", "beta8")
SMILEY_VSC, SMILEY_SPARSER, SMILEY_FIXED = "lvsc0.2", "lvsc0.01", "vsc0.2"
_SMILEY_VSCS = (SMILEY_VSC, SMILEY_SPARSER, SMILEY_FIXED)
SMILEY_GRIDS: dict[str, Grid] = {
    "quick": Grid("smiley-quick", families=("beta1", "beta4", *_SMILEY_VSCS), latent_dims=(18, 40), seeds=(0,), **_SMILEY_QUICK),
    "book": Grid("smiley-book", families=(*SMILEY_BETAS, *_SMILEY_VSCS), seeds=(0,), num_epochs=8, **_SMILEY),
    "paper": Grid("smiley-paper", families=(*SMILEY_BETAS, "beta16", *_SMILEY_VSCS), seeds=(0, 1, 2), num_epochs=20, **_SMILEY),
}
# the selector forms of the learned prior, at J = 40 (the softmax run is shared with SMILEY_GRIDS)
_SELECTORS = tuple(SMILEY_VSC if form == "softmax" else f"{SMILEY_VSC}-{form}" for form in SELECTORS)
SELECTOR_GRIDS: dict[str, Grid] = {
    "quick": Grid("selectors-quick", families=_SELECTORS, latent_dims=(40,), seeds=(0,), **_SMILEY_QUICK),
    "book": Grid("selectors-book", families=_SELECTORS, seeds=(0,), num_epochs=8, **(_SMILEY | {"latent_dims": (40,)})),
    "paper": Grid("selectors-paper", families=_SELECTORS, seeds=(0, 1, 2), num_epochs=20, **(_SMILEY | {"latent_dims": (40,)})),
}
# UCI HAR (chapter 8): Gaussian likelihood on standardised raw windows; every family probed
_HAR_FAMILIES = ("vae", "beta4", "vsc0.2")
_HAR = {"datasets": ("har",), "families": _HAR_FAMILIES, "probe_families": _HAR_FAMILIES, "class_profiles": True,
        "probe_labels": 10_000}
HAR_GRIDS: dict[str, Grid] = {
    "quick": Grid("har-quick", latent_dims=(4, 16), seeds=(0, 1, 2), num_epochs=1, num_train=1000, num_test=500,
                  elbo_samples=2, **_HAR),
    "book": Grid("har-book", latent_dims=(4, 8, 16, 32), seeds=(0, 1, 2), num_epochs=15, **_HAR),
    "paper": Grid("har-paper", latent_dims=(2, 4, 8, 16, 32, 64), seeds=(0, 1, 2, 3, 4), num_epochs=60, **_HAR),
}
# The authors' Smiley recipe (chapter 7): their VSC against beta-VAEs with the same body, likelihood, batches and
# optimiser (beta chosen on the validation images), at reduced size in the default build: WIDTH of the 3,000 hidden
# units and LENGTH of the 200,000 iterations (the schedule scales with it). 50,000 training images in file order,
# the last 10,000 of the training file for validation, 5,000 test images.
# The sizes were measured (results/pilot-authors-smiley-*.json, J = 40, seed 0): 400 units x 10,000 iterations is the
# smallest tried at which most used dimensions are switched by the input (8 of 11; 1,000 x 10,000: 4 of 7); 300 x 5,000
# and 100 x 10,000 prune to 6-8 dimensions that are on for every face, 300 x 2,000 keeps all 40 on.
AUTHORS_WIDTH, AUTHORS_LENGTH = 400 / 3000, 0.05
AUTHORS_BETAS = ("authors-beta1", "authors-beta4", "authors-beta16")
_AUTHORS = {"datasets": ("smiley",), "num_train": 50_000, "num_validation": 10_000, "num_test": 5_000,
            "probe_families": (), "num_epochs": 1, "recipe": "smiley"}
_AUTHORS_QUICK = _AUTHORS | {"num_train": 1000, "num_validation": 500, "num_test": 500, "elbo_samples": 2,
                             "width": 0.02, "length": 0.001, "blocks": 4}
AUTHORS_GRIDS: dict[str, Grid] = {
    "quick": Grid("authors-quick", families=("authors", "authors-beta1", "authors-beta16"), latent_dims=(18, 40),
                  seeds=(0,), **_AUTHORS_QUICK),
    "book": Grid("authors-book", families=("authors", *AUTHORS_BETAS), latent_dims=(18, 40, 60), seeds=(0, 1, 2),
                 width=AUTHORS_WIDTH, length=AUTHORS_LENGTH, **_AUTHORS),
    "paper": Grid("authors-paper", families=("authors", *AUTHORS_BETAS), latent_dims=(18, 40, 60), seeds=(0, 1, 2),
                  **_AUTHORS),
}
#: the ablation at J = 40: the recipe with one ingredient at a time put back to the book's earlier choice (at the
#: default build's width of 400 units the width ingredient is the recipe itself, so only the full size ablates it)
ABLATION_FAMILIES = ("authors", *(f"authors~{name}" for name in EARLIER))
_BOOK_ABLATION = tuple(f for f in ABLATION_FAMILIES if f != "authors~width")
ABLATION_GRIDS: dict[str, Grid] = {
    "quick": Grid("ablation-quick", families=ABLATION_FAMILIES[:3], latent_dims=(40,), seeds=(0,), **_AUTHORS_QUICK),
    "book": Grid("ablation-book", families=_BOOK_ABLATION, latent_dims=(40,), seeds=(0, 1, 2),
                 width=AUTHORS_WIDTH, length=AUTHORS_LENGTH, **_AUTHORS),
    "paper": Grid("ablation-paper", families=ABLATION_FAMILIES, latent_dims=(40,), seeds=(0, 1, 2), **_AUTHORS),
}
#: the campaign on length and width (chapter 7's last section): the recipe against beta-VAEs at J = 60 at the
#: authors' length, first at the book's width of 400 units ("long", 200,000 iterations), then at the full size
#: (3,000 units, the same configurations as AUTHORS_GRIDS["paper"] at J = 60). Never trained inside a build: the
#: runs come from the evidence store (scripts/campaign.py trains and records them).
SIZE_FAMILIES = ("authors", "authors-beta4", "authors-beta16", "authors-beta64")
SIZE_GRIDS: dict[str, Grid] = {
    "quick": Grid("size-quick", families=("authors", "authors-beta4"), latent_dims=(18,), seeds=(0, 1, 2),
                  **_AUTHORS_QUICK),
    "book": Grid("size-long", families=SIZE_FAMILIES, latent_dims=(60,), seeds=(0, 1, 2), width=AUTHORS_WIDTH,
                 **_AUTHORS),
    # one beta beyond each edge, for a choice at the edge of {4, 16, 64} (size_study.BEYOND)
    "paper": Grid("size-full", families=(*SIZE_FAMILIES, "authors-beta1", "authors-beta256"), latent_dims=(60,),
                  seeds=(0, 1, 2), **_AUTHORS),
}
# the fixed prior on MNIST and Fashion-MNIST at alpha = 0.01, J = 200: the authors' spike form and their long
# spike-only phase against the book's sigmoid spike, with and without it
FIXED_FAMILIES = ("vsc0.01", "vsc0.01+hold", "vsc0.01+min0", "vsc0.01+min0+hold")
_FIXED = {"datasets": _BOTH, "families": FIXED_FAMILIES, "latent_dims": (200,), "class_profiles": True,
          "probe_families": FIXED_FAMILIES, "conditional": True}
FIXED_GRIDS: dict[str, Grid] = {
    "quick": Grid("fixed-quick", seeds=(0,), num_epochs=1, num_train=1000, num_test=500, iw_samples=10, iw_images=200,
                  probe_labels=1000, elbo_samples=2, **_FIXED),
    "book": Grid("fixed-book", seeds=(0, 1, 2), num_epochs=4, **_FIXED),
    "paper": Grid("fixed-paper", seeds=(0, 1, 2), num_epochs=30, **_FIXED),
}
# does VSC do sparse coding? (chapter 9): fit's VSC now and before issue 31 and the VAE at J = 32 on sums of known
# atoms (vsc_lib.atoms), 20,000 training examples, the next 2,000 held out, 2,000 test examples; and fit's VSC as the
# number of atoms on per example grows (k = 1 to 4 of the same 16 atoms; the k = 2 runs are shared)
SPARSE_FAMILIES = ("fit", "fit-old", "vae")
_SPARSE = {"latent_dims": (32,), "num_train": 20_000, "num_validation": 2_000, "probe_families": (), "num_epochs": EPOCHS}
_SPARSE_QUICK = _SPARSE | {"num_train": 1000, "num_validation": 500, "num_test": 500, "num_epochs": 1, "elbo_samples": 2}
SPARSE_GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-quick", datasets=("atoms", "atoms-m24-k3"), families=SPARSE_FAMILIES, seeds=(0,),
                  **_SPARSE_QUICK),
    "book": Grid("sparse-book", datasets=("atoms", "atoms-m24-k3"), families=SPARSE_FAMILIES, seeds=(0, 1, 2),
                 **_SPARSE),
}
SPARSE_GRIDS["paper"] = SPARSE_GRIDS["book"]  # the book's size is the benchmark's (issue 31); its records are "book"
SPARSE_K_GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-k-quick", datasets=("atoms-k1", "atoms"), families=("fit",),
                  seeds=(0,), **_SPARSE_QUICK),
    "book": Grid("sparse-k-book", datasets=("atoms-k1", "atoms", "atoms-k3", "atoms-k4"), families=("fit",),
                 seeds=(0, 1, 2), **_SPARSE),
}
SPARSE_K_GRIDS["paper"] = SPARSE_K_GRIDS["book"]
# how fit's default was chosen: alpha x usage weight on the two main settings, seed 0, read on the validation
# examples (the variant with fit's default alpha and weight is the run of "fit"); and the two defaults on MNIST
SPARSE_ALPHAS, SPARSE_USAGE_WEIGHTS = (0.01, 0.0625, 0.125, 0.25), (0.0, 1.0, 2.0, 5.0)
SPARSE_VARIANTS = tuple(f"fit+a{a:g}+u{u:g}" for a in SPARSE_ALPHAS for u in SPARSE_USAGE_WEIGHTS)
SPARSE_CHOICE_GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-choice-quick", datasets=("atoms",), families=("fit+a0.125+u0", "fit+a0.125+u2"),
                  seeds=(0,), **_SPARSE_QUICK),
    "book": Grid("sparse-choice-book", datasets=("atoms", "atoms-m24-k3"), families=SPARSE_VARIANTS, seeds=(0,),
                 **_SPARSE),
}
SPARSE_CHOICE_GRIDS["paper"] = SPARSE_CHOICE_GRIDS["book"]
SPARSE_MNIST_GRIDS: dict[str, Grid] = {
    "quick": Grid("sparse-mnist-quick", datasets=("mnist",), families=("fit", "fit-old"), latent_dims=(32,),
                  seeds=(0,), num_epochs=1, num_train=1000, num_test=500, probe_families=("fit", "fit-old"),
                  probe_labels=1000, elbo_samples=2),
    "book": Grid("sparse-mnist-book", datasets=("mnist",), families=("fit", "fit-old"), latent_dims=(32,),
                 seeds=(0, 1, 2), num_epochs=EPOCHS, probe_families=("fit", "fit-old")),
}
SPARSE_MNIST_GRIDS["paper"] = SPARSE_MNIST_GRIDS["book"]
#: each chapter's grids by profile name
STUDIES: dict[str, dict[str, Grid]] = {"latent": GRIDS, "smiley": SMILEY_GRIDS, "selectors": SELECTOR_GRIDS, "har": HAR_GRIDS,
                                       "authors": AUTHORS_GRIDS, "ablation": ABLATION_GRIDS, "fixed": FIXED_GRIDS,
                                       "size": SIZE_GRIDS, "sparse": SPARSE_GRIDS, "sparse_k": SPARSE_K_GRIDS,
                                       "sparse_choice": SPARSE_CHOICE_GRIDS, "sparse_mnist": SPARSE_MNIST_GRIDS}
def get_grid(profile: str | None = None, study: str = "latent", largest: str = "paper") -> Grid:
    """The grid of a study for a book profile (``quick``, ``book`` or ``paper``; None reads
    ``$VSC_PROFILE``, see :func:`vsc_lib.book.get_profile`). Studies: ``latent`` (chapter 6),
    ``fixed`` (chapter 6's last section), ``authors`` / ``ablation`` (chapter 7), ``har``
    (chapter 8), ``sparse`` / ``sparse_k`` (chapter 9), ``smiley`` / ``selectors``.
    ``largest`` caps the choice (chapter 7 never trains its full-size grid inside a build:
    ``largest="book"``)."""
    from .book import get_profile

    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; use one of {', '.join(STUDIES)}.")
    name = get_profile(profile).name
    grids = STUDIES[study]
    order = list(grids)
    if largest in order and order.index(name) > order.index(largest):
        name = largest
    return grids[name]


def validation_split(grid: Grid, dataset: str):
    """``(x, factors)`` of the ``grid.num_validation`` training examples that follow the first
    ``grid.num_train`` (never trained on), or None when the grid holds none out."""
    if not grid.num_validation:
        return None
    full = load_dataset(dataset, "train", subset=grid.num_train + grid.num_validation)
    factors = None if full.factors is None else full.factors[grid.num_train:]
    return full.x[grid.num_train:], factors


def standard_scores(run: TrainedRun, grid: Grid) -> dict:
    """MIG, SAP and DCI (:mod:`vsc_lib.disentanglement`) of the run's deterministic code on the
    test examples against their ground-truth sources (Smiley), cached as evaluation ``scores``."""

    def compute() -> dict:
        _, test = load_run_data(run.config)
        if test.factors is None:
            raise ValueError(f"{run.config.data.dataset} has no ground-truth sources to score a code against.")
        codes = metrics.latent_codes(run.model, test.x).numpy()
        return disentanglement.scores(codes, np.asarray(test.factors))

    return cached_evaluation(run, "scores", {"code": "default", "num_test": grid.num_test, "mig_bins": 20,
                                             "dci": "lasso-0.01"}, compute)


def basic_evaluation(run: TrainedRun, grid: Grid, family: str) -> dict:
    """Test bound, training-set bound (for model selection), sparsity and, for the grid's probe
    families, the linear-probe accuracies. On data with ground-truth sources (Smiley): the
    correlation disentanglement and completeness on the test and validation examples and the
    test (J, K) |correlation| matrix. Values are plain floats (lists for matrices)."""
    probe = family in grid.probe_families

    def compute() -> dict:
        train, test = load_run_data(run.config)
        model = run.model
        torch.manual_seed(0)
        out = {f"test_{k}": v for k, v in metrics.evaluate(model, test.x, num_samples=grid.elbo_samples).items()}
        torch.manual_seed(0)
        selection = train.x[: min(10_000, len(train))]
        out["train_neg_elbo"] = metrics.evaluate(model, selection, num_samples=1)["neg_elbo"]
        encoded = metrics.encode_dataset(model, test.x)
        if model.has_spikes:
            stats = metrics.spike_statistics(encoded.spike_prob, test.y, len(test.classes))
            out.update(active_per_example=stats.mean_active, dims_used=stats.dims_ever_used,
                       expected_active=float(stats.expected_per_example.mean()))
            if grid.class_profiles or test.factors is not None:
                out["per_class_mean_pi"] = stats.per_class_mean_pi.tolist()
                share = (encoded.spike_prob > 0.5).float().mean(0)  # per dimension: share of examples where it is on
                out["input_dependent_dims"] = int(((share >= 0.01) & (share <= 0.99)).sum())
                out["always_on_dims"] = int((share > 0.99).sum())
        else:
            units = analysis.active_units(encoded.mu)  # a VAE's codes have no exact zeros: the same for every image
            out.update(active_per_example=float(units), dims_used=units)
        if test.factors is not None:
            codes = metrics.latent_codes(model, test.x)
            score = metrics.correlation_disentanglement(codes, test.factors)
            out.update(disentanglement=score.disentanglement, completeness=score.completeness, coverage=score.coverage,
                       abs_corr=metrics.abs_correlation(codes, test.factors).round(decimals=4).tolist())
            # the authors' measure: |z| of one stochastic sample against |S * V|
            sampled = metrics.sampled_codes(model, test.x, seed=0)
            score = metrics.correlation_disentanglement(sampled, test.factors, magnitudes=True)
            out.update(authors_disentanglement=score.disentanglement, authors_completeness=score.completeness,
                       authors_coverage=score.coverage,
                       authors_abs_corr=metrics.magnitude_correlation(sampled, test.factors).round(decimals=4).tolist())
            # blocks: latents against the attribute groups (the largest |correlation| within a group)
            groups = datasets.get(run.config.data.dataset).factor_groups or None
            block = metrics.correlation_disentanglement(sampled, test.factors, magnitudes=True, groups=groups)
            signed = metrics.correlation_disentanglement(codes, test.factors, groups=groups)
            out.update(authors_block_disentanglement=block.disentanglement, authors_block_coverage=block.coverage,
                       block_disentanglement=signed.disentanglement)
            held_out = validation_split(grid, run.config.data.dataset)
            if held_out is not None:
                score = metrics.correlation_disentanglement(metrics.latent_codes(model, held_out[0]), held_out[1])
                out.update(val_disentanglement=score.disentanglement, val_completeness=score.completeness,
                           val_coverage=score.coverage)
                held_sample = metrics.sampled_codes(model, held_out[0], seed=0)
                score = metrics.correlation_disentanglement(held_sample, held_out[1], magnitudes=True)
                out["val_authors_disentanglement"] = score.disentanglement
                score = metrics.correlation_disentanglement(held_sample, held_out[1], magnitudes=True,
                                                            groups=groups)
                out["val_authors_block_disentanglement"] = score.disentanglement
        if grid.conditional and model.has_spikes:
            out.update(conditional_class_kept(model, train, test, grid.probe_labels))
        if probe:
            kinds = ("gated", "slab_mean") if model.has_spikes else ("default",)
            labels = min(grid.probe_labels, len(train))
            for kind in kinds:
                result = metrics.linear_probe(metrics.latent_codes(model, train.x, kind), train.y,
                                              metrics.latent_codes(model, test.x, kind), test.y, num_labels=labels, seed=0)
                out[f"probe_{kind}"] = 100 * result.accuracy
        return out

    return cached_evaluation(run, "basic", basic_settings(grid, family), compute)


def conditional_class_kept(model, train, test, probe_labels: int, num_inputs: int = 500, draws: int = 4) -> dict:
    """How often conditional samples keep the input's class: a linear probe fitted on the gated
    codes of the training images classifies the gated codes of ``draws`` conditional samples of
    each of the first ``num_inputs`` test images (``cond_kept``, %), beside the same probe's
    accuracy on the real test images (``cond_real``, %)."""
    generator = torch.Generator().manual_seed(0)
    inputs, labels = test.x[:num_inputs], test.y[:num_inputs]
    _, samples = analysis.conditional_samples(model, inputs, draws, generator)
    probe = metrics.linear_probe(metrics.latent_codes(model, train.x, "gated"), train.y, metrics.latent_codes(model, inputs),
                                 labels, num_labels=min(probe_labels, len(train)), seed=0)
    predicted = probe.predict(metrics.latent_codes(model, samples.flatten(0, 1)))
    kept = 100 * float((predicted == labels.repeat_interleave(draws)).double().mean())
    return {"cond_kept": kept, "cond_real": 100 * probe.accuracy}


def basic_settings(grid: Grid, family: str) -> dict:
    """What a stored basic evaluation must have been computed with to be reused (a change to
    what an evaluation computes bumps :data:`vsc_lib.config.CACHE_VERSION` instead)."""
    return {"elbo_samples": grid.elbo_samples, "probe_labels": grid.probe_labels, "probe": family in grid.probe_families,
            "validation": [grid.num_train, grid.num_validation] if grid.num_validation else None,
            "class_profiles": bool(grid.class_profiles),
            "factor_scores": any(datasets.get(d).has_factors for d in grid.datasets),
            "conditional": bool(grid.conditional)}


def iw_evaluation(run: TrainedRun, grid: Grid) -> IWEstimate:
    """Importance-weighted log-likelihood (K = grid.iw_samples) and the ELBO on the same first
    ``grid.iw_images`` test images."""

    def compute() -> dict:
        test = load_dataset(run.config.data.dataset, "test", subset=run.config.data.num_test)
        x = test.x[: grid.iw_images]
        torch.manual_seed(0)
        iw = metrics.importance_weighted_log_likelihood(run.model, x, num_samples=grid.iw_samples)
        torch.manual_seed(0)
        elbo = metrics.evaluate(run.model, x, num_samples=grid.elbo_samples)["neg_elbo"]
        return {"iw_neg_log_likelihood": float(-iw.mean()), "neg_elbo_same_images": elbo, "num_images": len(x)}

    values = cached_evaluation(run, "iw", {"samples": grid.iw_samples, "images": grid.iw_images}, compute)
    return IWEstimate(values["iw_neg_log_likelihood"], values["neg_elbo_same_images"], int(values["num_images"]))


# ---------------------------------------------------------------------------------------------
# running a grid


def _work(grid: Grid, cell: Cell, cache: str, shared: bool = True) -> tuple[Cell, dict, dict]:
    """Train (or load) one cell and evaluate it; with ``shared=False`` (a worker that does not
    see the client's cache) in a private folder, shipping the run and its evaluation back."""
    if not shared:
        import tempfile

        from .sweep import pack_run

        with tempfile.TemporaryDirectory(prefix="vsc-worker-") as private:
            cell, values, info = _work(grid, cell, private)
            return cell, values, info | {"files": pack_run(Path(private), run_name(grid.config(cell)))}
    run = train_or_load(grid.config(cell), cache=cache, progress=False)
    values = basic_evaluation(run, grid, cell[1])
    return cell, values, {"train_seconds": run.meta["train_seconds"], "from_cache": run.from_cache,
                          "images_per_second": run.meta.get("images_per_second")}


def evidence_key(grid: Grid) -> tuple[str, str] | None:
    """``(study, profile)`` of a grid of :data:`STUDIES` (the store's folder for its records), or
    None for a grid of one's own (its runs are never read from or written to the store)."""
    for study, grids in STUDIES.items():
        for profile, candidate in grids.items():
            if candidate == grid:
                return study, profile
    return None


def stored_record(grid: Grid, cell: Cell) -> evidence.Lookup:
    """What the evidence store holds for one cell of a study's grid (see :func:`evidence.lookup`)."""
    key = evidence_key(grid)
    if key is None:
        return evidence.Lookup()
    return evidence.lookup(*key, cell, grid.config(cell))


def usable_record(grid: Grid, cell: Cell) -> evidence.Record | None:
    """The cell's record if the store holds its exact run *and* the basic evaluation with the
    settings the current code asks for (what every chapter reads); a stale record is named."""
    found = stored_record(grid, cell)
    if found.stale is not None:
        print(f"[evidence] stale record {found.stale}: {found.stale_reason}. It is not used; the run trains.")
    record = found.record
    if record is not None and record.evaluation("basic", basic_settings(grid, cell[1])) is None:
        print(f"[evidence] {record.path} holds no evaluation with the settings the current code uses; it is not "
              "used. Re-evaluate its run and re-record it (scripts/record.py --replace).")
        return None
    return record


def _work_group(grid: Grid, cells: list[Cell], cache: str) -> list[tuple[Cell, dict, dict]]:
    """Train the cells (one cell's seeds) as one grouped model (:mod:`vsc_lib.grouped`), then
    evaluate each as :func:`_work` does."""
    from .grouped import check_group, train_group_or_load

    configs = [grid.config(c) for c in cells]
    try:
        check_group(configs)
    except ValueError:  # not groupable (the learned prior, a conv body): one run at a time
        return [_work(grid, cell, cache) for cell in cells]
    trained = {r["name"]: r for r in train_group_or_load(configs, cache=cache, progress=False)}
    out = []
    for cell in cells:
        cell, values, info = _work(grid, cell, cache)
        summary = trained[run_name(grid.config(cell))]
        out.append((cell, values, info | {"from_cache": summary["from_cache"], "train_seconds": summary["train_seconds"]}))
    return out


def _group_key(grid: Grid, cell: Cell) -> tuple:
    """Cells with one key may train as one group: a cell's seeds, and for the fixed-prior VSC the
    seeds of every family at one (dataset, J) whose runs differ only in alpha (chapter 6's
    vsc0.5 / vsc0.2 / vsc0.01: nine models per group)."""
    model = grid.config(cell).model
    if model.kind == "vsc" and model.prior == "fixed":
        return cell[0], cell[2], dataclasses.replace(model, alpha=0.5)
    return cell[:3]


def _groups(grid: Grid, cells: list[Cell]) -> list[list[Cell]]:
    """The cells split into groups that can train as one (see :func:`_group_key`) when their
    runs support grouped training (:func:`vsc_lib.grouped.check_group`), else one cell per group;
    the largest groups first. Dask starts tasks in the order they are submitted, so two workers
    given chapter 6's nine-model and three-model groups finish together instead of one of them
    ending the sweep alone with the last large group (measured: 175 s in grid order, 149 s
    largest first, for the book grid's J = 200 cells in bf16)."""
    from .grouped import check_group

    by_key: dict[tuple, list[Cell]] = {}
    for cell in cells:
        by_key.setdefault(_group_key(grid, cell), []).append(cell)
    out = []
    for members in by_key.values():
        try:
            check_group([grid.config(c) for c in members])
            out.append(members)
        except ValueError:
            out.extend([c] for c in members)
    return sorted(out, key=len, reverse=True)  # stable: groups of one size keep the grid's order


def _done(grid: Grid, cell: Cell, root: Path) -> bool:
    """Whether the cell's run and its basic evaluation are both in the cache (then the client
    reads them itself instead of starting workers)."""
    config = grid.config(cell)
    return ((root / run_name(config)).is_dir()
            and has_evaluation(root, config, "basic", basic_settings(grid, cell[1])))


#: a cell's key columns in a result CSV; the matrix-valued evaluations are not written to CSVs
CSV_KEY = ["dataset", "family", "latent_dim", "seed"]
CSV_MATRICES = ("abs_corr", "authors_abs_corr", "per_class_mean_pi")


def merge_csv(frame, path: Path | str) -> None:
    """Add the rows of ``frame`` (one per cell) to the CSV at ``path``: a cell measured again
    replaces its old row, the others are kept; matrix columns are dropped. Several processes may
    merge into one file: an exclusive lock on ``<path without .csv>.lock`` makes each read-modify-write whole,
    and the file is replaced atomically, so a reader never sees half of it."""
    import fcntl

    import pandas as pd

    from .paths import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = frame.drop(columns=[c for c in CSV_MATRICES if c in frame])
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            old = pd.read_csv(path)
            keys = set(map(tuple, new[CSV_KEY].astype(object).values.tolist()))
            old = old[[tuple(k) not in keys for k in old[CSV_KEY].astype(object).values.tolist()]]
            new = pd.concat([old, new], ignore_index=True)
        write_atomic(path, new.sort_values(CSV_KEY).to_csv(index=False).encode())


@dataclass
class SweepResult:
    """Evaluations of every cell of a grid (``evaluations[cell]``, typed
    :class:`~vsc_lib.evaluation.Evaluation` records), plus what the call cost."""

    grid: Grid
    evaluations: dict[Cell, Evaluation] = field(default_factory=dict)
    trained: int = 0
    train_seconds: float = 0.0
    wall_seconds: float = 0.0
    images_per_second: list[float] = field(default_factory=list)
    #: where each cell's run came from: ``"trained"`` (by this call), ``"cache"`` or ``"store"``
    sources: dict[Cell, str] = field(default_factory=dict)
    #: the evidence records of the cells read from the store
    records: dict[Cell, evidence.Record] = field(default_factory=dict)

    def provenance(self, what: str = "This table", cells=None) -> str:
        """A sentence for the book on where the runs behind ``cells`` (default: all) came from
        (:func:`vsc_lib.evidence.provenance_note`)."""
        cells = list(self.sources) if cells is None else [c for c in cells if c in self.sources]
        return evidence.provenance_note({c: self.sources[c] for c in cells},
                                        [self.records[c] for c in cells if c in self.records], what)

    def frame(self):
        """One row per cell with every value that applies to it."""
        import pandas as pd

        rows = [dict(zip(("dataset", "family", "latent_dim", "seed"), cell, strict=True)) | e.as_dict()
                for cell, e in self.evaluations.items()]
        return pd.DataFrame(rows)

    def merge_csv(self, path: Path | str) -> None:
        """Add this result's rows to the CSV at ``path`` (see :func:`merge_csv`)."""
        merge_csv(self.frame(), path)

    def table(self, metric: str):
        """Mean, sd and count over seeds of ``metric``, indexed by (dataset, family, latent_dim)
        (see :func:`summarise`)."""
        return summarise(self, metric)

    def series(self, metric: str, family: str, dataset: str | None = None) -> dict[int, tuple[float, float]]:
        """``{J: (mean, sd)}`` over seeds of ``metric`` for one family (see :func:`per_latent`)."""
        return per_latent(self, family, metric, dataset)


def run_grid(grid: Grid, workers: int = 2, threads: int = 1, cache: Path | str | None = None,
             progress: bool = True, cells: list[Cell] | None = None, scheduler: str | None = None,
             shared_cache: bool = True, grouped: bool = False, store: bool = True) -> SweepResult:
    """Train (or load) and evaluate every cell of ``grid`` (or only ``cells``) on Dask workers
    (:mod:`vsc_lib.sweep`: ``workers`` local one-thread processes, or the cluster at
    ``scheduler`` / ``$VSC_DASK_SCHEDULER``; ``shared_cache=False`` when its workers do not see
    the cache folder).

    Finished runs and evaluations come from the cache (read by this process, no workers
    started), so an interrupted sweep resumes and a second call only reads. The tqdm bar counts
    tasks. ``grouped=True`` trains each cell's seeds as one grouped model, and the fixed-prior VSC
    families of one (dataset, J) that differ only in alpha together (:func:`_group_key`,
    :mod:`vsc_lib.grouped`; cells it does not support train one run per task; needs a shared cache).

    ``store=False`` ignores the evidence store (reproductions; ``VSC_EVIDENCE=off`` does the same
    for a whole build).

    Raises:
        SweepError: some cells failed (a diverging run, say); the message names each one's
            configuration and error, and every other cell was trained, evaluated and cached.
    """
    from .sweep import SweepError, TaskFailure, failure_report, in_workers, store_shipped

    root = Path(cache) if cache is not None else cache_dir()
    result = SweepResult(grid)
    began = time.perf_counter()
    chosen = grid.cells() if cells is None else [c for c in grid.cells() if c in set(cells)]
    done = [c for c in chosen if _done(grid, c, root)]
    use_store = store and evidence.mode() != "off"
    stored = {}
    for cell in [c for c in chosen if c not in set(done)] if use_store else ():
        if (record := usable_record(grid, cell)) is not None:
            stored[cell] = record
    todo = [(grid, cell, str(root), shared_cache) for cell in chosen if cell not in set(done) and cell not in stored]
    if todo and use_store and evidence_key(grid) is not None and evidence.mode() == "only":
        lines = [f"  {c}: " + (f"stale ({found.stale}: {found.stale_reason})" if (found := stored_record(grid, c)).stale
                               else "not usable from the store") for (_, c, _, _) in todo]
        raise evidence.StaleEvidenceError(
            f"VSC_EVIDENCE=only forbids training, but {len(todo)} run(s) of grid {grid.name!r} are not usable from the "
            "evidence store:\n" + "\n".join(lines) + "\nTrain and record them (python scripts/sweep.py --study ... "
            "--record), or unset VSC_EVIDENCE to let the build train them.")
    outputs = [_work(grid, cell, str(root)) for cell in done]
    result.sources.update({cell: "cache" for cell in done})
    for cell, record in stored.items():
        result.records[cell] = record
        result.sources[cell] = "store"
        outputs.append((cell, record.evaluation("basic", basic_settings(grid, cell[1])), {"from_cache": True}))
    failures = []
    if grouped:
        if not shared_cache:
            raise ValueError("grouped=True needs workers that share the cache (shared_cache=True).")
        tasks = [(grid, members, str(root)) for members in _groups(grid, [item[1] for item in todo])]
        desc = f"sweep '{grid.name}' ({len(todo)} runs in {len(tasks)} groups)"
        for output in in_workers(_work_group, tasks, workers, threads, desc, progress, scheduler, unit="group"):
            if isinstance(output, TaskFailure):
                failures.extend(TaskFailure((grid, cell), output.error) for cell in output.item[1])
            else:
                outputs.extend(output)
    else:
        for output in in_workers(_work, todo, workers, threads, f"sweep '{grid.name}'", progress, scheduler):
            if isinstance(output, TaskFailure):
                failures.append(output)
            else:
                outputs.append(output)
    for cell, values, info in outputs:
        if "files" in info:
            store_shipped(root, run_name(grid.config(cell)), info["files"])
        result.evaluations[cell] = Evaluation.from_values(values)
        result.sources.setdefault(cell, "cache" if info["from_cache"] else "trained")
        if not info["from_cache"]:
            result.trained += 1
            result.train_seconds += info["train_seconds"]
            if info["images_per_second"]:
                result.images_per_second.append(info["images_per_second"])
    result.wall_seconds = time.perf_counter() - began
    if failures:
        raise SweepError(failure_report(failures, lambda item: f"{item[1]} ({run_name(item[0].config(item[1]))}): "
                                                               f"{item[0].config(item[1]).to_json()}"))
    result.evaluations = {cell: result.evaluations[cell] for cell in chosen}  # grid order
    result.sources = {cell: result.sources[cell] for cell in chosen}
    return result


def summarise(result: SweepResult, column: str):
    """Mean and sample standard deviation over seeds of ``column``: a DataFrame indexed by
    (dataset, family, latent_dim) with columns ``mean``, ``sd`` and ``n``."""
    frame = result.frame()
    if column not in frame:
        raise KeyError(f"no evaluated value {column!r}; available: {', '.join(sorted(frame.columns))}.")
    grouped = frame.dropna(subset=[column]).groupby(["dataset", "family", "latent_dim"])[column]
    return grouped.agg(mean="mean", sd="std", n="count")


def per_latent(result: SweepResult, family: str, column: str, dataset: str | None = None) -> dict[int, tuple[float, float]]:
    """``{J: (mean, sd)}`` over seeds of ``column`` for one family (sd 0 from a single seed)."""
    table = summarise(result, column)
    dataset = dataset or result.grid.datasets[0]
    rows = table.loc[(dataset, family)]
    return {int(J): (float(r["mean"]), 0.0 if r["sd"] != r["sd"] else float(r["sd"])) for J, r in rows.iterrows()}


def mean_sd_frame(result: SweepResult, rows, columns, dataset: str | None = None):
    """A table of "mean ± sd over seeds" strings: ``rows[label] = (family, J)``,
    ``columns[name] = (evaluated column, digits)``; a column a family lacks (NaN) reads "–", and
    a row with one seed shows its value alone (one run has no spread to show)."""
    import pandas as pd

    from .readings import mean_sd

    frame, dataset = result.frame(), dataset or result.grid.datasets[0]
    out = {}
    for label, (family, J) in rows.items():
        cell = frame[(frame.dataset == dataset) & (frame.family == family) & (frame.latent_dim == J)]
        out[label] = {name: ("–" if column not in cell or cell[column].isna().all() else
                             f"{float(cell[column].mean()):.{digits}f}" if len(cell) == 1 else
                             mean_sd(float(cell[column].mean()), float(cell[column].std()), digits))
                      for name, (column, digits) in columns.items()}
    return pd.DataFrame(out).T


def choose_by_validation(result: SweepResult, families, column: str, dataset: str | None = None) -> dict[int, str]:
    """Per J, the family with the highest mean validation ``column`` (e.g. which β; the test
    split is never looked at)."""
    dataset = dataset or result.grid.datasets[0]
    means = {f: per_latent(result, f, column, dataset) for f in families}
    return {J: max(families, key=lambda f: means[f][J][0]) for J in result.grid.latent_dims}


def cached_cells(grid: Grid, cache: Path | str | None = None) -> list[Cell]:
    """The cells of ``grid`` whose trained runs are in the run cache or the evidence store
    (nothing is trained): how a chapter shows the paper-size runs that someone has trained."""
    root = Path(cache) if cache is not None else cache_dir()
    out = []
    for cell in grid.cells():
        if (root / run_name(grid.config(cell))).is_dir():
            out.append(cell)
            continue
        # a record without today's evaluation is not offered: reading it would train the run
        # (hours for a full-size one)
        if usable_record(grid, cell) is not None:
            out.append(cell)
    return out


def best_latent_dims(result: SweepResult) -> dict[tuple[str, str], int]:
    """Per (dataset, family), the latent size with the lowest mean *training-set* bound (model
    selection never looks at the test set)."""
    table = summarise(result, "train_neg_elbo")["mean"]
    return {(d, f): int(table.loc[(d, f)].idxmin()) for d in result.grid.datasets for f in result.grid.families}


def load_cell(grid: Grid, cell: Cell, cache: Path | str | None = None) -> TrainedRun | StoredRun:
    """The trained run of one cell: from the run cache, else from the evidence store (a
    :class:`StoredRun`: its history and evaluations at once, its model from the stored weights or,
    when the record has none, trained on first use), else trained."""
    config = grid.config(cell)
    root = Path(cache) if cache is not None else cache_dir()
    if not (root / run_name(config)).is_dir():
        found = stored_record(grid, cell)
        if found.record is not None:
            return StoredRun(found.record, config, cache)
    return train_or_load(config, cache=cache, progress=False)


def run_timing(run) -> dict:
    """A run's recorded wall time and computation (:func:`vsc_lib.training.block_timing`); for a
    stored run whose record gives its computation (a partial record's history is not one row per
    block), the record's numbers."""
    record = getattr(run, "record", None)
    if record is not None and record.data.get("computation_seconds"):
        return {"recorded_seconds": record.data["train_seconds"],
                "computation_seconds": record.data["computation_seconds"]}
    return block_timing(run.history)


class StoredRun:
    """A run read from the evidence store, used where a :class:`~vsc_lib.cache.TrainedRun` is:
    ``config``, ``history`` and ``meta`` come from the record; ``model`` is built from the stored
    weights (float16, widened to float32) on first use, or trained when the record has none; the
    evaluations the record holds are served by :func:`vsc_lib.cache.cached_evaluation` without a model."""

    from_cache = True
    path = None

    def __init__(self, record: evidence.Record, config: RunConfig, cache: Path | str | None = None):
        self.record, self.config, self.cache = record, config, cache
        self.history = record.data["history"]
        # evaluations computed here from the float16 weights are stamped apart from the trained model's
        self.meta = {"model_sha256": f"{record.data['model_sha256']}-stored-float16",
                     "train_seconds": record.data["train_seconds"],
                     "evidence": str(record.path)} | {k: v for k, v in record.data["machine"].items()}
        self._model = None

    @property
    def model(self):
        if self._model is None:
            if self.record.weights is not None:
                model = evidence.load_model(self.record)
                model.kl_anneal = 1.0
                self._model = model
            else:
                print(f"[evidence] {self.record.path} stores no weights; training its run to decode with it.")
                self._model = train_or_load(self.config, cache=self.cache, progress=False).model
        return self._model

    def history_frame(self):
        import pandas as pd

        return pd.DataFrame(self.history).set_index("epoch")


# ---------------------------------------------------------------------------------------------
# recording runs in the evidence store


def decoded_cells(grid: Grid) -> list[Cell]:
    """The cells of a study's grid whose models the book decodes with (not only reads the
    evaluations of): their records store weights. Chapter 6 decodes the sparsest VSC and the VAE
    at the largest J (seed 0) of each dataset; chapter 7 the recipe's VSC at its shown J, every seed."""
    key = evidence_key(grid)
    if key is None:
        return []
    study = key[0]
    J = max(grid.latent_dims)
    if study == "latent":
        sparsest = min((f for f in grid.families if f != "vae"), key=family_alpha)
        return [(d, f, J, grid.seeds[0]) for d in grid.datasets for f in (sparsest, "vae") if f in grid.families]
    if study == "authors":
        shown = 40 if 40 in grid.latent_dims else J
        return [(d, "authors", shown, s) for d in grid.datasets for s in grid.seeds if "authors" in grid.families]
    return []


def record_runs(grid: Grid, cells: list[Cell] | None = None, replace: bool = False,
                cache: Path | str | None = None) -> list[str]:
    """Write the evidence records of ``cells`` (default: every cell of ``grid`` whose run is in
    the run cache) from the run cache: configuration, history, meta and every evaluation computed
    from the run's model; weights for :func:`decoded_cells`. Returns one line per cell saying what
    was done (recorded, replaced, kept, not in the cache).

    Raises:
        ValueError: ``grid`` is not one of a study's grids (:data:`STUDIES`).
    """
    key = evidence_key(grid)
    if key is None:
        raise ValueError(f"grid {grid.name!r} is not a grid of a study in STUDIES; only those are recorded.")
    root = Path(cache) if cache is not None else cache_dir()
    chosen = grid.cells() if cells is None else [c for c in grid.cells() if c in set(cells)]
    decoded, lines = set(decoded_cells(grid)), []
    for cell in chosen:
        config = grid.config(cell)
        if not (root / run_name(config)).is_dir():
            lines.append(f"{cell}: not in the run cache ({root / run_name(config)}); nothing recorded")
            continue
        run = load_run(config, root, "cpu")
        evaluations = evidence.evaluations_in_cache(root, config, run.meta["model_sha256"])
        if not any(e["what"] == "basic" for e in evaluations):
            basic_evaluation(run, grid, cell[1])  # the evaluation every chapter reads, cached next to the run
            evaluations = evidence.evaluations_in_cache(root, config, run.meta["model_sha256"])
        record = evidence.make_record(*key, cell, run, evaluations)
        try:
            path, replaced = evidence.write_record(record, replace=replace,
                                                   model=run.model if cell in decoded else None)
        except evidence.RecordExistsError:
            lines.append(f"{cell}: a record exists; kept (pass --replace to replace it)")
            continue
        what = (f"replaced {replaced['run']} (recorded {replaced['recorded_utc']}) with {record['run']}" if replaced
                else f"recorded {record['run']}")
        lines.append(f"{cell}: {what} in {path}" + (" with its weights" if cell in decoded else ""))
    return lines


def check_store(root: Path | str | None = None, budget: int = evidence.BUDGET_BYTES) -> dict:
    """Check the whole evidence store: every record readable and whole (schema, fields, weights'
    checksums), in its study's folder, for a cell that its grid still has, and not stale (its run
    is the one the current code trains for that cell); the classic methods' records of chapter 9
    likewise (:func:`vsc_lib.sparse_study.check_classic`); the store within ``budget`` bytes.

    Returns:
        ``{"records": n, "per_study": {study/profile: n}, "bytes": size, "problems": [text, ...]}``;
        no problems means the store is sound.
    """
    root = Path(root) if root is not None else evidence.evidence_dir()
    problems, per_study = [], {}
    paths = evidence.all_records(root)
    for path in paths:
        try:
            record = evidence.read_record(path, root)
        except evidence.CorruptEvidenceError as error:
            problems.append(str(error))
            continue
        study, profile, cell = record.data["study"], record.data["profile"], tuple(record.data["cell"])
        per_study[f"{study}/{profile}"] = per_study.get(f"{study}/{profile}", 0) + 1
        if path.relative_to(root) != evidence.cell_file(study, profile, cell):
            problems.append(f"{path}: it says it is {study}/{profile} cell {cell}, which belongs in "
                            f"{root / evidence.cell_file(study, profile, cell)}")
            continue
        grid = STUDIES.get(study, {}).get(profile)
        if grid is None or cell not in set(grid.cells()):
            problems.append(f"{path}: no grid {study}/{profile} has the cell {cell} any more; delete the record")
            continue
        found = evidence.lookup(study, profile, cell, grid.config(cell), root)
        if found.stale is not None:
            problems.append(f"{path} is stale: {found.stale_reason}; retrain and re-record it "
                            f"(python scripts/record.py --study {study} --grid {profile} --replace) or delete it")
    classic = sorted((root / "classic").glob("*.json"))  # chapter 9's classic methods (vsc_lib.sparse_study)
    if classic:
        per_study["classic"] = len(classic)
        problems.extend(sparse_study.check_classic(root))
    size = evidence.size_bytes(root)
    if size > budget:
        problems.append(f"the store holds {size / 2**20:.2f} MiB, above its budget of {budget / 2**20:.0f} MiB")
    return {"records": len(paths) + len(classic), "per_study": per_study, "bytes": size, "problems": problems}


def _reproduced_evaluations(grid: Grid, cells: list[Cell], stored: dict, fresh, cache):
    """(cell, what, settings, stored values, fresh values) for every evaluation a reproduction
    compares: the basic one, and chapter 9's sparse-coding evaluations where the record holds them."""
    for cell in cells:
        settings = basic_settings(grid, cell[1])
        yield cell, "basic", settings, stored[cell].evaluation("basic", settings), fresh.evaluations[cell].as_dict()
        for split in ("test", "validation"):
            try:
                sparse_settings = sparse_study.code_settings(grid, split)
            except ValueError:  # a grid without a validation split
                continue
            old = stored[cell].evaluation("sparse", sparse_settings)
            if old is not None:
                run = train_or_load(grid.config(cell), cache=cache, progress=False)
                yield cell, "sparse", sparse_settings, old, sparse_study.code_evaluation(run, grid, split)


#: timings, which a reproduction does not compare
UNREPRODUCIBLE = {"eval_seconds", "examples_per_second"}
#: a reproduced measure agrees with its record when the difference is within the range of the
#: other stored seeds of its cell's family and J, or within this fraction of the stored value
REPRODUCE_REL_TOL = 0.01


def reproduce_runs(grid: Grid, cells: list[Cell], cache: Path | str, workers: int = 2) -> dict:
    """Retrain ``cells`` of a study's grid from scratch into ``cache`` (the store ignored), evaluate
    them as the chapters do, and compare every scalar measure with the stored record. Runs whose
    records say they were trained as members of a grouped model (chapter 6's) are retrained as the
    same group, every member of it.

    A measure agrees when ``|fresh - stored|`` is at most the range of the stored values over the
    other seeds of the same (dataset, family, J), or :data:`REPRODUCE_REL_TOL` of the stored value.

    Returns:
        ``{"rows": [{cell, measure, stored, fresh, difference, seed_range, within}], "reproduced": bool,
        "missing": [cells without a usable record]}``.
    """
    stored = {c: stored_record(grid, c).record for c in grid.cells()}
    missing = [c for c in cells if stored.get(c) is None]
    wanted = [c for c in cells if c not in missing]
    # runs trained as members of a grouped model are retrained as that same group
    grouped = any(stored[c].data.get("grouped_with", 1) > 1 for c in wanted)
    train_cells = wanted
    if grouped:
        groups = [g for g in _groups(grid, grid.cells()) if set(g) & set(wanted)]
        train_cells = [c for g in groups for c in g]
    fresh = (run_grid(grid, workers=workers, cache=cache, cells=train_cells, progress=True, grouped=grouped,
                      store=False) if wanted else None)
    rows = []
    for cell, what, settings, old, new in _reproduced_evaluations(grid, wanted, stored, fresh, cache):
        # the other seeds' spread: the reproduced record's own value must not widen its tolerance
        siblings = [stored[c].evaluation(what, settings) or {} for c in grid.cells()
                    if c[:3] == cell[:3] and c != cell and stored.get(c) is not None]
        for measure, value in sorted(old.items()):
            if measure in UNREPRODUCIBLE or not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if new.get(measure) is None or not math.isfinite(value):
                continue
            seeds = [s[measure] for s in siblings if isinstance(s.get(measure), int | float)]
            seed_range = max(seeds) - min(seeds) if len(seeds) > 1 else 0.0
            difference = float(new[measure]) - float(value)
            allowed = max(seed_range, REPRODUCE_REL_TOL * abs(value), 1e-9)
            rows.append({"cell": ":".join(map(str, cell)), "measure": measure if what == "basic" else f"{what}: {measure}",
                         "stored": value,
                         "fresh": float(new[measure]), "difference": difference, "seed_range": seed_range,
                         "within": abs(difference) <= allowed})
    return {"rows": rows, "reproduced": bool(rows) and all(r["within"] for r in rows) and not missing,
            "missing": [":".join(map(str, c)) for c in missing]}
