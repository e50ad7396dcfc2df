"""The sentences chapters 5-8 print about their own results, as functions of measured numbers.

A chapter computes its numbers and passes them here; each function returns Markdown for a
``{glue:md}`` place in the text. Every conclusion a sentence draws (an ordering, a claim that
holds or not, a target met or missed) is decided here from the numbers, so it is unit tested for
both outcomes (``tests/test_readings.py``), and no chapter builds its prose in a code cell.

:func:`mean_sd` and :func:`joined` format numbers for tables and sentences; their spaces are
no-break spaces, so a "12.3 ± 0.4" is never broken over two lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from . import stats

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


def _latent_set(Js: Sequence[int]) -> str:
    return f"$J \\in \\{{{', '.join(map(str, Js))}\\}}$"


def grid_kind(grid_name: str) -> str:
    """``"quick"``, ``"book"`` or ``"paper"`` from a grid's name (``"book"``, ``"smiley-book"``, ...)."""
    return grid_name.rsplit("-", 1)[-1]


def _trained_sentence(trained: int, wall_seconds: float, how: str = "") -> str:
    if not trained:
        return "Every run and evaluation came from the run cache of an earlier build."
    return (f"It trained {trained} runs in {wall_seconds / 60:.1f} minutes of wall time{how}; the others came from "
            "the run cache.")


QUICK_SENTENCE = "The quick profile trains on 1,000 {what} for one epoch: its numbers only check that the chapter runs. "

# ---------------------------------------------------------------------------------------------
# the thresholds of the verdicts below (each verdict's tests exercise both sides of its threshold)

#: probe points by which VSC's slab mean must beat its gated code to be called "much better"
GATED_GAP_POINTS = 3.0
#: fixed-prior VSC counts as sparse-at-any-size when, for every alpha <= SMALL_ALPHA, the active
#: count per image changes by a factor within GROWTH_RANGE from the middle to the largest J (and
#: at least MIN_ACTIVE dimensions stay on)
SMALL_ALPHA, GROWTH_RANGE, MIN_ACTIVE = 0.2, (0.67, 1.5), 1.0
#: conditional draws keep the class when they are classified as it at least this share as often
#: as real images are classified correctly
CLASS_KEPT_SHARE = 0.8
#: the UAI claim on Smiley: dimensions used within USED_RANGE at every J; growth at most
#: USED_GROWTH of alpha times the added latent size (+ 2, alpha at least 0.1); coverage at least
#: COVERAGE_SHARE of the beta-VAE's
USED_RANGE, USED_GROWTH, COVERAGE_SHARE = (12, 24), 0.25, 0.5
#: a dimension is switched by the input when it is on for between these shares of the examples;
#: a model "mostly" switches (or fixes) its dimensions past SWITCHED_MAJORITY of those it uses
SWITCH_SHARE_RANGE, SWITCHED_MAJORITY = (0.01, 0.99), 0.5


# --- chapter 5 ---------------------------------------------------------------------------------

def denoise_reading(worst: Mapping[str, str]) -> str:
    """``worst[dataset] = model`` that removed the least noise, for two datasets in order."""
    if all(model.startswith("VSC") for model in worst.values()):
        return ("On both datasets a VSC model denoises worst: noise changes *which* dimensions switch on, and a wrong "
                "set of active dimensions decodes to a different digit or garment (the VSC rows of the figures above), "
                "whereas the dense codes of the AE and the VAE degrade more gradually. This is where sparsity is a "
                "weakness.")
    names = list(worst)
    return ("The worst denoiser is " + " on MNIST and ".join(f"the {worst[n]}" for n in names) + " on Fashion-MNIST; "
            "a wrong set of active dimensions makes a VSC reconstruction a different digit or garment, while dense "
            "codes degrade more gradually.")


# --- chapter 6 ---------------------------------------------------------------------------------

def latent_grid_note(grid, trained: int, wall_seconds: float, images_per_second: float | None,
                     grouped: bool = False) -> str:
    """What chapter 6's build trained: the grid, why it is that size, what came from the cache
    (``grouped``: each cell's seeds trained as one grouped model, and the VSC families that differ
    only in alpha together, :mod:`vsc_lib.grouped`)."""
    Js = list(grid.latent_dims)
    note = (f"This build used the **{grid.name}** grid: {grid.size} runs ({len(grid.datasets)} datasets × "
            f"{len(grid.families)} families × {_latent_set(Js)} × {len(grid.seeds)} seeds). ")
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
    return note + _trained_sentence(trained, wall_seconds, how + rate)


def elbo_reading(per_dataset: Mapping[str, dict], num_epochs: int, reproduction_epochs: int) -> str:
    """One line per dataset. ``per_dataset[name]`` holds ``vae`` ({J: mean −ELBO}), ``gaps``
    ({family label: mean gap to the VAE over J}, families in decreasing α) and ``reproduction_diff``
    (mean difference to the reproduction's VAE at the shared J, or ``None``)."""
    epochs = f"{num_epochs} epoch{'s' if num_epochs != 1 else ''}"
    lines = []
    for name, facts in per_dataset.items():
        vae, gaps = facts["vae"], facts["gaps"]
        best_j = min(vae, key=vae.get)
        values = list(gaps.values())
        ordered = all(a < b for a, b in zip(values, values[1:], strict=False))
        gap_text = ", ".join(f"{label} {g:+.1f}" for label, g in gaps.items())
        line = (f"- **{name}.** The VAE's bound is lowest at $J = {best_j}$ ({vae[best_j]:.1f} nats). Averaged over $J$, "
                f"the bound of each VSC family lies above the VAE's by: {gap_text} nats")
        line += (" — the smaller $\\alpha$, the larger the gap, because every active dimension pays for its spike in "
                 "the KL term." if ordered else " (not ordered by $\\alpha$ in this build).")
        if facts.get("reproduction_diff") is not None:
            line += (f" Against the reproduction's VAE at the same $J$ ours differs by {facts['reproduction_diff']:+.1f} "
                     f"nats on average ({epochs} here, {reproduction_epochs} there).")
        lines.append(line)
    return "\n".join(lines)


def iw_reading(vae_gap: float, vsc_gaps: Sequence[float]) -> str:
    """How much of each bound the importance-weighted estimate closes (nats), and what that says."""
    mean = sum(vsc_gaps) / len(vsc_gaps)
    text = (f"The importance-weighted estimate closes {vae_gap:.1f} nats of the VAE's bound and {mean:.1f} nats of "
            f"VSC's on average (range {min(vsc_gaps):.1f} to {max(vsc_gaps):.1f}). ")
    if mean > vae_gap:
        return text + ("So part of VSC's deficit in the bound is looseness of the bound rather than of the model: a "
                       "posterior with exact zeros fits the true posterior less tightly than a Gaussian does, and the "
                       "importance weights recover some of that.")
    return text + "Here VSC's bound is not looser than the VAE's, so its deficit in the bound is a deficit of the model."


