"""The chapters' sentences about their results: each conclusion for both outcomes, from numbers
chosen so that the right answer is known."""

from __future__ import annotations

import pytest

from vsc_lib import readings
from vsc_lib.studies import get_grid

NB = readings.NBSP


def test_numbers_never_wrap():
    assert readings.mean_sd(101.53, 0.34) == f"101.5{NB}±{NB}0.3"
    assert readings.mean_sd(2.0, float("nan"), digits=2) == f"2.00{NB}±{NB}0.00"  # one seed
    assert readings.joined([3, 8, 12]) == f"3{NB}/ 8{NB}/ 12"
    assert " " not in readings.mean_sd(1234.5, 12.3)


@pytest.mark.parametrize(("name", "kind"), [("book", "book"), ("authors-book", "book"), ("har-quick", "quick"),
                                            ("fixed-paper", "paper")])
def test_grid_kind_reads_every_study_name(name, kind):
    # chapters 7 and 8 compared grid.name with "book", which their grids ("smiley-book") never equal
    assert readings.grid_kind(name) == kind


def test_grid_notes_say_what_the_build_used():
    book = readings.authors_grid_note(get_grid("book", "authors"), ["authors-beta1"], 0, 0.0)
    assert "Every run and evaluation came from the run cache" in book
    quick = readings.har_grid_note(get_grid("quick", "har"), trained=12, wall_seconds=90)
    assert "only check that the chapter runs" in quick and "trained 12 runs in 1.5 minutes" in quick
    latent = readings.latent_grid_note(get_grid("book"), 3, 120, 9876.0)
    assert "not converged" in latent and "9,876 training images per second" in latent and "grouped" not in latent
    grouped = readings.latent_grid_note(get_grid("book"), 3, 120, None, grouped=True)
    assert "one grouped model" in grouped and "images per second" not in grouped


def _comparison(vsc_bound=110.0, warm_bound=112.0, removed=None):
    names = ("MNIST", "Fashion-MNIST")
    bound = {n: {"AE": float("nan"), "VAE": 100.0, "VSC": vsc_bound, "VSC + warm-up": warm_bound} for n in names}
    active = {n: {"AE": 32.0, "VAE": 14.0, "VSC": 5.2, "VSC + warm-up": 6.0} for n in names}
    removed = removed or {"AE": 10.0, "VAE": 20.0, "VSC": -5.0, "VSC + warm-up": -2.0}
    return bound, active, {n: dict(removed) for n in names}


def test_comparison_reading_states_single_runs_and_every_outcome():
    text = readings.comparison_reading(*_comparison(), epochs=15)
    assert "MNIST: VAE 100.0, VSC 110.0, VSC + warm-up 112.0 nats" in text
    assert "VSC's bound is above the VAE's on every dataset (one run per model" in text
    assert "2.0 nats worse on MNIST" in text and "worse on every dataset" in text
    assert "on MNIST 2 of the 4 models remove some of the noise (AE, VAE) and the VSC removes the least (-5 %)" in text
    better = readings.comparison_reading(*_comparison(vsc_bound=90.0, warm_bound=85.0), epochs=15)
    assert "VSC's bound is below the VAE's on every dataset" in better and "better on every dataset" in better
    every = readings.comparison_reading(*_comparison(removed={"AE": 1.0, "VAE": 2.0, "VSC": 3.0, "VSC + warm-up": 4.0}),
                                        epochs=15)
    assert "4 of the 4 models remove some of the noise and the AE removes the least" in every
    # no causal story by hand
    assert "weakness" not in text and "Sparsity costs likelihood" not in text


def _seeds(mean, spread=0.3):
    """Three seeds around ``mean``."""
    return [mean - spread, mean + 0.1 * spread, mean + 0.9 * spread]


