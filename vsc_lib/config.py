"""Frozen, validated experiment configurations and their content hash.

A trained run is identified by *everything* that can change its result: the data it saw, the
model it built and how it was trained. The three parts are frozen dataclasses; ``RunConfig``
bundles them and its :func:`config_hash` names the run's cache folder. Settings that do not
change results (device, progress bars) are deliberately *not* part of a configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from . import datasets
from .variants import kinds, priors

#: The one version of the run cache (:mod:`vsc_lib.cache`): part of every run's name and stamped on
#: every stored evaluation. Bumped whenever a change to the library would make stored runs or
#: evaluations wrong to reuse; everything is then retrained. Version 2 (this one) dropped the
#: hash shims of version 1, under which fields added later entered the hash only when set.
CACHE_VERSION = 2

BODIES = ("mlp", "conv")
SUBSET_MODES = ("first", "random")
SPIKE_ESTIMATORS = ("relaxed", "straight_through")
LR_SCHEDULES = ("constant", "step", "restart")
SELECTORS = ("softmax", "sharpened", "sigmoid")
LIKELIHOODS = ("bernoulli", "gaussian", "normalised_gaussian")
SPIKE_FORMS = ("sigmoid", "min0")
INITS = ("torch", "xavier")
BATCH_ORDERS = ("shuffled", "sequential")
PRECISIONS = ("fp32", "bf16")

def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    _check(
        value in choices,
        f"{name}={value!r} is not one of {', '.join(map(repr, choices))}; pick one of those.",
    )


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    _check(
        isinstance(value, int) and not isinstance(value, bool),
        f"{name} must be an int, got {type(value).__name__} {value!r}.",
    )
    upper = "" if high is None else f" and <= {high}"
    _check(
        value >= low and (high is None or value <= high),
        f"{name}={value} is out of range: it must be >= {low}{upper}.",
    )


def _as_float(obj: Any, *names: str) -> None:
    """Store ints given for float fields as floats, so 50 and 50.0 hash the same."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(obj, name, float(value))


def _check_float(name: str, value: Any, low: float, high: float, *, open_low=False, open_high=False):
    _check(
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        f"{name} must be a finite number, got {value!r}.",
    )
    ok_low = value > low if open_low else value >= low
    ok_high = value < high if open_high else value <= high
    lo = "(" if open_low else "["
    hi = ")" if open_high else "]"
    _check(ok_low and ok_high, f"{name}={value} is out of range: it must lie in {lo}{low}, {high}{hi}.")


@dataclass(frozen=True)
class DataConfig:
    """Which examples a run trains and is evaluated on.

    Attributes:
        dataset: a registered dataset (:func:`vsc_lib.datasets.names`: ``"mnist"``,
            ``"fashion_mnist"``, ``"smiley"``, ``"har"``, ``"array"``).
        num_train: use only this many training images (``None``: all 60,000).
        num_test: use only this many test images for the per-epoch test curve (``None``: all).
        subset_mode: ``"first"`` takes the first N images, ``"random"`` a seeded random N.
        subset_seed: seed of the random subset.
        data_hash: for data given by the user (``dataset="array"``), the SHA-256 of the array's shape and float32 values
            (:func:`vsc_lib.fit.data_hash`): two different arrays never share a cached run.
        input_shape: for ``dataset="array"``, the shape of one example.
    """

    dataset: str = "mnist"
    num_train: int | None = None
    num_test: int | None = None
    subset_mode: str = "first"
    subset_seed: int = 0
    data_hash: str | None = None
    input_shape: tuple[int, ...] | None = None

    def __post_init__(self):
        if isinstance(self.input_shape, list):  # from JSON
            object.__setattr__(self, "input_shape", tuple(self.input_shape))
        spec = datasets.get(self.dataset)  # a ValueError naming the registered datasets
        if spec.input_shape is None:  # the user's data: its identity and shape come with it
            _check(isinstance(self.data_hash, str) and len(self.data_hash) == 64
                   and all(c in "0123456789abcdef" for c in self.data_hash),
                   f"dataset='array' needs data_hash, the 64-character SHA-256 of the data, got {self.data_hash!r}; "
                   "build the configuration with vsc_lib.fit.")
            _check(isinstance(self.input_shape, tuple) and len(self.input_shape) >= 1
                   and all(isinstance(d, int) and d >= 1 for d in self.input_shape),
                   f"dataset='array' needs input_shape, the shape of one example (positive ints), got {self.input_shape!r}.")
        else:
            _check(self.data_hash is None and self.input_shape is None,
                   f"data_hash and input_shape describe a user array; dataset={self.dataset!r} has its own.")
        for name in ("num_train", "num_test"):
            value = getattr(self, name)
            if value is not None:
                _check_int(name, value, 1)
        _check_choice("subset_mode", self.subset_mode, SUBSET_MODES)
        _check_int("subset_seed", self.subset_seed, 0)


