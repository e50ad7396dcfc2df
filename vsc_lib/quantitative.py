"""What chapter 6 reads from its sweep (:mod:`vsc_lib.studies.latent`): the curves and tables over
the latent size J, and every seed's value of each quantity a reading decides on, so that the
readings (:mod:`vsc_lib.readings.quantitative`) and the targets (:mod:`vsc_lib.targets`) compare
seeds with intervals instead of means. Also the analyses of one decoded model: how its prior
draws use the dimensions its encoder uses, and whether its conditional samples keep the input's
class as judged by a classifier on pixels that has never seen the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from . import analysis, metrics
from .families import family_alpha, family_label
from .readings import mean_sd
from .sweep_result import SweepResult

#: the chapter's datasets and how the book names them
DATASETS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
#: the probe codes the chapter compares: (family, code kind) -> label
PROBES = {("vae", "default"): "VAE", ("vsc0.01", "gated"): "VSC α=0.01, gated",
          ("vsc0.01", "slab_mean"): "VSC α=0.01, slab mean"}


def curves(result: SweepResult, metric: str, series: Mapping[str, str] | None = None,
           datasets: Mapping[str, str] = DATASETS) -> dict[str, dict[str, tuple]]:
    """Panels for :func:`vsc_lib.plotting.plot_versus_latent`: per dataset name, per label,
    ``(J values, means, sds)`` over seeds of ``metric``. ``series[label] = family`` (default:
    every family of the grid under its label)."""
    series = series or {family_label(f): f for f in result.grid.families}
    table = result.table(metric)
    out = {}
    for dataset, name in datasets.items():
        out[name] = {}
        for label, family in series.items():
            rows = table.loc[(dataset, family)]
            out[name][label] = (list(rows.index), rows["mean"].to_numpy(), rows["sd"].fillna(0).to_numpy())
    return out


def reference_curves(reference: Mapping[tuple[str, str], Mapping[int, float]], families: Sequence[str],
                     datasets: Mapping[str, str] = DATASETS) -> dict[str, dict[str, tuple]]:
    """The published numbers of ``families`` as dashed curves: per dataset name,
    ``{"<label> (reproduction)": (J values, values)}``."""
    return {name: {f"{family_label(f)} (reproduction)": (list(v), list(v.values()))
                   for (d, f), v in reference.items() if d == dataset and f in families}
            for dataset, name in datasets.items()}


def paired_over_latent(result: SweepResult, metric: str, a: str, b: str, dataset: str,
                       latent_dims: Sequence[int] | None = None) -> list[float]:
    """Per seed, the mean over J of ``metric`` of family ``a`` minus family ``b`` (the two runs of
    one seed share data, initial batches and J): one value per seed that has both at every J."""
    Js = list(latent_dims or result.grid.latent_dims)
    out = []
    for seed in result.grid.seeds:
        pairs = [(result.evaluations.get((dataset, a, J, seed)), result.evaluations.get((dataset, b, J, seed))) for J in Js]
        if all(x is not None and y is not None for x, y in pairs):
            out.append(float(np.mean([x.as_dict()[metric] - y.as_dict()[metric] for x, y in pairs])))
    return out


def against_reference(result: SweepResult, metric: str, family: str, dataset: str,
                      reference: Mapping[int, float]) -> list[float]:
    """Per seed, the mean over the J the reference also has of ours minus the published value
    (empty when no J is shared)."""
    shared = [J for J in result.grid.latent_dims if J in reference]
    out = []
    for seed in result.grid.seeds if shared else ():
        values = [result.evaluations.get((dataset, family, J, seed)) for J in shared]
        if all(v is not None for v in values):
            out.append(float(np.mean([v.as_dict()[metric] - reference[J] for v, J in zip(values, shared, strict=True)])))
    return out


def bound_facts(result: SweepResult, reference: Mapping[tuple[str, str], Mapping[int, float]],
                datasets: Mapping[str, str] = DATASETS) -> dict[str, dict]:
    """What :func:`vsc_lib.readings.elbo_reading` reads, per dataset name: ``vae`` ({J: mean test
    −ELBO}), ``gaps`` (per VSC family label, in decreasing α: every seed's mean over J of VSC −
    VAE) and ``reproduction`` (every seed's mean difference to the reproduction's VAE)."""
    vsc = sorted((f for f in result.grid.families if f != "vae"), key=family_alpha, reverse=True)
    out = {}
    for dataset, name in datasets.items():
        vae = result.series("test_neg_elbo", "vae", dataset)
        out[name] = {"vae": {J: m for J, (m, _) in vae.items()},
                     "gaps": {family_label(f): paired_over_latent(result, "test_neg_elbo", f, "vae", dataset) for f in vsc},
                     "reproduction": against_reference(result, "test_neg_elbo", "vae", dataset,
                                                       reference.get((dataset, "vae"), {}))}
    return out


def iw_table(result: SweepResult, estimate: Callable[[tuple], object],
             datasets: Mapping[str, str] = DATASETS) -> tuple[pd.DataFrame, dict[str, dict[str, list[float]]]]:
    """The importance-weighted table at each family's best J (chosen on the training bound,
    :meth:`SweepResult.best_latent_dims`) and every seed's gap (bound − estimate, nats) per
    dataset name and family label. ``estimate(cell)`` returns the cell's
    :class:`~vsc_lib.evaluation.IWEstimate` (the chapter passes the cached evaluation)."""
    grid, best = result.grid, result.best_latent_dims()
    rows, gaps = {}, {}
    for dataset, name in datasets.items():
        gaps[name] = {}
        for family in grid.families:
            J = best[(dataset, family)]
            values = [estimate((dataset, family, J, s)) for s in grid.seeds]
            iw = np.array([v.iw_neg_log_likelihood for v in values])
            bound = np.array([v.neg_elbo_same_images for v in values])
            sd = (lambda x: float(x.std(ddof=1)) if len(x) > 1 else 0.0)
            rows[(name, family_label(family))] = {
                "best J": J, "-ELBO": mean_sd(bound.mean(), sd(bound)),
                f"-log p(x), K={grid.iw_samples}": mean_sd(iw.mean(), sd(iw)),
                "gap (nats)": round(float((bound - iw).mean()), 1)}
            gaps[name][family_label(family)] = [float(g) for g in bound - iw]
    table = pd.DataFrame(rows).T
    table.index.names = ["dataset", "model"]
    return table, gaps


def probe_table(result: SweepResult, reference: Mapping[tuple[str, str], Mapping[int, float]],
                datasets: Mapping[str, str] = DATASETS) -> pd.DataFrame:
    """Mean ± sd over seeds of each probe code (:data:`PROBES` the grid has) per J, with the
    reproduction's accuracy beside the VAE and the gated VSC code."""
    Js, rows = result.grid.latent_dims, {}
    for dataset, name in datasets.items():
        for (family, kind), label in PROBES.items():
            if family not in result.grid.families:
                continue
            series = result.series(f"probe_{kind}", family, dataset)
            rows[(name, label, "ours")] = {f"J={J}": mean_sd(*series[J]) for J in Js}
            published = reference.get((dataset, family))
            if published and kind != "slab_mean":
                rows[(name, label, "reproduction")] = {f"J={J}": f"{published[J]:.1f}" for J in Js if J in published}
    table = pd.DataFrame(rows).T.fillna("–")
    table.index.names = ["dataset", "code", "source"]
    return table


