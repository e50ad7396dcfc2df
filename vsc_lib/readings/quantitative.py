"""Chapter 6's readings: the VAE against the fixed-prior VSC as J grows (bounds, the
importance-weighted likelihood, probes, sparsity, the prior, conditional samples, the targets)
and the fixed prior's spike form and spike-only phase."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .. import stats
from .text import QUICK_SENTENCE, grid_kind, latent_set, trained_sentence

#: probe points by which VSC's slab mean must beat its gated code to be called "much better"
GATED_GAP_POINTS = 3.0


#: fixed-prior VSC counts as sparse-at-any-size when, for every alpha <= SMALL_ALPHA, the active
#: count per image shows no trend over J (every seed at every J) and at least MIN_ACTIVE dimensions stay on
SMALL_ALPHA, MIN_ACTIVE = 0.2, 1.0


#: conditional draws keep the class when they are classified as it at least this share as often
#: as real images are classified correctly
CLASS_KEPT_SHARE = 0.8


def latent_grid_note(grid, trained: int, wall_seconds: float, images_per_second: float | None,
                     grouped: bool = False) -> str:
    """What chapter 6's build trained: the grid, why it is that size, what came from the cache
    (``grouped``: each cell's seeds trained as one grouped model, and the VSC families that differ
    only in alpha together, :mod:`vsc_lib.grouped`)."""
    Js = list(grid.latent_dims)
    note = (f"This build used the **{grid.name}** grid: {grid.size} runs ({len(grid.datasets)} datasets × "
            f"{len(grid.families)} families × {latent_set(Js)} × {len(grid.seeds)} seeds). ")
    if grid_kind(grid.name) == "book":
        note += ("It is the default because the paper's full grid (six latent sizes, 30 epochs, 144 runs) takes "
                 "hours on the two CPU cores the book is built on, far beyond the build budget; "
                 "`make book PROFILE=paper` builds this chapter from that grid instead (`python scripts/sweep.py` trains "
                 f"it into the cache beforehand, resumably). Runs of {grid.num_epochs} epochs are not converged: read "
                 "the curves' shapes and the gaps between families rather than the absolute bound. ")
    elif grid_kind(grid.name) == "quick":
        note += QUICK_SENTENCE.format(what="images")
    rate = f" ({images_per_second:,.0f} training images per second per process)" if images_per_second else ""
    how = " with two one-thread worker processes"
    if grouped:
        how += (", each training a cell's seeds at once as one grouped model (stacked weights, one batched product per"
                " layer; the VSC families of one dataset and J, which differ only in α, together)")
    return note + trained_sentence(trained, wall_seconds, how + rate)


def _interval(values: Sequence[float], digits: int = 1, sign: bool = False) -> str:
    """``"+4.2 [+3.1, +5.3]"`` (or the value alone with one seed)."""
    i = stats.interval(values)
    f = f"{{:{'+' if sign else ''}.{digits}f}}"
    if i.n < 2:
        return f.format(i.mean) + " (1 seed)"
    return f"{f.format(i.mean)} [{f.format(i.low)}, {f.format(i.high)}]"


def _side(values: Sequence[float]) -> str | None:
    """Whether the 95 % interval of ``values`` lies above 0 (``"above"``), below (``"below"``),
    holds it (``"either"``), or cannot be computed (None: fewer than two values)."""
    if len(values) < 2:
        return None
    i = stats.interval(values)
    return "above" if i.low > 0 else "below" if i.high < 0 else "either"


def elbo_reading(per_dataset: Mapping[str, dict], num_epochs: int, reproduction_epochs: int) -> str:
    """One line per dataset. ``per_dataset[name]`` holds ``vae`` ({J: mean −ELBO}), ``gaps``
    ({family label: every seed's mean over J of VSC − VAE}, families in decreasing α) and
    ``reproduction`` (every seed's mean difference to the reproduction's VAE; empty when no J is
    shared), as :func:`vsc_lib.quantitative.bound_facts` gives them. Whether the gap grows as α
    shrinks is decided step by step, paired by seed (:func:`vsc_lib.stats.compare`)."""
    epochs = f"{num_epochs} epoch{'s' if num_epochs != 1 else ''}"
    lines = []
    for name, facts in per_dataset.items():
        vae, gaps = facts["vae"], facts["gaps"]
        best_j = min(vae, key=vae.get)
        gap_text = "; ".join(f"{label} {_interval(g, sign=True)}" for label, g in gaps.items())
        line = (f"- **{name}.** The VAE's bound is lowest at $J = {best_j}$ ({vae[best_j]:.1f} nats, mean over seeds). "
                f"Averaged over $J$, each VSC family's bound lies above the VAE's by (nats, mean [95 % interval] over "
                f"seeds): {gap_text}")
        labels = list(gaps)
        steps = [stats.compare(gaps[b], gaps[a], paired=len(gaps[a]) == len(gaps[b]))
                 for a, b in zip(labels, labels[1:], strict=False)]
        if steps and all(c.decision == stats.ABOVE for c in steps):
            line += " — the smaller $\\alpha$, the larger the gap, at every step (95 % intervals of the paired differences)."
        elif any(c.decision == stats.BELOW for c in steps):
            line += " — the gap is not ordered by $\\alpha$: at some step a smaller $\\alpha$ has the smaller gap."
        elif steps and any(c.decision == stats.TOO_FEW for c in steps):
            line += " — too few seeds to order the gaps by $\\alpha$."
        elif steps:
            line += (" — no ordering by $\\alpha$ is detected at every step (some paired difference's interval "
                     "holds 0).")
        else:
            line += "."
        if facts.get("reproduction"):
            line += (f" Against the reproduction's VAE at the same $J$ ours differs by "
                     f"{_interval(facts['reproduction'], sign=True)} nats on average ({epochs} here, "
                     f"{reproduction_epochs} there).")
        lines.append(line)
    return "\n".join(lines)


def iw_reading(gaps: Mapping[str, Mapping[str, Sequence[float]]], vae_label: str = "VAE") -> str:
    """How much of each bound the importance-weighted estimate closes: ``gaps[dataset][label]``
    is every seed's bound − estimate (nats) at the family's best J. Each VSC family is compared with
    the VAE on its dataset (Welch's interval); VSC's bound is called looser only when every VSC
    family's gap is above the VAE's."""
    parts, decisions = [], []
    for name, by_label in gaps.items():
        vae = by_label[vae_label]
        items = []
        for label, values in by_label.items():
            if label == vae_label:
                continue
            c = stats.compare(values, vae)
            decisions.append(c.decision)
            items.append(f"{label} {_interval(values)}")
        parts.append(f"{name}: the VAE {_interval(vae)}, " + ", ".join(items))
    text = ("The importance-weighted estimate closes this much of each bound (nats, mean [95 % interval] over seeds) — "
            + "; ".join(parts) + ". ")
    if decisions and all(d == stats.ABOVE for d in decisions):
        return text + ("Every VSC family's gap is above the VAE's (95 % intervals), so part of VSC's deficit in the "
                       "bound is looseness of the bound rather than of the model.")
    if any(d == stats.BELOW for d in decisions):
        return text + ("For at least one VSC family the gap is below the VAE's, so its deficit in the bound is not "
                       "looseness of the bound.")
    if decisions and all(d == stats.TOO_FEW for d in decisions):
        return text + "Too few seeds to compare the gaps."
    return text + ("The gaps of VSC and the VAE are not told apart at every family (some interval of the difference "
                   "holds 0), so these runs do not show that VSC's bound is looser than the VAE's.")


def probe_reading(per_dataset: Mapping[str, dict], j_low: int, j_high: int) -> str:
    """Linear-probe accuracies, every value per seed (:func:`vsc_lib.quantitative.probe_facts`):
    ``vae`` = (accuracy at ``j_low``, at ``j_high``, differences to the reproduction), ``vsc`` =
    (gated, slab mean, the reproduction or None, active dimensions per image, all at ``j_high``),
    ``between`` = (gated, reproduction, slab mean) at every J ≥ 128. The slab mean is called much
    better than the gated code when their paired difference's interval lies above 0 and its mean
    exceeds :data:`GATED_GAP_POINTS`."""
    lines, between = [], []
    for name, facts in per_dataset.items():
        parts = []
        if "vae" in facts:
            low, high, diffs = facts["vae"]
            text = f"the VAE's accuracy goes from {_interval(low)} % at $J = {j_low}$ to {_interval(high)} % at $J = {j_high}$"
            side = _side(diffs)
            if side is not None:
                text += (f", {_interval(diffs, sign=True)} points against the reproduction's VAE at the same $J$ ("
                         + {"above": "above it", "below": "below it", "either": "not told apart"}[side] + ")")
            parts.append(text)
        if "vsc" in facts:
            gated, slab, reference, n_active = facts["vsc"]
            parts.append(f"VSC's gated code reaches {_interval(gated)} % at $J = {j_high}$"
                         + (f" (reproduction: {reference:.1f} %)" if reference is not None else "")
                         + f" and its slab mean {_interval(slab)} %")
            c = stats.compare(slab, gated, paired=len(slab) == len(gated))
            if c.decision == stats.TOO_FEW:
                verdict = "too few seeds to compare the two codes"
            elif c.decision == stats.ABOVE and c.difference > GATED_GAP_POINTS:
                verdict = ("a much poorer input to a linear classifier than the slab means, which also carry what the "
                           f"encoder writes into dimensions that are off (slab − gated {c.difference:+.1f} points, 95 % "
                           f"interval [{c.low:+.1f}, {c.high:+.1f}])")
            else:
                verdict = (f"not much poorer than the slab means (slab − gated {c.difference:+.1f} points, 95 % interval "
                           f"[{c.low:+.1f}, {c.high:+.1f}])")
            parts.append(f"with {_interval(n_active)} active dimensions per image the gated code is " + verdict)
        between += facts.get("between", [])
        lines.append(f"- **{name}:** " + "; ".join(parts) + ".")
    closing = ("Our classifier is a regularised logistic regression fitted to convergence on standardised codes; the "
               "reproduction trained a small network for 20 epochs.")
    inside = [stats.interval(g).high < r < stats.interval(s).low for g, r, s in between if min(len(g), len(s)) > 1]
    if inside:
        closing += (" At $J \\ge 128$ its VSC accuracy lies between the intervals of our gated and slab-mean codes on "
                    "both datasets." if all(inside) else
                    " At $J \\ge 128$ its VSC accuracy does not lie between the intervals of our gated and slab-mean "
                    "codes everywhere.")
    return "\n".join(lines) + "\n\n" + closing


def sparsity_trend(points: Mapping[str, Mapping[str, Sequence[tuple[int, float]]]],
                   small: Sequence[str]) -> tuple[str, bool | None]:
    """The trend of the active count over the whole J range, per dataset and small-α family:
    ``points[dataset][label]`` = (J, count) for every seed at every J; the slope per doubling of J
    (least squares on log2 J) with its 95 % interval, read as grows, falls or flat within it.
    Returns the sentence and whether every fitted family is flat (None when none could be fitted)."""
    parts, decisions = [], []
    for name, families in points.items():
        for label in small:
            pairs = families.get(label, ())
            if len({j for j, _ in pairs}) < 2 or len(pairs) < 3:
                continue
            t = stats.trend([math.log2(j) for j, _ in pairs], [v for _, v in pairs])
            decisions.append(t.decision)
            parts.append(f"{name} {label}: {t.slope:+.2f} per doubling of $J$ [{t.low:+.2f}, {t.high:+.2f}], {t.decision}")
    if not parts:
        return "Too few latent sizes or seeds to fit a trend over $J$.", None
    if all(d == "flat within the interval" for d in decisions):
        verdict = "no trend over the whole range of $J$ is detected for these families (each interval holds 0)"
    elif any(d == "grows" for d in decisions):
        verdict = "the count grows with $J$ for at least one of them, so it is not flat over the whole range"
    else:
        verdict = "the count falls with $J$ for at least one of them"
    return ("Over every latent size and seed, the active count per image against $\\log_2 J$ (slope with its 95 % "
            "interval): " + "; ".join(parts) + f". So {verdict}."), all(d == "flat within the interval" for d in decisions)


def sparsity_reading(active: Mapping[str, Mapping[str, Mapping[int, float]]], alphas: Mapping[str, float],
                     vae_label: str = "VAE",
                     points: Mapping[str, Mapping[str, Sequence[tuple[int, float]]]] | None = None) -> str:
    """Active dimensions per image. ``active[dataset][family label][J]`` = mean over seeds;
    ``alphas[label]`` the VSC families' α (the VAE is ``vae_label``); ``points`` every seed's (J,
    count) of the VSC families (:func:`vsc_lib.quantitative.active_facts`). The claim tested: with
    α ≤ :data:`SMALL_ALPHA` the count per image shows no trend over the whole range of J
    (:func:`sparsity_trend`: a slope whose 95 % interval holds 0) and at least
    :data:`MIN_ACTIVE` dimension stays on."""
    lines = []
    first = next(iter(active.values()))
    Js = sorted(first[vae_label])
    j_lo, j_hi = Js[0], Js[-1]
    vsc = [label for label in first if label != vae_label]
    for name, families in active.items():
        parts = [f"{label}: {families[label][j_lo]:.1f} at $J={j_lo}$ and {families[label][j_hi]:.1f} at $J={j_hi}$"
                 for label in vsc]
        lines.append(f"- **{name}**, active dimensions per image (mean over seeds) — " + "; ".join(parts) +
                     f". The VAE has {families[vae_label][j_lo]:.0f} active units at $J={j_lo}$ and "
                     f"{families[vae_label][j_hi]:.0f} at $J={j_hi}$.")
    small = [label for label in vsc if alphas[label] <= SMALL_ALPHA]
    trend_text, trend_flat = sparsity_trend(points or {}, small)
    alive = all(active[name][label][j_hi] >= MIN_ACTIVE for name in active for label in small)
    if trend_flat and alive:
        verdict = ("With $\\alpha \\le 0.2$ the count per image shows no trend over the whole range of $J$ while the "
                   "number of available dimensions grows: VSC leaves the extra dimensions off instead of spreading the "
                   "code thinly over them.")
    elif trend_flat is None:
        verdict = "Too few latent sizes or seeds to test whether the count per image depends on $J$."
    elif not alive:
        verdict = ("With $\\alpha \\le 0.2$ the models switch almost nothing on at the largest $J$, so these runs "
                   "cannot support the claim that VSC uses about as many dimensions as it needs whatever $J$.")
    else:
        verdict = ("With $\\alpha \\le 0.2$ the count per image is not flat over $J$ in this build, so the claim that "
                   "VSC uses about as many dimensions as it needs whatever $J$ is not supported by these runs.")
    closing = (verdict + " With $\\alpha = 0.5$ the prior itself asks for half of the dimensions to be on, and the "
               "count follows $J$. " + trend_text)
    return "\n".join(lines) + "\n\n" + closing


def prior_reading(alpha: float, latent_dim: int, per_dataset: Mapping[str, Mapping[str, float]]) -> str:
    """Prior draws against the encoder's codes of one model per dataset (``per_dataset[name]``
    from :func:`vsc_lib.quantitative.prior_usage`: ``prior_on``, ``post_on``, ``used``, and the
    shares ``any_used``, ``only_used`` and ``empty`` in %). The first dataset is read in full,
    the others beside it."""
    (first, f), *others = per_dataset.items()
    beside = "; ".join(f"{name}: {g['used']:.0f} dimensions used, {g['any_used']:.0f} %, {g['only_used']:.0f} % and "
                       f"{g['empty']:.0f} %" for name, g in others)
    return (f"With $\\alpha = {alpha:g}$ and $J = {latent_dim}$ a prior draw switches on {f['prior_on']:.1f} dimensions "
            f"on average and the encoder {f['post_on']:.1f} per {first} test image. The encoder uses only "
            f"{f['used']:.0f} of the {latent_dim} dimensions for any {first} test image, while the prior picks among all "
            f"of them: {f['any_used']:.0f} % of prior draws switch on at least one dimension the decoder was trained "
            f"with, {f['only_used']:.0f} % switch on no other dimension, and {f['empty']:.0f} % switch on nothing at all"
            + (f" ({beside})" if beside else "") + ". A draw outside the encoder's dimensions decodes to what the "
            "decoder makes of a code it never saw; this mismatch between a fixed prior and the aggregate posterior is "
            "what the learned prior of the UAI paper addresses.")


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson interval of a proportion (as fractions)."""
    if total <= 0:
        raise ValueError("wilson() needs at least one trial")
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def conditional_reading(kept: Mapping[str, Mapping[str, float]]) -> str:
    """``kept[dataset]`` = ``kept`` of ``total`` conditional draws that a classifier on pixels,
    fitted on real training images, assigns the input's class, and ``real``: its accuracy (%) on
    the real inputs (:func:`vsc_lib.quantitative.conditional_kept`). The draws keep the class
    when the 95 % Wilson interval of their share clears :data:`CLASS_KEPT_SHARE` of ``real``, fail
    to when it lies below, and the reading says so when it does neither. One model (one seed)
    per dataset: the reading is about that model."""
    parts, verdicts = [], []
    for name, k in kept.items():
        low, high = wilson(int(k["kept"]), int(k["total"]))
        bar = CLASS_KEPT_SHARE * k["real"] / 100
        verdicts.append("kept" if low >= bar else "lost" if high < bar else "unsettled")
        parts.append(f"{name}: {100 * k['kept'] / k['total']:.0f} % of {int(k['total']):,} draws "
                     f"[{100 * low:.0f}, {100 * high:.0f}] against {k['real']:.0f} % on the real images")
    numbers = "; ".join(parts)
    judged = ("Judged by a linear classifier on pixels that never saw the model (share of draws given the input's "
              f"class, 95 % interval) — {numbers}. ")
    if all(v == "kept" for v in verdicts):
        return judged + ("The draws keep the input's class about as often as the classifier recognises real images "
                         f"(at least {CLASS_KEPT_SHARE:.0%} of it), so for this model the active set carries the class.")
    if all(v == "lost" for v in verdicts):
        return judged + (f"The draws keep the input's class far less often than {CLASS_KEPT_SHARE:.0%} of the "
                         "classifier's accuracy on real images: for this model the active set alone does not carry "
                         "the class, and the paper's claim that conditional samples share the input's identity is "
                         "not borne out by it.")
    return judged + ("The draws keep the class on some dataset and not on another, or the interval does not decide, so "
                     "this model neither confirms nor refutes that conditional samples share the input's identity.")


def targets_verdict(met: Sequence[bool | None], grid_name: str, num_epochs: int) -> str:
    """How many of the chapter's targets were met, missed or not settled by the seeds' intervals
    (``None``: not testable with this grid or not settled)."""
    tested = [m for m in met if m is not None]
    yes, no = sum(tested), len(tested) - sum(tested)
    unsettled = len(met) - len(tested)
    verdict = (f"Of the chapter's {len(met)} targets, {yes} {'is' if yes == 1 else 'are'} met and {no} "
               f"{'is' if no == 1 else 'are'} missed by the 95 % intervals over seeds of the {grid_name} grid "
               f"({num_epochs} epochs)")
    verdict += (f"; {unsettled} cannot be decided with it (a latent size the grid lacks, or an interval that "
                "straddles the goal). " if unsettled else ". ")
    return verdict + ("Nothing here was tuned on the test set: the recipe is fixed in advance, every seed is reported, and "
                      "the one selection made (the best $J$ for the importance-weighted estimate) uses the training bound.")


#: differences too small to matter in the fixed-prior comparison, whatever the interval says:
#: half a dimension on per image, two percentage points of conditional samples kept
FIXED_TOLERANCE = {"active": 0.5, "kept": 2.0}


FIXED_PAIRS = {"spike form, active": ("vsc0.01+min0", "vsc0.01", "active"),
               "spike form, kept": ("vsc0.01+min0", "vsc0.01", "kept"),
               "phase, active": ("vsc0.01+hold", "vsc0.01", "active"),
               "phase with min0, active": ("vsc0.01+min0+hold", "vsc0.01+min0", "active")}


def fixed_spike_effects(rows: Mapping[str, Mapping[str, Sequence[float]]]) -> dict[str, tuple[str, stats.Comparison]]:
    """What the authors' spike form and their long spike-only phase did to a fixed-prior VSC on
    one dataset. ``rows[family]`` holds every seed's ``active`` (dimensions on per image) and
    ``kept`` (% of conditional samples classified as the input's class), in seed order, for the
    four families ``vsc0.01``, ``vsc0.01+hold``, ``vsc0.01+min0``, ``vsc0.01+min0+hold``. Each
    effect is the comparison of the two families paired by seed (they share data, initial weights
    and batches; :func:`vsc_lib.stats.compare`) and its word: ``"more"`` or ``"fewer"`` when the
    interval excludes 0 and the difference is at least :data:`FIXED_TOLERANCE`, ``"no clear
    change"`` otherwise, ``"not decided"`` with fewer than :data:`vsc_lib.stats.MIN_SEEDS` seeds."""
    out = {}
    for effect, (a, b, key) in FIXED_PAIRS.items():
        c = stats.compare(rows[a][key], rows[b][key], paired=len(rows[a][key]) == len(rows[b][key]))
        if c.decision == stats.TOO_FEW:
            word = "not decided"
        elif c.decision == stats.ABOVE and c.difference >= FIXED_TOLERANCE[key]:
            word = "more"
        elif c.decision == stats.BELOW and -c.difference >= FIXED_TOLERANCE[key]:
            word = "fewer"
        else:
            word = "no clear change"
        out[effect] = (word, c)
    return out


def _effect(word: str, c: stats.Comparison, more: str, fewer: str, digits: int = 1) -> str:
    """One effect in words with the interval of the paired difference."""
    if word == "not decided":
        return f"too few seeds to decide ({c.n_a} and {c.n_b})"
    span = f"difference {c.difference:+.{digits}f}, 95 % interval [{c.low:+.{digits}f}, {c.high:+.{digits}f}]"
    if word in ("more", "fewer"):
        return f"{more if word == 'more' else fewer}: {span}"
    return f"no clear difference: {span}"


def fixed_spike_reading(per_dataset: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]]) -> str:
    """The reading of the fixed-prior comparison, per dataset, with intervals over seeds (see
    :func:`fixed_spike_effects`)."""
    sentences = []
    for name, rows in per_dataset.items():
        effects = fixed_spike_effects(rows)
        sig, mino = rows["vsc0.01"], rows["vsc0.01+min0"]

        def at(values, digits=1):
            return stats.interval(values).format(digits)

        text = (f"On {name} the authors' min(v, 0) spike switches on {at(mino['active'])} dimensions per image "
                f"against {at(sig['active'])} with the sigmoid spike ("
                + _effect(*effects["spike form, active"], "more", "fewer")
                + f"), and its conditional samples keep the input's class in {at(mino['kept'], 0)} % of draws "
                f"against {at(sig['kept'], 0)} % ("
                + _effect(*effects["spike form, kept"], "more often", "less often")
                + "). The long spike-only phase, in active dimensions: with the sigmoid spike "
                + _effect(*effects["phase, active"], "more", "fewer")
                + "; with the min(v, 0) spike " + _effect(*effects["phase with min0, active"], "more", "fewer") + ".")
        sentences.append(text)
    return " ".join(sentences)
