"""Check the built book as a reader without internet access would see it.

Usage: python scripts/check_html.py [--html _build/html] [--screenshot 04_vsc] [--no-browser]

Static checks on every chapter page of the ToC: the page exists, every image it shows is a file
in the site, no page loads a script, style sheet or image from another host, no executed cell
shows an error or a traceback, and no papermill parameter cell leaked into the page. Then
headless Chromium (Debian's ``chromium``) opens each page from disk through a small harness
page, waits for MathJax, and reports how many formulas were typeset and whether every image
decoded; it saves a screenshot of one chapter to ``_build/html/_screenshots/``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--allow-file-access-from-files"]


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


def static_problems(html: Path, page: str) -> tuple[list[str], int]:
    path = html / f"{page}.html"
    if not path.is_file():
        return [f"{page}: no page {path}"], 0
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
    return problems, len(parser.images)


HARNESS = """<!doctype html><html><body><pre id="out">pending</pre>
<iframe id="frame" src="{src}" style="width:1200px;height:900px"></iframe>
<script>
const frame = document.getElementById("frame");
frame.onload = () => setTimeout(() => {{
  const d = frame.contentDocument;
  const images = Array.from(d.images);
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute("src"));
  const math = d.querySelectorAll("mjx-container").length;
  const raw = (d.body.innerText.match(/\\$\\$|\\\\\\(/g) || []).length;
  document.getElementById("out").textContent = "RESULT" + JSON.stringify({{images: images.length, broken, math, raw}}) + "END";
}}, 4000);
</script></body></html>"""


def browser_check(html: Path, page: str, chromium: str) -> dict:
    harness = html / f"_check_{page}.html"
    harness.write_text(HARNESS.format(src=f"{page}.html"))
    try:
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                                     "--dump-dom", harness.as_uri()], capture_output=True, text=True, timeout=120)
    finally:
        harness.unlink()
    match = re.search(r"RESULT(.*?)END", result.stdout)
    if not match:
        return {"error": f"no result from chromium (exit {result.returncode}): {result.stderr.strip()[-300:]}"}
    return json.loads(match.group(1).replace("&quot;", '"'))


def screenshot(html: Path, page: str, chromium: str) -> Path:
    out = html / "_screenshots" / f"{page}.png"
    out.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                        "--window-size=1280,2400", f"--screenshot={out}", (html / f"{page}.html").as_uri()],
                       capture_output=True, timeout=120, check=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screenshot", default="04_vsc")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    args.html = args.html.resolve()
    problems = []
    pages = chapter_pages()
    chromium = None if args.no_browser else shutil.which("chromium")
    if not args.no_browser and chromium is None:
        problems.append("chromium is not installed (apt-get install -y chromium), so math and images were not checked")
    for page in pages:
        found, num_images = static_problems(args.html, page)
        problems += found
        line = f"[html] {page}: {num_images} images"
        if chromium and not found:
            seen = browser_check(args.html, page, chromium)
            if "error" in seen:
                problems.append(f"{page}: {seen['error']}")
            else:
                line += f", {seen['math']} formulas typeset, {len(seen['broken'])} broken images"
                problems += [f"{page}: image {src} did not load" for src in seen["broken"]]
                if seen["math"] == 0 and page != "conclusion":
                    problems.append(f"{page}: no formula was typeset by MathJax")
        print(line)
    if chromium and args.screenshot:
        print(f"[html] screenshot: {screenshot(args.html, args.screenshot, chromium).relative_to(ROOT)}")
    for problem in problems:
        print(f"[html] PROBLEM {problem}", file=sys.stderr)
    print(f"[html] {len(pages)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
