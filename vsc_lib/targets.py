"""Chapter 6's targets and its tables of mean ± sd over seeds, as tested functions.

The targets are the project's goals for the latent-size sweep, each with a named threshold:
the MNIST VAE's test bound at J = 16 (:data:`VAE_BOUND_TARGET`), the linear-probe accuracy of
the fixed-prior VSC (α = 0.01) at J = 200 with either code (:data:`PROBE_TARGETS`), and VSC's
probe above the VAE's at every J ≥ :data:`LARGE_J`. A target a grid cannot test (a latent size
it lacks) is reported with ``met=None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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
    """One row of the targets table."""

    target: str
    goal: str
    measured: str
    met: bool | None  # None: the grid cannot test it

    @property
    def met_text(self) -> str:
        return "—" if self.met is None else ("yes" if self.met else "no")


def summary_mean(summary, dataset: str, family: str, J: int) -> float:
    """The mean over seeds in a :meth:`vsc_lib.sweep_result.SweepResult.table`."""
    return float(summary.loc[(dataset, family, J), "mean"])


def quantitative_targets(elbo, probes: Mapping[tuple[str, str], object], latent_dims: Sequence[int],
                         names: Mapping[str, str], grid_name: str) -> list[Target]:
    """The chapter's targets, measured.

    Args:
        elbo: ``summarise(result, "test_neg_elbo")``.
        probes: ``{(family, code kind): summarise(result, f"probe_{kind}")}`` for the probe
            families the grid has.
        latent_dims: the grid's J values; the probe targets are read at the largest one and
            count only when it is :data:`PROBE_TARGET_J`.
        names: display name of each dataset to check (``{"mnist": "MNIST", ...}``).
        grid_name: named in the row of a target the grid cannot test.
    """
    rows = []
    j_vae, limit = VAE_BOUND_TARGET
    what = f"MNIST VAE, J = {j_vae}: test −ELBO"
    if j_vae in latent_dims:
        value = summary_mean(elbo, "mnist", "vae", j_vae)
        rows.append(Target(what, f"≤ {limit:.0f} nats", f"{value:.1f} nats", bool(value <= limit)))
    else:
        rows.append(Target(what, f"≤ {limit:.0f} nats", f"J = {j_vae} is not in the {grid_name} grid", None))
    j_top = max(latent_dims)
    for dataset, goal in PROBE_TARGETS.items():
        if dataset not in names or not all(key in probes for key in VSC_PROBES):
            continue
        for family, kind in VSC_PROBES:
            value = summary_mean(probes[(family, kind)], dataset, family, j_top)
            rows.append(Target(f"{names[dataset]} VSC α=0.01, J = {j_top}: accuracy ({kind.replace('_', ' ')} code)",
                               "≥ " + percent(goal), percent(value, 1),
                               bool(value >= goal) if j_top == PROBE_TARGET_J else None))
        large = [j for j in latent_dims if j >= LARGE_J]
        if not large or VAE_PROBE not in probes:
            continue
        for family, kind in VSC_PROBES:
            margins = {j: summary_mean(probes[(family, kind)], dataset, family, j)
                       - summary_mean(probes[VAE_PROBE], dataset, VAE_PROBE[0], j) for j in large}
            rows.append(Target(f"{names[dataset]}: VSC ({kind.replace('_', ' ')}) above VAE at every J ≥ {LARGE_J}",
                               "VSC − VAE > 0", ", ".join(f"J={j}: {m:+.1f}" for j, m in margins.items()) + " points",
                               all(m > 0 for m in margins.values())))
    return rows


def targets_frame(targets: Sequence[Target]):
    """The targets as the table the chapter shows (index: target)."""
    import pandas as pd

    return pd.DataFrame([{"target": t.target, "goal": t.goal, "measured (mean over seeds)": t.measured,
                          "met": t.met_text} for t in targets]).set_index("target")


def mean_sd_table(summary, names: Mapping[str, str], families: Sequence[str], latent_dims: Sequence[int],
                  label: Callable[[str], str], reference: Mapping[tuple[str, str], Mapping[int, float]] | None = None,
                  digits: int = 1, row_names=("dataset", "model", "source")):
    """Rows (dataset, model, "ours") of "mean ± sd" per J from a ``summarise`` table and, where
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
