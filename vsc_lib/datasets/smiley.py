"""Smiley (the UAI VSC paper's synthetic faces): 32 x 32 binary images with four attribute
groups and 18 ground-truth factors, generated once per split and stored (see :mod:`vsc_lib.smiley`).

Classes are the 16 combinations of attribute groups present (bit 0 eyes, 1 mouth, 2 hat, 3 bow
tie); the factors are the sources S * V (zero where a group is absent).
"""

from __future__ import annotations

from pathlib import Path

import torch

from .. import smiley
from . import Dataset, Split, register

#: which attribute groups an image has, as a class name per combination 0..15
CLASSES = tuple("+".join(g for b, g in enumerate(smiley.GROUPS) if k >> b & 1) or "face only" for k in range(16))


def read(split: str, root: Path) -> Split:
    generated = smiley.load_split(split, root)
    return Split(torch.from_numpy(generated.images), torch.from_numpy(generated.combination).to(torch.int64),
                 torch.from_numpy(generated.sources).to(torch.float32))


def prepare(root: Path, log=print) -> None:
    for split in smiley.SPLITS:
        data = smiley.load_split(split, root)
        log(f"smiley: {split} split ready ({len(data.images):,} images) in {Path(root) / 'smiley'}")


DATASET = register(Dataset(
    "smiley", "Smiley faces, 32 x 32 binary images with 4 attribute groups and 18 factors",
    input_shape=(1, smiley.SIDE, smiley.SIDE), values="pixels", classes=CLASSES, factor_names=smiley.FACTORS,
    factor_groups=tuple(int(g) for g in smiley.GROUP_OF_FACTOR),
    read=read, prepare=prepare,
))
