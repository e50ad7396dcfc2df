"""Check the built book as a reader without internet access would see it.

Usage: python scripts/check_html.py [--html _build/html] [--no-browser] [--no-screenshots]

Static checks on every page of the ToC: the page exists, every image it shows is a file in the
site, no page loads a script, style sheet or image from another host, no executed cell shows an
error or a traceback, no papermill parameter cell leaked into the page, and no two images of a
page are the same picture (decoded pixels compared, not file names).

Then headless Chromium (Debian's ``chromium``, driven by Playwright) opens each page from disk
at a laptop width (1280 px) and a phone width (400 px), waits for MathJax and the images, and
fails the build on what a reader would notice:

- an image outside a numbered figure, shown bare under the code cell that drew it (an image
  placed by the text itself, a Markdown image or a ``{glue}`` outside any cell, is fine);
- a figure scaled down to the text column so far that its smallest text, read from the PNG's
  ``vsc:min-text-px`` record (:func:`vsc_lib.plotting.figure_png`; 8 pt at 100 dpi assumed when
  absent), is rendered below 7 px (laptop width; at phone width every figure shrinks and readers
  zoom), or whose ``vsc:overlapping-texts`` record counts labels that run into each other;
- a number in a table broken over two lines;
- a code cell, folded ones opened, that scrolls sideways by more than 16 px (laptop width);
- a page that scrolls sideways as a whole (a wide table with no scrolling container around it);
- an image that did not decode, no formula typeset by MathJax, or a request to another host;
- a live explorer (``div.vsc-explorer``, chapters 4 and 7) that does not start, or whose image
  does not change, or does not equal the decoder evaluated with NumPy from the page's own data,
  when its first dimension's toggle is clicked and its slider moved (screenshots
  ``<page>-<id>-before.png`` / ``-after.png``).

Every page is saved as a full-page screenshot at both widths in ``<html>/_screenshots/``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--allow-file-access-from-files"]
WIDTHS = {"laptop": 1280, "phone": 400}
#: smallest rendered text a reader can be expected to read, in CSS pixels
MIN_TEXT_PX = 7.0
#: what a figure without a ``vsc:min-text-px`` record is assumed to use: the book style's 8 pt
#: tick labels at 100 dpi
ASSUMED_TEXT_PX = 8 * 100 / 72
#: sideways scrolling a code cell may need before it counts (about two characters)
MAX_CODE_OVERFLOW_PX = 16
#: two decoded images whose pixels differ by at most this (of 255) everywhere are the same picture
SAME_PICTURE_TOLERANCE = 2


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.extend((attrs.get("class") or "").split())
        source = attrs.get("src") if tag in ("img", "script") else attrs.get("href") if tag == "link" else None
        if tag == "img" and source:
            self.images.append(source)
        if source and re.match(r"^(https?:)?//", source):
            self.external.append(f"<{tag}> {source}")


def chapter_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [entry["file"] for entry in toc.get("chapters", [])]


def static_problems(html: Path, page: str) -> tuple[list[str], list[str]]:
    """Problems found in the page's HTML alone, and the page's image sources."""
    path = html / f"{page}.html"
    if not path.is_file():
        return [f"{page}: no page {path}"], []
    text = path.read_text()
    parser = _Page()
    parser.feed(text)
    problems = [f"{page}: loads {item} from another host" for item in parser.external]
    for source in parser.images:
        if not source.startswith("data:") and not (path.parent / source.split("?")[0]).is_file():
            problems.append(f"{page}: image {source} is missing")
    if "traceback" in parser.classes or re.search(r"class=\"[^\"]*\boutput error\b", text):
        problems.append(f"{page}: an executed cell shows an error")
    if page[:2].isdigit() and not parser.images:
        problems.append(f"{page}: a chapter page without any figure")
    if re.search(r"injected-parameters|profile = None", text):
        problems.append(f"{page}: papermill parameter cell is visible")
    return problems, parser.images


# --- rules on decoded images -------------------------------------------------------------------

def decode(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"), dtype=np.int16)


def same_pictures(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Pairs of files that hold the same picture: equal size and every decoded pixel within
    :data:`SAME_PICTURE_TOLERANCE`, whatever the files are called or however they are encoded."""
    decoded, pairs, cache = [], [], {}
    for path in paths:  # the same file shown twice is the same picture too
        pixels = cache[path] if path in cache else cache.setdefault(path, decode(path))
        for other, other_pixels in decoded:
            if pixels.shape == other_pixels.shape and np.abs(pixels - other_pixels).max() <= SAME_PICTURE_TOLERANCE:
                pairs.append((other, path))
                break
        else:
            decoded.append((path, pixels))
    return pairs