def probe_facts(result: SweepResult, reference: Mapping[tuple[str, str], Mapping[int, float]],
                datasets: Mapping[str, str] = DATASETS) -> dict[str, dict]:
    """What :func:`vsc_lib.readings.probe_reading` reads, per dataset name, every value per seed:
    ``vae`` = (accuracy at the smallest J, at the largest, differences to the reproduction) and
    ``vsc`` = (gated code at the largest J, slab mean there, the reproduction's value there or
    None, dimensions on per image there), for the probe families the grid has; ``between`` lists
    (gated seeds, the reproduction's VSC value, slab-mean seeds) at every J ≥ 128 it publishes."""
    grid = result.grid
    Js, out = grid.latent_dims, {}
    for dataset, name in datasets.items():
        facts = {}
        if "vae" in grid.families:
            facts["vae"] = (result.seeds("probe_default", "vae", Js[0], dataset),
                            result.seeds("probe_default", "vae", Js[-1], dataset),
                            against_reference(result, "probe_default", "vae", dataset,
                                              reference.get((dataset, "vae"), {})))
        if "vsc0.01" in grid.families:
            published = reference.get((dataset, "vsc0.01"), {})
            facts["vsc"] = (result.seeds("probe_gated", "vsc0.01", Js[-1], dataset),
                            result.seeds("probe_slab_mean", "vsc0.01", Js[-1], dataset), published.get(Js[-1]),
                            result.seeds("active_per_example", "vsc0.01", Js[-1], dataset))
            facts["between"] = [(result.seeds("probe_gated", "vsc0.01", J, dataset), published[J],
                                 result.seeds("probe_slab_mean", "vsc0.01", J, dataset))
                                for J in Js if J >= 128 and J in published]
        out[name] = facts
    return out


def count_table(result: SweepResult, datasets: Mapping[str, str] = DATASETS) -> pd.DataFrame:
    """Mean over seeds of the dimensions on per image and of the dimensions ever used, per
    dataset, family and J."""
    active, used = result.table("active_per_example"), result.table("dims_used")
    rows = {}
    for dataset, name in datasets.items():
        for family in result.grid.families:
            label = family_label(family)
            rows[(name, label, "active per image")] = {
                f"J={J}": f"{active.loc[(dataset, family, J), 'mean']:.1f}" for J in result.grid.latent_dims}
            rows[(name, label, "used")] = {
                f"J={J}": f"{used.loc[(dataset, family, J), 'mean']:.0f}" for J in result.grid.latent_dims}
    table = pd.DataFrame(rows).T
    table.index.names = ["dataset", "model", "count"]
    return table


