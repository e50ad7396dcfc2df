"""What chapter 7 reads from its sweeps (:mod:`vsc_lib.studies.authors`, ``ablation``, ``size``):
the tables over seeds, every seed's value each reading decides on, and the figures' data, so that
the chapter only calls these and glues what they return (the sentences are
:mod:`vsc_lib.readings.smiley`'s).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from . import analysis, metrics, smiley, stats
from .families import family_label, parse_family
from .readings.smiley import FULL_SIZE_MEASURES, full_size_comparison
from .recipes import EARLIER
from .studies import size as size_study
from .sweep_result import SweepResult

VSC = "authors"
#: the main table's columns: heading -> (evaluated value, digits)
COLUMNS = {"val block D": ("val_authors_block_disentanglement", 2), "block D": ("authors_block_disentanglement", 2),
           "D": ("authors_disentanglement", 2), "C": ("authors_completeness", 2), "cov.": ("authors_coverage", 2),
           "D signed": ("disentanglement", 2), "used": ("dims_used", 1), "switched": ("input_dependent_dims", 1),
           "always on": ("always_on_dims", 1), "on/img": ("active_per_example", 1), "−ELBO": ("test_neg_elbo", 1)}
#: the ablation table's columns (a subset of :data:`COLUMNS`)
ABLATION_COLUMNS = {k: COLUMNS[k] for k in ("block D", "D", "cov.", "D signed", "used", "switched", "always on",
                                             "on/img", "−ELBO")}
#: the field's standard scores (vsc_lib.disentanglement): key -> heading
SCORES = {"mig": "MIG", "sap": "SAP", "dci_disentanglement": "DCI D", "dci_completeness": "DCI C",
          "dci_informativeness": "DCI I"}
#: the chosen β is compared with VSC on the scores that say how disentangled a code is
COMPARED_SCORES = ("mig", "sap", "dci_disentanglement", "dci_completeness")
#: the measure β is chosen on (validation images) and the one the claim is judged on
CHOICE_MEASURE, CLAIM_MEASURE = "val_authors_block_disentanglement", "authors_block_disentanglement"


def present_groups(labels: torch.Tensor) -> np.ndarray:
    """(N, 4) bool: which attribute groups each face shows (its class's bits)."""
    return ((labels[:, None] >> torch.arange(len(smiley.GROUPS))) & 1).bool().numpy()


def combination_rows(x: torch.Tensor, labels: torch.Tensor, samples: int = 3) -> tuple[dict, list[str]]:
    """Rows of the first ``samples`` faces of each of the 16 group combinations, and each
    combination's letters (E eyes, M mouth, H hat, T bow tie; "–" for none), for
    :func:`vsc_lib.plotting.plot_image_rows`."""
    y = labels.numpy()
    rows = {f"sample {r + 1}": x[[int(np.flatnonzero(y == c)[r]) for c in range(16)]].numpy() for r in range(samples)}
    letters = ["".join(g for g, k in zip("EMHT", range(4), strict=True) if (c >> k) & 1) or "–" for c in range(16)]
    return rows, letters


def detector_agreement(x: torch.Tensor, labels: torch.Tensor) -> float:
    """The smallest share (%) over the four groups of test faces whose presence the pixel
    detector (:func:`vsc_lib.smiley.detect_groups`) reads correctly."""
    return float(100 * (smiley.detect_groups(x.numpy()) == present_groups(labels)).mean(0).min())


def choose_beta(result: SweepResult, seed: int = 0) -> dict[int, tuple[str, bool]]:
    """Per J, the β family with the highest validation block disentanglement
    (:data:`CHOICE_MEASURE`) on ``seed``, and whether it lies at an end of the grid's β (the
    grid's families in increasing β): the test images are never looked at.

    Raises:
        ValueError: some β has no run on ``seed`` at some J (the choice is made on all or none).
    """
    betas = [f for f in result.grid.families if f != VSC]
    out = {}
    for J in result.grid.latent_dims:
        values = {}
        for f in betas:
            evaluation = result.evaluations.get(("smiley", f, J, seed))
            if evaluation is None or evaluation.as_dict().get(CHOICE_MEASURE) is None:
                raise ValueError(f"choose_beta: {f} has no validation score on seed {seed} at J = {J}; "
                                 "train every β on that seed first (vsc_lib.studies.authors.cells_for).")
            values[f] = evaluation.as_dict()[CHOICE_MEASURE]
        best = max(betas, key=lambda f: values[f])
        out[J] = (best, best in (betas[0], betas[-1]))
    return out


def choice_table(result: SweepResult, seed: int = 0) -> pd.DataFrame:
    """Every β's validation block disentanglement on ``seed`` at each J (what the choice reads)."""
    betas = [f for f in result.grid.families if f != VSC]
    return pd.DataFrame({f"J={J}": {family_label(f): round(result.evaluations[("smiley", f, J, seed)].as_dict()
                                                           [CHOICE_MEASURE], 3) for f in betas}
                         for J in result.grid.latent_dims})


def main_table(result: SweepResult, chosen: Mapping[int, str]) -> pd.DataFrame:
    """Mean ± sd over seeds of :data:`COLUMNS`: per J, the recipe's VSC and the chosen β-VAE."""
    rows = {(f"J={J}", family_label(f) + (" (chosen)" if f == chosen[J] else "")): (f, J)
            for J in result.grid.latent_dims for f in (VSC, chosen[J])}
    return result.mean_sd(rows, COLUMNS)


def claim_inputs(result: SweepResult, chosen: Mapping[int, str]) -> tuple[dict, dict, list]:
    """What :func:`vsc_lib.readings.authors_claim` reads: VSC's (mean, sd) per J of its counts,
    the block disentanglement per seed of VSC and of the chosen β-VAE at each J, and every seed's
    (J, dimensions used)."""
    Js = result.grid.latent_dims
    vsc = {key: result.series(column, VSC) for key, column in (
        ("used", "dims_used"), ("switched", "input_dependent_dims"), ("always_on", "always_on_dims"),
        ("active", "active_per_example"))}
    d_seeds = {J: (result.seeds(CLAIM_MEASURE, VSC, J), result.seeds(CLAIM_MEASURE, chosen[J], J)) for J in Js}
    used = [(J, u) for J in Js for u in result.seeds("dims_used", VSC, J)]
    return vsc, d_seeds, used


def standard_scores(result: SweepResult, chosen: Mapping[int, str],
                    scores: Callable[[tuple], Mapping[str, float]]) -> tuple[pd.DataFrame, dict]:
    """MIG, SAP and DCI (:data:`SCORES`) of VSC and the chosen β-VAE at each J, every seed
    (``scores(cell)`` gives a run's, the chapter passes the cached evaluation): the table of means
    with 95 % intervals, and per J the two families' per-seed values for the reading."""
    rows, per_j = {}, {}
    for J in result.grid.latent_dims:
        per_j[J] = {}
        for f in (VSC, chosen[J]):
            runs = [scores(("smiley", f, J, s)) for s in result.grid.seeds]
            per_j[J][f] = {k: [r[k] for r in runs] for k in SCORES}
            rows[(f"J={J}", family_label(f))] = {name: stats.interval(per_j[J][f][k]).format(2)
                                                 for k, name in SCORES.items()}
    return pd.DataFrame(rows).T, per_j


def matrix_panels(result: SweepResult, chosen: Mapping[int, str], latent_dim: int) -> dict[str, list]:
    """Panels of (J, K) |correlation| matrices in display order, one per seed: VSC and the
    chosen β-VAE under the authors' measure, and VSC's signed gated means."""
    def panel(f, column):
        return [(f"seed {s}", *metrics.display_order(getattr(result.evaluations[("smiley", f, latent_dim, s)], column)))
                for s in result.grid.seeds]

    return {"VSC, authors' measure": panel(VSC, "authors_abs_corr"),
            "β-VAE (chosen), authors' measure": panel(chosen[latent_dim], "authors_abs_corr"),
            "VSC, signed gated means": panel(VSC, "abs_corr")}


def spike_table(groups: analysis.SpikeGroups) -> pd.DataFrame:
    """One row per used dimension of one run: the share of faces it is on for, and its spike's
    correlation with each group's presence."""
    table = pd.DataFrame(groups.corr.numpy().round(2), index=groups.dims, columns=list(smiley.GROUPS))
    table.insert(0, "on for", [f"{v:.0%}" for v in groups.share.tolist()])
    table.index.name = "dimension"
    return table


def switching_images(model, x: torch.Tensor, present: np.ndarray, switches: Sequence[analysis.GroupSwitch],
                     num: int = 6) -> dict[str, np.ndarray]:
    """Rows of faces without hat and bow tie, their reconstruction and the hat / bow tie switched
    on; then faces with both, their reconstruction and each switched off (each group's latents set
    to their typical state over faces that have / lack it)."""
    found = {g.group: list(g.latents) for g in switches}
    bare = np.flatnonzero(~present[:, 2] & ~present[:, 3])[:num]
    dressed = np.flatnonzero(present[:, 2] & present[:, 3])[:num]
    images = {}
    for faces, state, space in ((bare, "on", ""), (dressed, "off", " ")):
        images["input" + space] = x[faces].numpy()
        images["reconstruction" + space] = analysis.switch_dimensions(model, x[faces], [], None).numpy()
        for k, name in ((2, "hat"), (3, "bow tie")):
            dims = found.get(name, [])
            if dims:
                source = present[:, k] if state == "on" else ~present[:, k]
                value = analysis.typical_state(model, x[source], dims)
                images[f"{name} {state}"] = analysis.switch_dimensions(model, x[faces], dims, value).numpy()
    return images


def ablation_rows(ablation: SweepResult, latent_dim: int = 40) -> dict[str, tuple[str, int]]:
    """The ablation table's rows: the recipe, then each ingredient put back ("earlier: ...")."""
    return {("authors' recipe" if f == VSC else "earlier: " + EARLIER[parse_family(f).ingredients[0]]): (f, latent_dim)
            for f in ablation.grid.families}


def ablation_seeds(ablation: SweepResult, latent_dim: int = 40) -> tuple[dict, dict]:
    """What :func:`vsc_lib.readings.ablation_reading` reads: the recipe's and each ingredient's
    per-seed dimensions used and switched by the input."""
    per = {f: {"used": ablation.seeds("dims_used", f, latent_dim),
               "switched": ablation.seeds("input_dependent_dims", f, latent_dim)} for f in ablation.grid.families}
    return per[VSC], {parse_family(f).ingredients[0]: per[f] for f in ablation.grid.families if f != VSC}


def ablation_curves(histories: Mapping[str, list[dict]], base: str) -> dict[str, np.ndarray]:
    """Dimensions on per test image after each block, for every run whose history has as many
    blocks as ``histories[base]`` (the same schedule)."""
    blocks = len(histories[base])
    return {name: np.array([row["test_active_hard"] for row in history])
            for name, history in histories.items() if len(history) == blocks}


def full_size(paper: SweepResult | None, reduced: SweepResult, runs: Mapping[tuple, object],
              reduced_run: Callable[[int], object], reduced_size: str) -> dict:
    """The full-size VSC runs against the reduced size: per J a comparison sentence
    (:func:`vsc_lib.readings.full_size_comparison`), the training histories of both sizes (fraction
    of the run's iterations → dimensions on, −ELBO), and the schedule's marks and spans."""
    out = {"comparisons": [], "panels": {}, "marks": {}, "spans": {}}
    if paper is None:
        return out
    full_frame, reduced_frame = paper.frame(), reduced.frame()
    for J in sorted({c[2] for c in runs if c[1] == VSC}):
        full = full_frame[(full_frame.family == VSC) & (full_frame.latent_dim == J)]
        small = reduced_frame[(reduced_frame.family == VSC) & (reduced_frame.latent_dim == J)]
        out["comparisons"].append(full_size_comparison(
            J, {c: full[c].tolist() for c in FULL_SIZE_MEASURES}, {c: small[c].tolist() for c in FULL_SIZE_MEASURES},
            reduced_size))
        pairs = [(f"full size, J={J}, seed {s}", runs[("smiley", VSC, J, s)]) for s in sorted(full.seed)]
        first = pairs[0][1].config
        if len(small):
            pairs.append((f"reduced size, J={J}, seed 0", reduced_run(J)))
        for name, run in pairs:
            x = (np.arange(len(run.history)) + 1) / run.config.train.num_epochs
            for ylabel, column in (("dimensions on per test face", "test_active_hard"), ("test −ELBO", "test_neg_elbo")):
                out["panels"].setdefault(ylabel, {})[name] = (x, [row[column] for row in run.history])
        t, m = first.train, first.model
        total = t.num_epochs * t.epoch_iterations
        hold = m.warmup_iterations / total
        if t.lr_schedule != "constant":
            out["marks"][f"learning rate × {t.lr_decay:g}"] = t.lr_decay_epoch / t.num_epochs
        out["spans"] = {"spike-only phase": (0.0, hold), "the slab's ramp": (hold, hold + m.warmup_ramp_iterations / total)}
    return out


def size_choice(long: SweepResult | None) -> tuple[str | None, bool]:
    """The campaign's β (chosen on the validation images at seed 0 of the long runs) and whether it
    lies at the grid's edge; (None, False) until every β of the plan is stored."""
    if long is None:
        return None, False
    seed0 = {c[1]: e.as_dict().get(size_study.CHOICE_MEASURE) for c, e in long.evaluations.items() if c[3] == 0}
    choice = size_study.choose_beta({f: v for f, v in seed0.items() if v is not None})
    return choice if choice else (None, False)


def size_table(results: Mapping[str, SweepResult]) -> pd.DataFrame:
    """One row per stored run of the campaign: family, units, seed, where it was trained, and the
    measures of :data:`vsc_lib.studies.size.MEASURES`."""
    rows = []
    for phase, units in (("long", 400), ("full", 3000)):
        if phase not in results:
            continue
        res = results[phase]
        for cell, evaluation in res.evaluations.items():
            values = evaluation.as_dict()
            where = res.records[cell].provenance() if cell in res.records else {}
            rows.append({"family": family_label(cell[1]), "units": units, "seed": cell[3],
                         "precision": where.get("precision", "this build"), "machine": where.get("cpu", "this machine"),
                         **{name: values.get(column) for column, (name, _) in size_study.MEASURES.items()}})
    return pd.DataFrame(rows).round(2) if rows else pd.DataFrame()


def size_verdicts(results: Mapping[str, SweepResult], chosen: str | None) -> list[str]:
    """The claim read both ways at the authors' length and at their size
    (:func:`vsc_lib.studies.size.verdict`)."""
    out = []
    for phase, where in (("long", "At the authors' length (400 units)"), ("full", "At the authors' size (3,000 units)")):
        res = results.get(phase)
        vsc = res.seeds(size_study.VERDICT_MEASURE, size_study.VSC, size_study.J) if res else []
        beta = res.seeds(size_study.VERDICT_MEASURE, chosen, size_study.J) if res and chosen else []
        out.append(size_study.verdict(vsc, beta, where, chosen))
    return out
