"""Chapter 8's readings: UCI HAR."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .text import QUICK_SENTENCE, grid_kind, joined, latent_set, trained_sentence


def har_grid_note(grid, trained: int, wall_seconds: float) -> str:
    note = (f"This build used the **{grid.name}** grid: {len(grid.families)} families × {latent_set(grid.latent_dims)} "
            f"× {len(grid.seeds)} seeds, {grid.num_epochs} epochs each, Adam (learning rate $10^{{-3}}$, batches of "
            f"{grid.batch_size}). ")
    if grid_kind(grid.name) == "book":
        note += "`make book PROFILE=paper` builds it from six latent sizes, five seeds and 60 epochs instead. "
    elif grid_kind(grid.name) == "quick":
        note += QUICK_SENTENCE.format(what="windows")
    return note + trained_sentence(trained, wall_seconds)


def har_elbo_reading(Js: Sequence[int], vsc_minus_vae: Mapping[int, float], best: Mapping[str, int]) -> str:
    """``vsc_minus_vae[J]``: VSC's mean −ELBO minus the VAE's; ``best[label]``: best J by the training bound."""
    return (f"VSC's bound is {joined([vsc_minus_vae[J] for J in Js], '{:+.1f}')} nats per window away from the VAE's at "
            f"$J$ = {joined(Js)} (positive: worse). By the training bound, the best latent size is "
            + ", ".join(f"{j} for the {label}" for label, j in best.items()) + ".")


def har_heatmap_reading(num_dims: int, num_used: int, only_moving: int, only_static: int, shared: int,
                        expected_per_class: Mapping[str, float], Js: Sequence[int], active: Sequence[float],
                        used: Sequence[float]) -> str:
    return (f"Of the {num_dims} dimensions, {num_used} have a mean spike probability above 0.05 for some activity. "
            f"Counting a dimension as *on* for an activity when its mean π there exceeds 0.5: {only_moving} are on only "
            f"for moving activities, {only_static} only for static ones and {shared} for both. The expected number of "
            "active dimensions per window is " + ", ".join(f"{v:.1f} ({k})" for k, v in expected_per_class.items())
            + f". Over all $J$: VSC switches on {joined(active, '{:.1f}')} dimensions per window and uses "
            f"{joined(used)} in total at $J$ = {joined(Js)}.")


def har_probe_reading(best_of: Mapping[str, float], raw: float) -> str:
    """``best_of[code]``: its best accuracy over J (%); ``raw``: the probe on the raw windows (%)."""
    top = max(best_of, key=best_of.get)
    return (f"The best code is the **{top}** at {best_of[top]:.1f} % (its best $J$); the probe on the raw windows "
            f"reaches {raw:.1f} %. " + " ".join(f"{k}: best {v:.1f} %." for k, v in best_of.items() if k != top))
