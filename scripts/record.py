"""Record finished runs of a study's grid from the run cache into the evidence store (``evidence/``).

    python scripts/record.py --study latent --grid book [--cells mnist:vae:32:0 ...] [--replace]
    python scripts/record.py --study authors --grid paper --cells smiley:authors:60:0

Every cell of the grid whose run is in the local run cache is recorded (or only ``--cells``):
its configuration and hash, the code and machine that trained it, its history and every
evaluation computed from it; weights for the runs the book decodes with. An existing record is
kept unless ``--replace`` is given; the command says what it recorded, replaced and kept.
"""

from __future__ import annotations

import argparse
import sys

from vsc_lib import evidence
from vsc_lib.stored_runs import record_runs
from vsc_lib.studies import STUDIES, parse_cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", required=True, choices=sorted(STUDIES))
    parser.add_argument("--grid", required=True, choices=("quick", "book", "paper"))
    parser.add_argument("--cells", type=parse_cell, nargs="+")
    parser.add_argument("--replace", action="store_true", help="replace existing records (says which)")
    args = parser.parse_args(argv)
    try:
        lines = record_runs(STUDIES[args.study][args.grid], args.cells, replace=args.replace)
    except evidence.EvidenceError as error:
        print(f"record: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    print(f"[evidence] the store now holds {len(evidence.all_records())} records, "
          f"{evidence.size_bytes() / 2**20:.2f} MiB of {evidence.BUDGET_BYTES / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