def test_elbo_reading_orders_the_gaps_by_alpha_step_by_step():
    facts = {"MNIST": {"vae": {8: 110.0, 32: 100.0, 128: 101.0}, "reproduction": _seeds(2.5),
                       "gaps": {"VSC α=0.5": _seeds(1.0), "VSC α=0.2": _seeds(3.0), "VSC α=0.01": _seeds(9.0)}}}
    text = readings.elbo_reading(facts, 4, 30)
    assert "lowest at $J = 32$ (100.0 nats" in text and "the smaller $\\alpha$, the larger the gap, at every step" in text
    assert "VSC α=0.01 +9.0 [" in text and "differs by +2.5 [" in text and "(4 epochs here, 30 there)" in text
    facts["MNIST"]["gaps"]["VSC α=0.01"] = _seeds(2.0)  # below α = 0.2's gap
    facts["MNIST"]["reproduction"] = []
    text = readings.elbo_reading(facts, 1, 30)
    assert "not ordered by $\\alpha$" in text and "reproduction" not in text
    facts["MNIST"]["gaps"]["VSC α=0.01"] = [2.0, 4.5, 3.1]  # overlaps α = 0.2 (paired differences straddle 0)
    assert "no ordering by $\\alpha$ is detected at every step" in readings.elbo_reading(facts, 1, 30)
    one = {"MNIST": {"vae": {8: 1.0}, "reproduction": [], "gaps": {"VSC α=0.5": [1.0], "VSC α=0.01": [2.0]}}}
    text = readings.elbo_reading(one, 1, 30)
    assert "too few seeds to order" in text and "+1.0 (1 seed)" in text


def test_iw_reading_compares_each_family_with_the_vae_both_ways():
    looser = {"MNIST": {"VAE": _seeds(1.0, 0.1), "VSC α=0.5": _seeds(3.0, 0.1), "VSC α=0.01": _seeds(5.0, 0.1)}}
    assert "so part of VSC's deficit in the bound is looseness" in readings.iw_reading(looser)
    tighter = {"MNIST": {"VAE": _seeds(4.0, 0.1), "VSC α=0.5": _seeds(3.0, 0.1)}}
    assert "not looseness of the bound" in readings.iw_reading(tighter)
    tied = {"MNIST": {"VAE": [3.0, 3.4, 2.9], "VSC α=0.5": [3.1, 3.3, 3.0]}}
    text = readings.iw_reading(tied)
    assert "do not show that VSC's bound is looser" in text and "the VAE 3.1 [" in text
    assert "Too few seeds" in readings.iw_reading({"MNIST": {"VAE": [1.0], "VSC α=0.5": [3.0]}})


def test_probe_reading_compares_codes_paired_and_reads_the_reproduction_with_intervals():
    facts = {"MNIST": {"vae": (_seeds(80.0), _seeds(95.0), _seeds(1.2, 0.2)),
                       "vsc": (_seeds(70.0), _seeds(90.0), 85.0, _seeds(3.2, 0.1)),
                       "between": [(_seeds(70.0), 85.0, _seeds(90.0))]}}
    text = readings.probe_reading(facts, 8, 200)
    assert "a much poorer input" in text and "(reproduction: 85.0 %)" in text and "lies between the intervals" in text
    assert "against the reproduction's VAE at the same $J$ (above it)" in text
    close = {"MNIST": {"vsc": (_seeds(89.0), _seeds(90.0), None, _seeds(3.2)), "between": [(_seeds(70.0), 95.0, _seeds(90.0))]}}
    text = readings.probe_reading(close, 8, 200)
    assert "not much poorer than the slab means" in text and "does not lie between" in text
    assert "between the intervals" not in readings.probe_reading({"MNIST": {"vsc": close["MNIST"]["vsc"]}}, 8, 32)
    one = {"MNIST": {"vsc": ([70.0], [90.0], None, [3.0])}}
    assert "too few seeds to compare the two codes" in readings.probe_reading(one, 8, 200)
    # the reproduction's comment is a description of the method, never a claim about its numbers
    assert "so our VAE numbers are higher" not in text and "does not say which" not in text