def png_legibility(path: Path) -> tuple[float | None, int | None, int | None]:
    """The figure's recorded smallest text (px at its natural size), panel count and number of
    texts that overlap another, or ``None`` where the image carries no record (not drawn by
    :func:`vsc_lib.plotting.figure_png`)."""
    with Image.open(path) as image:
        text = getattr(image, "text", {}) or {}
    size, panels, overlapping = (text.get(k) for k in ("vsc:min-text-px", "vsc:panels", "vsc:overlapping-texts"))
    return (float(size) if size else None), (int(panels) if panels else None), (int(overlapping) if overlapping else None)


# --- rules on what the browser measured --------------------------------------------------------

@dataclass
class Measured:
    """What the browser saw of one page at one width (filled by :data:`MEASURE_JS`)."""

    width: int
    column: float = 0.0
    images: list[dict] = field(default_factory=list)
    wrapped: list[str] = field(default_factory=list)
    code: list[dict] = field(default_factory=list)
    math: int = 0
    page_overflow: float = 0.0
    sticking_out: list[str] = field(default_factory=list)


def stray_images(measured: Measured) -> list[str]:
    """Images a code cell shows bare: inside a cell's output but not in a numbered figure."""
    return [i["src"] for i in measured.images if i["in_cell"] and not i["numbered"]]


def illegible_figures(measured: Measured, html_page: Path) -> list[str]:
    """Figures whose smallest text is rendered below :data:`MIN_TEXT_PX` because they were scaled
    down to the text column, and figures whose labels run into each other."""
    found = []
    for image in measured.images:
        if image["natural"] <= 0 or image["src"].startswith("data:"):
            continue
        text_px, panels, overlapping = png_legibility(html_page.parent / image["src"].split("?")[0])
        if overlapping:
            found.append(f"{image['src']} has {overlapping} labels that overlap others")
        scale = image["rendered"] / image["natural"]
        if scale >= 1:
            continue
        assumed = text_px is None
        effective = (ASSUMED_TEXT_PX if assumed else text_px) * scale
        if effective < MIN_TEXT_PX:
            found.append(f"{image['src']} is {image['natural']} px wide, shown at {image['rendered']:.0f} px "
                         f"(column {measured.column:.0f} px): its smallest text "
                         f"{'(assumed 8 pt) ' if assumed else ''}is {effective:.1f} px"
                         + (f", {panels} panels" if panels else ""))
    return found


def page_scrolls_sideways(measured: Measured) -> list[str]:
    """The whole page wider than the window (more than :data:`MAX_CODE_OVERFLOW_PX`)."""
    if measured.page_overflow <= MAX_CODE_OVERFLOW_PX:
        return []
    culprit = f" ({measured.sticking_out[0]} sticks out)" if measured.sticking_out else ""
    return [f"the page scrolls {measured.page_overflow:.0f} px sideways{culprit}"]


def scrolling_code(measured: Measured) -> list[str]:
    return [f"a code cell ({c['first_line'][:60]!r}) scrolls {c['overflow']:.0f} px sideways"
            for c in measured.code if c["overflow"] > MAX_CODE_OVERFLOW_PX]


