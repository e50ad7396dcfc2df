"""Fashion-MNIST: 60,000 + 10,000 clothing images, 28 x 28 pixels in [0, 1].

Offline source: the Debian package ``dataset-fashion-mnist`` (gzip files in
``/usr/share/datasets/fashion-mnist``), checked by the md5 of the decompressed published files.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from ..integrity import DataSourceError
from . import Dataset, register
from .idx import FILES as IDX_FILES
from .idx import IdxFiles, prepare_command

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

#: md5 of the decompressed published files (see ``shared/notes/data-sources.md``)
MD5 = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def how_to_provide(root: Path) -> str:
    return (
        f"  make data        # from the repository root; prepares every dataset\n"
        f"or\n  apt-get install -y {DEBIAN_PACKAGE}   # files in {DEBIAN_DIR}\n"
        f"  {prepare_command('fashion_mnist')}"
    )


def files_from_debian(root: Path, log) -> dict[str, bytes]:
    """The four files from the Debian package's gzip files."""
    folder = DEBIAN_DIR
    if not folder.is_dir():
        raise DataSourceError(f"{folder} does not exist (install it with: apt-get install -y {DEBIAN_PACKAGE})")
    files = {}
    for filename in IDX_FILES:
        source = folder / f"{filename}.gz"
        if not source.is_file():
            raise DataSourceError(f"{source} is missing (reinstall {DEBIAN_PACKAGE})")
        with gzip.open(source) as handle:
            files[filename] = handle.read()
    return files


FILES = IdxFiles("fashion_mnist", "FashionMNIST", MD5, files_from_debian, how_to_provide, "FashionMNIST")

DATASET = register(Dataset(
    "fashion_mnist", "Fashion-MNIST clothing images, 28 x 28 pixels in [0, 1]", input_shape=(1, 28, 28),
    values="pixels", classes=CLASSES, read=FILES.read, prepare=FILES.prepare, scale=255.0,
))
