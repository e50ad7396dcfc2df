"""Compare the values two builds glued into the book: did a change move any number the book shows?

Usage: python scripts/compare_glue.py OLD_BOOK_DIR NEW_BOOK_DIR [--chapters 06_quantitative ...]

Reads every executed chapter (``<dir>/NN_*.ipynb``), collects each glued value (plain text,
Markdown or table HTML; figures are compared by name only) and prints the keys that are missing
on either side or whose value changed. No-break spaces count as spaces, so a change of
typography alone is not reported. Exit status 1 when something differs.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat


def glued(path: Path) -> dict[str, str]:
    """``{key: value}`` of one executed chapter; figures map to ``"<image>"``."""
    values = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if not name:
                continue
            prefix = output["metadata"]["scrapbook"].get("mime_prefix", "")
            data = {k.removeprefix(prefix): v for k, v in output.get("data", {}).items()}
            if "image/png" in data:
                values[name] = "<image>"
                continue
            text = data.get("text/markdown") or data.get("text/html") or data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            values[name] = re.sub(r"[ \u00a0]+", " ", text).strip()
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--chapters", nargs="*")
    args = parser.parse_args()
    differences = 0
    for new_path in sorted(args.new.glob("[0-9][0-9]_*.ipynb")):
        if args.chapters and new_path.stem not in args.chapters:
            continue
        old_path = args.old / new_path.name
        if not old_path.is_file():
            print(f"{new_path.stem}: no old chapter")
            differences += 1
            continue
        old, new = glued(old_path), glued(new_path)
        changed = [k for k in old.keys() & new.keys() if old[k] != new[k]]
        for key in sorted(old.keys() - new.keys()):
            print(f"{new_path.stem}: {key} is gone")
        for key in sorted(new.keys() - old.keys()):
            print(f"{new_path.stem}: {key} is new")
        for key in sorted(changed):
            print(f"{new_path.stem}: {key} changed\n  old: {old[key][:400]}\n  new: {new[key][:400]}")
        differences += len(changed) + len(old.keys() ^ new.keys())
        print(f"{new_path.stem}: {len(old.keys() & new.keys()) - len(changed)} of {len(old.keys() | new.keys())} "
              "glued values identical")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
