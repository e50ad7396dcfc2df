"""VSC (or an AE, VAE, β-VAE) on your own data, in a few lines.

>>> import numpy as np
>>> from vsc_lib import fit
>>> x = np.random.default_rng(0).random((2000, 64))        # 2,000 examples in [0, 1]
>>> run = fit.fit(x, latent_dim=16, epochs=5, alpha=0.2)   # VSC, Bernoulli likelihood
>>> codes = fit.encode(run, x)                             # (2000, 16), zeros where off
>>> fit.export_model(run, "model.vsc")                     # one file, no pickled code
>>> model = fit.load_model("model.vsc")

:func:`fit` trains through the same run cache, progress bar, checkpoints and evaluation as the
book's datasets. The array's content enters the cache key (:func:`data_hash`), so the same data
and settings load the cached run and any other array trains its own. Values in [0, 1] get the
Bernoulli likelihood by default, any other real values the Gaussian one (standardise them
first). Every problem with the data is reported at this boundary, with what to do about it
(:class:`DataError`), before anything reaches torch.

``python -m vsc_lib fit data.npy --out model.vsc`` and ``python -m vsc_lib encode model.vsc
data.npy --out codes.npy`` do the same from a shell (see :mod:`vsc_lib.__main__`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import torch

from .config import DataConfig, ModelConfig, RunConfig, TrainConfig
from .datasets import PIXEL_LIKELIHOODS, ImageDataset
from .models import LatentModel, build_model
from .paths import write_atomic
from .training import TrainedRun, train_or_load

#: version of the exported-model file format
EXPORT_FORMAT = 1


class DataError(ValueError):
    """The data given to :func:`fit` or :func:`encode` cannot be used as it is."""


def as_examples(x, name: str = "x") -> torch.Tensor:
    """``x`` (array-like, first axis = examples) as a float32 tensor, or a :class:`DataError`
    saying what is wrong: a dtype that is not numeric, fewer than two axes, no examples, NaN or
    infinite values."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:  # ragged nested lists
        raise DataError(f"{name} could not be read as an array ({error}); pass a NumPy array or a tensor of "
                        "numbers with one row per example.") from None
    if array.dtype.kind not in "biuf":
        raise DataError(f"{name} has dtype {array.dtype}, which is not numeric; convert it to floats first "
                        f"(for example {name}.astype('float32')).")
    if array.ndim < 2:
        raise DataError(f"{name} has shape {array.shape}: it needs one row per example and at least one feature "
                        f"axis, e.g. (N, D) or (N, C, H, W); reshape a single example with {name}[None].")
    if array.shape[0] == 0:
        raise DataError(f"{name} holds no examples (shape {array.shape}).")
    values = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    bad = ~torch.isfinite(values)
    if bad.any():
        rows = torch.nonzero(bad.flatten(1).any(1)).flatten()
        kind = "NaN" if torch.isnan(values).any() else "infinite"
        raise DataError(f"{name} has {kind} values in {len(rows)} example(s) (first: row {int(rows[0])}); remove or "
                        "impute them before training.")
    return values


def check_likelihood(x: torch.Tensor, likelihood: str, name: str = "x") -> None:
    """A :class:`DataError` if ``x`` does not suit ``likelihood`` (pixel likelihoods need values
    in [0, 1]; the normalised Gaussian also needs no example that is all zeros)."""
    if likelihood in PIXEL_LIKELIHOODS:
        low, high = float(x.min()), float(x.max())
        if low < 0.0 or high > 1.0:
            raise DataError(f"{name} has values in [{low:g}, {high:g}], but likelihood={likelihood!r} models values in "
                            "[0, 1]: rescale the data to [0, 1], or use likelihood='gaussian' for real values.")
    if likelihood == "normalised_gaussian" and bool((x.flatten(1).abs().sum(1) == 0).any()):
        raise DataError(f"{name} has examples that are all zeros, which likelihood='normalised_gaussian' cannot divide "
                        "by their norm; drop them or use likelihood='bernoulli'.")


