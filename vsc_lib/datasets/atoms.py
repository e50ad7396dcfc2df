"""Sparse combinations of known atoms (:mod:`vsc_lib.atoms`): 28 x 28 real-valued images, each
the sum of k of M overlapping strokes with random weights plus noise; the factors are the true
coefficients (N, M), zero where an atom is off. Two settings: ``atoms`` (M = 16, k = 2) and
``atoms-m24-k3`` (M = 24, k = 3). The training split is the 20,000 training examples followed by
the 2,000 validation ones (a grid's ``num_train=20_000, num_validation=2_000`` holds them out);
classes name the example's strongest atom.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import atoms
from . import Dataset, Split, register


def _reader(name: str):
    def read(split: str, root: Path) -> Split:
        parts = [atoms.load(name, s) for s in (("train", "validation") if split == "train" else ("test",))]
        x = np.concatenate([p.x for p in parts])
        coefficients = np.concatenate([p.coefficients for p in parts])
        return Split(torch.from_numpy(x), torch.from_numpy(coefficients.argmax(1)).to(torch.int64),
                     torch.from_numpy(coefficients))

    return read


for _name, _setting in atoms.SETTINGS.items():
    register(Dataset(
        _name, f"sums of {_setting.k} of {_setting.num_atoms} known strokes (28 x 28, real values, known supports)",
        input_shape=(1, atoms.SIDE, atoms.SIDE), values="real",
        classes=tuple(f"atom {m}" for m in range(_setting.num_atoms)),
        factor_names=tuple(f"atom {m}" for m in range(_setting.num_atoms)), read=_reader(_name),
    ))