def active_facts(result: SweepResult, datasets: Mapping[str, str] = DATASETS) -> tuple[dict, dict]:
    """What :func:`vsc_lib.readings.sparsity_reading` reads: per dataset name and family label the
    mean dimensions on per image at each J, and every seed's (J, count) of the VSC families."""
    means, points = {}, {}
    for dataset, name in datasets.items():
        means[name], points[name] = {}, {}
        for family in result.grid.families:
            series = result.series("active_per_example", family, dataset)
            means[name][family_label(family)] = {J: m for J, (m, _) in series.items()}
            if family != "vae":
                points[name][family_label(family)] = [
                    (J, v) for J in result.grid.latent_dims
                    for v in result.seeds("active_per_example", family, J, dataset)]
    return means, points


def prior_usage(model, x: torch.Tensor, draws: int = 10_000, seed: int = 1) -> dict[str, float]:
    """How a VSC model's prior draws use the dimensions its encoder switches on for ``x``:
    dimensions on per prior draw and per input, dimensions the encoder ever uses, and the shares
    (%) of draws that switch on at least one of those, none outside them, and none at all."""
    encoded = metrics.encode_dataset(model, x)
    used = (encoded.spike_prob > 0.5).any(0)
    on = model.sample_prior(draws, torch.Generator().manual_seed(seed)) != 0
    return {"prior_on": float(on.sum(1).float().mean()),
            "post_on": float((encoded.spike_prob > 0.5).sum(1).float().mean()),
            "used": int(used.sum()),
            "only_used": 100 * float(((on & ~used).sum(1) == 0).float().mean()),
            "any_used": 100 * float((on & used).any(1).float().mean()),
            "empty": 100 * float((on.sum(1) == 0).float().mean())}


def pixel_classifier(train, num_labels: int = 10_000, seed: int = 0):
    """A linear classifier on raw pixels, fitted on ``num_labels`` training images: it has never
    seen any model, so it can judge what a model draws (:func:`conditional_kept`)."""
    x = train.x.flatten(1)
    return metrics.linear_probe(x, train.y, x[:1], train.y[:1], num_labels=min(num_labels, len(x)), seed=seed)


def conditional_kept(model, classifier, x: torch.Tensor, y: torch.Tensor, draws: int = 4,
                     seed: int = 0) -> dict[str, float]:
    """Conditional samples (the input's active set kept, slab values redrawn,
    :func:`vsc_lib.analysis.conditional_samples`) judged by a classifier on pixels: how many of
    the ``draws`` per input it assigns the input's class (``kept`` of ``total``), and its accuracy
    on the real inputs (``real``, %)."""
    _, samples = analysis.conditional_samples(model, x, draws, torch.Generator().manual_seed(seed))
    predicted = classifier.predict(samples.flatten(0, 1).flatten(1))
    kept = int((predicted == y.repeat_interleave(draws)).sum())
    real = 100 * float((classifier.predict(x.flatten(1)) == y).double().mean())
    return {"kept": kept, "total": len(x) * draws, "real": real}


#: the fixed-prior table's columns: heading -> (evaluated value, digits)
FIXED_COLUMNS = {"on/img": ("active_per_example", 1), "used": ("dims_used", 0), "probe gated": ("probe_gated", 1),
                 "probe slab": ("probe_slab_mean", 1), "kept": ("cond_kept", 0), "real": ("cond_real", 0),
                 "−ELBO": ("test_neg_elbo", 1)}


def fixed_table(result: SweepResult, latent_dim: int, datasets: Mapping[str, str] = DATASETS) -> pd.DataFrame:
    """Mean ± sd over seeds of :data:`FIXED_COLUMNS` for every family of the fixed-prior grid, both
    datasets one below the other (index: dataset, model)."""
    return pd.concat([result.mean_sd({(name, family_label(f)): (f, latent_dim) for f in result.grid.families},
                                     FIXED_COLUMNS, dataset=dataset) for dataset, name in datasets.items()])


def fixed_facts(result: SweepResult, latent_dim: int, datasets: Mapping[str, str] = DATASETS) -> dict:
    """What :func:`vsc_lib.readings.fixed_spike_reading` reads: per dataset name and family, every
    seed's ``active`` and ``kept``."""
    return {name: {f: {"active": result.seeds("active_per_example", f, latent_dim, dataset),
                       "kept": result.seeds("cond_kept", f, latent_dim, dataset)} for f in result.grid.families}
            for dataset, name in datasets.items()}


def class_patterns(result: SweepResult, dataset: str, latent_dim: int, seed: int) -> dict[str, np.ndarray]:
    """Per family label, the (classes, J) mean spike probability of one run (its stored
    evaluation's ``per_class_mean_pi``), for :func:`vsc_lib.plotting.plot_class_patterns`."""
    return {family_label(f): np.asarray(result.evaluations[(dataset, f, latent_dim, seed)].per_class_mean_pi)
            for f in result.grid.families}
