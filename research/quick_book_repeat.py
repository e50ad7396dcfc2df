"""Execute quick-profile chapters again and again, two at a time as ``scripts/build_book.py`` does,
and record every execution's wall time and per-cell times: a hunt for the rare hang in which a
chapter of the quick book (chapter 4, twice) took about 600 s instead of 5.

    python research/quick_book_repeat.py [--rounds 10] [--pair 04_vsc 01_autoencoders]
                                         [--cell-timeout 120] [--json results/quick-book-repeat.json]

Each round executes the pair side by side (two threads, one papermill each, one torch thread per
kernel), with the same papermill call as the build. A chapter that takes ``--slow`` seconds or more
is reported with its slowest cell. Exceptions (a cell timeout, a dead kernel) are recorded, not
raised, so that one hang does not end the hunt. The trained runs come from the run cache: run
``make test`` or the quick book once before.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from build_book import execute, slowest_cell  # noqa: E402  (the build's own papermill call)


def cell_times(path: Path) -> list[float]:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return [round(float(c.metadata.get("papermill", {}).get("duration") or 0.0), 2)
            for c in notebook.cells if c.cell_type == "code"]


def one(name: str, folder: Path, cell_timeout: int) -> dict:
    began = time.perf_counter()
    try:
        execute(name, "quick", folder, cell_timeout)
        error = None
    except Exception as exc:  # noqa: BLE001  (recorded: the point is to see what goes wrong)
        error = f"{type(exc).__name__}: {exc}"[:400] + "\n" + traceback.format_exc()[-1500:]
    wall = time.perf_counter() - began
    out = folder / f"{name}.ipynb"
    row = {"chapter": name, "wall": round(wall, 2), "error": error}
    if out.is_file():
        row["cells"] = cell_times(out)
        row["slowest"] = slowest_cell(out)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pair", nargs=2, default=["04_vsc", "01_autoencoders"])
    parser.add_argument("--cell-timeout", type=int, default=120)
    parser.add_argument("--slow", type=float, default=30.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.json:  # papermill's cwd= changes this whole process's working directory
        args.json = args.json.resolve()
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="quick-book-repeat-") as tmp:
        for round_ in range(args.rounds):
            folders = [Path(tmp) / f"r{round_}-{i}" for i in range(2)]
            for folder in folders:
                folder.mkdir()
            with ThreadPoolExecutor(max_workers=2) as pool:
                pair = list(pool.map(one, args.pair, folders, [args.cell_timeout] * 2))
            for row in pair:
                row["round"] = round_
                flag = " SLOW" if row["wall"] >= args.slow or row["error"] else ""
                print(f"round {round_}: {row['chapter']} {row['wall']:.1f} s{flag}"
                      + (f" slowest cell {row.get('slowest')}" if flag else "")
                      + (f" ERROR {row['error'].splitlines()[0]}" if row["error"] else ""), flush=True)
            rows.extend(pair)
            if args.json:
                args.json.write_text(json.dumps({"pair": args.pair, "rounds": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
