"""Build the whole book as one PDF from the executed chapters (no second training).

Usage: python scripts/build_pdf.py [--profile book|quick|paper] [--pages 20 24]

Jupyter Book's ``singlehtml`` builder renders the executed chapters (``book/``, or the quick
profile's ``.book-quick/``: run ``scripts/build_book.py --no-html`` first, as ``make pdf`` does)
into one page, with the same numbered figures, equations (MathJax, served from the built site),
bibliography and glued numbers as the HTML book, leaving out the code that the HTML folds away
(it reads as a report; the notebooks hold the code); headless Chromium (Debian's ``chromium``,
driven by Playwright, as in the HTML check) waits for MathJax and the images and prints it to A4
with page numbers. Output: ``_build/pdf/book.pdf`` (quick: ``_build/quick/pdf/book.pdf``);
the page count and the build time are printed. Chapters not yet executed for the profile are
executed first (from the run cache: nothing that ``make book`` trained is trained again).
``--pages`` renders those pages to PNG next to the PDF (``pdftoppm``, Debian's poppler-utils,
which ``make pdf`` installs), to look at as a reader would.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from check_html import launch  # noqa: E402  (the HTML check's Chromium, same flags)

from vsc_lib.sphinx_chapters import toc_chapters  # noqa: E402  (chapters are found by the table of contents)

#: print styles: no navigation chrome, figures and tables kept whole, code wrapped
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-content, .prev-next-area,
.header-article, .bd-header-article, .headerbtn, .theme-switch-button, .search-button, label.sidebar-toggle,
.bd-footer-article, .footer-content, button.toggle-button, .cell_input summary { display: none !important; }
.bd-main, .bd-content, .bd-article-container, .bd-article, .bd-page-width, .bd-container {
  max-width: 100% !important; width: auto !important; margin: 0 !important; }
.bd-article { padding-left: 0 !important; padding-right: 0 !important; }
table td, table th { padding: 2px 8px !important; }
figure, table, .math, mjx-container[display="true"], .cell_output img { break-inside: avoid; }
h1 { break-before: page; }
pre, code { white-space: pre-wrap !important; word-break: break-word; }
img { max-width: 100% !important; }
"""


#: before printing: the code the HTML folds away (cells tagged hide-cell or hide-input) is left out,
#: their outputs kept, and the first chapter does not start on a page of its own after an empty one
FOR_PRINT = """() => {
  for (const cell of document.querySelectorAll('.cell.tag_hide-cell, .cell.tag_hide-input')) {
    cell.querySelectorAll('.cell_input').forEach(input => input.remove());
  }
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('details.hide > summary').forEach(s => s.remove());
  const first = document.querySelector('h1');
  if (first) first.style.breakBefore = 'avoid';
}"""


def source_folder(profile: str) -> Path:
    return ROOT / (".book-quick" if profile == "quick" else "book")


def out_folder(profile: str) -> Path:
    return ROOT / "_build" / ("quick/pdf" if profile == "quick" else "pdf")


def single_page(profile: str) -> Path:
    """Render the executed chapters into one HTML page; returns its path."""
    source, out = source_folder(profile), out_folder(profile)
    missing = [name for name in toc_chapters(ROOT / "_toc.yml") if not (source / f"{name}.ipynb").is_file()]
    if missing:
        print(f"[pdf] executing the chapters not yet executed for the {profile} profile: {', '.join(missing)}", flush=True)
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--profile", profile,
                                 "--no-html", "--only", *missing], cwd=ROOT)
        if result.returncode != 0:
            raise SystemExit(result.returncode)
    out.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", f"{source.relative_to(ROOT)}/", "--all",
               "--builder", "singlehtml", "--path-output", str(out), "-W", "--keep-going"]
    print(f"[pdf] {' '.join(command[1:])}", flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(result.returncode)
    page = out / "_build" / "singlehtml" / "intro.html"
    if not page.is_file():
        raise SystemExit(f"{page} was not written")
    return page


def print_pdf(page: Path, target: Path) -> int:
    """Print ``page`` to ``target`` in headless Chromium; returns the page count."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1100, "height": 1400})
        tab.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())  # nothing from the network
        tab.goto(page.as_uri(), wait_until="load")
        tab.evaluate("async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }")
        tab.wait_for_function("Array.from(document.images).every(i => i.complete)")
        tab.evaluate(FOR_PRINT)
        tab.add_style_tag(content=PRINT_CSS)
        tab.emulate_media(media="print")
        tab.pdf(path=str(target), format="A4", print_background=True, display_header_footer=True,
                header_template="<span></span>",
                footer_template='<div style="font-size:8px;width:100%;text-align:center;">'
                                '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
                margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        browser.close()
    return len(re.findall(rb"/Type\s*/Page[^s]", target.read_bytes()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="book", choices=["book", "quick", "paper"])
    parser.add_argument("--pages", type=int, nargs="*", default=[], help="pages to render to PNG (pdftoppm)")
    args = parser.parse_args()
    began = time.perf_counter()
    page = single_page(args.profile)
    target = out_folder(args.profile) / "book.pdf"
    pages = print_pdf(page, target)
    shutil.rmtree(out_folder(args.profile) / "_build" / "jupyter_execute", ignore_errors=True)
    print(f"[pdf] {target.relative_to(ROOT)}: {pages} pages in {time.perf_counter() - began:.0f} s")
    for number in args.pages:
        if shutil.which("pdftoppm") is None:
            print("[pdf] pdftoppm is not installed (apt-get install -y poppler-utils, or make pdf): pages not rendered")
            break
        stem = target.with_name(f"page-{number:03d}")
        subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", "-f", str(number), "-l", str(number), str(target),
                        str(stem)], check=True)
        print(f"[pdf] page {number}: {stem.relative_to(ROOT)}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