def probe_reading(per_dataset: Mapping[str, dict], j_low: int, j_high: int,
                  reproduction_triples: Sequence[tuple[float, float, float]]) -> str:
    """Linear-probe accuracies. ``per_dataset[name]`` may hold ``vae`` = (acc at ``j_low``, acc at
    ``j_high``, mean difference to the reproduction or ``None``) and ``vsc`` = (gated, slab mean,
    reproduction at ``j_high`` or ``None``, active dimensions per image), all at ``j_high`` for VSC.
    ``reproduction_triples`` = (our gated, the reproduction's VSC, our slab mean) at every J ≥ 128."""
    lines = []
    for name, facts in per_dataset.items():
        parts = []
        if "vae" in facts:
            low, high, diff = facts["vae"]
            parts.append(f"the VAE's accuracy goes from {low:.1f} % at $J = {j_low}$ to {high:.1f} % at $J = {j_high}$"
                         + (f", on average {diff:+.1f} points against the reproduction's VAE at the same $J$"
                            if diff is not None else ""))
        if "vsc" in facts:
            gated, slab, reference, n_active = facts["vsc"]
            parts.append(f"VSC's gated code reaches {gated:.1f} % at $J = {j_high}$"
                         + (f" (reproduction: {reference:.1f} %)" if reference is not None else "")
                         + f" and its slab mean {slab:.1f} %")
            parts.append(f"with about {n_active:.1f} active dimensions per image the gated code is "
                         + ("a much poorer input to a linear classifier than the slab means, which also carry what the "
                            "encoder writes into dimensions that are off" if slab - gated > GATED_GAP_POINTS
                            else "about as good as the slab means"))
        lines.append(f"- **{name}:** " + "; ".join(parts) + ".")
    between = bool(reproduction_triples) and all(g <= r <= s for g, r, s in reproduction_triples)
    closing = ("Two differences to the reproduction matter when reading these numbers. Our classifier is a regularised "
               "logistic regression fitted to convergence on standardised codes, where the reproduction trained a small "
               "network for 20 epochs with a ReLU on its logits (the cause of its isolated drops), so our VAE numbers are "
               "higher and do not saturate at the reproduction's level. And the reproduction does not say which VSC code "
               "it classified")
    closing += ("; at $J \\ge 128$ its numbers lie between our gated and our slab-mean codes on both datasets." if between
                else "; at $J \\ge 128$ its numbers are not consistently between our gated and slab-mean codes.")
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
    ``alphas[label]`` the VSC families' α (the VAE is ``vae_label``). The claim tested: with
    α ≤ 0.2 the count per image changes by less than a factor 1.5 between the two largest J;
    with ``points`` (every seed's count at every J, see :func:`sparsity_trend`) also the slope
    over the whole range, which a count that grows in proportion to J cannot pass."""
    lines = []
    first = next(iter(active.values()))
    Js = sorted(first[vae_label])
    j_lo, j_mid, j_hi = Js[0], Js[-2] if len(Js) > 1 else Js[-1], Js[-1]
    vsc = [label for label in first if label != vae_label]
    for name, families in active.items():
        parts = [f"{label}: {families[label][j_lo]:.1f} at $J={j_lo}$ and {families[label][j_hi]:.1f} at $J={j_hi}$"
                 for label in vsc]
        lines.append(f"- **{name}**, active dimensions per image — " + "; ".join(parts) +
                     f". The VAE has {families[vae_label][j_lo]:.0f} active units at $J={j_lo}$ and "
                     f"{families[vae_label][j_hi]:.0f} at $J={j_hi}$.")
    growth = {(name, label): families[label][j_hi] / max(families[label][j_mid], 1e-9)
              for name, families in active.items() for label in vsc}
    small = [label for label in vsc if alphas[label] <= SMALL_ALPHA]
    flat = bool(small) and all(GROWTH_RANGE[0] <= growth[(name, label)] <= GROWTH_RANGE[1]
                               and active[name][label][j_hi] >= MIN_ACTIVE
                               for name in active for label in small)
    trend_text, trend_flat = sparsity_trend(points, small) if points is not None else ("", None)
    flat = flat and trend_flat is not False  # a count that grows over the whole range is not flat
    growth_text = "; ".join(f"{name} {label} ×{growth[(name, label)]:.2f}" for name in active for label in vsc)
    closing = (f"From $J = {j_mid}$ to $J = {j_hi}$ the active count per image changes by: {growth_text}. "
               + ("With $\\alpha \\le 0.2$ it stays within a factor 1.5 while the number of available dimensions grows"
                  + (" and shows no trend over the whole range" if trend_flat else "") + ": "
                  "VSC leaves the extra dimensions off instead of spreading the code thinly over them." if flat else
                  "With $\\alpha \\le 0.2$ it is not flat in this build (or the models switch almost nothing on), so the "
                  "claim that VSC uses about as many dimensions as it needs whatever $J$ is not supported by these runs.")
               + " With $\\alpha = 0.5$ the prior itself asks for half of the dimensions to be on, and the count "
                 "follows $J$.")
    if trend_text:
        closing += " " + trend_text
    return "\n".join(lines) + "\n\n" + closing


def prior_reading(alpha: float, latent_dim: int, mnist: Mapping[str, float], fashion: Mapping[str, float]) -> str:
    """Prior draws against the encoder's codes; each mapping holds ``prior_on``, ``post_on``,
    ``used``, ``any_used``, ``only_used`` and ``empty`` (the last three in %)."""
    f, g = mnist, fashion
    return (f"With $\\alpha = {alpha:g}$ and $J = {latent_dim}$ a prior draw switches on {f['prior_on']:.1f} dimensions "
            f"on average and the encoder {f['post_on']:.1f} per MNIST test image, so the two agree on *how many* "
            f"features an image has. They disagree on *which*: the encoder uses only {f['used']:.0f} of the "
            f"{latent_dim} dimensions for any MNIST test image ({g['used']:.0f} for Fashion-MNIST), while the prior "
            f"picks among all of them, so only {f['any_used']:.0f} % of prior draws switch on at least one dimension "
            f"the decoder was trained with, while {f['only_used']:.0f} % switch on no other dimension, most of them "
            f"({f['empty']:.0f} % of all draws) because they switch on nothing at all (Fashion-MNIST: "
            f"{g['any_used']:.0f} %, {g['only_used']:.0f} % and {g['empty']:.0f} %). Most draws therefore decode to "
            "what the decoder makes of an empty or unfamiliar code, the same faint shape again and again, which is "
            "what the VSC rows show. This mismatch between a fixed prior and the aggregate posterior is what the "
            "learned prior of the UAI paper addresses.")


def conditional_reading(kept: Mapping[str, tuple[float, float]]) -> str:
    """``kept[dataset] = (% of conditional draws classified as the input's class, % of real test
    images classified correctly)``; the draws keep the class when the first is ≥ 80 % of the second."""
    if all(same >= CLASS_KEPT_SHARE * real for same, real in kept.values()):
        return ("The draws keep the input's class about as often as the classifier recognises real images, so here the "
                "active set does carry the class.")
    numbers = "; ".join(f"{name}: {same:.0f} % against {real:.0f} %" for name, (same, real) in kept.items())
    return ("The draws keep the input's class far less often than the classifier recognises real images (" + numbers +
            "): with so few active dimensions, drawn from a small shared pool, different classes switch on overlapping "
            "sets and are told apart mainly by the slab *values*, which conditional sampling redraws. The paper's claim "
            "that conditional samples share the input's identity is not borne out by this model.")


def targets_verdict(met: Sequence[bool | None], grid_name: str, num_epochs: int) -> str:
    """How many of the chapter's targets were met (``None``: not testable with this grid)."""
    tested = [m for m in met if m is not None]
    yes, no = sum(tested), len(tested) - sum(tested)
    verdict = (f"Of the {len(tested)} targets this grid can test, {yes} {'is' if yes == 1 else 'are'} met and {no} "
               f"{'is' if no == 1 else 'are'} not. ")
    if grid_kind(grid_name) != "paper":
        verdict += (f"The targets refer to trained models; with the {num_epochs}-epoch runs of the {grid_name} grid a "
                    "miss says more about the training budget than about the method, which is why the full grid exists "
                    "(`make book PROFILE=paper`). ")
    verdict += ("What was tried for the misses: for classification, the two VSC codes above (the slab mean recovers what "
                "the gated code loses); for the VAE's bound, longer training outside the build "
                "(`python research/vae_j16_long_training.py` trains the $J = 16$ VAE for 80 epochs with three recipes; the "
                "repository's README lists the results), because the build's budget cannot hold it. ")
    return verdict + ("Nothing here was tuned on the test set: the recipe is fixed in advance, every seed is reported, and "
                      "the one selection made (the best $J$ for the importance-weighted estimate) uses the training bound.")


# --- chapter 7 ---------------------------------------------------------------------------------

def smiley_grid_note(grid, num_betas: int, vsc_labels: Sequence[str], other_selector_runs: int, trained: int,
                     wall_seconds: float) -> str:
    note = (f"This build used the **{grid.name}** grid: {num_betas} β-VAEs and {len(vsc_labels)} VSC models "
            f"({', '.join(vsc_labels)}) at {_latent_set(grid.latent_dims)}, {len(grid.seeds)} seed(s) each, "
            f"{grid.num_epochs} epochs, plus {other_selector_runs} runs for the other selector forms. ")
    if grid_kind(grid.name) == "book":
        note += ("One seed per cell keeps the chapter inside the book's build budget; `make book PROFILE=paper` builds it "
                 "from three seeds of 20 epochs (and β up to 16) instead. ")
    elif grid_kind(grid.name) == "quick":
        note += QUICK_SENTENCE.format(what="images")
    return note + _trained_sentence(trained, wall_seconds, " with two worker processes")


def smiley_claim(Js: Sequence[int], vsc: Mapping[str, Mapping[str, Mapping[int, float]]], alphas: Mapping[str, float],
                 beta: Mapping[str, Mapping[int, float]]) -> tuple[dict[str, dict[str, bool]], bool]:
    """The paper's claim on Smiley, per VSC family and as a whole.

    ``vsc[label]`` holds ``used``, ``disentanglement`` and ``coverage`` ({J: value}); ``beta``
    the tuned β-VAE's ``disentanglement`` and ``coverage``. A family supports the claim when its
    dimensions in use stay within a third of the 18 sources at every J, do not grow with J by more
    than a quarter of α·ΔJ (+2), its disentanglement beats the β-VAE's at every J and its coverage
    is at least half the β-VAE's at every J. The claim holds when one family meets all four.
    """
    tests = {}
    for label, v in vsc.items():
        used, alpha = v["used"], alphas[label]
        tests[label] = {
            "about_18": all(USED_RANGE[0] <= used[J] <= USED_RANGE[1] for J in Js),
            "steady": used[Js[-1]] - used[Js[0]] <= USED_GROWTH * (Js[-1] - Js[0]) * max(alpha, 0.1) + 2,
            "better": all(v["disentanglement"][J] > beta["disentanglement"][J] for J in Js),
            "covers": all(v["coverage"][J] >= COVERAGE_SHARE * beta["coverage"][J] for J in Js),
        }
    return tests, any(all(t.values()) for t in tests.values())


def smiley_reading(Js: Sequence[int], truth_per_image: float, vsc: Mapping[str, Mapping[str, Mapping[int, float]]],
                   alphas: Mapping[str, float], beta: Mapping[str, Mapping[int, float]]) -> str:
    """The chapter's main reading: per VSC family (``used``, ``active``, ``varying``,
    ``disentanglement``, ``coverage`` per J), the tuned β-VAE (``used``, ``disentanglement``,
    ``coverage``), and the verdict of :func:`smiley_claim`."""
    def per_j(values, fmt="{:.0f}"):
        return joined([values[J] for J in Js], fmt)

    lines = [f"At $J$ = {joined(Js)}: the images have 18 sources, {truth_per_image:.1f} of them non-zero per image on "
             "average."]
    for label, v in vsc.items():
        lines.append(f"The {label} used **{per_j(v['used'])}** dimensions in total ({per_j(v['active'], '{:.1f}')} per "
                     f"image; α·J = {joined([alphas[label] * J for J in Js], '{:.1f}')}), of which "
                     f"**{per_j(v['varying'])}** were switched by the input (the rest on for every face), disentanglement "
                     f"**{per_j(v['disentanglement'], '{:.2f}')}**, coverage {per_j(v['coverage'], '{:.2f}')}.")
    lines.append(f"The β-VAE with the chosen β kept **{per_j(beta['used'])}** active units, disentanglement "
                 f"**{per_j(beta['disentanglement'], '{:.2f}')}**, coverage {per_j(beta['coverage'], '{:.2f}')}.")
    tests, holds = smiley_claim(Js, vsc, alphas, beta)
    verdicts = []
    for label, t in tests.items():
        parts = [("within a third of 18 dimensions at every J" if t["about_18"] else
                  f"not within a third of 18 dimensions at every J ({per_j(vsc[label]['used'])})"),
                 "a count that does not grow with J" if t["steady"] else "a count that grows with J",
                 ("a higher disentanglement than the tuned β-VAE at every J" if t["better"] else
                  "not a higher disentanglement than the tuned β-VAE at every J"),
                 ("at least half the β-VAE's coverage at every J" if t["covers"] else
                  "less than half the β-VAE's coverage (it tracks few of the sources)")]
        verdicts.append(f"{label}: " + ", ".join(parts))
    lines.append("**The paper's claim** — VSC keeps a block structure and about as many active dimensions as there are "
                 "sources as $J$ grows, the β-VAE does not — "
                 + ("**holds here**" if holds else "**is not borne out by these runs**") + " (" + "; ".join(verdicts)
                 + ").")
    return " ".join(lines)


def selector_reading(scores: Mapping[str, tuple[float, float]], latent_dim: int, num_seeds: int) -> str:
    """``scores[selector] = (test disentanglement, test −ELBO)``."""
    best_form = max(scores, key=lambda k: scores[k][0])
    best_bound = min(scores, key=lambda k: scores[k][1])
    return (f"The best disentanglement came from the **{best_form}** selector and the best bound from the "
            f"**{best_bound}** one (J = {latent_dim}, {num_seeds} seed(s); differences of a few hundredths in D are "
            "within what a different seed gives).")


def control_reading(switched: Mapping[str, Mapping[str, tuple[float, float, str]]]) -> str:
    """``switched[model][group] = (% drawn on faces without it, % left on faces with it after
    switching off, "spike" or "slab values")`` for the hat and the bow tie; a group missing from a
    model's mapping had no latent tied to it."""
    readings = []
    for label, groups in switched.items():
        parts = []
        for name in ("hat", "bow tie"):
            if name in groups:
                on, off, how = groups[name]
                parts.append(f"switching the {name} latents on drew a {name} on **{on:.0f} %** of the faces that had "
                             f"none, and switching them off left one on **{off:.0f} %** of those that had one (switched "
                             f"by {how})")
            else:
                parts.append(f"no latent was tied to the {name}'s sources, so it cannot be switched")
        readings.append(f"For the {label}, " + "; ".join(parts) + ".")
    return " ".join(readings)


def traversal_note(latent: int | None, factor: str = "", strength: float = 0.0, low: float = 0.0, high: float = 0.0,
                   what: str = "", counts: Sequence[float] = ()) -> str:
    """What traversing one latent's slab value did to the pixels of its group's region."""
    if latent is None:
        return "No latent was tied to a source, so there is nothing to traverse."
    return (f"The traversed latent is number {latent}, whose strongest source is *{factor}* (|correlation| "
            f"{strength:.2f}). Along the sweep from {low:.1f} to {high:.1f} the {what} go "
            f"{' → '.join(f'{c:.0f}' for c in counts)} (mean over the three faces, every other step).")


def smiley_summary(Js: Sequence[int], vsc: Mapping[str, Mapping[str, Mapping[int, float]]], alphas: Mapping[str, float],
                   beta_used: Mapping[int, float], steady: Mapping[str, bool], learned_label: str,
                   learned_switched: Mapping[str, tuple[float, float, str]]) -> str:
    """The conclusion's paragraph on Smiley (``vsc[label]`` holds ``used`` and ``varying`` per J)."""
    def per_j(values):
        return joined([values[J] for J in Js])

    facts = [f"the {label} used {per_j(v['used'])} dimensions at $J$ = {joined(Js)}" for label, v in vsc.items()]
    facts.append(f"the tuned β-VAE kept {per_j(beta_used)} active units")
    summary = "In this build, " + "; ".join(facts) + ". "
    for label, v in vsc.items():
        if not steady[label]:
            near = all(abs(v["used"][J] - alphas[label] * J) <= max(2.0, 0.3 * alphas[label] * J) for J in Js)
            summary += f"For the {label} the count grew with $J$" + (
                ", staying close to α·J, the target of the sparsity penalty, rather than to the 18 sources of the data. "
                if near else ". ")
    if "hat" in learned_switched and "bow tie" in learned_switched:
        hat, tie = learned_switched["hat"], learned_switched["bow tie"]
        summary += (f"In the {learned_label}, switching latent groups drew a hat on {hat[0]:.0f} % and a bow tie on "
                    f"{tie[0]:.0f} % of the faces without one, and switching them off left {hat[1]:.0f} % and "
                    f"{tie[1]:.0f} % with one. ")
    mostly_fixed = [label for label, v in vsc.items()
                    if all(v["varying"][J] < SWITCHED_MAJORITY * max(v["used"][J], 1) for J in Js)]
    mostly_switched = [label for label, v in vsc.items()
                       if all(v["varying"][J] >= SWITCHED_MAJORITY * v["used"][J] for J in Js)]
    if mostly_fixed:
        summary += (f"Most of the dimensions the {' and the '.join(mostly_fixed)} used were on for every face, so what "
                    "changes between faces is in the slab values: their spikes say little about which attributes a "
                    "face has, the opposite of what the learned prior is meant to produce. ")
    if mostly_switched:
        summary += (f"The {' and the '.join(mostly_switched)} switched most of its dimensions by the input ("
                    + "; ".join(f"{per_j(vsc[label]['varying'])} of {per_j(vsc[label]['used'])}"
                                for label in mostly_switched) + ").")
    return summary


def fixed_spike_effects(rows: Mapping[str, Mapping[str, tuple[float, float]]]) -> dict[str, str]:
    """What the authors' spike form and their long spike-only phase did to a fixed-prior VSC on
    one dataset. ``rows[family]`` holds (mean, sd) over seeds of ``active`` (dimensions on per
    image) and ``kept`` (% of conditional samples classified as the input's class) for the four
    families ``vsc0.01``, ``vsc0.01+hold``, ``vsc0.01+min0``, ``vsc0.01+min0+hold``. Each effect
    is ``"more"``, ``"fewer"`` or ``"no clear change"`` (:func:`clearly_above`; differences below
    half a dimension per image or two percentage points never count)."""
    tolerance = {"active": 0.5, "kept": 2.0}  # half a dimension per image; two points of percentage

    def compare(a, b, key):
        if clearly_above(rows[a][key], rows[b][key], tolerance[key]):
            return "more"
        if clearly_above(rows[b][key], rows[a][key], tolerance[key]):
            return "fewer"
        return "no clear change"

    return {"spike form, active": compare("vsc0.01+min0", "vsc0.01", "active"),
            "spike form, kept": compare("vsc0.01+min0", "vsc0.01", "kept"),
            "phase, active": compare("vsc0.01+hold", "vsc0.01", "active"),
            "phase with min0, active": compare("vsc0.01+min0+hold", "vsc0.01+min0", "active")}


def fixed_spike_reading(per_dataset: Mapping[str, Mapping[str, Mapping[str, tuple[float, float]]]]) -> str:
    """The reading of the fixed-prior comparison, per dataset (see :func:`fixed_spike_effects`)."""
    sentences = []
    for name, rows in per_dataset.items():
        effects = fixed_spike_effects(rows)
        sig, mino = rows["vsc0.01"], rows["vsc0.01+min0"]
        text = (f"On {name} the authors' min(v, 0) spike switches on {mean_sd(*mino['active'])} dimensions per image "
                f"against {mean_sd(*sig['active'])} with the sigmoid spike (")
        text += {"more": "clearly more", "fewer": "clearly fewer", "no clear change": "no clear difference"}[
            effects["spike form, active"]]
        text += (f"), and its conditional samples keep the input's class in {mean_sd(*mino['kept'], 0)} % of draws "
                 f"against {mean_sd(*sig['kept'], 0)} % (")
        text += {"more": "clearly more often", "fewer": "clearly less often", "no clear change": "no clear difference"}[
            effects["spike form, kept"]]
        text += "). The long spike-only phase gives " + {
            "more": "clearly more", "fewer": "clearly fewer", "no clear change": "no clear change in the number of"}[
            effects["phase, active"]] + " active dimensions with the sigmoid spike and " + {
            "more": "clearly more", "fewer": "clearly fewer", "no clear change": "no clear change"}[
            effects["phase with min0, active"]] + " with the min(v, 0) spike."
        sentences.append(text)
    return " ".join(sentences)


# --- chapter 7: the authors' recipe -----------------------------------------------------------------

#: a code has the paper's structure when at least this share of the dimensions it uses (and at
#: least SWITCHED_MIN of them) are switched on and off by the input rather than on for every face
SWITCHED_SHARE, SWITCHED_MIN = 0.5, 2
#: dimensions used may grow by at most this fraction of the added latent size (+ 2) from the
#: smallest to the largest J for the count to be called steady
STEADY_FRACTION = 0.1


def has_structure(used: float, switched: float) -> bool:
    """Whether a code switches most of the dimensions it uses by the input (see SWITCHED_SHARE)."""
    return switched >= SWITCHED_MIN and switched >= SWITCHED_SHARE * used


def clearly_above(a: tuple[float, float], b: tuple[float, float], tolerance: float = 0.0) -> bool:
    """Mean ``a[0]`` exceeds mean ``b[0]`` by more than the larger of the two seeds' sds and
    than ``tolerance`` (a difference too small to matter, whatever the spread)."""
    return a[0] - b[0] > max(a[1], b[1], tolerance)


def authors_claim(Js: Sequence[int], vsc: Mapping[str, Mapping[int, tuple[float, float]]],
                  beta: Mapping[str, Mapping[int, tuple[float, float]]],
                  d_seeds: Mapping[int, tuple[Sequence[float], Sequence[float]]] | None = None,
                  ) -> tuple[dict[str, bool], bool]:
    """The paper's claim on Smiley, tested on the runs of the authors' recipe.

    ``vsc[metric][J]`` and ``beta[metric][J]`` are (mean, sd) over seeds; metrics ``used``,
    ``switched`` (VSC) and ``D`` (the block disentanglement: latents against the attribute
    groups under the authors' |z| vs |S V| measure; for the β-VAE the β chosen on the validation
    images). The claim holds when VSC's codes have the structure
    (:func:`has_structure`) at every J, their count of dimensions is steady as J grows, and
    their D is clearly above the β-VAE's at every J. With ``d_seeds[J] = (VSC's D per seed, the
    β-VAE's D per seed)`` "above" is decided by the 95 % interval of the difference
    (:func:`vsc_lib.stats.compare`), and the test ``worse`` says whether the β-VAE is above VSC at
    some J; without it, by :func:`clearly_above` on (mean, sd).
    """
    used = {J: vsc["used"][J][0] for J in Js}
    tests = {
        "structure": all(has_structure(used[J], vsc["switched"][J][0]) for J in Js),
        "steady": used[Js[-1]] - used[Js[0]] <= STEADY_FRACTION * (Js[-1] - Js[0]) + 2,
    }
    if d_seeds is not None:
        decisions = [stats.compare(*d_seeds[J]).decision for J in Js]
        tests["better"] = all(d == stats.ABOVE for d in decisions)
        holds = all(tests.values())
        tests["worse"] = any(d == stats.BELOW for d in decisions)
        return tests, holds
    tests["better"] = all(clearly_above(vsc["D"][J], beta["D"][J]) for J in Js)
    return tests, all(tests.values())


def authors_reading(Js: Sequence[int], vsc: Mapping[str, Mapping[int, tuple[float, float]]],
                    beta: Mapping[str, Mapping[int, tuple[float, float]]], num_seeds: int,
                    d_seeds: Mapping[int, tuple[Sequence[float], Sequence[float]]] | None = None) -> str:
    """The chapter's main reading of the authors' recipe against the tuned β-VAE; with
    ``d_seeds`` (see :func:`authors_claim`) the comparison of D is read in both directions at each J,
    with its 95 % interval."""
    def per_j(values, digits=1):
        return joined([values[J][0] for J in Js], f"{{:.{digits}f}}")

    def spread(values, digits=2):
        return ", ".join(mean_sd(*values[J], digits) for J in Js)

    tests, holds = authors_claim(Js, vsc, beta, d_seeds)
    text = (f"Over {num_seeds} seeds at $J$ = {joined(Js)}, the authors' recipe used **{per_j(vsc['used'])}** "
            f"dimensions in total, of which **{per_j(vsc['switched'])}** were switched on and off by the input and "
            f"{per_j(vsc['always_on'])} were on for every face; a face switched on {per_j(vsc['active'])} of them. "
            f"Its block disentanglement (latents against the four attribute groups, authors' measure) was "
            f"{spread(vsc['D'])}, the tuned β-VAE's {spread(beta['D'])} (mean ± sd over seeds). ")
    if d_seeds is not None:
        text += " ".join(f"At $J$ = {J}: " + stats.compare(*d_seeds[J]).sentence("VSC", "the β-VAE", "block D")
                         for J in Js) + " "
        better = ("its block disentanglement is above the tuned β-VAE's at every J (95 % intervals)" if tests["better"]
                  else "the tuned β-VAE's block disentanglement is above VSC's at some J (95 % intervals)"
                  if tests["worse"] else
                  "its block disentanglement is not above the tuned β-VAE's at every J (95 % intervals)")
    else:
        better = ("its block disentanglement is clearly above the tuned β-VAE's at every J" if tests["better"] else
                  "its block disentanglement is not clearly above the tuned β-VAE's at every J (by more than the "
                  "seeds' spread)")
    parts = [("most of the dimensions it uses are switched by the input" if tests["structure"] else
              "the dimensions it uses are not mostly switched by the input at every J"),
             "their number is steady as J grows" if tests["steady"] else "their number grows with J", better]
    return text + ("**With the authors' recipe the paper's claim holds here**" if holds else
                   "**With the authors' recipe the paper's claim is not borne out here**") + ": " + "; ".join(parts) + "."


def spike_group_counts(per_seed: Sequence, names: Sequence[str]) -> dict:
    """Over seeds (``analysis.SpikeGroups`` each), the dimensions switched by the input (on for
    1-99 % of the faces) split by what their spikes follow: ``one`` group (counted per group
    name), ``several`` groups at once, or ``none`` strongly."""
    counts = {"switched": 0, "one": {name: 0 for name in names}, "several": 0, "none": 0}
    for result in per_seed:
        for k, follows in enumerate(result.follows):
            if not SWITCH_SHARE_RANGE[0] <= float(result.share[k]) <= SWITCH_SHARE_RANGE[1]:
                continue
            counts["switched"] += 1
            if len(follows) == 1:
                counts["one"][names[follows[0]]] += 1
            elif follows:
                counts["several"] += 1
            else:
                counts["none"] += 1
    return counts


def spike_group_reading(per_seed: Sequence, names: Sequence[str]) -> str:
    """What the spikes of the authors' recipe switch with (see :func:`spike_group_counts`)."""
    c = spike_group_counts(per_seed, names)
    if not c["switched"]:
        return f"Over {len(per_seed)} seed(s) no dimension was switched by the input: every used one was always on."
    single = sum(c["one"].values())
    text = (f"Over {len(per_seed)} seed(s), {c['switched']} dimensions were switched by the input. **{single}** of them "
            "follow the presence of exactly one attribute group (|correlation| ≥ 0.5 with it)")
    named = [f"{n} {name}" for name, n in c["one"].items() if n]
    text += (f" ({', '.join(named)})" if named else "") + f"; **{c['several']}** follow two or more groups at once"
    text += f", and {c['none']} none strongly. "
    if c["several"] > single:
        text += ("Most spikes therefore mark a *combination* of attributes — a kind of face — rather than one "
                 "attribute each, which is not the one-group-per-block structure the paper describes.")
    elif single:
        text += "Most spikes therefore switch with one attribute group each, as the paper describes."
    return text


def _per_seed(values) -> list[float]:
    return [float(v) for v in values] if isinstance(values, Sequence) else [float(values)]


def structure_seeds(row: Mapping) -> tuple[int, int]:
    """(seeds whose code has the structure, seeds): ``row["used"]`` and ``row["switched"]`` are
    one number or one per seed (see :func:`has_structure`)."""
    pairs = list(zip(_per_seed(row["used"]), _per_seed(row["switched"]), strict=True))
    return sum(has_structure(u, w) for u, w in pairs), len(pairs)


def ablation_effects(base: Mapping, rows: Mapping[str, Mapping]) -> dict[str, str]:
    """Per ablated ingredient, what putting it back did to the structure, seed by seed:
    ``"breaks it"`` (the recipe's code has the structure in most seeds, the ablated one in none),
    ``"keeps it"`` (in every seed), ``"undecided"`` (in some seeds, not in others),
    ``"creates it"`` / ``"neither has it"`` when the recipe's code lacks it. Each mapping holds
    ``used`` and ``switched``, one number or one per seed."""
    k, n = structure_seeds(base)
    base_has = 2 * k > n
    out = {}
    for name, row in rows.items():
        has, seeds = structure_seeds(row)
        if 0 < has < seeds:
            out[name] = "undecided"
        elif base_has:
            out[name] = "keeps it" if has else "breaks it"
        else:
            out[name] = "creates it" if has else "neither has it"
    return out


def ablation_reading(base: Mapping, rows: Mapping[str, Mapping], labels: Mapping[str, str]) -> str:
    """Which ingredients the structure depends on (``labels[name]``: the earlier choice), with
    how many seeds each verdict rests on."""
    effects = ablation_effects(base, rows)
    k, n = structure_seeds(base)
    if 2 * k <= n:
        return ("The recipe itself did not switch most of its dimensions by the input in these runs "
                f"({k} of {n} seed(s)), so the ablation cannot say which ingredient produces that structure.")

    counts = {name: structure_seeds(row) for name, row in rows.items()}  # (seeds with it, seeds)

    def named(effect: str) -> list[str]:
        return [f"{labels[name]} ({'of' if effect == 'undecided' else 'in'} {counts[name][1]} seed(s)"
                + (f": {counts[name][0]} keep it" if effect == "undecided" else "") + ")"
                for name, e in effects.items() if e == effect]

    used, switched = (sum(_per_seed(base[key])) / n for key in ("used", "switched"))
    text = (f"The recipe switched {switched:.1f} of its {used:.1f} dimensions by the input (mean over {n} seed(s); "
            f"{k} of them have that structure). ")
    breaking, undecided, keeping = named("breaks it"), named("undecided"), named("keeps it")
    if breaking:
        text += "Putting back one earlier choice at a time, the structure disappeared with: **" + "**; **".join(breaking) + "**. "
    else:
        text += "No single earlier choice removed that structure in every seed. "
    if undecided:
        text += "It stayed in some seeds and not in others with: " + "; ".join(undecided) + ". "
    if keeping:
        text += "It survived in every seed: " + "; ".join(keeping) + "."
    return text.rstrip()


def authors_size_note(grid, hidden: int, iterations: int, num_ablation: int) -> str:
    """How large this build's runs of the authors' recipe are, against the authors' own."""
    kind = grid_kind(grid.name)
    note = (f"This build trains the recipe with **{hidden:,} hidden units** ({percent(100 * hidden / 3000)} of the "
            f"authors' 3,000) for **{iterations:,} iterations** of 500 images ({percent(100 * iterations / 200_000, 1)} "
            "of their 200,000); "
            "every iteration count of the schedule is scaled with the length, so the spike-only phase still ends at "
            "37.5 % of training, the ramp at 40 % and the learning-rate drop comes at 30 %. ")
    if kind == "quick":
        return note + ("The quick profile's runs are far too short to show anything: they only check that the chapter "
                       "runs.")
    note += (f"The ablation trains the recipe at $J = 40$ with one of {num_ablation} ingredients put back at a time, at "
             "the same size")
    if hidden == 400:
        note += " (the width ingredient only at full size: this size already has the earlier 400 units)"
    return note + ". The full-size runs are shown in the last section once they are in the run cache."


def authors_grid_note(grid, betas: Sequence[str], trained: int, wall_seconds: float) -> str:
    betas_text = ", ".join(b.rsplit("beta", 1)[-1] for b in betas)
    return (f"This build used the **{grid.name}** grid: the recipe and β-VAEs with β ∈ {{{betas_text}}} at "
            f"{_latent_set(grid.latent_dims)}, {len(grid.seeds)} seed(s) each, trained on the first "
            f"{grid.num_train:,} training images, β chosen on the next {grid.num_validation:,}, scored on "
            f"{grid.num_test:,} test images. " + _trained_sentence(trained, wall_seconds))


def _spread(values: Sequence[float]) -> str:
    import statistics

    if not values:
        return "–"
    return mean_sd(statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0, 0)


def switch_table(switches: Mapping[int, Sequence], groups: Sequence[str]) -> dict[str, list[str]]:
    """Columns of the switching table from ``switches[seed] = [GroupSwitch per group]``: each
    percentage as mean ± sd over the seeds where the group had latents ("–" where none had)."""
    columns = {"latents": [], "by": [], "recon., has": [], "recon., lacks": [], "read right": [], "on": [], "off": [],
               "others kept": []}
    for g, _ in enumerate(groups):
        cells = [per_seed[g] for per_seed in switches.values()]
        tied = [c for c in cells if c.latents]
        columns["latents"].append(joined([len(c.latents) for c in cells]))
        kinds = sorted({c.by for c in tied})
        columns["by"].append(" / ".join(kinds) or "–")
        columns["recon., has"].append(_spread([c.recon_has for c in cells]))
        columns["recon., lacks"].append(_spread([c.recon_lacks for c in cells]))
        columns["read right"].append(_spread([c.agreement for c in cells if c.agreement is not None]))
        columns["on"].append(_spread([c.drawn_on for c in tied]))
        columns["off"].append(_spread([c.left_on for c in tied]))
        columns["others kept"].append(_spread([c.others_kept for c in tied]))
    return columns


def switch_means(switches: Mapping[int, Sequence], groups: Sequence[str]) -> dict[str, tuple[float, float, str]]:
    """``{group: (% drawn on, % left on, how)}`` averaged over the seeds where the group had
    latents (the input of :func:`control_reading`); groups no seed tied a latent to are left out."""
    import statistics

    out = {}
    for g, name in enumerate(groups):
        tied = [per_seed[g] for per_seed in switches.values() if per_seed[g].latents]
        if tied:
            how = "spike" if any(c.by == "spike" for c in tied) else "slab values"
            out[name] = (statistics.fmean(c.drawn_on for c in tied), statistics.fmean(c.left_on for c in tied), how)
    return out


def paper_size_note(available: int, total: int, timings: Sequence[Mapping[str, float]] = ()) -> str:
    """Whether the full-size grid's runs are in the cache or the store; ``timings``, those found's
    :func:`vsc_lib.training.block_timing` (the wall time each recorded, pauses of its process
    included, and its computation: the median block time × the number of blocks)."""
    if not available:
        return (f"None of the {total} full-size runs (the authors' 3,000 hidden units and 200,000 iterations of 500, at "
                "three latent sizes and three seeds) is in this build's run cache or the evidence store, so this section has "
                "no numbers. "
                "`python scripts/sweep.py --study authors --grid paper` trains them into the cache, resumably (one "
                "run: `python scripts/train_cell.py --cell authors:60:0`): about 8.7 hours of computation per run "
                "on two CPU cores in fp32 (0.156 s per iteration with its evaluations, measured on an AMD Zen 5), far "
                "less on a GPU (not measured here).")
    text = (f"{available} of the {total} full-size runs {'was' if available == 1 else 'were'} found in the run cache "
            f"or the evidence store and {'is' if available == 1 else 'are'} shown here; the others have not been "
            "trained.")
    if timings:
        recorded = [t["recorded_seconds"] / 3600 for t in timings]
        computed = [t["computation_seconds"] / 3600 for t in timings]
        text += (f" {'Its' if available == 1 else 'Their'} training recorded {_value_range(recorded, 1)} hours of wall "
                 f"time, pauses of the process included, and took {_value_range(computed, 1)} hours of computation "
                 "(the median time of a block of iterations, times the number of blocks).")
    return text


#: what :func:`full_size_comparison` compares: evaluated column -> (how the sentence names it, digits)
FULL_SIZE_MEASURES: dict[str, tuple[str, int]] = {
    "dims_used": ("dimensions used", 0),
    "input_dependent_dims": ("dimensions switched by the input", 0),
    "always_on_dims": ("dimensions always on", 0),
    "active_per_example": ("dimensions on per face", 1),
    "authors_block_disentanglement": ("the authors' block disentanglement", 2),
    "disentanglement": ("signed disentanglement", 2),
    "test_neg_elbo": ("test −ELBO", 0),
}

#: the measures of the block structure the chapter's claim rests on
STRUCTURE_MEASURES = ("dims_used", "input_dependent_dims", "authors_block_disentanglement")


def size_position(full: Sequence[float], reduced: Sequence[float]) -> str:
    """Where the values of the full-size runs lie against the reduced-size seeds: ``"above"``
    (every full-size value above every reduced one), ``"below"``, or ``"within"`` (the ranges
    overlap).

    Raises:
        ValueError: either side has no values.
    """
    if not len(full) or not len(reduced):
        raise ValueError("size_position needs at least one value on each side")
    if min(full) > max(reduced):
        return "above"
    if max(full) < min(reduced):
        return "below"
    return "within"


def _value_range(values: Sequence[float], digits: int) -> str:
    """``"7 to 8"`` (one value alone when they agree to ``digits``), with true minus signs."""
    low, high = (f"{v:,.{digits}f}".replace("-", "−") for v in (min(values), max(values)))
    return low if low == high else f"{low} to {high}"


def full_size_comparison(J: int, full: Mapping[str, Sequence[float]], reduced: Mapping[str, Sequence[float]],
                         size: str) -> str:
    """How the full-size runs at latent size ``J`` compare with this build's reduced-size runs of
    the same recipe: for each measure of :data:`FULL_SIZE_MEASURES` present on both sides
    (``full[column]`` / ``reduced[column]``: one value per seed), whether the full size lies above,
    below or within the reduced seeds' range (:func:`size_position`), and what that means for the
    chapter's verdict, which is computed at the reduced ``size`` (e.g. "400 units, 10,000
    iterations").

    Raises:
        ValueError: no measure is present on both sides though the reduced size has runs.
    """
    if not any(len(v) for v in reduced.values()):
        return (f"At $J = {J}$ this build trained no reduced-size run of the recipe, so the full size has nothing "
                "to be compared with here.")
    shared = [c for c in FULL_SIZE_MEASURES if len(full.get(c, ())) and len(reduced.get(c, ()))]
    if not shared:
        raise ValueError("full_size_comparison: no measure is present for both sizes")
    n_full, n_reduced = len(full[shared[0]]), len(reduced[shared[0]])
    groups: dict[str, list[str]] = {"above": [], "below": [], "within": []}
    for column in shared:
        name, digits = FULL_SIZE_MEASURES[column]
        groups[size_position(full[column], reduced[column])].append(
            f"{name} ({_value_range(full[column], digits)} against {_value_range(reduced[column], digits)})")
    runs = "the full-size run" if n_full == 1 else f"the {n_full} full-size runs"
    text = f"At $J = {J}$, {runs} against this build's {n_reduced} reduced-size seeds of the same recipe ({size}): "
    parts = []
    for where, words in (("above", "higher than every reduced-size seed in"), ("below", "lower in"),
                         ("within", "within the reduced seeds' range in")):
        if groups[where]:
            parts.append(f"{words} {', '.join(groups[where])}")
    text += "; ".join(parts) + ". "
    structure = [size_position(full[c], reduced[c]) for c in STRUCTURE_MEASURES if c in shared]
    if not structure:
        return text + "No measure of the block structure is present for both sizes, so nothing follows for the verdict."
    if all(p == "above" for p in structure):
        text += ("The authors' size builds **more block structure** than the reduced size on every measure the claim "
                 "rests on, so the verdict above, computed at the reduced size, understates what the recipe does at "
                 "full size" + (" (one run: no spread to compare)." if n_full == 1 else "."))
    elif all(p == "within" for p in structure):
        text += ("On the measures the claim rests on the reduced size behaves like the authors' size, so the verdict "
                 "above carries over to it.")
    elif all(p == "below" for p in structure):
        text += ("The authors' size builds **less block structure** than the reduced size on every measure the claim "
                 "rests on, so the verdict above overstates what the recipe does at full size.")
    else:
        text += ("The measures the claim rests on do not move together between the sizes, so the verdict above "
                 "holds for the reduced size only.")
    return text


def full_size_summary(comparisons: Sequence[str]) -> str:
    """The full-size section's comparison paragraph: the sentences of :func:`full_size_comparison`,
    one per latent size, or what their absence means."""
    if not comparisons:
        return ("No full-size VSC run is in this build's run cache, so this build cannot say whether its verdict, "
                "computed at the reduced size, carries over to the authors' size.")
    return " ".join(comparisons)


def smiley_verdict(tests: Mapping[str, bool], holds: bool, effects: Mapping[str, str], labels: Mapping[str, str],
                   switched: Mapping[str, tuple[float, float, str]], spikes: Mapping | None = None) -> str:
    """The chapter's closing paragraph: the claim on the authors' recipe, what its spikes follow
    (``spikes``: :func:`spike_group_counts`), what the ablation found, and what switching did."""
    text = ("Trained with the authors' recipe at this build's size, the learned-prior VSC "
            + ("**supports the paper's claim**: " if holds else "**does not support the whole claim**: ")
            + ("it switches most of the dimensions it uses by the input" if tests["structure"] else
               "most of the dimensions it uses are not switched by the input")
            + (", their number stays steady as $J$ grows" if tests["steady"] else ", their number grows with $J$")
            + (", and its block disentanglement is above the tuned β-VAE's. " if tests["better"] else
               ", and the tuned β-VAE's block disentanglement is above VSC's at some $J$. " if tests.get("worse") else
               ", and its block disentanglement is not above the tuned β-VAE's. "))
    if spikes and spikes["switched"]:
        single = sum(spikes["one"].values())
        text += (f"Of the {spikes['switched']} dimensions its spikes switch (over the seeds), {single} follow one "
                 f"attribute group and {spikes['several']} several at once"
                 + (": the spikes mark kinds of faces more than single attributes. " if spikes["several"] > single
                    else ". "))
    breaking = [labels[name] for name, effect in effects.items() if effect == "breaks it"]
    undecided = [labels[name] for name, effect in effects.items() if effect == "undecided"]
    if breaking:
        text += ("The earlier edition's negative verdict came from its recipe: each of these earlier choices alone "
                 "removes the input-switched structure in every seed — " + "; ".join(breaking) + ". ")
    if undecided:
        text += "With " + "; ".join(undecided) + " it stayed in some seeds and not in others. "
    if "hat" in switched and "bow tie" in switched:
        hat, tie = switched["hat"], switched["bow tie"]
        text += (f"Switching the latents tied to the hat drew one on {hat[0]:.0f} % of the faces without one, and those "
                 f"of the bow tie on {tie[0]:.0f} %.")
    return text


# --- chapter 8 ---------------------------------------------------------------------------------

def har_grid_note(grid, trained: int, wall_seconds: float) -> str:
    note = (f"This build used the **{grid.name}** grid: {len(grid.families)} families × {_latent_set(grid.latent_dims)} "
            f"× {len(grid.seeds)} seeds, {grid.num_epochs} epochs each, Adam (learning rate $10^{{-3}}$, batches of "
            f"{grid.batch_size}). ")
    if grid_kind(grid.name) == "book":
        note += "`make book PROFILE=paper` builds it from six latent sizes, five seeds and 60 epochs instead. "
    elif grid_kind(grid.name) == "quick":
        note += QUICK_SENTENCE.format(what="windows")
    return note + _trained_sentence(trained, wall_seconds)


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