@dataclass(frozen=True)
class ModelConfig:
    """The network and the latent model.

    Attributes:
        kind: ``"ae"`` (deterministic), ``"vae"`` (Gaussian latent, ``beta`` weights the KL;
            beta = 1 is the VAE, other values the beta-VAE) or ``"vsc"`` (spike-and-slab latent
            with the fixed prior of the ICLR submission).
        body: ``"mlp"`` (one hidden layer of ``hidden_dim`` units, as in the VSC paper) or
            ``"conv"`` (the course report's three convolutions and a mirrored decoder).
        latent_dim: J, the number of latent dimensions.
        hidden_dim: width of the MLP's hidden layer (ignored by the conv body but still hashed).
        beta: weight of the KL term in the training objective (VAE and VSC). Reported ELBOs
            always use weight 1.
        alpha: prior probability that a latent dimension is on (VSC).
        c_start, c_end: sharpness of the spike relaxation sigmoid(c (eta + pi - 1)), annealed
            linearly per iteration from ``c_start`` to ``c_end`` over the whole training.
        warmup_epochs: epochs of spike warm-up at lambda = 0 (slab fixed to N(0, 1)), VSC only.
        warmup_ramp_epochs: epochs over which lambda then rises linearly to 1.
        spike_estimator: ``"relaxed"`` (the paper: the decoder sees the relaxed spike
            sigmoid(c (eta + pi - 1)) during training) or ``"straight_through"`` (the decoder
            sees the exact 0/1 spike; the gradient is the relaxed one).
        spike_bias_init: initial bias of the spike-logit head (0: pi starts near 0.5; a positive
            value starts every dimension switched on).
        kl_warmup_epochs: epochs over which the KL weight rises linearly from 0 to ``beta``
            (0: no KL annealing). Reported ELBOs always use weight 1.
        prior: VSC's prior: ``"fixed"`` (alpha N(0, 1) + (1 - alpha) delta_0, ICLR submission) or
            ``"learned"`` (UAI paper: K learnable pseudo-inputs encoded by the same encoder, a
            selector weighting them per input, and the sparsity penalty J KL_B(mean rho || alpha)).
        num_pseudo_inputs: K, the number of pseudo-inputs of the learned prior.
        selector: how the learned prior's selector turns its K outputs s = W x + b into weights
            w: ``"softmax"`` (w = softmax(s)), ``"sharpened"`` (the UAI supplement: softmax, then
            sigmoid(60 (w - 0.5)), renormalised to sum 1 so that the weighted KL stays a bound) or ``"sigmoid"`` (the authors' code:
            w = sigmoid(s) / sum sigmoid(s)).
        likelihood: ``"bernoulli"`` (pixels in [0, 1] as probabilities; decoder outputs logits),
            ``"gaussian"`` (real-valued inputs such as the HAR signals; the decoder outputs
            means and each input feature has a learned variance, at least ``variance_floor``) or
            ``"normalised_gaussian"`` (the VSC authors' code: each image is divided by its L2
            norm, the decoder outputs a sigmoid mean and an input-dependent log-variance for
            every pixel; for pixel data).
        variance_floor: smallest variance of the Gaussian likelihoods (a learned variance
            can otherwise shrink without bound on features the decoder fits well; the authors
            use 1e-6).
        spike_form: how the encoder's spike head v becomes pi: ``"sigmoid"`` (pi = sigmoid(v),
            the head's bias ``spike_bias_init``) or ``"min0"`` (the authors' code:
            log pi = min(v, log(1 - spike_floor)), so every unit starts near pi = 1 and the KL
            prunes it; no gradient while v is above the cap).
        spike_floor: the smallest 1 - pi of the ``"min0"`` form, which keeps log(1 - pi) and the
            spike KL finite (the authors add 1e-6 inside that logarithm).
        pseudo_sharpness: nu of the learned prior's sharpened pseudo-input spikes: their
            probabilities rho become rho' = sigmoid(nu (rho - 0.5)), used in the KL and in the
            sparsity penalty (the authors' code: nu = 10; 0 = no sharpening).
        init: ``"torch"`` (PyTorch's default initialisation) or ``"xavier"`` (Xavier-uniform
            weights and zero biases in every linear layer, as in the authors' code).
        usage_weight: weight of the fixed-prior VSC's per-dimension usage term, added to the training
            objective outside the ELBO: the sum over dimensions of KL_B(mean over the batch of pi_j
            || alpha), which pulls every dimension's share of examples towards alpha, so that none
            is left switched off for good (the sparsity penalty of the learned prior, per dimension).
            0 (default): none. Hashed only when set (:data:`HASHED_WHEN_SET`).
        warmup_iterations, warmup_ramp_iterations: the VSC warm-up counted in iterations
            instead of epochs (the authors hold lambda = 0 for 75,000 iterations and ramp over
            5,000); set either these or ``warmup_epochs`` / ``warmup_ramp_epochs``, not both.
    """

    kind: str = "vsc"
    body: str = "mlp"
    latent_dim: int = 200
    hidden_dim: int = 400
    beta: float = 1.0
    alpha: float = 0.01
    c_start: float = 50.0
    c_end: float = 200.0
    warmup_epochs: float = 0.0
    warmup_ramp_epochs: float = 0.0
    spike_estimator: str = "relaxed"
    spike_bias_init: float = 0.0
    kl_warmup_epochs: float = 0.0
    prior: str = "fixed"
    num_pseudo_inputs: int = 20
    selector: str = "softmax"
    likelihood: str = "bernoulli"
    variance_floor: float = 1e-3
    spike_form: str = "sigmoid"
    spike_floor: float = 1e-6
    pseudo_sharpness: float = 0.0
    init: str = "torch"
    warmup_iterations: int = 0
    warmup_ramp_iterations: int = 0
    usage_weight: float = 0.0

    def __post_init__(self):
        _as_float(self, "beta", "alpha", "c_start", "c_end", "warmup_epochs", "warmup_ramp_epochs",
                  "spike_bias_init", "kl_warmup_epochs", "variance_floor", "spike_floor", "pseudo_sharpness",
                  "usage_weight")
        _check(self.usage_weight >= 0, f"usage_weight={self.usage_weight}: give a weight >= 0 (0: no usage term).")
        _check(self.usage_weight == 0 or (self.kind == "vsc" and self.prior == "fixed"),
               "usage_weight is the fixed-prior VSC's per-dimension usage term; the learned prior has its own "
               "sparsity penalty and the VAE has no spikes.")
        _check_choice("kind", self.kind, kinds())
        _check_choice("body", self.body, BODIES)
        _check_int("latent_dim", self.latent_dim, 1, 10_000)
        _check_int("hidden_dim", self.hidden_dim, 1, 100_000)
        _check_float("beta", self.beta, 0.0, 1e4, open_low=True)
        _check_float("alpha", self.alpha, 0.0, 1.0, open_low=True, open_high=True)
        _check_float("c_start", self.c_start, 0.0, 1e5, open_low=True)
        _check_float("c_end", self.c_end, 0.0, 1e5, open_low=True)
        _check_float("warmup_epochs", self.warmup_epochs, 0.0, 1e4)
        _check_float("warmup_ramp_epochs", self.warmup_ramp_epochs, 0.0, 1e4)
        _check_choice("spike_estimator", self.spike_estimator, SPIKE_ESTIMATORS)
        _check_float("spike_bias_init", self.spike_bias_init, -20.0, 20.0)
        _check_float("kl_warmup_epochs", self.kl_warmup_epochs, 0.0, 1e4)
        _check(
            self.prior in priors(self.kind),
            f"prior={self.prior!r} is not a prior of kind={self.kind!r} (its priors: "
            f"{', '.join(map(repr, priors(self.kind)))}); the learned prior is a VSC option: use kind='vsc' or prior='fixed'.",
        )
        _check_int("num_pseudo_inputs", self.num_pseudo_inputs, 1, 10_000)
        _check_choice("selector", self.selector, SELECTORS)
        _check_choice("likelihood", self.likelihood, LIKELIHOODS)
        _check_float("variance_floor", self.variance_floor, 0.0, 1e3, open_low=True)
        _check_choice("spike_form", self.spike_form, SPIKE_FORMS)
        _check_float("spike_floor", self.spike_floor, 0.0, 0.5, open_low=True)
        _check_float("pseudo_sharpness", self.pseudo_sharpness, 0.0, 1e4)
        _check_choice("init", self.init, INITS)
        _check_int("warmup_iterations", self.warmup_iterations, 0)
        _check_int("warmup_ramp_iterations", self.warmup_ramp_iterations, 0)
        _check(
            not (self.warmup_iterations or self.warmup_ramp_iterations)
            or not (self.warmup_epochs or self.warmup_ramp_epochs),
            "the warm-up is given both in epochs and in iterations; set warmup_epochs and "
            "warmup_ramp_epochs to 0 or warmup_iterations and warmup_ramp_iterations to 0.",
        )
        _check(
            self.pseudo_sharpness == 0 or self.prior == "learned",
            f"pseudo_sharpness={self.pseudo_sharpness} sharpens the learned prior's pseudo-input spikes, but "
            f"prior={self.prior!r}; use prior='learned' or pseudo_sharpness=0.",
        )
        _check(
            self.kind == "vsc" or self.spike_form == "sigmoid",
            f"spike_form={self.spike_form!r} is a VSC option, but kind={self.kind!r}; use kind='vsc' or "
            "spike_form='sigmoid'.",
        )
        _check(
            self.kind == "vsc" or not self.uses_warmup,
            f"warm-up is a VSC option, but kind={self.kind!r}; set warmup_epochs, warmup_ramp_epochs, "
            "warmup_iterations and warmup_ramp_iterations to 0 or use kind='vsc'.",
        )

    @property
    def uses_warmup(self) -> bool:
        return (self.warmup_epochs > 0 or self.warmup_ramp_epochs > 0 or self.warmup_iterations > 0
                or self.warmup_ramp_iterations > 0)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes:
        num_epochs: passes over the training set.
        batch_size: examples per Adam step.
        lr: Adam learning rate.
        lr_schedule: ``"constant"``, ``"step"`` (multiply by ``lr_decay`` once, at epoch
            ``lr_decay_epoch``, by changing the optimiser's learning rate in place) or
            ``"restart"`` (the authors' code: at that epoch training continues with a *fresh*
            Adam at ``lr * lr_decay``, its moment estimates starting from zero).
        lr_decay: factor of the step schedule.
        lr_decay_epoch: epoch (0-based) from which the decayed rate is used.
        seed: seeds the initialisation, the minibatch order and the sampling noise.
        epoch_iterations: iterations per epoch (``None``: one pass over the training set). With a
            number, an epoch is a block of that many iterations between two evaluations and
            checkpoints, and batches run on over the data with wrap-around: a recipe counted in
            iterations (the authors' 200,000) is ``num_epochs * epoch_iterations``.
        batch_order: ``"shuffled"`` (a fresh permutation for every pass) or ``"sequential"``
            (the authors' batch manager: consecutive examples in file order, wrapping around).
        precision: ``"fp32"`` or ``"bf16"`` (training steps under bfloat16 autocast: the matrix
            products in bf16, the likelihood, the KL and the optimiser in float32; evaluation
            always in float32). Worth it on CPUs with native bf16 and on GPUs, for wide nets.
    """

    num_epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    lr_schedule: str = "constant"
    lr_decay: float = 0.1
    lr_decay_epoch: int = 0
    seed: int = 0
    epoch_iterations: int | None = None
    batch_order: str = "shuffled"
    precision: str = "fp32"

    def __post_init__(self):
        _as_float(self, "lr", "lr_decay")
        _check_int("num_epochs", self.num_epochs, 1, 100_000)
        _check_int("batch_size", self.batch_size, 1, 1_000_000)
        _check_float("lr", self.lr, 0.0, 1.0, open_low=True)
        _check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _check_float("lr_decay", self.lr_decay, 0.0, 1.0, open_low=True)
        _check_int("lr_decay_epoch", self.lr_decay_epoch, 0)
        _check_int("seed", self.seed, 0)
        if self.epoch_iterations is not None:
            _check_int("epoch_iterations", self.epoch_iterations, 1, 10_000_000)
        _check_choice("batch_order", self.batch_order, BATCH_ORDERS)
        _check_choice("precision", self.precision, PRECISIONS)
        _check(
            self.lr_schedule == "constant" or 0 < self.lr_decay_epoch < self.num_epochs,
            f"lr_schedule='step' needs 0 < lr_decay_epoch < num_epochs, got "
            f"lr_decay_epoch={self.lr_decay_epoch}, num_epochs={self.num_epochs}.",
        )


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a trained run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        for name, cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig)):
            _check(
                isinstance(getattr(self, name), cls),
                f"RunConfig.{name} must be a {cls.__name__}, got {type(getattr(self, name)).__name__}.",
            )
        spec = datasets.get(self.data.dataset)
        _check(
            self.model.likelihood in spec.likelihoods,
            f"dataset {self.data.dataset!r} needs likelihood={' or '.join(map(repr, spec.likelihoods))} "
            f"(got {self.model.likelihood!r}): "
            + ("its inputs are standardised real values, not probabilities." if spec.values == "real" else
               "its inputs are pixel intensities in [0, 1]."),
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example: the dataset's, or the user's array's."""
        return self.data.input_shape or datasets.get(self.data.dataset).input_shape

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild a config from :meth:`to_dict` output; unknown keys are an error."""
        parts = {}
        for name, part_cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig)):
            values = dict(data.get(name, {}))
            known = {f.name for f in dataclasses.fields(part_cls)}
            unknown = set(values) - known
            _check(not unknown, f"unknown {name} config keys {sorted(unknown)}; known: {sorted(known)}.")
            parts[name] = part_cls(**values)
        return cls(**parts)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces, floats written the same on every machine. A field
        of :data:`HASHED_WHEN_SET` at its default is left out, so that adding it changed no
        existing run's hash (the run cache and the evidence store stay valid)."""
        data = self.to_dict()
        for (part, name), default in HASHED_WHEN_SET.items():
            if data[part].get(name) == default:
                del data[part][name]
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def replace(self, **parts) -> RunConfig:
        """Copy with some of ``data``, ``model``, ``train`` swapped or updated by a dict."""
        updated = {}
        for name, value in parts.items():
            current = getattr(self, name)
            updated[name] = dataclasses.replace(current, **value) if isinstance(value, dict) else value
        return dataclasses.replace(self, **updated)


#: fields added after CACHE_VERSION 2, with the default at which they are left out of the hash: a
#: configuration that does not set them hashes as it did before they existed (tested against the
#: run names of every study's grids and the evidence store)
HASHED_WHEN_SET: dict[tuple[str, str], Any] = {("model", "usage_weight"): 0.0}


def config_hash(config: RunConfig, length: int = 12) -> str:
    """Stable content hash of a run configuration (and the cache version)."""
    payload = f"v{CACHE_VERSION}:{config.to_json()}".encode()
    return hashlib.sha256(payload).hexdigest()[:length]


def run_name(config: RunConfig) -> str:
    """Human-readable cache folder name, e.g. ``mnist-vsc-mlp-j200-3f9c2a1b7d4e``."""
    m = config.model
    return f"{config.data.dataset}-{m.kind}-{m.body}-j{m.latent_dim}-{config_hash(config)}"