MEASURE_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const images = Array.from(article.querySelectorAll("img"));
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  const facts = {column: article.clientWidth, math: document.querySelectorAll("mjx-container").length};
  // the page itself scrolling sideways: the widest element that sticks out of the viewport
  // without a scrolling (or clipping) container around it
  const W = document.documentElement.clientWidth;
  const free = e => { for (let a = e.parentElement; a; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== "visible") return false; } return true; };
  facts.page_overflow = document.documentElement.scrollWidth - W;
  facts.sticking_out = Array.from(article.querySelectorAll("*"))
    .filter(e => e.getBoundingClientRect().right > W + 2 && free(e))
    .slice(0, 1).map(e => `<${e.tagName.toLowerCase()} class="${e.getAttribute("class") || ""}">`);
  facts.images = images.map(i => {
    const figure = i.closest("figure");
    return {src: i.getAttribute("src"), natural: i.naturalWidth, rendered: i.getBoundingClientRect().width,
            decoded: i.complete && i.naturalWidth > 0,
            in_cell: !!i.closest("div.cell, div.cell_output"),
            numbered: !!(figure && figure.querySelector(".caption-number"))};
  });
  // a number (digits, optionally with a decimal part, a sign, a % or "± sd") broken over lines
  facts.wrapped = [];
  const number = /[-−+]?\d[\d,]*(\.\d+)?(\s*±\s*\d[\d,]*(\.\d+)?)?\s*%?/g;
  for (const cell of article.querySelectorAll("table td, table th")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(number)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].trimEnd().length);
        const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) facts.wrapped.push(m[0].trim() + " in «" + cell.innerText.trim().slice(0, 40) + "»");
      }
    }
  }
  // code cells, folded ones opened
  for (const d of article.querySelectorAll("details")) d.open = true;
  facts.code = Array.from(article.querySelectorAll("div.cell_input pre, div.highlight pre")).map(p => ({
    overflow: p.scrollWidth - p.clientWidth, first_line: p.innerText.split("\n")[0]}));
  return facts;
}
"""


def measure(browser, html_page: Path, width: int, screenshot: Path | None) -> tuple[Measured, list[str]]:
    """Open ``html_page`` at ``width`` px; return what was measured and the hosts it tried to reach."""
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    try:
        page.goto(html_page.as_uri(), wait_until="load")
        if screenshot is not None:
            # before MEASURE_JS, which opens the folded cells
            page.evaluate("async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        facts = page.evaluate(MEASURE_JS)
    finally:
        context.close()
    return Measured(width=width, **facts), outside


def numpy_decode(data: dict, z) -> np.ndarray:
    """The explorer's decoder evaluated with NumPy from the page's own data (the independent
    reference the drawn pixels are compared with)."""
    import base64

    def floats(name: str) -> np.ndarray:
        return np.frombuffer(base64.b64decode(data[name]), dtype="<f4").astype(np.float64)

    hidden, latent = data["hidden"], data["latent_dim"]
    pixels = data["channels"] * data["height"] * data["width"]
    w1, w2 = floats("w1").reshape(hidden, latent), floats("w2").reshape(data["outputs"], hidden)
    h = np.maximum(w1 @ np.asarray(z, dtype=np.float64) + floats("b1"), 0.0)
    out = 1.0 / (1.0 + np.exp(-(w2 @ h + floats("b2"))[:pixels]))
    if data["post"] == "normalised":
        out = np.minimum(out / max(out.max(), 1e-12), 1.0)
    return out


def use_explorer(tab, root, page: str, shots: Path | None) -> list[str]:
    """Use one live explorer as a reader would: its first dimension's toggle, then its slider;
    after each action the drawn image must change and equal the decoder evaluated with NumPy
    from the page's data. Screenshots before and after (``<page>-<id>-before.png``, ``-after``)."""
    import json

    name = root.get_attribute("id")
    at = f"{page}: explorer {name}"
    canvas = root.query_selector("canvas.vsc-explorer-image")
    if canvas is None:
        return [f"{at} did not start (no image drawn)"]
    found = []
    data = json.loads(tab.text_content(f"#{name}-data"))
    example = data["examples"][0]
    dim, code = example["dims"][0], list(example["code"])

    def drawn():
        return np.array([float(v) for v in canvas.get_attribute("data-pixels").split(",")])

    def check(action: str, before: np.ndarray | None) -> np.ndarray:
        now = drawn()
        if before is not None and np.abs(now - before).max() < 1e-3:
            found.append(f"{at}: {action} did not change the image")
        error = np.abs(now - numpy_decode(data, code)[: now.size]).max()
        if error > 1e-3:
            found.append(f"{at}: after {action} the drawn pixels differ from the decoder by {error:.2g}")
        return now

    start = check("loading", None)
    if shots is not None:
        root.screenshot(path=str(shots / f"{page}-{name}-before.png"))
    toggle = root.query_selector(f'input[aria-label="dimension {dim} on"]')
    slider = root.query_selector(f'input[aria-label="dimension {dim} value"]')
    toggle.click()
    code[dim] = 0.0 if example["code"][dim] != 0 else float(slider.input_value())
    off = check(f"toggling dimension {dim}", start)
    if code[dim] == 0.0:
        toggle.click()
    slider.fill("2.5" if float(slider.input_value()) < 2.0 else "-2.5")
    code[dim] = float(slider.input_value())
    check(f"moving dimension {dim}'s slider", off)
    if shots is not None:
        root.screenshot(path=str(shots / f"{page}-{name}-after.png"))
    return found


