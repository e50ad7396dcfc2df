"""Check the book's PDF as a reader would find it: every chapter there, every figure embedded,
every equation typeset, no broken reference.

Usage: python scripts/check_pdf.py [--profile quick|book|paper] [--min-pages N]

Reads ``_build/pdf/book.pdf`` (quick: ``_build/quick/pdf/book.pdf``) with pypdf and fails on:
fewer pages than ``--min-pages``; a chapter title (each notebook's first heading, and the prose
pages of the table of contents) missing from the text; fewer embedded images than the single-page
HTML it was printed from has ``<img>`` elements; an unresolved reference (``??``); raw TeX
(``\\(`` or ``\\[``: an equation MathJax did not typeset); a first page with nothing on it but
its number; code that the HTML folds away (cells tagged ``hide-cell`` or ``hide-input``) printed
in the PDF.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

from vsc_lib.sphinx_chapters import toc_chapters

ROOT = Path(__file__).resolve().parent.parent


def chapter_titles() -> list[str]:
    """The first heading of every chapter notebook and prose page listed in _toc.yml."""
    titles = []
    for notebook in (ROOT / "notebooks" / f"{name}.ipynb" for name in toc_chapters(ROOT / "_toc.yml")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                match = re.search(r"^# (.+)$", "".join(cell["source"]), re.M)
                if match:
                    titles.append(match.group(1).strip())
                    break
    for page in ("intro.md", "conclusion.md"):
        match = re.search(r"^# (.+)$", (ROOT / "book" / page).read_text(), re.M)
        if match:
            titles.append(match.group(1).strip())
    return titles


#: folded code lines shorter than this are not looked for (``x = 1`` could be anywhere)
FOLDED_MIN_CHARS = 30


def folded_code_lines() -> list[str]:
    """Lines of the code cells that the HTML folds away (tagged ``hide-cell`` or ``hide-input``)
    in the chapters of _toc.yml, long enough to be recognised in the PDF's text."""
    folded, shown = [], set()
    for notebook in (ROOT / "notebooks" / f"{name}.ipynb" for name in toc_chapters(ROOT / "_toc.yml")):
        for cell in json.loads(notebook.read_text())["cells"]:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if cell["cell_type"] != "code" or tags & {"remove-cell", "remove-input"}:
                continue
            lines = [line.strip() for line in "".join(cell["source"]).splitlines()]
            if tags & {"hide-cell", "hide-input"}:
                folded += [line for line in lines if len(line) >= FOLDED_MIN_CHARS and not line.startswith("#")]
            else:
                shown.update(lines)
    everything_shown = _plain(" \n ".join(shown))  # a line a shown cell also has (or contains) may be printed
    return [line for line in folded if _plain(line) not in everything_shown]


def _plain(text: str) -> str:
    """Markdown and PDF text compared without markup, hyphenation or line breaks."""
    text = re.sub(r"[*_`$\\]", "", text.replace("\u2019", "'").replace("\u2018", "'"))
    text = re.sub(r"-\n", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def problems(pdf: Path, html: Path, titles: list[str], min_pages: int, folded: list[str] = ()) -> list[str]:
    """What is wrong with ``pdf`` (printed from ``html``); empty when nothing is. ``folded``: code
    lines the HTML folds away, which the PDF must not print."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    plain = _plain(text)
    found = []
    if len(reader.pages) < min_pages:
        found.append(f"{len(reader.pages)} pages, fewer than {min_pages}")
    for title in titles:
        if _plain(title) not in plain:
            found.append(f"chapter title missing from the text: {title!r}")
    # distinct embedded pictures (a resource dictionary shared by pages lists one image on each)
    images = len({hashlib.sha256(image.data).hexdigest() for page in reader.pages for image in page.images})
    expected = html.read_text().count("<img")
    if images < expected:
        found.append(f"{images} images embedded, but the page it was printed from shows {expected}")
    if "??" in text:
        page = next(i + 1 for i, p in enumerate(reader.pages) if "??" in (p.extract_text() or ""))
        found.append(f"an unresolved reference ('??') on page {page}")
    first = re.sub(r"\d+\s*/\s*\d+", "", reader.pages[0].extract_text() or "").strip() if reader.pages else ""
    if reader.pages and not first:
        found.append("the first page is blank (nothing on it but its number)")
    printed = [line for line in folded if _plain(line) in plain]
    if printed:
        found.append(f"{len(printed)} lines of code that the HTML folds away are printed, e.g. {printed[0]!r}")
    raw = re.search(r"\\\(|\\\[", text)
    if raw:
        context = text[max(0, raw.start() - 30):raw.start() + 40]
        found.append(f"raw TeX in the text (an equation that was not typeset): ...{context!r}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="book", choices=["book", "quick", "paper"])
    parser.add_argument("--min-pages", type=int, default=60)
    args = parser.parse_args()
    folder = ROOT / "_build" / ("quick/pdf" if args.profile == "quick" else "pdf")
    found = problems(folder / "book.pdf", folder / "_build" / "singlehtml" / "intro.html", chapter_titles(), args.min_pages,
                     folded_code_lines())
    for problem in found:
        print(f"[pdf-check] {problem}", file=sys.stderr)
    if not found:
        print(f"[pdf-check] {folder.relative_to(ROOT) / 'book.pdf'}: every chapter, figure and equation is there")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
