"""Chapter 6's targets and its tables of mean ± sd over seeds, as tested functions.

The targets are the project's goals for the latent-size sweep, each with a named threshold:
the MNIST VAE's test bound at J = 16 (:data:`VAE_BOUND_TARGET`), the linear-probe accuracy of
the fixed-prior VSC (α = 0.01) at J = 200 with either code (:data:`PROBE_TARGETS`), and VSC's
probe above the VAE's at every J ≥ :data:`LARGE_J`. Each is decided on every seed's value: a goal
is met when the 95 % interval over seeds clears it, missed when the interval lies wholly on the
wrong side, and not settled otherwise (:func:`vsc_lib.stats.against_target`; a comparison with
the VAE by :func:`vsc_lib.stats.compare`). A target a grid cannot test (a latent size it lacks)
is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from . import stats
from .readings import mean_sd, percent

#: (J, nats): the MNIST VAE's test -ELBO at J = 16 should be at most 100 nats
VAE_BOUND_TARGET = (16, 100.0)
#: test accuracy (%) of a linear probe on the VSC α = 0.01 codes at J = :data:`PROBE_TARGET_J`
PROBE_TARGETS = {"mnist": 93.0, "fashion_mnist": 81.0}
PROBE_TARGET_J = 200
#: from this latent size on, VSC's codes should classify better than the VAE's
LARGE_J = 128
#: the probe families and codes the targets read
VAE_PROBE, VSC_PROBES = ("vae", "default"), (("vsc0.01", "gated"), ("vsc0.01", "slab_mean"))


@dataclass(frozen=True)
class Target:
    """One row of the targets table. ``met``: True, False, or None when it is not decided;
    ``note`` then says why (the grid lacks its latent size, or the interval straddles the goal)."""

    target: str
    goal: str
    measured: str
    met: bool | None
    note: str = ""

    @property
    def met_text(self) -> str:
        if self.met is None:
            return self.note or "—"
        return "yes" if self.met else "no"


def _check(target: str, goal: str, values: Sequence[float], threshold: float, unit: str, digits: int = 1,
           lower_is_better: bool = False) -> Target:
    check = stats.against_target(values, threshold, lower_is_better=lower_is_better)
    measured = check.interval.format(digits) + unit
    if check.verdict == "not settled":
        return Target(target, goal, measured, None, "not settled")
    return Target(target, goal, measured, check.verdict == "met")


def quantitative_targets(seeds: Callable[[str, str, str, int], Sequence[float]], latent_dims: Sequence[int],
                         names: Mapping[str, str], grid_name: str,
                         probes: Sequence[tuple[str, str]] = (VAE_PROBE, *VSC_PROBES)) -> list[Target]:
    """The chapter's targets, measured.

    Args:
        seeds: ``seeds(metric, family, dataset, J)``, every seed's value (the chapter passes
            :meth:`vsc_lib.sweep_result.SweepResult.seeds`, reordered).
        latent_dims: the grid's J values; the probe targets are read at the largest one and
            count only when it is :data:`PROBE_TARGET_J`.
        names: display name of each dataset to check (``{"mnist": "MNIST", ...}``).
        grid_name: named in the row of a target the grid cannot test.
        probes: the (family, code kind) probes the grid has.
    """
    rows = []
    j_vae, limit = VAE_BOUND_TARGET
    what = f"MNIST VAE, J = {j_vae}: test −ELBO"
    if j_vae in latent_dims:
        rows.append(_check(what, f"≤ {limit:.0f} nats", seeds("test_neg_elbo", "vae", "mnist", j_vae), limit, " nats",
                           lower_is_better=True))
    else:
        rows.append(Target(what, f"≤ {limit:.0f} nats", f"J = {j_vae} is not in the {grid_name} grid", None,
                           "not in the grid"))
    j_top = max(latent_dims)
    for dataset, goal in PROBE_TARGETS.items():
        if dataset not in names or not all(key in probes for key in VSC_PROBES):
            continue
        for family, kind in VSC_PROBES:
            what = f"{names[dataset]} VSC α=0.01, J = {j_top}: accuracy ({kind.replace('_', ' ')} code)"
            row = _check(what, "≥ " + percent(goal), seeds(f"probe_{kind}", family, dataset, j_top), goal, " %")
            if j_top != PROBE_TARGET_J:
                row = Target(row.target, row.goal, row.measured, None, f"J = {PROBE_TARGET_J} is not in the grid")
            rows.append(row)
        large = [j for j in latent_dims if j >= LARGE_J]
        if not large or VAE_PROBE not in probes:
            continue
        for family, kind in VSC_PROBES:
            comparisons = {j: stats.compare(seeds(f"probe_{kind}", family, dataset, j),
                                            seeds(f"probe_{VAE_PROBE[1]}", VAE_PROBE[0], dataset, j)) for j in large}
            decisions = [c.decision for c in comparisons.values()]
            measured = ", ".join(f"J={j}: {c.difference:+.1f} [{c.low:+.1f}, {c.high:+.1f}]"
                                 for j, c in comparisons.items()) + " points"
            what = f"{names[dataset]}: VSC ({kind.replace('_', ' ')}) above VAE at every J ≥ {LARGE_J}"
            if all(d == stats.ABOVE for d in decisions):
                rows.append(Target(what, "VSC − VAE > 0", measured, True))
            elif any(d == stats.BELOW for d in decisions):  # the VAE above VSC at some J
                rows.append(Target(what, "VSC − VAE > 0", measured, False))
            else:
                rows.append(Target(what, "VSC − VAE > 0", measured, None, "not settled"))
    return rows


def targets_frame(targets: Sequence[Target]):
    """The targets as the table the chapter shows (index: target)."""
    import pandas as pd

    return pd.DataFrame([{"target": t.target, "goal": t.goal, "measured (mean [95 % interval] over seeds)": t.measured,
                          "met": t.met_text} for t in targets]).set_index("target")


def mean_sd_table(summary, names: Mapping[str, str], families: Sequence[str], latent_dims: Sequence[int],
                  label: Callable[[str], str], reference: Mapping[tuple[str, str], Mapping[int, float]] | None = None,
                  digits: int = 1, row_names=("dataset", "model", "source")):
    """Rows (dataset, model, "ours") of "mean ± sd" per J from a :meth:`vsc_lib.sweep_result.SweepResult.table` and, where
    ``reference`` has published values for (dataset, family), a row (dataset, model,
    "reproduction"); a J without a value reads "–"."""
    import pandas as pd

    rows = {}
    for dataset, name in names.items():
        for family in families:
            cell = summary.loc[(dataset, family)]
            rows[(name, label(family), "ours")] = {
                f"J={j}": mean_sd(cell.loc[j, "mean"], cell.loc[j, "sd"], digits) for j in latent_dims}
            if reference and (dataset, family) in reference:
                published = reference[(dataset, family)]
                rows[(name, label(family), "reproduction")] = {
                    f"J={j}": f"{published[j]:.{digits}f}" for j in latent_dims if j in published}
    table = pd.DataFrame(rows).T.fillna("–")
    table.index.names = list(row_names)
    return table
