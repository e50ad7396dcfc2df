"""The VSC authors' training recipes as named presets, and a size knob for smaller builds.

Each :class:`AuthorsRecipe` holds the numbers of one of the authors' notebooks (TensorFlow code
of ``ftonolini45/Variational_Sparse_Coding`` at commit ``e5bf141``; line numbers refer to
``models/vae_ss_ss_vamp_ept_sp.py`` unless a file is named):

==========================  ===========================================================  ==========
ingredient                  authors' code                                                field
==========================  ===========================================================  ==========
spike                       log pi = min(v, 0) (L126-127): every unit starts at pi ~ 1    spike_form
pseudo-input spikes         sharpened, rho' = sigmoid(nu (rho - 0.5)), nu = 10 (L43)       pseudo_sharpness
sparsity                    J KL_B(rho_bar || alpha), alpha = 0.003 Smiley, 0.01 Fashion   alpha
selector                    sigmoid, normalised (L146-155)                                 selector
K                           10 pseudo-inputs                                               num_pseudo_inputs
relaxation                  c = 100, fixed (L47)                                           c_start = c_end
warm-up                     lambda = 0 to 75,000 it., ramp to 80,000 (``VSC_model.py``)    warmup_iterations
likelihood                  L2-normalised images, sigmoid mean, per-pixel log-variance      likelihood
                            head, variance + 1e-6 (L216-238)
width                       3,000 hidden units in encoder and decoder                      hidden_dim
optimiser                   Adam 5e-4, a fresh Adam at 5e-5 from 60,000 it.                lr_schedule
batches                     500, sequential with wrap-around (``batch_manager.py``)         batch_order
length                      200,000 iterations                                             epoch_iterations
initialisation              Xavier-uniform weights, zero biases                            init
==========================  ===========================================================  ==========

:func:`recipe_config` turns a recipe into a :class:`~vsc_lib.config.RunConfig`. ``width`` and
``length`` scale the hidden layer and the number of iterations down for builds that cannot
afford the full size; every iteration count of the schedule (warm-up, ramp, learning-rate
drop) scales with ``length``, so its proportions stay the authors'. ``ingredients`` puts single
ingredients back to the book's earlier choices (:data:`EARLIER`), for the ablation.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import DataConfig, ModelConfig, RunConfig, TrainConfig


@dataclass(frozen=True)
class AuthorsRecipe:
    """The numbers of one of the authors' notebooks (see the module docstring)."""

    name: str
    dataset: str
    latent_dim: int
    alpha: float
    nu: float
    num_pseudo_inputs: int
    hidden_dim: int
    batch_size: int
    iterations: int
    #: lambda = 0 (spike-only training) before this iteration ...
    warmup_start: int
    #: ... and 1 from this one on
    warmup_end: int
    lr: float
    #: iteration from which a fresh Adam runs at lr * lr_drop
    lr_drop_iteration: int
    lr_drop: float = 0.1
    c: float = 100.0
    selector: str = "sigmoid"
    likelihood: str = "normalised_gaussian"
    variance_floor: float = 1e-6
    spike_form: str = "min0"
    init: str = "xavier"
    batch_order: str = "sequential"


#: ``Smiley_example.ipynb`` cell 6
SMILEY = AuthorsRecipe("smiley", "smiley", latent_dim=60, alpha=0.003, nu=10.0, num_pseudo_inputs=10,
                       hidden_dim=3000, batch_size=500, iterations=200_000, warmup_start=75_000,
                       warmup_end=80_000, lr=5e-4, lr_drop_iteration=60_000)
#: ``fashionMNIST_example.ipynb`` cell 6
FASHION = AuthorsRecipe("fashion", "fashion_mnist", latent_dim=60, alpha=0.01, nu=10.0, num_pseudo_inputs=10,
                        hidden_dim=3000, batch_size=500, iterations=100_000, warmup_start=45_000,
                        warmup_end=50_000, lr=5e-4, lr_drop_iteration=45_000)
RECIPES = {"smiley": SMILEY, "fashion": FASHION}

