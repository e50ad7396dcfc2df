"""UCI HAR: 128-sample windows of six smartphone signals (50 Hz), standardised per channel,
split by volunteer; six activities (see :mod:`vsc_lib.har` for the source and the windowing)."""

from __future__ import annotations

from pathlib import Path

from .. import har
from . import Dataset, Split, register


def read(split: str, root: Path) -> Split:
    windows = har.load_har(split, root)
    return Split(windows.x, windows.y)


DATASET = register(Dataset(
    "har", "UCI HAR smartphone signals, 6 channels x 128 samples, standardised real values",
    input_shape=(len(har.CHANNELS), har.WINDOW), values="real", classes=har.ACTIVITIES, read=read,
    prepare=lambda root, log=print: har.prepare(root, log),
))
