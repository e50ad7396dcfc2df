"""The campaign on length and width (chapter 7's last section): the authors' recipe against tuned
β-VAEs at J = 60, at the authors' length with the book's width, then at the authors' full size.

Its runs are never trained inside a build: ``scripts/campaign.py`` (or ``scripts/train_cell.py``)
trains them one at a time through the run cache and records each in the evidence store, and the
chapter reads what is there. While the campaign is incomplete, :func:`status` says exactly which
planned runs are present and which are missing, and each verdict says what it lacks.

The plan (:func:`planned`):

1. long and narrow (``GRIDS["book"]``: 400 units, 200,000 iterations): the recipe at seeds
   0, 1, 2; the β-VAE at β ∈ {4, 16, 64}, seed 0; the β with the best block disentanglement on the
   validation images (:func:`choose_beta`) at seeds 1 and 2;
2. full size (``GRIDS["paper"]``: 3,000 units): the recipe at seeds 0, 1, 2 and the chosen β
   at seeds 0, 1, 2, plus one β beyond the grid's edge at seed 0 when the choice is at an edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import stats
from .authors import QUICK_SETTINGS, SETTINGS, WIDTH
from .grid import Cell, Grid

VSC = "authors"
BETAS = ("authors-beta4", "authors-beta16", "authors-beta64")
J = 60
SEEDS = (0, 1, 2)
#: the measure the paper's claim is judged on, and the one the β is chosen on (validation images)
VERDICT_MEASURE, CHOICE_MEASURE = "authors_block_disentanglement", "val_authors_block_disentanglement"
#: the β one step beyond each edge of the grid, for a choice at that edge
BEYOND = {"authors-beta4": "authors-beta1", "authors-beta64": "authors-beta256"}
#: the table's measures: column -> (heading, digits)
MEASURES: dict[str, tuple[str, int]] = {
    "dims_used": ("used", 0), "input_dependent_dims": ("switched", 0), "always_on_dims": ("always on", 0),
    "active_per_example": ("on per face", 1), "authors_block_disentanglement": ("block D (authors)", 2),
    "block_disentanglement": ("block D (signed)", 2), "test_neg_elbo": ("−ELBO", 0),
}
NAME = "size"
#: the runs at the book's width are the ``book`` grid ("size-long"); the full-size ones are the
#: same configurations as the authors' ``paper`` grid at J = 60, with one β beyond each edge
GRIDS: dict[str, Grid] = {
    "quick": Grid("size-quick", families=("authors", "authors-beta4"), latent_dims=(18,), seeds=(0, 1, 2),
                  **QUICK_SETTINGS),
    "book": Grid("size-long", families=(VSC, *BETAS), latent_dims=(J,), seeds=SEEDS, width=WIDTH, **SETTINGS),
    "paper": Grid("size-full", families=(VSC, *BETAS, *BEYOND.values()), latent_dims=(J,), seeds=SEEDS, **SETTINGS),
}


def choose_beta(values: Mapping[str, float]) -> tuple[str, bool] | None:
    """The β family with the highest validation block disentanglement at seed 0 (``values``:
    family -> that value) and whether it lies at an edge of the grid; None while any of the three
    is missing (the choice is made on all of them or not at all)."""
    if any(b not in values for b in BETAS):
        return None
    best = max(BETAS, key=lambda b: values[b])
    return best, best in (BETAS[0], BETAS[-1])


def planned(chosen: str | None, edge: bool) -> dict[str, list[Cell]]:
    """The planned runs of each phase (``"long"``, ``"full"``); the seeds that wait for the β choice
    are named with the chosen family once it is made, and left out before."""
    long = [("smiley", VSC, J, s) for s in SEEDS] + [("smiley", b, J, 0) for b in BETAS]
    full = [("smiley", VSC, J, s) for s in SEEDS]
    if chosen is not None:
        long += [("smiley", chosen, J, s) for s in SEEDS[1:]]
        full += [("smiley", chosen, J, s) for s in SEEDS]
        if edge:
            full.append(("smiley", BEYOND[chosen], J, 0))
    return {"long": long, "full": full}


def status(present: Mapping[str, Sequence[Cell]], chosen: str | None, edge: bool) -> str:
    """Which planned runs are present and which are missing, phase by phase (Markdown)."""
    plan = planned(chosen, edge)
    names = {"long": "long and narrow (400 units, 200,000 iterations)",
             "full": "full size (3,000 units, 200,000 iterations)"}
    lines = []
    for phase, cells in plan.items():
        have = [c for c in cells if c in set(present.get(phase, ()))]
        missing = [c for c in cells if c not in set(have)]
        text = f"- **{names[phase]}**: {len(have)} of {len(cells)} planned runs present"
        if missing:
            text += "; missing: " + ", ".join(f"{c[1]} seed {c[3]}" for c in missing)
        lines.append(text + ".")
    if chosen is None:
        lines.append("- The β for the later seeds is chosen once β = 4, 16 and 64 are all present at seed 0 "
                     "(on the validation images); until then their runs are not yet planned.")
    else:
        lines.append(f"- β chosen on the validation images: {chosen.removeprefix('authors-beta')}"
                     + (", at the edge of {4, 16, 64}: one β beyond it is planned at full size." if edge else "."))
    return "\n".join(lines)


def verdict(vsc: Sequence[float], beta: Sequence[float], where: str, beta_name: str | None) -> str:
    """The paper's claim at one size, read both ways on :data:`VERDICT_MEASURE` (Welch's interval
    over seeds): VSC above, the β-VAE above, no difference detected, or not yet decidable (and why)."""
    if beta_name is None:
        seeds = f"{len(vsc)} VSC seed{'' if len(vsc) == 1 else 's'}"
        return f"**{where}:** not decided: the β-VAE's β has not been chosen yet ({seeds} present)."
    comparison = stats.compare(vsc, beta)
    if comparison.decision == stats.TOO_FEW:
        return (f"**{where}:** not decided: {len(vsc)} VSC seeds and {len(beta)} seeds of the chosen β-VAE are "
                f"present; the verdict needs {stats.MIN_SEEDS} of each.")
    return f"**{where}:** " + comparison.sentence("VSC", f"the β-VAE (β = {beta_name.removeprefix('authors-beta')})",
                                                  "the authors' block disentanglement")
