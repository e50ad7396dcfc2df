"""The dataset registry: one module per dataset, each describing itself in one :class:`Dataset`.

A dataset says what its inputs are (shape, and whether they are pixel intensities in [0, 1] or
real values, which decides the likelihoods a run may use), its class names, its ground-truth
factors if it has any, how its files are prepared and verified, and how one split is read.
Everything else in the library asks the registry (:func:`get`) instead of keeping its own list.

Registered: ``mnist``, ``fashion_mnist`` (IDX files from offline sources), ``smiley`` and ``atoms`` (generated),
``har`` (UCI HAR windows) and ``array`` (a user's own array, see :mod:`vsc_lib.fit`).

Adding a dataset is one module in this package that builds a :class:`Dataset` and calls
:func:`register` (every module here is imported when the package is), plus its tests; for
example::

    # vsc_lib/datasets/my_data.py
    from . import Dataset, Split, register

    def _read(split, root):
        x, y = ...  # float32 (N, ...) and int64 (N,) tensors of the whole split
        return Split(x, y)

    register(Dataset("my_data", "what it is", input_shape=(1, 28, 28), values="pixels",
                     classes=("a", "b"), read=_read))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

#: the likelihoods that model pixel intensities in [0, 1], and those that model any real value
PIXEL_LIKELIHOODS, REAL_LIKELIHOODS = ("bernoulli", "normalised_gaussian"), ("gaussian",)
#: what a dataset's values are, and the likelihoods each admits (``"any"``: a user's array,
#: whose values are checked when it is given, see :func:`vsc_lib.fit.check_likelihood`)
VALUE_KINDS = {"pixels": PIXEL_LIKELIHOODS, "real": REAL_LIKELIHOODS, "any": PIXEL_LIKELIHOODS + REAL_LIKELIHOODS}
SPLITS = ("train", "test")
SUBSET_MODES = ("first", "random")


@dataclass(frozen=True)
class Split:
    """A whole split as a dataset's reader returns it: ``x`` (N, *input_shape) in any numeric
    dtype (divided by the dataset's ``scale`` after subsetting: MNIST keeps its uint8 pixels),
    ``y`` int64 (N,) class labels, ``factors`` float32 (N, K) ground-truth sources or None."""

    x: torch.Tensor
    y: torch.Tensor
    factors: torch.Tensor | None = None


@dataclass(frozen=True)
class ImageDataset:
    """Inputs and labels held in memory.

    Attributes:
        x: (N, *input_shape) float32 inputs (MNIST: (N, 1, 28, 28) in [0, 1]; Smiley:
            (N, 1, 32, 32) in {0, 1}; HAR: (N, 6, 128) standardised signal windows).
        y: (N,) int64 class labels (Smiley: the combination of attribute groups, 0..15; HAR:
            the activity, 0..5).
        name: dataset name.
        split: ``"train"`` or ``"test"``.
        classes: class names, indexed by label.
        indices: (N,) positions of these examples in the full split.
        factors: (N, K) ground-truth sources where known (Smiley: the 18 values S * V), else None.
    """

    x: torch.Tensor
    y: torch.Tensor
    name: str
    split: str
    classes: tuple[str, ...]
    indices: torch.Tensor
    factors: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.x.shape[0]


#: whole splits read recently in this process, newest last: a sweep worker or a notebook that
#: trains many runs on one dataset reads its files once (MNIST's training split: 0.3-0.5 s a read)
_READ_MEMO: dict[tuple, Split] = {}
READ_MEMO_SIZE = 4


def _folder_signature(root: Path) -> tuple:
    """Every file under the data folder with its size and modification time: any file written,
    replaced or removed there changes it, so a memoised split is never older than its files."""
    if not root.is_dir():
        return ()
    found = []
    for path in root.rglob("*"):
        try:
            if path.is_file():
                stat = path.stat()
                found.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
        except OSError:  # removed while listed: part of the signature anyway
            found.append((str(path), -1, -1))
    return tuple(sorted(found))


def _read_whole(dataset: Dataset, split: str, root: Path) -> Split:
    """``dataset.read(split, root)``, memoised per process by the data folder's signature."""
    key = (dataset.name, id(dataset.read), split, str(root.resolve()), _folder_signature(root))
    whole = _READ_MEMO.pop(key, None)
    if whole is None:
        whole = dataset.read(split, root)
        while len(_READ_MEMO) >= READ_MEMO_SIZE:
            _READ_MEMO.pop(next(iter(_READ_MEMO)))
    _READ_MEMO[key] = whole  # newest last
    return whole


def clear_read_memo() -> None:
    """Forget the memoised splits (they are re-read on the next load)."""
    _READ_MEMO.clear()


@dataclass(frozen=True)
class Dataset:
    """What the library knows about one dataset.

    Attributes:
        name: the name configurations use (``DataConfig.dataset``).
        description: one line for error messages and listings.
        input_shape: the shape of one example (None: given with the data, as for ``array``).
        values: ``"pixels"`` (intensities in [0, 1]), ``"real"`` (standardised real values) or
            ``"any"`` (checked when the data are given); decides :attr:`likelihoods`.
        classes: class names, indexed by label.
        factor_names: names of the ground-truth factors (empty: none known).
        factor_groups: the group index of each factor, for block scores (Smiley: eyes, mouth,
            hat, bow tie); empty when the factors are not grouped.
        read: ``read(split, root) -> Split`` for the whole split (None: the data are not
            stored, they are passed by the user).
        prepare: ``prepare(root, log)`` makes the files available and verified (None: nothing
            to prepare); raises :class:`vsc_lib.integrity.DataSourceError` with the fix.
        scale: the loaded inputs are ``x / scale`` as float32 (255 for 8-bit pixels).
    """

    name: str
    description: str
    input_shape: tuple[int, ...] | None
    values: str
    classes: tuple[str, ...] = ()
    factor_names: tuple[str, ...] = ()
    factor_groups: tuple[int, ...] = ()
    read: Callable[[str, Path], Split] | None = None
    prepare: Callable[..., object] | None = None
    scale: float = 1.0

    def __post_init__(self):
        if self.factor_groups and len(self.factor_groups) != len(self.factor_names):
            raise ValueError(f"dataset {self.name!r}: {len(self.factor_groups)} factor groups for "
                             f"{len(self.factor_names)} factors; give one group per factor.")
        if self.values not in VALUE_KINDS:
            raise ValueError(f"dataset {self.name!r}: values={self.values!r} is not one of {', '.join(VALUE_KINDS)}.")

    @property
    def likelihoods(self) -> tuple[str, ...]:
        """The likelihoods a run on this dataset may use."""
        return VALUE_KINDS[self.values]

    @property
    def default_likelihood(self) -> str:
        return self.likelihoods[0]

    @property
    def has_factors(self) -> bool:
        return bool(self.factor_names)

    @property
    def stored(self) -> bool:
        """Whether the data can be loaded by name (False for a user's array)."""
        return self.read is not None

    def load(self, split: str = "train", subset: int | None = None, subset_mode: str = "first", seed: int = 0,
             root: Path | None = None) -> ImageDataset:
        """One split as in-memory tensors, optionally a subset of it.

        Args:
            split: ``"train"`` or ``"test"``.
            subset: keep only this many examples (``None``: all).
            subset_mode: ``"first"`` (the first ``subset``) or ``"random"`` (a random ``subset``
                drawn with ``seed``, kept in their original order).
            seed: seed of the random subset.
            root: data folder (default: :func:`vsc_lib.paths.data_dir`).
        """
        from ..paths import data_dir

        if not self.stored:
            raise ValueError(f"dataset {self.name!r} ({self.description}) is not stored anywhere: pass the data "
                             "itself (vsc_lib.fit.fit(x), or train_or_load(config, data=...)).")
        if split not in SPLITS:
            raise ValueError(f"split={split!r} is not 'train' or 'test'.")
        if subset_mode not in SUBSET_MODES:
            raise ValueError(f"subset_mode={subset_mode!r} is not one of {SUBSET_MODES}.")
        whole = _read_whole(self, split, Path(root or data_dir()))
        total = whole.x.shape[0]
        if subset is None:
            indices = torch.arange(total)
        else:
            if not isinstance(subset, int) or isinstance(subset, bool) or not 1 <= subset <= total:
                raise ValueError(f"subset={subset!r} must be an int between 1 and {total} for the {split} split.")
            if subset_mode == "first":
                indices = torch.arange(subset)
            else:
                generator = torch.Generator().manual_seed(seed)
                indices = torch.randperm(total, generator=generator)[:subset].sort().values
        x = whole.x[indices].to(torch.float32)
        if self.scale != 1.0:
            x = x.div_(self.scale)
        return ImageDataset(x=x, y=whole.y[indices].to(torch.int64), name=self.name, split=split,
                            classes=self.classes, indices=indices,
                            factors=None if whole.factors is None else whole.factors[indices])


_REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    """Add a dataset to the registry (a second dataset of the same name is an error)."""
    if dataset.name in _REGISTRY and _REGISTRY[dataset.name] is not dataset:
        raise ValueError(f"a dataset named {dataset.name!r} is already registered.")
    _REGISTRY[dataset.name] = dataset
    return dataset


def names() -> tuple[str, ...]:
    """The registered datasets' names, in registration order."""
    return tuple(_REGISTRY)


def get(name: str) -> Dataset:
    """The registered dataset ``name``, or a ValueError that lists the available ones."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; available datasets: {', '.join(_REGISTRY)} "
                         "(add one as a module in vsc_lib/datasets/).") from None


def load_dataset(name: str, split: str = "train", subset: int | None = None, subset_mode: str = "first",
                 seed: int = 0, root: Path | None = None) -> ImageDataset:
    """``get(name).load(split, subset, subset_mode, seed, root)``."""
    return get(name).load(split, subset, subset_mode, seed, root)


def _register_all() -> None:
    """Import every module of this package: each dataset module registers itself. The book's
    datasets come first, in this order; any other module is found by name."""
    import importlib
    import pkgutil

    book = ("mnist", "fashion_mnist", "smiley", "har", "array")
    others = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in book)
    for name in (*book, *others):
        importlib.import_module(f"{__name__}.{name}")


_register_all()

__all__ = ["Dataset", "ImageDataset", "PIXEL_LIKELIHOODS", "REAL_LIKELIHOODS", "Split", "get", "load_dataset", "names",
           "register"]