#: the book's choices before it followed the authors (its chapter 7 runs of 2,500 iterations
#: at batch 128, i.e. 320,000 examples), one per ablation ingredient
EARLIER = {
    "likelihood": "Bernoulli on the 0/1 pixels",
    "nu": "no sharpening of the pseudo-input spikes",
    "alpha": "alpha = 0.2",
    "spike": "sigmoid spike, pi starting at 0.5",
    "spike_phase": "spike-only phase of 20 % of training, ramp over 10 %",
    "width": "400 hidden units",
    "length": "320,000 training examples",
}
EARLIER_ALPHA, EARLIER_WIDTH, EARLIER_EXAMPLES = 0.2, 400, 320_000
EARLIER_HOLD, EARLIER_RAMP = 0.2, 0.1


def _scaled(iterations: int, length: float) -> int:
    return max(1, round(iterations * length))


def recipe_config(recipe: AuthorsRecipe, *, width: float = 1.0, length: float = 1.0, blocks: int = 100,
                  latent_dim: int | None = None, seed: int = 0, num_train: int | None = None,
                  num_test: int | None = None, ingredients: tuple[str, ...] = (), kind: str = "vsc",
                  beta: float = 1.0, precision: str = "fp32") -> RunConfig:
    """The run configuration of ``recipe`` at a given size.

    Args:
        width, length: fractions of the hidden width and of the number of iterations (1: the
            authors' full size). The schedule's iteration counts scale with ``length``.
        blocks: epochs of the run (at most this many: the largest divisor of the number of
            iterations that does not exceed it): each is a block of iterations after which the
            test bound is logged and a checkpoint written. The learning-rate drop falls on the
            block boundary nearest to its iteration.
        latent_dim: J (default: the recipe's).
        ingredients: names from :data:`EARLIER` to put back to the book's earlier choice.
        kind: ``"vsc"`` (the recipe) or ``"vae"``: a beta-VAE with the same body, likelihood,
            initialisation, batches and optimiser (no warm-up, no spikes), for comparisons.
        beta: the beta-VAE's KL weight.
        precision: ``"fp32"`` (the authors') or ``"bf16"`` (autocast of the training steps; a
            separate run in the cache; see ``research/bf16_full_size_check.py``).

    Raises:
        ValueError: for sizes outside (0, 1], an unknown ingredient, or ingredients with a VAE.
    """
    for name, value in (("width", width), ("length", length)):
        if not 0.0 < value <= 1.0:
            raise ValueError(f"{name}={value} must lie in (0, 1]: it is a fraction of the authors' full size.")
    unknown = set(ingredients) - set(EARLIER)
    if unknown:
        raise ValueError(f"unknown ingredient(s) {sorted(unknown)}; choose from {', '.join(EARLIER)}.")
    if kind not in ("vsc", "vae"):
        raise ValueError(f"kind={kind!r}: the recipe trains 'vsc' or, for comparison, 'vae'.")
    if kind == "vae" and ingredients:
        raise ValueError("ingredients are switched in the VSC recipe only; a beta-VAE has none of them.")
    if not isinstance(blocks, int) or blocks < 1:
        raise ValueError(f"blocks={blocks!r} must be a positive integer.")
    hidden = max(1, round(recipe.hidden_dim * width))
    iterations = _scaled(recipe.iterations, length)
    hold, end = _scaled(recipe.warmup_start, length), _scaled(recipe.warmup_end, length)
    if "width" in ingredients:
        hidden = EARLIER_WIDTH
    if "length" in ingredients:
        ratio = max(1, round(EARLIER_EXAMPLES / recipe.batch_size)) / iterations
        iterations = max(1, round(iterations * ratio))
        hold, end = max(1, round(hold * ratio)), max(1, round(end * ratio))
    if "spike_phase" in ingredients:
        hold = round(EARLIER_HOLD * iterations)
        end = hold + round(EARLIER_RAMP * iterations)
    blocks = max(d for d in range(1, min(blocks, iterations) + 1) if iterations % d == 0)  # exact total
    per_block = iterations // blocks
    drop_epoch = max(1, min(blocks - 1, round(recipe.lr_drop_iteration / recipe.iterations * blocks)))
    train = TrainConfig(num_epochs=blocks, batch_size=recipe.batch_size, lr=recipe.lr, lr_schedule="restart",
                        lr_decay=recipe.lr_drop, lr_decay_epoch=drop_epoch, seed=seed, epoch_iterations=per_block,
                        batch_order=recipe.batch_order, precision=precision)
    likelihood = "bernoulli" if "likelihood" in ingredients else recipe.likelihood
    common = {"latent_dim": latent_dim or recipe.latent_dim, "hidden_dim": hidden, "likelihood": likelihood,
              "variance_floor": recipe.variance_floor if likelihood != "bernoulli" else 1e-3, "init": recipe.init}
    if kind == "vae":
        model = ModelConfig(kind="vae", beta=beta, **common)
    else:
        model = ModelConfig(
            kind="vsc", prior="learned", alpha=EARLIER_ALPHA if "alpha" in ingredients else recipe.alpha,
            pseudo_sharpness=0.0 if "nu" in ingredients else recipe.nu, num_pseudo_inputs=recipe.num_pseudo_inputs,
            selector=recipe.selector, c_start=recipe.c, c_end=recipe.c,
            spike_form="sigmoid" if "spike" in ingredients else recipe.spike_form,
            warmup_iterations=hold, warmup_ramp_iterations=max(end - hold, 0), **common)
    return RunConfig(DataConfig(recipe.dataset, num_train=num_train, num_test=num_test), model, train)