def explorer_problems(browser, html_page: Path, page: str, shots: Path | None) -> list[str]:
    """Every live explorer of the page, used (:func:`use_explorer`)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        tab.goto(html_page.as_uri(), wait_until="load")
        return [problem for root in tab.query_selector_all("div.vsc-explorer")
                for problem in use_explorer(tab, root, page, shots)]
    finally:
        context.close()


def page_problems(html: Path, page: str, browser, screenshots: bool) -> tuple[list[str], str]:
    """Every problem of one page and a one-line summary."""
    problems, sources = static_problems(html, page)
    if problems:
        return problems, f"[html] {page}: not opened ({len(problems)} static problems)"
    path = html / f"{page}.html"
    files = [path.parent / s.split("?")[0] for s in sources if not s.startswith("data:")]
    problems += [f"{page}: {a.name} and {b.name} are the same picture" for a, b in same_pictures(files)]
    line = f"[html] {page}: {len(sources)} images"
    if browser is None:
        return problems, line
    for name, width in WIDTHS.items():
        shot = html / "_screenshots" / f"{page}-{width}.png" if screenshots else None
        seen, outside = measure(browser, path, width, shot)
        at = f"{page} @{width}px"
        problems += [f"{at}: requested {url} from another host" for url in outside]
        problems += [f"{at}: image {i['src']} did not load" for i in seen.images if not i["decoded"]]
        problems += [f"{at}: {text}" for text in page_scrolls_sideways(seen)]
        if seen.wrapped:
            problems.append(f"{at}: {len(seen.wrapped)} numbers in tables are broken over two lines, e.g. "
                            + "; ".join(dict.fromkeys(seen.wrapped[:3])))
        if name == "laptop":
            problems += [f"{at}: image {src} is shown outside a numbered figure" for src in stray_images(seen)]
            problems += [f"{at}: figure {text}" for text in illegible_figures(seen, path)]
            problems += [f"{at}: {text}" for text in scrolling_code(seen)]
            if seen.math == 0 and page != "conclusion":
                problems.append(f"{at}: no formula was typeset by MathJax")
            line += (f", column {seen.column:.0f} px, {seen.math} formulas typeset, "
                     f"{sum(not i['numbered'] and i['in_cell'] for i in seen.images)} stray")
    if "vsc-explorer" in path.read_text():
        shots = html / "_screenshots" if screenshots else None
        problems += explorer_problems(browser, path, page, shots)
        line += ", explorer used"
    return problems, line


def launch(playwright):
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium, or make setup): the pages cannot "
                         "be checked in a browser; --no-browser runs the static checks only")
    return playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--no-browser", action="store_true", help="static checks only")
    parser.add_argument("--no-screenshots", action="store_true")
    parser.add_argument("--pages", nargs="*", help="only these pages (default: every page of the ToC)")
    args = parser.parse_args()
    html = args.html.resolve()
    pages = args.pages or chapter_pages()
    problems = []

    def check_all(browser):
        for page in pages:
            found, line = page_problems(html, page, browser, not args.no_screenshots)
            problems.extend(found)
            print(line, flush=True)

    if args.no_browser:
        check_all(None)
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                check_all(browser)
            finally:
                browser.close()
        if not args.no_screenshots:
            print(f"[html] screenshots: {html / '_screenshots'}/<page>-{{{','.join(map(str, WIDTHS.values()))}}}.png")
    for problem in problems:
        print(f"[html] PROBLEM {problem}", file=sys.stderr)
    print(f"[html] {len(pages)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
