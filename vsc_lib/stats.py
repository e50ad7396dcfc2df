"""Statistics for findings that rest on a few seeds: intervals, two-sided comparisons, targets, trends.

Every reading that compares two families at one setting goes through :func:`compare`: the
difference of means with its 95 % interval (Welch's t over independent seeds, or the paired t
over seeds that share data and initial batches), and a three-way decision: A above B, B above A,
or no difference detected, with the interval and the smallest difference the seeds could have
detected (:attr:`Comparison.detectable`). :func:`against_target` says whether an interval clears a
target, and :func:`trend` fits a slope over a whole range of settings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

#: the confidence of every interval the book prints
CONFIDENCE = 0.95
#: at least this many seeds per family before a comparison decides anything
MIN_SEEDS = 3
ABOVE, BELOW, NO_DIFFERENCE, TOO_FEW = "above", "below", "no difference detected", "too few seeds"


def _clean(values: Sequence[float], name: str) -> np.ndarray:
    array = np.asarray([float(v) for v in values], dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds a value that is not finite ({list(values)}); drop the failed run first.")
    return array


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided interval over ``n`` values."""

    mean: float
    low: float
    high: float
    sd: float
    n: int

    def format(self, digits: int = 2) -> str:
        """``"0.39 [0.27, 0.51]"``; one value alone reads as that value with ``(1 seed)``."""
        if self.n < 2:
            return f"{self.mean:.{digits}f} (1 seed)"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """The mean of ``values`` and its Student-t interval (NaN bounds for a single value)."""
    x = _clean(values, "values")
    if len(x) == 0:
        raise ValueError("interval() needs at least one value.")
    mean = float(x.mean())
    if len(x) < 2:
        return Interval(mean, math.nan, math.nan, math.nan, 1)
    sd = float(x.std(ddof=1))
    half = float(_scipy_stats.t.ppf(0.5 + confidence / 2, len(x) - 1)) * sd / math.sqrt(len(x))
    return Interval(mean, mean - half, mean + half, sd, len(x))


@dataclass(frozen=True)
class Comparison:
    """A minus B at one setting: the difference of means, its interval, the decision.

    Attributes:
        decision: :data:`ABOVE` (A above B: the whole interval is above 0), :data:`BELOW`,
            :data:`NO_DIFFERENCE` (the interval holds 0) or :data:`TOO_FEW` (fewer than
            :data:`MIN_SEEDS` seeds on a side).
        detectable: the smallest true difference these seeds would detect about half the time
            (the interval's half-width): "no difference" means none larger than about this.
        paired: whether seeds were paired.
    """

    difference: float
    low: float
    high: float
    df: float
    detectable: float
    decision: str
    n_a: int
    n_b: int
    paired: bool

    def sentence(self, a: str, b: str, measure: str, digits: int = 2) -> str:
        """The decision in words, with the interval, read in both directions."""
        span = f"{self.difference:+.{digits}f}, 95 % interval [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"
        if self.decision == TOO_FEW:
            return (f"{measure}: too few seeds to compare {a} with {b} ({self.n_a} and {self.n_b}; at least "
                    f"{MIN_SEEDS} each are needed).")
        if self.decision == ABOVE:
            return f"{measure}: {a} is above {b} ({a} − {b} = {span})."
        if self.decision == BELOW:
            return f"{measure}: {b} is above {a} ({a} − {b} = {span})."
        return (f"{measure}: no difference detected between {a} and {b} ({a} − {b} = {span}; these seeds would "
                f"miss a difference smaller than about {self.detectable:.{digits}f} either way).")


