"""The GPU grid script's comparison with the CPU reference: both outcomes of its 0.5-nat verdict."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from gpu_paper_grid import compare  # noqa: E402


def _frame(values: dict) -> pd.DataFrame:
    return pd.DataFrame([{"dataset": "mnist", "family": f, "latent_dim": j, "seed": s, "test_neg_elbo": v}
                         for (f, j), seeds in values.items() for s, v in enumerate(seeds)])


def test_cells_within_half_a_nat_pass_and_others_fail():
    reference = _frame({("vae", 16): [100.0, 101.0, 102.0], ("vsc0.01", 16): [120.0, 120.0, 120.0]})
    here = _frame({("vae", 16): [101.2, 100.6, 102.0], ("vsc0.01", 16): [121.0, 120.8, 120.9],
                   ("vae", 32): [90.0]})  # a cell the reference lacks is not compared
    out = compare(here, reference)
    assert set(out) == {"mnist vae 16", "mnist vsc0.01 16"}
    assert out["mnist vae 16"]["within"] and abs(out["mnist vae 16"]["diff"] - 0.2667) < 1e-3
    assert not out["mnist vsc0.01 16"]["within"] and out["mnist vsc0.01 16"]["seeds"] == 3
