"""Formatting shared by every chapter's readings: numbers for tables and sentences (their spaces
are no-break spaces, so a "12.3 ± 0.4" is never broken over two lines), and the sentences every
grid note shares."""

from __future__ import annotations

from collections.abc import Sequence

NBSP = "\u00a0"


def mean_sd(mean: float, sd: float, digits: int = 1) -> str:
    """``"mean ± sd"`` that never wraps (a missing sd, from one seed, reads as 0)."""
    sd = 0.0 if sd != sd else sd  # NaN
    return f"{mean:.{digits}f}{NBSP}±{NBSP}{sd:.{digits}f}"


def percent(value: float, digits: int = 0) -> str:
    """``"12 %"`` with a no-break space, for tables."""
    return f"{value:.{digits}f}{NBSP}%"


def joined(values: Sequence, fmt: str = "{:.0f}") -> str:
    """``"3 / 8 / 12"`` with no-break spaces: one value per latent size, kept on one line."""
    return f"{NBSP}/ ".join(fmt.format(v) for v in values)


def latent_set(Js: Sequence[int]) -> str:
    return f"$J \\in \\{{{', '.join(map(str, Js))}\\}}$"


def grid_kind(grid_name: str) -> str:
    """``"quick"``, ``"book"`` or ``"paper"`` from a grid's name (``"book"``, ``"smiley-book"``, ...)."""
    return grid_name.rsplit("-", 1)[-1]


def trained_sentence(trained: int, wall_seconds: float, how: str = "") -> str:
    if not trained:
        return "Every run and evaluation came from the run cache of an earlier build."
    return (f"It trained {trained} runs in {wall_seconds / 60:.1f} minutes of wall time{how}; the others came from "
            "the run cache.")


QUICK_SENTENCE = "The quick profile trains on 1,000 {what} for one epoch: its numbers only check that the chapter runs. "