def _active(vsc_low, vsc_mid, vsc_high):
    return {"MNIST": {"VAE": {8: 8.0, 128: 20.0, 200: 20.0}, "VSC α=0.5": {8: 4.0, 128: 64.0, 200: 100.0},
                      "VSC α=0.01": {8: vsc_low, 128: vsc_mid, 200: vsc_high}}}


def test_sparsity_reading_tests_the_trend_over_the_whole_range_of_j():
    alphas = {"VSC α=0.5": 0.5, "VSC α=0.01": 0.01}
    Js = (8, 32, 128, 200)

    def points(values):
        return {"MNIST": {"VSC α=0.01": [(j, v + d) for j, v in zip(Js, values, strict=True) for d in (-0.1, 0.0, 0.1)]},
                "Fashion-MNIST": {"VSC α=0.01": [(j, 2.0 + d) for j in Js for d in (-0.1, 0.0, 0.1)]}}

    flat = readings.sparsity_reading(_active(2.0, 3.0, 3.3), alphas, points=points([2.0, 2.1, 2.0, 2.1]))
    assert "no trend over the whole range" in flat and "VSC leaves the extra dimensions off" in flat
    # two points pass (×1.1 between the largest J) but the count grows over the whole range
    growing = readings.sparsity_reading(_active(2.0, 3.0, 3.3), alphas, points=points([1.0, 2.0, 3.0, 3.3]))
    assert "grows with $J$ for at least one of them" in growing and "not flat over $J$ in this build" in growing
    # flat, but nothing on at the largest J
    dead = readings.sparsity_reading(_active(0.1, 0.2, 0.2), alphas, points=points([0.2, 0.2, 0.2, 0.2]))
    assert "switch almost nothing on" in dead
    assert "Too few latent sizes or seeds" in readings.sparsity_reading(_active(2.0, 3.0, 3.3), alphas)
    falling, decided = readings.sparsity_trend(points([4.0, 3.0, 2.0, 1.5]), ["VSC α=0.01"])
    assert "falls" in falling and decided is False
    assert readings.sparsity_trend({"MNIST": {"VSC α=0.01": [(8, 1.0), (8, 2.0)]}}, ["VSC α=0.01"])[1] is None