#: (ingredient, the authors' code, the UAI supplement, the book before it followed the authors)
_TABLE = (
    ("spike", "log π = min(v, 0): π starts near 1", "same", "π = sigmoid(v), starts at 0.5"),
    ("pseudo-input spikes", "sharpened, ν = {nu:g}", "not mentioned", "not sharpened"),
    ("α", "{alpha:g}", "several, incl. 0.01", "0.2 and 0.01"),
    ("selector", "sigmoid, normalised", "softmax, then sigmoid(60 (w − 0.5))", "softmax"),
    ("K pseudo-inputs", "{k}", "20", "20"),
    ("relaxation c", "{c:g}, fixed", "50 → 200", "50 → 200"),
    ("spike-only phase", "λ = 0 to {hold:,} it., 1 from {end:,}", "50k at λ = 0, ramp over 10k",
     "20 % of training, ramp over 10 %"),
    ("likelihood", "Gaussian on images divided by their L2 norm, per-pixel variance", "Gaussian",
     "Bernoulli on 0/1 pixels"),
    ("hidden units", "{hidden:,}", "3,000", "400"),
    ("optimiser", "Adam {lr}, a fresh Adam at {lr2} from {drop:,} it.", "5·10⁻⁴ then 5·10⁻⁵", "Adam 10⁻³"),
    ("batches", "{batch}, sequential", "500", "128, shuffled"),
    ("length", "{iterations:,} iterations", "200k", "2,500 iterations of 128"),
    ("initialisation", "Xavier-uniform, zero biases", "–", "PyTorch defaults"),
)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(x: float) -> str:
    """``5·10⁻⁴`` for 0.0005: a rate written so that a table never breaks it at a hyphen."""
    mantissa, exponent = f"{x:.0e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}·{power}"


def recipe_table(recipe: AuthorsRecipe, *, width: float, length: float):
    """The recipe ingredient by ingredient (a pandas DataFrame): the authors' code, the UAI
    supplement, the book's earlier runs, and the run of ``recipe_config(recipe, width=...,
    length=...)`` as this build trains it (its numbers read from the configuration itself)."""
    import pandas as pd

    def numbers(config: RunConfig) -> dict:
        m, t = config.model, config.train
        total = t.num_epochs * t.epoch_iterations
        return {"nu": m.pseudo_sharpness, "alpha": m.alpha, "k": m.num_pseudo_inputs, "c": m.c_start,
                "hold": m.warmup_iterations, "end": m.warmup_iterations + m.warmup_ramp_iterations,
                "hidden": m.hidden_dim, "lr": scientific(t.lr), "lr2": scientific(t.lr * t.lr_decay),
                "drop": t.lr_decay_epoch * t.epoch_iterations, "batch": t.batch_size, "iterations": total}

    full, built = numbers(recipe_config(recipe)), numbers(recipe_config(recipe, width=width, length=length))
    rows = [{"ingredient": name, "authors' code": code.format(**full), "supplement": supplement,
             "this build": code.format(**built), "the book before": before}
            for name, code, supplement, before in _TABLE]
    return pd.DataFrame(rows).set_index("ingredient")
