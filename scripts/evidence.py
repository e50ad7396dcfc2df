"""Check the evidence store, and reproduce stored runs from scratch.

    python scripts/evidence.py check
    python scripts/evidence.py reproduce --study latent --grid book [--cells mnist:vae:8:0 ...] [--report FILE]

``check`` reads every record (schema, fields, configuration hash, weights' SHA-256), flags stale
records (not the run the current code trains for their cell) and records of cells no grid has,
prints the store's size against its 30 MiB budget and the records per study, and exits 1 on any
problem. ``reproduce`` retrains the chosen cells (default: the grid's first cell) from scratch on
Dask workers, ignoring the store and the run cache, evaluates them as the chapters do and
compares each measure with its record; it writes the report (Markdown) and exits 1 when a
measure differs by more than the range of the other stored seeds of its family and J (or 1 %
where there is no other seed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from vsc_lib import evidence
from vsc_lib.paths import write_atomic
from vsc_lib.reproduce import reproduce_runs
from vsc_lib.stored_runs import check_store
from vsc_lib.studies import STUDIES, parse_cell


def check() -> int:
    report = check_store()
    size = report["bytes"] / 2**20
    print(f"[evidence] {report['records']} records, {size:.2f} MiB of the {evidence.BUDGET_BYTES / 2**20:.0f} MiB "
          f"budget ({evidence.evidence_dir()})")
    for key, count in sorted(report["per_study"].items()):
        print(f"[evidence]   {key}: {count}")
    for problem in report["problems"]:
        print(f"[evidence] PROBLEM: {problem}", file=sys.stderr)
    return 1 if report["problems"] else 0


def reproduce(args) -> int:
    grid = STUDIES[args.study][args.grid]
    cells = args.cells or [grid.cells()[0]]
    with tempfile.TemporaryDirectory(prefix="vsc-reproduce-") as cache:
        out = reproduce_runs(grid, cells, Path(cache), workers=args.workers)
    lines = [f"# Reproduction of {args.study}/{args.grid}", "",
             "| cell | measure | stored | fresh | difference | other seeds' range | agrees |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['cell']} | {r['measure']} | {r['stored']:.4g} | {r['fresh']:.4g} | {r['difference']:+.3g} | "
              f"{r['seed_range']:.3g} | {'yes' if r['within'] else 'NO'} |" for r in out["rows"]]
    if out["missing"]:
        lines += ["", f"No usable record for: {', '.join(out['missing'])} (record them first)."]
    verdict = "reproduced" if out["reproduced"] else "NOT reproduced"
    lines += ["", f"{verdict}: {sum(r['within'] for r in out['rows'])} of {len(out['rows'])} measures agree."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.report:
        write_atomic(Path(args.report), text.encode())
    return 0 if out["reproduced"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check every record and the store's size")
    rep = sub.add_parser("reproduce", help="retrain stored runs from scratch and compare")
    rep.add_argument("--study", required=True, choices=sorted(STUDIES))
    rep.add_argument("--grid", default="book", choices=("quick", "book", "paper"))
    rep.add_argument("--cells", type=parse_cell, nargs="+")
    rep.add_argument("--workers", type=int, default=2)
    rep.add_argument("--report", help="also write the report (Markdown) here")
    args = parser.parse_args(argv)
    try:
        return check() if args.command == "check" else reproduce(args)
    except evidence.EvidenceError as error:
        print(f"evidence: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
