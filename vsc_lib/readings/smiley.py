"""Chapter 7's readings: the authors' recipe on Smiley against the tuned β-VAE, its spikes, the
ablation, switching attributes, and the full size against the reduced one."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from .. import stats
from .text import grid_kind, joined, latent_set, mean_sd, percent, trained_sentence

#: a dimension is switched by the input when it is on for between these shares of the examples
SWITCH_SHARE_RANGE = (0.01, 0.99)


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


#: a code has the paper's structure when at least this share of the dimensions it uses (and at
#: least SWITCHED_MIN of them) are switched on and off by the input rather than on for every face
SWITCHED_SHARE, SWITCHED_MIN = 0.5, 2


#: the count of dimensions used is steady when the 95 % interval of its slope over J (every seed
#: at every J) stays at or below this many dimensions per added latent
STEADY_FRACTION = 0.1


def has_structure(used: float, switched: float) -> bool:
    """Whether a code switches most of the dimensions it uses by the input (see SWITCHED_SHARE)."""
    return switched >= SWITCHED_MIN and switched >= SWITCHED_SHARE * used


def authors_claim(Js: Sequence[int], vsc: Mapping[str, Mapping[int, tuple[float, float]]],
                  d_seeds: Mapping[int, tuple[Sequence[float], Sequence[float]]],
                  used_points: Sequence[tuple[int, float]]) -> tuple[dict[str, bool | None], bool]:
    """The paper's claim on Smiley, tested on the runs of the authors' recipe.

    ``vsc[metric][J]`` is (mean, sd) over seeds of ``used`` and ``switched``; ``d_seeds[J]`` is
    (VSC's block disentanglement per seed, the β-VAE's per seed) with the β chosen on the
    validation images (latents against the attribute groups under the authors' |z| vs |S V|
    measure); ``used_points`` is every seed's (J, dimensions used). The claim holds when

    - ``structure``: VSC's codes have the structure (:func:`has_structure`) at every J;
    - ``steady``: the count of dimensions used does not grow with J: the upper end of the 95 %
      interval of its slope over J (every seed at every J, :func:`vsc_lib.stats.trend`) is at most
      :data:`STEADY_FRACTION` dimension per added latent (None with fewer than three points);
    - ``better``: VSC's D is above the β-VAE's at every J (the 95 % interval of the difference,
      :func:`vsc_lib.stats.compare`).

    ``worse`` (not part of the claim) says whether the β-VAE is above VSC at some J.
    """
    used = {J: vsc["used"][J][0] for J in Js}
    try:
        slope = stats.trend([J for J, _ in used_points], [u for _, u in used_points])
        steady = slope.high <= STEADY_FRACTION
    except ValueError:  # fewer than three points or one J: no slope to read
        steady = None
    decisions = [stats.compare(*d_seeds[J]).decision for J in Js]
    tests = {"structure": all(has_structure(used[J], vsc["switched"][J][0]) for J in Js), "steady": steady,
             "better": all(d == stats.ABOVE for d in decisions)}
    holds = all(v is True for v in tests.values())
    tests["worse"] = any(d == stats.BELOW for d in decisions)
    return tests, holds


def authors_reading(Js: Sequence[int], vsc: Mapping[str, Mapping[int, tuple[float, float]]],
                    d_seeds: Mapping[int, tuple[Sequence[float], Sequence[float]]],
                    used_points: Sequence[tuple[int, float]], num_seeds: int) -> str:
    """The chapter's main reading of the authors' recipe against the tuned β-VAE (see
    :func:`authors_claim`): block D at each J read in both directions with its 95 % interval, and
    the trend of the dimensions used over J with its interval."""
    def per_j(values, digits=1):
        return joined([values[J][0] for J in Js], f"{{:.{digits}f}}")

    def intervals(side):
        return ", ".join(stats.interval(d_seeds[J][side]).format(2) for J in Js)

    tests, holds = authors_claim(Js, vsc, d_seeds, used_points)
    text = (f"Over {num_seeds} seeds at $J$ = {joined(Js)}, the authors' recipe used **{per_j(vsc['used'])}** "
            f"dimensions in total, of which **{per_j(vsc['switched'])}** were switched on and off by the input and "
            f"{per_j(vsc['always_on'])} were on for every face; a face switched on {per_j(vsc['active'])} of them. "
            f"Its block disentanglement (latents against the four attribute groups, authors' measure) was "
            f"{intervals(0)}, the tuned β-VAE's {intervals(1)} (mean [95 % interval] over seeds). ")
    text += " ".join(f"At $J$ = {J}: " + stats.compare(*d_seeds[J]).sentence("VSC", "the β-VAE", "block D")
                     for J in Js) + " "
    if tests["steady"] is None:
        trend_text = "too few runs to read how their number changes with J"
    else:
        slope = stats.trend([J for J, _ in used_points], [u for _, u in used_points])
        span = f"{slope.slope:+.2f} per added latent, 95 % interval [{slope.low:+.2f}, {slope.high:+.2f}]"
        trend_text = (f"their number is steady as J grows ({span})" if tests["steady"]
                      else f"their number is not shown to be steady as J grows ({span}; steady means at most "
                           f"{STEADY_FRACTION:g})")
    better = ("its block disentanglement is above the tuned β-VAE's at every J (95 % intervals)" if tests["better"]
              else "the tuned β-VAE's block disentanglement is above VSC's at some J (95 % intervals)"
              if tests["worse"] else
              "its block disentanglement is not above the tuned β-VAE's at every J (95 % intervals)")
    parts = [("most of the dimensions it uses are switched by the input" if tests["structure"] else
              "the dimensions it uses are not mostly switched by the input at every J"), trend_text, better]
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
            f"{latent_set(grid.latent_dims)}, {len(grid.seeds)} seed(s) each, trained on the first "
            f"{grid.num_train:,} training images, β chosen on the next {grid.num_validation:,}, scored on "
            f"{grid.num_test:,} test images. " + trained_sentence(trained, wall_seconds))


def _spread(values: Sequence[float]) -> str:

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


def smiley_verdict(tests: Mapping[str, bool | None], holds: bool, effects: Mapping[str, str], labels: Mapping[str, str],
                   switched: Mapping[str, tuple[float, float, str]], spikes: Mapping | None = None) -> str:
    """The chapter's closing paragraph: the claim on the authors' recipe, what its spikes follow
    (``spikes``: :func:`spike_group_counts`), what the ablation found, and what switching did."""
    text = ("Trained with the authors' recipe at this build's size, the learned-prior VSC "
            + ("**supports the paper's claim**: " if holds else "**does not support the whole claim**: ")
            + ("it switches most of the dimensions it uses by the input" if tests["structure"] else
               "most of the dimensions it uses are not switched by the input")
            + {True: ", their number stays steady as $J$ grows", False: ", their number is not shown to be steady as $J$ "
               "grows", None: ", too few runs to say how their number changes with $J$"}[tests["steady"]]
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


def standard_scores_reading(per_j: Mapping[int, Mapping[str, Mapping[str, Sequence[float]]]], vsc: str,
                            chosen: Mapping[int, str], names: Mapping[str, str]) -> str:
    """The field's scores read both ways at each J: ``per_j[J][family][score]`` every seed's value
    for VSC (``vsc``) and the chosen β-VAE (``chosen[J]``); ``names[score]`` its heading, for each
    score compared (:func:`vsc_lib.stats.compare`)."""
    return "\n\n".join(
        f"At $J$ = {J}: " + " ".join(stats.compare(per_j[J][vsc][k], per_j[J][chosen[J]][k]).sentence("VSC", "the β-VAE", name)
                                     for k, name in names.items())
        for J in per_j)


def beta_choice_note(chosen: Mapping[int, tuple[str, bool]], betas: Sequence[str], seed: int) -> str:
    """Which β the validation images chose at each J (``chosen[J] = (family, at an end)``) among
    ``betas`` on ``seed``, saying when a choice lies at an end of the grid (a β beyond it might
    do better, so the comparison with it may flatter VSC)."""
    def value(f):
        return f.rsplit("beta", 1)[-1]

    parts = [f"{value(f)} at $J$ = {J}" + (" (an end of the grid)" if edge else "") for J, (f, edge) in chosen.items()]
    text = (f"β was chosen among {{{', '.join(value(b) for b in betas)}}} on the validation images of seed {seed}: "
            + ", ".join(parts) + ". Only the chosen β is trained on the other seeds.")
    if any(edge for _, edge in chosen.values()):
        text += (" A choice at an end of the grid means a β beyond it might score higher, so the β-VAE compared with "
                 "VSC there may not be the best one.")
    return text