def test_conditional_reading_judges_the_share_kept_with_its_interval():
    kept = {"MNIST": {"kept": 1800, "total": 2000, "real": 95.0}, "Fashion-MNIST": {"kept": 1500, "total": 2000, "real": 80.0}}
    text = readings.conditional_reading(kept)
    assert "carries the class" in text and "MNIST: 90 % of 2,000 draws [89, 91] against 95 %" in text
    lost = {"MNIST": {"kept": 340, "total": 2000, "real": 95.0}}
    assert "not borne out" in readings.conditional_reading(lost)
    unsettled = {"MNIST": {"kept": 15, "total": 20, "real": 95.0}}  # 75 % of 20: [53, 89] straddles 76 %
    assert "neither confirms nor refutes" in readings.conditional_reading(unsettled)
    low, high = readings.wilson(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35
    with pytest.raises(ValueError):
        readings.wilson(0, 0)


def test_prior_reading_quotes_both_datasets():
    mnist = dict(prior_on=2.0, post_on=3.0, used=5, any_used=4.0, only_used=90.0, empty=88.0)
    fashion = dict(prior_on=2.0, post_on=3.0, used=7, any_used=6.0, only_used=80.0, empty=70.0)
    text = readings.prior_reading(0.01, 200, {"MNIST": mnist, "Fashion-MNIST": fashion})
    assert "uses only 5 of the 200" in text and "(Fashion-MNIST: 7 dimensions used, 6 %, 80 % and 70 %)" in text
    one = readings.prior_reading(0.01, 200, {"MNIST": mnist})
    assert "4 % of prior draws" in one and "Fashion" not in one


def test_targets_verdict_counts_met_missed_and_undecided():
    text = readings.targets_verdict([True, False, False, None], "book", 4)
    assert text.startswith("Of the chapter's 4 targets, 1 is met and 2 are missed by the 95 % intervals")
    assert "(4 epochs); 1 cannot be decided" in text
    text = readings.targets_verdict([True, True], "paper", 30)
    assert "2 are met and 0 are missed" in text and "cannot be decided" not in text
    assert "training budget" not in text  # no explanation by hand


def test_control_reading():
    text = readings.control_reading({"VSC x": {"hat": (100.0, 19.0, "spike")}})
    assert "drew a hat on **100 %**" in text and "no latent was tied to the bow tie's sources" in text


def test_har_readings():
    bounds = {4: ([11.0, 12.1, 13.0], [10.0, 11.0, 12.2]), 8: ([8.0, 9.1, 10.0], [10.0, 11.0, 12.2]),
              16: ([5.0, 9.0, 7.0], [6.0, 8.0, 7.5])}
    text = readings.har_elbo_reading([4, 8, 16], bounds, {"VAE": 8})
    assert "$J$ = 4: +1.0 [" in text and "], worse" in text and "$J$ = 8: -2.0 [" in text and "], better" in text
    assert "not told apart" in text and "best latent size is 8 for the VAE" in text
    assert "too few seeds" in readings.har_elbo_reading([4], {4: ([1.0], [2.0])}, {})
    # chosen on validation: the VSC code is best there, though the VAE's test numbers are higher
    choices = {"VAE": (8, 80.0, [90.0, 91.0, 92.0]), "VSC (gated)": (16, 84.0, [85.0, 86.0, 85.5])}
    text = readings.har_probe_reading(choices, 70.0)
    assert text.startswith("Chosen on the validation volunteers, the best code is the **VSC (gated)** at $J$ = 16")
    assert "above the probe on the raw windows (70.0 %" in text and "VAE: $J$ = 8 on validation (80.0 %)" in text
    assert "below the probe" in readings.har_probe_reading({"VAE": (8, 80.0, [60.0, 61.0, 60.5])}, 70.0)
    assert "not told apart from" in readings.har_probe_reading({"VAE": (8, 80.0, [60.0, 80.0, 70.0])}, 70.0)
    edge = readings.har_probe_reading(choices, 70.0, [4, 8, 16])
    assert "at $J$ = 16 (an end of the grid's J)" in edge and "VAE: $J$ = 8 on validation" in edge
    text = readings.har_heatmap_reading(32, 20, 17, 1, 3, {"walking": 18.0}, [4, 8], [3.1, 5.3], [4, 8])
    assert "17 are on only for moving activities" in text and "18.0 (walking)" in text


def test_percent_never_wraps():
    assert readings.percent(99.6) == f"100{NB}%" and readings.percent(12.34, 1) == f"12.3{NB}%"


# --- chapter 7: the authors' recipe -----------------------------------------------------------------

def _per_j(values, sd=0.0):
    return {J: (v, sd) for J, v in zip((18, 40, 60), values, strict=True)}


JS = (18, 40, 60)
GOOD = {"used": _per_j([11, 12, 12]), "switched": _per_j([9, 9, 10]), "always_on": _per_j([2, 3, 2]),
        "active": _per_j([5, 5, 5])}
ABOVE = {J: ([0.50, 0.52, 0.49], [0.20, 0.22, 0.21]) for J in JS}


def _points(per_j_used, spread=(-0.5, 0.0, 0.6)):
    """Every seed's (J, dimensions used) around the given counts per J."""
    return [(J, u + e) for J, u in zip(JS, per_j_used, strict=True) for e in spread]


def test_structure_needs_most_used_dimensions_switched_by_the_input():
    assert readings.has_structure(used=10, switched=8)
    assert not readings.has_structure(used=10, switched=4)  # most on for every face
    assert not readings.has_structure(used=1, switched=1)  # too few to call a structure


def test_authors_claim_holds_and_fails_for_each_reason():
    tests, holds = readings.authors_claim(JS, GOOD, ABOVE, _points([11, 12, 12]))
    assert holds and tests["structure"] and tests["steady"] and tests["better"] and not tests["worse"]
    assert "the paper's claim holds here" in readings.authors_reading(JS, GOOD, ABOVE, _points([11, 12, 12]), 3)
    fixed = GOOD | {"switched": _per_j([2, 3, 2])}
    assert readings.authors_claim(JS, fixed, ABOVE, _points([11, 12, 12]))[0]["structure"] is False
    # a count growing in proportion to J (0.2 per latent) is not steady, read over every seed and J
    growing = GOOD | {"used": _per_j([4, 8, 12]), "switched": _per_j([3, 7, 11])}
    tests, holds = readings.authors_claim(JS, growing, ABOVE, _points([3.6, 8, 12]))
    assert tests["steady"] is False and not holds
    text = readings.authors_reading(JS, growing, ABOVE, _points([3.6, 8, 12]), 3)
    assert "not shown to be steady as J grows (+0.20 per added latent" in text
    # one seed at two J: no slope to read, so the claim cannot hold
    tests, holds = readings.authors_claim((18, 40), GOOD, ABOVE, [(18, 11), (40, 12)])
    assert tests["steady"] is None and not holds
    assert "too few runs to read how their number changes" in readings.authors_reading(
        (18, 40), GOOD, ABOVE, [(18, 11), (40, 12)], 1)


def test_authors_claim_reads_block_d_both_ways_with_intervals():
    points = _points([11, 12, 12])
    text = readings.authors_reading(JS, GOOD, ABOVE, points, 3)
    assert "At $J$ = 40: block D: VSC is above the β-VAE" in text and "95 % interval" in text
    assert "0.50 [" in text and "(mean [95 % interval] over seeds)" in text
    # the chapter-7 situation: the beta-VAE above VSC at one J is said, not hidden
    below = ABOVE | {40: ([0.39, 0.34, 0.44], [0.48, 0.52, 0.50])}
    tests, holds = readings.authors_claim(JS, GOOD, below, points)
    assert not holds and tests["worse"]
    text = readings.authors_reading(JS, GOOD, below, points, 3)
    assert "block D: the β-VAE is above VSC" in text and "is above VSC's at some J" in text
    none = {J: ([0.40, 0.45, 0.42], [0.41, 0.44, 0.46]) for J in JS}
    tests, holds = readings.authors_claim(JS, GOOD, none, points)
    assert not holds and not tests["worse"] and not tests["better"]
    assert "no difference detected" in readings.authors_reading(JS, GOOD, none, points, 3)


def test_ablation_names_the_ingredients_the_structure_depends_on():
    base = {"used": 11, "switched": 8}
    rows = {"nu": {"used": 40, "switched": 0}, "width": {"used": 10, "switched": 8}}
    labels = {"nu": "no sharpening", "width": "400 hidden units"}
    assert readings.ablation_effects(base, rows) == {"nu": "breaks it", "width": "keeps it"}
    text = readings.ablation_reading(base, rows, labels)
    assert "disappeared with: **no sharpening (in 1 seed(s))**" in text
    assert "It survived in every seed: 400 hidden units (in 1 seed(s))" in text
    assert readings.ablation_effects({"used": 40, "switched": 0}, rows)["width"] == "creates it"
    assert "cannot say which ingredient" in readings.ablation_reading({"used": 40, "switched": 0}, rows, labels)
    assert "No single earlier choice" in readings.ablation_reading(base, {"width": rows["width"]}, labels)


def test_ablation_counts_the_seeds_that_keep_the_structure():
    base = {"used": [11, 10, 10], "switched": [8, 8, 6]}  # the recipe: structure in all three seeds
    rows = {"nu": {"used": [8, 5, 9], "switched": [6, 0, 6]},  # two seeds keep it, one does not
            "likelihood": {"used": [8, 7, 6], "switched": [0, 0, 1]},
            "spike": {"used": [19, 17, 18], "switched": [16, 14, 15]}}
    labels = {"nu": "no sharpening", "likelihood": "Bernoulli", "spike": "sigmoid spike"}
    assert readings.structure_seeds(rows["nu"]) == (2, 3)
    assert readings.ablation_effects(base, rows) == {"nu": "undecided", "likelihood": "breaks it", "spike": "keeps it"}
    text = readings.ablation_reading(base, rows, labels)
    assert "(mean over 3 seed(s); 3 of them have that structure)" in text
    assert "disappeared with: **Bernoulli (in 3 seed(s))**" in text
    assert "not in others with: no sharpening (of 3 seed(s): 2 keep it)" in text
    assert "It survived in every seed: sigmoid spike" in text
    weak = {"used": [11, 40, 40], "switched": [8, 0, 0]}  # the recipe itself has it in one seed of three
    assert "cannot say which ingredient" in readings.ablation_reading(weak, rows, labels)
    assert readings.ablation_effects(weak, {"spike": rows["spike"], "nu": rows["nu"]}) == {
        "spike": "creates it", "nu": "undecided"}


def _fixed(active, kept, spread=0.2):
    """Three seeds per family around the given means (seed offsets -spread, 0, +spread; kept +-1)."""
    families = ("vsc0.01", "vsc0.01+hold", "vsc0.01+min0", "vsc0.01+min0+hold")
    return {f: {"active": [a - spread, a, a + spread * 1.1], "kept": [k - 1.0, k, k + 1.2]}
            for f, a, k in zip(families, active, kept, strict=True)}


def test_fixed_spike_effects_for_every_outcome():
    changed = readings.fixed_spike_effects(_fixed([2.0, 2.1, 9.0, 12.0], [17, 18, 60, 61]))
    assert {k: w for k, (w, _) in changed.items()} == {
        "spike form, active": "more", "spike form, kept": "more", "phase, active": "no clear change",
        "phase with min0, active": "more"}
    same = readings.fixed_spike_effects(_fixed([2.0, 0.5, 2.1, 2.0], [17, 17, 17.5, 17]))
    assert {k: w for k, (w, _) in same.items()} == {
        "spike form, active": "no clear change", "spike form, kept": "no clear change",
        "phase, active": "fewer", "phase with min0, active": "no clear change"}
    # a difference whose interval excludes 0 but is below the tolerance is no clear change
    tiny = readings.fixed_spike_effects(_fixed([2.0, 2.0, 2.3, 2.3], [17, 17, 17, 17], spread=0.01))
    word, comparison = tiny["spike form, active"]
    assert comparison.decision == "above" and word == "no clear change"
    one_seed = {f: {"active": v["active"][:1], "kept": v["kept"][:1]} for f, v in _fixed([2, 2, 9, 9], [1] * 4).items()}
    assert {w for w, _ in readings.fixed_spike_effects(one_seed).values()} == {"not decided"}
    text = readings.fixed_spike_reading({"MNIST": _fixed([2.0, 2.1, 9.0, 12.0], [17, 18, 60, 61])})
    assert "(more: difference +7.0, 95" in text and "(more often: difference +43.0, 95" in text
    assert "with the sigmoid spike no clear difference: difference +0.1" in text
    assert "too few seeds to decide (1 and 1)" in readings.fixed_spike_reading({"MNIST": one_seed})


def test_authors_size_note_states_the_sizes_and_the_width_exception():
    grid = get_grid("book", "authors")
    note = readings.authors_size_note(grid, 400, 10_000, 6)
    assert f"**400 hidden units** (13{NB}%" in note and f"(5.0{NB}% of their 200,000)" in note
    assert "width ingredient only at full size" in note and "one of 6 ingredients" in note
    assert "width ingredient" not in readings.authors_size_note(grid, 600, 10_000, 7)
    assert "far too short" in readings.authors_size_note(get_grid("quick", "authors"), 60, 200, 2)


def test_spike_group_reading_tells_single_groups_from_combinations():
    from types import SimpleNamespace

    import torch

    names = ["eyes", "mouth", "hat", "bow tie"]
    combos = SimpleNamespace(share=torch.tensor([0.25, 0.25, 0.5, 1.0]), follows=[(2, 3), (2, 3), (2,), ()])
    counts = readings.spike_group_counts([combos], names)
    assert counts == {"switched": 3, "one": {"eyes": 0, "mouth": 0, "hat": 1, "bow tie": 0}, "several": 2, "none": 0}
    assert "combination" in readings.spike_group_reading([combos], names)
    single = SimpleNamespace(share=torch.tensor([0.5, 0.5]), follows=[(2,), (3,)])
    assert "one attribute group each" in readings.spike_group_reading([single], names)
    assert "no dimension was switched" in readings.spike_group_reading([SimpleNamespace(share=torch.tensor([1.0]),
                                                                                         follows=[()])], names)


def test_smiley_verdict_reports_the_claim_the_spikes_and_the_ablation():
    tests = {"structure": True, "steady": True, "better": False}
    spikes = {"switched": 22, "one": {"hat": 1}, "several": 17, "none": 4}
    text = readings.smiley_verdict(tests, False, {"nu": "breaks it", "width": "keeps it"}, {"nu": "no sharpening"},
                                   {"hat": (100.0, 0.0, "spike"), "bow tie": (90.0, 5.0, "spike")}, spikes)
    assert "**does not support the whole claim**" in text and "its block disentanglement is not above" in text
    worse = readings.smiley_verdict(tests | {"worse": True}, False, {}, {}, {})
    assert "the tuned β-VAE's block disentanglement is above VSC's at some $J$" in worse
    assert "Of the 22 dimensions its spikes switch (over the seeds), 1 follow one attribute group and 17" in text
    assert "kinds of faces" in text and "no sharpening" in text and "drew one on 100 %" in text
    good = readings.smiley_verdict({"structure": True, "steady": True, "better": True}, True, {}, {}, {})
    assert "**supports the paper's claim**" in good and "Of the" not in good
    unsteady = readings.smiley_verdict(tests | {"steady": False}, False, {}, {}, {})
    assert "not shown to be steady" in unsteady
    assert "too few runs to say how their number changes" in readings.smiley_verdict(tests | {"steady": None}, False,
                                                                                      {}, {}, {})


NBSP = readings.NBSP


def _switch(group, latents, by, drawn_on, left_on):
    from vsc_lib.analysis import GroupSwitch

    return GroupSwitch(group, tuple(latents), by, 90.0, 5.0, drawn_on, left_on, 95.0, 92.5)


def test_switch_table_and_means_average_only_the_seeds_that_tied_latents():
    switches = {0: [_switch("hat", [3], "spike", 80.0, 10.0), _switch("tie", [], None, None, None)],
                1: [_switch("hat", [3, 7], "slab values", 60.0, 30.0), _switch("tie", [], None, None, None)]}
    table = readings.switch_table(switches, ["hat", "tie"])
    assert table["latents"] == [f"1{NBSP}/ 2", f"0{NBSP}/ 0"] and table["by"] == ["slab values / spike", "–"]
    assert table["on"][0] == f"70{NBSP}±{NBSP}14" and table["on"][1] == "–"
    assert table["read right"][0].startswith("92")
    means = readings.switch_means(switches, ["hat", "tie"])
    assert means == {"hat": (70.0, 20.0, "spike")}  # the tie had no latents on any seed: left out
    only_slab = {0: [_switch("hat", [3], "slab values", 50.0, 50.0)]}
    assert readings.switch_means(only_slab, ["hat"])["hat"][2] == "slab values"


def test_the_full_size_note_says_whether_runs_were_found():
    assert "None of the 9 full-size runs" in readings.paper_size_note(0, 9)
    where = "in the run cache or the evidence store"
    assert readings.paper_size_note(2, 9).startswith(f"2 of the 9 full-size runs were found {where} and are ")
    assert readings.paper_size_note(1, 9).startswith(f"1 of the 9 full-size runs was found {where} and is ")
    assert "training recorded" not in readings.paper_size_note(2, 9)
    one = {"recorded_seconds": 49644.0, "computation_seconds": 31212.0}
    note = readings.paper_size_note(1, 9, [one])
    assert "Its training recorded 13.8 hours of wall time" in note and "took 8.7 hours of computation" in note
    two = readings.paper_size_note(2, 9, [one, {"recorded_seconds": 36000.0, "computation_seconds": 30000.0}])
    assert "Their training recorded 10.0 to 13.8 hours" in two and "8.3 to 8.7 hours of computation" in two


def test_size_position_compares_ranges():
    assert readings.size_position([18], [7, 8, 8]) == "above"
    assert readings.size_position([5], [7, 8]) == "below"
    assert readings.size_position([8], [7, 8]) == "within"
    assert readings.size_position([6, 9], [7, 8]) == "within"  # overlapping ranges
    with pytest.raises(ValueError, match="at least one value"):
        readings.size_position([], [1])


REDUCED = {"dims_used": [8, 8, 7], "input_dependent_dims": [5, 4, 5], "always_on_dims": [3, 4, 2],
           "authors_block_disentanglement": [0.45, 0.48, 0.39], "test_neg_elbo": [-5474, -5519, -5333]}


def test_the_full_size_comparison_says_when_the_reduced_size_understates_the_structure():
    full = {"dims_used": [18], "input_dependent_dims": [13], "always_on_dims": [2],
            "authors_block_disentanglement": [0.61], "test_neg_elbo": [-5823]}
    text = readings.full_size_comparison(60, full, REDUCED, "400 units")
    assert text.startswith("At $J = 60$, the full-size run against this build's 3 reduced-size seeds")
    assert "dimensions used (18 against 7 to 8)" in text and "always on (2 against 2 to 4)" in text
    assert "higher than every reduced-size seed in dimensions used" in text
    assert "lower in test −ELBO (−5,823 against −5,519 to −5,333)" in text
    assert "**more block structure**" in text and "one run: no spread" in text


def test_the_full_size_comparison_says_when_the_reduced_size_behaves_like_it():
    full = {"dims_used": [8, 7], "input_dependent_dims": [4, 5], "authors_block_disentanglement": [0.40, 0.47]}
    text = readings.full_size_comparison(60, full, REDUCED, "400 units")
    assert "the 2 full-size runs" in text and "carries over" in text and "higher than" not in text


def test_the_full_size_comparison_covers_less_and_mixed_structure():
    less = {"dims_used": [3], "input_dependent_dims": [1], "authors_block_disentanglement": [0.2]}
    assert "**less block structure**" in readings.full_size_comparison(40, less, REDUCED, "x")
    mixed = {"dims_used": [18], "input_dependent_dims": [4], "authors_block_disentanglement": [0.2]}
    assert "do not move together" in readings.full_size_comparison(40, mixed, REDUCED, "x")
    assert "trained no reduced-size run" in readings.full_size_comparison(60, less, {"dims_used": []}, "x")
    only_bound = readings.full_size_comparison(40, {"test_neg_elbo": [-5900]}, REDUCED, "x")
    assert "lower in test −ELBO" in only_bound and "nothing follows for the verdict" in only_bound
    with pytest.raises(ValueError, match="no measure is present"):
        readings.full_size_comparison(40, {"coverage": [0.1]}, REDUCED, "x")


def test_the_authors_grid_note_names_the_betas_and_sizes():
    note = readings.authors_grid_note(get_grid("book", "authors"), ["authors-beta1", "authors-beta16"], 0, 0.0)
    assert "β ∈ {1, 16}" in note and "authors-book" in note


def test_the_full_size_summary_joins_the_comparisons_or_says_there_are_none():
    assert readings.full_size_summary(["At J = 40 a.", "At J = 60 b."]) == "At J = 40 a. At J = 60 b."
    assert "cannot say whether its verdict" in readings.full_size_summary([])
