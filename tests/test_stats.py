"""The statistics every verdict goes through, checked on constructed samples for each outcome."""

from __future__ import annotations

import math

import pytest

from vsc_lib import stats


def test_interval_is_the_student_t_interval():
    i = stats.interval([1.0, 2.0, 3.0])
    # mean 2, sd 1, t(0.975, 2) = 4.3027: half-width 4.3027 / sqrt(3) = 2.4841
    assert i.mean == 2.0 and i.sd == 1.0 and i.n == 3
    assert i.low == pytest.approx(2 - 2.48414, abs=1e-4) and i.high == pytest.approx(2 + 2.48414, abs=1e-4)
    assert i.format(1) == "2.0 [-0.5, 4.5]"
    one = stats.interval([5.0])
    assert math.isnan(one.low) and one.format() == "5.00 (1 seed)"
    with pytest.raises(ValueError, match="not finite"):
        stats.interval([1.0, float("nan")])


def test_compare_decides_each_direction_and_no_difference():
    above = stats.compare([10.0, 10.2, 9.9], [1.0, 1.1, 0.8])
    assert above.decision == stats.ABOVE and above.low > 0
    below = stats.compare([1.0, 1.1, 0.8], [10.0, 10.2, 9.9])
    assert below.decision == stats.BELOW and below.high < 0
    assert below.difference == pytest.approx(-above.difference)
    same = stats.compare([1.0, 2.0, 3.0], [1.5, 2.5, 2.0])
    assert same.decision == stats.NO_DIFFERENCE and same.low < 0 < same.high
    assert same.detectable == pytest.approx((same.high - same.low) / 2)
    assert "would miss a difference smaller than about" in same.sentence("VSC", "β-VAE", "block D")
    assert above.sentence("VSC", "β-VAE", "block D").startswith("block D: VSC is above β-VAE")
    assert below.sentence("VSC", "β-VAE", "block D").startswith("block D: β-VAE is above VSC")
    few = stats.compare([1.0, 2.0], [3.0, 4.0, 5.0])
    assert few.decision == stats.TOO_FEW and "too few seeds" in few.sentence("a", "b", "m")


def test_welch_matches_a_hand_computation_and_pairing_uses_the_differences():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 2.5, 3.0]
    c = stats.compare(a, b)
    va, vb = (1.6666667 / 4), (0.25 / 3)
    assert c.df == pytest.approx((va + vb) ** 2 / (va**2 / 3 + vb**2 / 2), rel=1e-5)
    # pairing removes the seed effect that the two families share
    x, y = [1.0, 5.0, 9.0], [0.5, 4.6, 8.4]
    assert stats.compare(x, y).decision == stats.NO_DIFFERENCE
    assert stats.compare(x, y, paired=True).decision == stats.ABOVE
    with pytest.raises(ValueError, match="one value per seed"):
        stats.compare([1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], paired=True)


def test_targets_are_met_only_when_the_interval_clears_them():
    assert stats.against_target([93.5, 93.6, 93.4], 93.0).verdict == "met"
    assert stats.against_target([92.0, 92.1, 91.9], 93.0).verdict == "missed"
    straddle = stats.against_target([92.5, 93.5, 93.1], 93.0)
    assert straddle.verdict == "not settled"
    assert "the mean clears it, the interval does not decide" in straddle.sentence("probe")
    assert stats.against_target([10.0, 10.2, 9.9], 12.0, lower_is_better=True).verdict == "met"


def test_trend_over_the_whole_range_not_two_points():
    x = [8, 8, 8, 32, 32, 32, 128, 128, 128]
    grows = stats.trend(x, [v / 8 + d for v, d in zip(x, [0.1, -0.1, 0.0] * 3, strict=True)])
    assert grows.decision == "grows"
    flat = stats.trend(x, [5.0, 5.2, 4.9, 5.1, 4.8, 5.0, 5.1, 4.9, 5.0])
    assert flat.decision == "flat within the interval" and flat.low < 0 < flat.high
    falls = stats.trend(x, [-v + d for v, d in zip(x, [0.1, -0.1, 0.0] * 3, strict=True)])
    assert falls.decision == "falls"
    with pytest.raises(ValueError, match="at least three"):
        stats.trend([1, 1, 1], [1, 2, 3])