def data_hash(x: torch.Tensor) -> str:
    """SHA-256 of an array's shape and float32 values: the identity of a user's data in the cache."""
    digest = hashlib.sha256(json.dumps(list(x.shape)).encode())
    digest.update(x.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _labels(labels, num: int, name: str) -> torch.Tensor:
    if labels is None:
        return torch.zeros(num, dtype=torch.int64)
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != num:
        raise DataError(f"{name} has shape {y.shape}, but the data has {num} examples: give one label per example.")
    if y.dtype.kind not in "biu":
        raise DataError(f"{name} has dtype {y.dtype}; labels must be integers (class indices).")
    return torch.from_numpy(y.astype(np.int64))


def _dataset(x: torch.Tensor, y: torch.Tensor, split: str) -> ImageDataset:
    return ImageDataset(x=x, y=y, name="array", split=split, classes=(), indices=torch.arange(len(x)))


#: what ``fit`` gives the fixed-prior VSC unless told otherwise: a prior share of 1/8 and the
#: per-dimension usage term (``ModelConfig.usage_weight``) at weight 2, the variant with the best
#: support F1 on the validation examples of the book's two known-atom settings among alpha in
#: {0.01, 1/16, 1/8, 1/4} x weight in {0, 1, 2, 5} (chapter 9, the ``sparse_choice`` study). With the
#: earlier defaults (alpha = 0.01, no usage term, 10 epochs) VSC starved its code on such data
#: (0 to 3 of 32 dimensions used on 16 or 24 atoms).
VSC_DEFAULTS = {"alpha": 0.125, "usage_weight": 2.0}
#: training length (epochs) of :func:`fit`
EPOCHS = 20
#: the defaults before issue 31 (the book's chapter 9 trains both): alpha and no usage term, 10 epochs
EARLIER_VSC_DEFAULTS, EARLIER_EPOCHS = {"alpha": 0.01, "usage_weight": 0.0}, 10


def fit(x, *, x_test=None, labels=None, test_labels=None, kind: str = "vsc", likelihood: str | None = None,
        latent_dim: int = 16, hidden_dim: int = 400, epochs: int = EPOCHS, batch_size: int = 128, lr: float = 1e-3,
        seed: int = 0, cache: Path | str | None = None, progress: bool = True, **model_options) -> TrainedRun:
    """Train a model on an array (or load it from the run cache) and return the trained run.

    The fixed-prior VSC gets :data:`VSC_DEFAULTS` for the options not given (``alpha=0.125``
    and ``usage_weight=2.0``: the per-dimension usage term that keeps every dimension in use);
    pass ``usage_weight=0.0, alpha=0.01, epochs=10`` for the library's earlier defaults.

    Args:
        x: (N, ...) training examples.
        x_test: examples for the per-epoch test curve and evaluation (default: the first
            1,000 training examples).
        labels, test_labels: optional integer labels (kept with the data; not used to train).
        kind: ``"vsc"``, ``"vae"`` (``beta=...`` for a β-VAE) or ``"ae"``.
        likelihood: ``"bernoulli"`` (default for values in [0, 1]), ``"gaussian"`` (default for
            other real values) or ``"normalised_gaussian"``.
        latent_dim, hidden_dim: J and the MLP's hidden width.
        epochs, batch_size, lr, seed: training (Adam).
        cache: run-cache folder (default: :func:`vsc_lib.paths.cache_dir`).
        model_options: any other :class:`~vsc_lib.config.ModelConfig` field (``alpha``,
            ``beta``, ``prior``, ``spike_form``, ...).

    Raises:
        DataError: for data that cannot be used (the message says why and what to do).
        ValueError: for settings out of range (from the configuration's checks).
    """
    train_x = as_examples(x, "x")
    test_x = train_x[:1000] if x_test is None else as_examples(x_test, "x_test")
    if test_x.shape[1:] != train_x.shape[1:]:
        raise DataError(f"x_test has examples of shape {tuple(test_x.shape[1:])}, x of {tuple(train_x.shape[1:])}; "
                        "they must match.")
    if likelihood is None:
        likelihood = "bernoulli" if float(train_x.min()) >= 0 and float(train_x.max()) <= 1 else "gaussian"
    for name, values in (("x", train_x), ("x_test", test_x)):
        check_likelihood(values, likelihood, name)
    train_y = _labels(labels, len(train_x), "labels")
    test_y = train_y[:1000] if x_test is None else _labels(test_labels, len(test_x), "test_labels")
    if kind == "vsc" and model_options.get("prior", "fixed") == "fixed":
        model_options = VSC_DEFAULTS | model_options
    digest = hashlib.sha256((data_hash(train_x) + data_hash(test_x)).encode()).hexdigest()
    config = RunConfig(
        DataConfig("array", data_hash=digest, input_shape=tuple(train_x.shape[1:])),
        ModelConfig(kind=kind, latent_dim=latent_dim, hidden_dim=hidden_dim, likelihood=likelihood, **model_options),
        TrainConfig(num_epochs=epochs, batch_size=batch_size, lr=lr, seed=seed),
    )
    return train_or_load(config, cache=cache, progress=progress,
                         data=(_dataset(train_x, train_y, "train"), _dataset(test_x, test_y, "test")))


def _model_of(run_or_model) -> LatentModel:
    if isinstance(run_or_model, TrainedRun):
        return run_or_model.model
    if isinstance(run_or_model, LatentModel):
        return run_or_model
    raise TypeError(f"need a TrainedRun or a model, got {type(run_or_model).__name__}.")


def check_batch(model: LatentModel, x: torch.Tensor, name: str = "x") -> None:
    """A :class:`DataError` if ``x``'s examples do not have the model's input shape."""
    if tuple(x.shape[1:]) != model.input_shape:
        raise DataError(f"{name} has examples of shape {tuple(x.shape[1:])}, but the model was trained on examples of "
                        f"shape {model.input_shape}; reshape the data (x.reshape(len(x), *{model.input_shape})).")


@torch.no_grad()
def encode(run_or_model, x, kind: str = "default", batch_size: int = 1000) -> np.ndarray:
    """(N, J) codes of ``x`` for downstream use: VSC's gated slab means (zeros where a
    dimension is off; ``kind="slab_mean"`` or ``"expected"`` for the others), the VAE's means,
    the AE's codes."""
    model = _model_of(run_or_model)
    values = as_examples(x, "x")
    check_batch(model, values)
    check_likelihood(values, model.config.likelihood)
    model.eval()
    return torch.cat([model.code(b.to(model.device), kind).cpu() for b in values.split(batch_size)]).numpy()


def export_model(run_or_model, path: Path | str, overwrite: bool = False, precision: str = "float32") -> Path:
    """Write a trained model to one file: a zip of ``model.json`` (format, configuration, input
    shape) and ``weights.npz`` (the state dict as plain arrays), written atomically. Loading it
    (:func:`load_model`) unpickles nothing. An existing file is kept unless ``overwrite``.
    ``precision="float16"`` stores floating weights at half precision (the evidence store's
    decoded models); they are widened to float32 when loaded."""
    if precision not in ("float32", "float16"):
        raise ValueError(f"precision={precision!r}: use 'float32' or 'float16'.")
    model = _model_of(run_or_model)
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; it is not overwritten (pass overwrite=True or another path).")
    arrays = io.BytesIO()
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    if precision == "float16":
        state = {k: v.astype(np.float16) if v.dtype.kind == "f" else v for k, v in state.items()}
    np.savez(arrays, **state)
    meta = {"format": EXPORT_FORMAT, "model": dataclasses.asdict(model.config),
            "input_shape": list(model.input_shape), "library": "vsc_lib"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", json.dumps(meta, indent=1, sort_keys=True))
        archive.writestr("weights.npz", arrays.getvalue())
    write_atomic(path, buffer.getvalue())
    return path


def load_model(path: Path | str, device: str | torch.device = "cpu") -> LatentModel:
    """Load a model written by :func:`export_model` (in eval mode); a clear error for a file
    that is not one or is damaged."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no exported model at {path}.")
    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("model.json"))
            weights = archive.read("weights.npz")
        if meta.get("format") != EXPORT_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, this library reads format {EXPORT_FORMAT}")
        config = ModelConfig(**meta["model"])
        with np.load(io.BytesIO(weights), allow_pickle=False) as arrays:
            state = {k: torch.from_numpy(arrays[k].astype(np.float32) if arrays[k].dtype == np.float16 else arrays[k])
                     for k in arrays.files}
        model = build_model(config, tuple(meta["input_shape"]))
        model.load_state_dict(state)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, RuntimeError, OSError) as error:
        raise ValueError(f"{path} is not a readable exported vsc_lib model ({type(error).__name__}: {error}); export it "
                         "again with vsc_lib.fit.export_model.") from None
    return model.to(device).eval()


__all__ = ["DataError", "as_examples", "check_batch", "check_likelihood", "data_hash", "encode", "export_model",
           "fit", "load_model"]
