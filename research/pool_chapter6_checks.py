"""Pool several runs of ``grouped_chapter6_check.py`` (each on its own seeds) into one estimate per
family of how far the new path moves chapter 6's test bound: the mean over all seeds of
new - today, with its standard error and a 95 % interval (Student t), next to the issue's
criterion on each run's three seeds.

    python research/pool_chapter6_checks.py results/grouped-chapter6-check-bf16-zen5-run3.txt \\
        results/grouped-chapter6-check-bf16-zen5-seeds345.txt ... [--json results/....json]

Each file is the script's output (a line per path, then its JSON). The seeds of the files must
not overlap: pooled seeds are independent runs.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

from vsc_lib import stats


def read_check(path: Path) -> dict:
    text = path.read_text()
    return json.loads(text[text.index("{"):])


def pool(checks: list[dict]) -> dict:
    """Per family: the paired differences (new - today) of every seed of every check."""
    seen: set[int] = set()
    for check in checks:
        seeds = set(check["grid"]["seeds"])
        if seeds & seen:
            raise ValueError(f"seeds {sorted(seeds & seen)} appear in two checks: pooled seeds must be distinct runs")
        seen |= seeds
    families = checks[0]["test_neg_elbo"].keys()
    out = {}
    for family in families:
        diffs, per_run = [], []
        for check in checks:
            row = check["test_neg_elbo"][family]
            diffs += [g - t for g, t in zip(row["grouped_per_seed"], row["today_per_seed"], strict=True)]
            per_run.append(round(row["diff"], 2))
        mean, sd = statistics.fmean(diffs), statistics.stdev(diffs)
        pooled = stats.interval(diffs)  # Student t over the pooled seeds
        half = pooled.high - pooled.mean
        out[family] = {"seeds": len(diffs), "mean_diff": mean, "sd_diff": sd, "se": sd / math.sqrt(len(diffs)),
                       "ci95": [mean - half, mean + half], "per_run_3_seed_diffs": per_run,
                       "runs_within_0.5": sum(abs(d) <= 0.5 for d in per_run),
                       "mean_within_0.5": abs(mean) <= 0.5, "interval_inside_0.5": abs(mean) + half <= 0.5,
                       "interval_contains_0": mean - half <= 0 <= mean + half}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checks", type=Path, nargs="+")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    checks = [read_check(p) for p in args.checks]
    rows = pool(checks)
    out = {"checks": [str(p) for p in args.checks],
           "throughput_ratio_per_run": [c["throughput_ratio"] for c in checks],
           "wall_seconds_per_run": [[c["today"]["wall_seconds"], c["grouped"]["wall_seconds"]] for c in checks],
           "families": rows}
    for family, row in rows.items():
        print(f"{family:26s} {row['mean_diff']:+.2f} nats (sd {row['sd_diff']:.2f}, 95 % CI "
              f"{row['ci95'][0]:+.2f} .. {row['ci95'][1]:+.2f}); 3-seed runs {row['per_run_3_seed_diffs']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
