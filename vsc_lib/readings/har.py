"""Chapter 8's readings: UCI HAR."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import stats
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


def har_elbo_reading(Js: Sequence[int], bounds: Mapping[int, tuple[Sequence[float], Sequence[float]]],
                     best: Mapping[str, int]) -> str:
    """``bounds[J]`` = (VSC's test −ELBO per seed, the VAE's per seed), compared paired by seed at
    each J (:func:`vsc_lib.stats.compare`, positive: VSC worse); ``best[label]``: best J by the
    training bound."""
    parts = []
    for J in Js:
        c = stats.compare(*bounds[J], paired=len(bounds[J][0]) == len(bounds[J][1]))
        if c.decision == stats.TOO_FEW:
            parts.append(f"$J$ = {J}: {c.difference:+.1f} (too few seeds for an interval)")
            continue
        word = {stats.ABOVE: "worse", stats.BELOW: "better", stats.NO_DIFFERENCE: "not told apart"}[c.decision]
        parts.append(f"$J$ = {J}: {c.difference:+.1f} [{c.low:+.1f}, {c.high:+.1f}], {word}")
    return ("VSC's bound minus the VAE's, nats per window, paired by seed (mean [95 % interval]): " + "; ".join(parts)
            + ". By the training bound, the best latent size is "
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


def har_probe_reading(choices: Mapping[str, tuple[int, float, Sequence[float]]], raw: float,
                      latent_dims: Sequence[int] = ()) -> str:
    """Which code classifies the activity best, chosen on the validation volunteers only:
    ``choices[code]`` = (its J chosen on the validation probe, its mean validation accuracy there
    (%), its test accuracy per seed at that J (%)); ``raw``: the probe on the raw windows, test (%).
    The chosen code's test accuracy is read against the raw windows' with its 95 % interval; a J
    chosen at an end of ``latent_dims`` is reported as such (a larger or smaller J might do better)."""
    edges = (min(latent_dims), max(latent_dims)) if latent_dims else ()

    def at(J):
        return f"$J$ = {J}" + (" (an end of the grid's J)" if J in edges else "")

    top = max(choices, key=lambda code: choices[code][1])
    J, val, test = choices[top]
    check = stats.against_target(test, raw)
    side = {"met": "above", "missed": "below", "not settled": "not told apart from"}[check.verdict]
    text = (f"Chosen on the validation volunteers, the best code is the **{top}** at {at(J)} ({val:.1f} % there). On "
            f"the test volunteers it reaches {check.interval.format(1)} %, {side} the probe on the raw windows "
            f"({raw:.1f} %; 95 % interval over seeds). ")
    others = [f"{code}: {at(j)} on validation ({v:.1f} %), {stats.interval(t).format(1)} % on test"
              for code, (j, v, t) in choices.items() if code != top]
    return text + ("The others, chosen the same way — " + "; ".join(others) + "." if others else "")
