"""Chapter 7: the authors' Smiley recipe (their VSC with the learned prior) against β-VAEs with the
same body, likelihood, batches and optimiser, β chosen on the validation images.

50,000 training images in file order, the last 10,000 of the training file for validation, 5,000
test images. The default build trains it at reduced size: :data:`WIDTH` of the 3,000 hidden units
and :data:`LENGTH` of the 200,000 iterations (the schedule scales with it). The sizes were measured
(``results/pilot-authors-smiley-*.json``, J = 40, seed 0): 400 units x 10,000 iterations is the
smallest tried at which most used dimensions are switched by the input (8 of 11; 1,000 x 10,000:
4 of 7); 300 x 5,000 and 100 x 10,000 prune to 6-8 dimensions that are on for every face,
300 x 2,000 keeps all 40 on. The ``paper`` grid is the full size, never trained inside a build.

β is chosen per J on the validation images: at the reduced size among :data:`BOOK_BETAS`
(β from 1 to 64), on seed 0, and only the chosen β is trained on the other seeds
(:func:`cells_for` says which cells a build needs; :func:`vsc_lib.smiley_study.choose_beta`
chooses). The book grid holds every cell that could be needed; a build trains only these.
"""

from __future__ import annotations

from .grid import Grid

NAME = "authors"
WIDTH, LENGTH = 400 / 3000, 0.05
BETAS = ("authors-beta1", "authors-beta4", "authors-beta16")
#: the reduced size's β grid, in increasing β (a choice at either end is reported as such)
BOOK_BETAS = tuple(f"authors-beta{b}" for b in (1, 2, 4, 8, 16, 32, 64))
#: the seed the β choice is made on; the chosen β then trains on every seed
CHOICE_SEED = 0
#: what every grid of the recipe shares (the ablation and the size campaign too)
SETTINGS = {"datasets": ("smiley",), "num_train": 50_000, "num_validation": 10_000, "num_test": 5_000,
            "probe_families": (), "num_epochs": 1, "recipe": "smiley"}
#: the quick profile's smoke-test size
QUICK_SETTINGS = SETTINGS | {"num_train": 1000, "num_validation": 500, "num_test": 500, "elbo_samples": 2,
                             "width": 0.02, "length": 0.001, "blocks": 4}
GRIDS: dict[str, Grid] = {
    "quick": Grid("authors-quick", families=("authors", "authors-beta1", "authors-beta16"), latent_dims=(18, 40),
                  seeds=(0,), **QUICK_SETTINGS),
    "book": Grid("authors-book", families=("authors", *BOOK_BETAS), latent_dims=(18, 40, 60), seeds=(0, 1, 2),
                 width=WIDTH, length=LENGTH, **SETTINGS),
    "paper": Grid("authors-paper", families=("authors", *BETAS), latent_dims=(18, 40, 60), seeds=(0, 1, 2),
                  **SETTINGS),
}


def cells_for(grid: Grid, chosen: dict[int, str] | None = None) -> list:
    """The cells of ``grid`` a build needs: the recipe's VSC on every seed and every β on
    :data:`CHOICE_SEED`, and, once ``chosen`` (J -> family) is known, the chosen β's other seeds."""
    out = [c for c in grid.cells() if c[1] == "authors" or c[3] == CHOICE_SEED]
    if chosen:
        out += [c for c in grid.cells() if c[3] != CHOICE_SEED and chosen.get(c[2]) == c[1]]
    return [c for c in grid.cells() if c in set(out)]