def compare(a: Sequence[float], b: Sequence[float], paired: bool = False,
            confidence: float = CONFIDENCE) -> Comparison:
    """Mean of ``a`` minus mean of ``b`` with its interval and the three-way decision.

    ``paired=True`` pairs ``a[i]`` with ``b[i]`` (seeds that share data and initial batches) and
    uses the t interval of the differences; otherwise Welch's t (unequal variances).

    Raises:
        ValueError: a value is not finite, or paired samples differ in length.
    """
    x, y = _clean(a, "a"), _clean(b, "b")
    if paired and len(x) != len(y):
        raise ValueError(f"paired samples need one value per seed on each side; got {len(x)} and {len(y)}.")
    if min(len(x), len(y)) < MIN_SEEDS:
        difference = float(x.mean() - y.mean()) if len(x) and len(y) else math.nan
        return Comparison(difference, math.nan, math.nan, math.nan, math.nan, TOO_FEW, len(x), len(y), paired)
    if paired:
        d = x - y
        df = len(d) - 1
        se = float(d.std(ddof=1)) / math.sqrt(len(d))
        difference = float(d.mean())
    else:
        vx, vy = float(x.var(ddof=1)) / len(x), float(y.var(ddof=1)) / len(y)
        se = math.sqrt(vx + vy)
        denominator = (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
        df = (vx + vy) ** 2 / denominator if denominator > 0 else float(len(x) + len(y) - 2)
        difference = float(x.mean() - y.mean())
    half = float(_scipy_stats.t.ppf(0.5 + confidence / 2, df)) * se
    low, high = difference - half, difference + half
    decision = ABOVE if low > 0 else BELOW if high < 0 else NO_DIFFERENCE
    return Comparison(difference, low, high, float(df), half, decision, len(x), len(y), paired)


@dataclass(frozen=True)
class TargetCheck:
    """Whether a measure meets a target (higher is better unless ``lower_is_better``)."""

    interval: Interval
    target: float
    verdict: str  # "met", "missed", "not settled" (the interval straddles the target)

    def sentence(self, measure: str, digits: int = 2) -> str:
        i = self.interval
        text = f"{measure} {i.format(digits)} against the target {self.target:.{digits}f}: {self.verdict}"
        if self.verdict == "not settled":
            side = "clears" if i.mean >= self.target else "misses"
            text += f" (the mean {side} it, the interval does not decide)"
        return text + "."


def against_target(values: Sequence[float], target: float, lower_is_better: bool = False) -> TargetCheck:
    """``met`` when the whole interval clears ``target``, ``missed`` when it lies wholly on the
    wrong side, else ``not settled``; one value alone is never settled."""
    i = interval(values)
    if i.n < 2:
        return TargetCheck(i, target, "not settled")
    low, high = (i.low, i.high) if not lower_is_better else (-i.high, -i.low)
    goal = target if not lower_is_better else -target
    verdict = "met" if low >= goal else "missed" if high < goal else "not settled"
    return TargetCheck(i, target, verdict)


@dataclass(frozen=True)
class Trend:
    """The least-squares slope of a measure over a setting, with its interval."""

    slope: float
    low: float
    high: float
    decision: str  # "grows", "falls" or "flat within the interval"


def trend(x: Sequence[float], y: Sequence[float], confidence: float = CONFIDENCE) -> Trend:
    """Slope of ``y`` on ``x`` over every point given (every seed at every setting), with its
    t interval; "flat" only when the interval holds 0.

    Raises:
        ValueError: fewer than three points, or a single setting.
    """
    xs, ys = _clean(x, "x"), _clean(y, "y")
    if len(xs) != len(ys) or len(xs) < 3 or np.ptp(xs) == 0:
        raise ValueError("trend() needs at least three (x, y) points over at least two settings of x.")
    fit = _scipy_stats.linregress(xs, ys)
    half = float(_scipy_stats.t.ppf(0.5 + confidence / 2, len(xs) - 2)) * float(fit.stderr)
    low, high = float(fit.slope) - half, float(fit.slope) + half
    decision = "grows" if low > 0 else "falls" if high < 0 else "flat within the interval"
    return Trend(float(fit.slope), low, high, decision)
