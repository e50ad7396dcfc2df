"""The HTML check fails on what a reader would notice, and passes a page without it.

Two one-page Jupyter Books are built from notebooks executed by Jupyter Book itself: one with the
defects the book once had (a figure made with pyplot and glued, so that it also shows bare under
its cell; a 24-panel figure squeezed into the text column; a code line that scrolls; numbers in a
wide table that wrap; a glued pandas table that makes a phone's page scroll sideways), and one
made the way the chapters now make them (with the book's CSS). The check must name every
defect of the first and find nothing in the second.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from PIL import Image

from vsc_lib import plotting

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_html", ROOT / "scripts" / "check_html.py")
check_html = importlib.util.module_from_spec(spec)
sys.modules["check_html"] = check_html  # dataclasses look their module up
spec.loader.exec_module(check_html)


# --- the library's figures ---------------------------------------------------------------------

def test_library_figures_are_not_left_open_for_the_display_hook():
    plt.close("all")
    plotting.use_book_style()
    figures = [plotting.plot_curves([1, 2], {"VAE": np.array([1.0, 2.0])}, "x", "y"),
               plotting.plot_image_rows({"row": np.zeros((3, 1, 4, 4))}),
               plotting.plot_signal_windows([np.zeros((6, 8))] * 4, list("abcd"), {"acc": (0, 3), "gyro": (3, 6)}, 50)]
    assert plt.get_fignums() == [], "a plotting function registered its figure with pyplot"
    # ... and they still render
    assert all(plotting.figure_png(f)[:8] == b"\x89PNG\r\n\x1a\n" for f in figures)


def test_figure_png_records_the_smallest_text_and_the_panels():
    fig, axes = plotting.new_figure(1, 3, figsize=(6, 2))
    axes[0].set_title("big", fontsize=12)
    axes[1].set_xlabel("small", fontsize=6)
    path = io.BytesIO(plotting.figure_png(fig))
    with Image.open(path) as image:
        text = image.text
    assert float(text[plotting.MIN_TEXT_KEY]) == pytest.approx(6 * fig.dpi / 72, abs=0.01)
    assert int(text[plotting.PANELS_KEY]) == 3


def test_correlation_matrices_show_only_tracking_latents_with_their_indices():
    plotting.use_book_style()
    matrix = np.zeros((3, 5))
    matrix[0, 0], matrix[2, 1] = 0.9, 0.5  # latents 4 and 2 (display order) track sources
    fig = plotting.plot_correlation_matrices({"model": [("J = 5", matrix, np.array([4, 2, 0, 1, 3]))]},
                                             ["a", "b", "c"], [1, 2])
    ax = fig.subfigs[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "2"]
    assert "3 untracked" in ax.get_title()
    facts = plotting.legibility(fig)
    assert facts["min_text_px"] >= 7 * fig.dpi / 72 - 1e-6 and facts["overlapping"] == 0
    # 60 tracking latents in a narrow panel: every label would touch its neighbours, so some are left out
    dense = np.full((3, 60), 0.5)
    fig = plotting.plot_correlation_matrices({"model": [("J = 60", dense, np.arange(60))] * 3}, ["a", "b", "c"], [3])
    assert 0 < len(fig.subfigs[0].axes[0].get_xticklabels()) < 60
    assert plotting.legibility(fig)["overlapping"] == 0


def test_overlapping_labels_are_counted():
    fig, ax = plotting.new_figure(figsize=(2, 2))
    ax.set_xticks(range(40), [f"label {k}" for k in range(40)])  # 40 labels on 2 inches
    assert plotting.legibility(fig)["overlapping"] > 30
    ax.set_xticks(range(0, 40, 10), ["0", "10", "20", "30"])
    assert plotting.legibility(fig)["overlapping"] == 0


# --- rules on decoded pictures -----------------------------------------------------------------

def test_same_picture_is_found_by_pixels_not_by_name(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    Image.fromarray(pixels).save(tmp_path / "b.png", optimize=True, compress_level=1)  # other bytes, same picture
    other = pixels.copy()
    other[0, 0] = 255 - other[0, 0]
    Image.fromarray(other).save(tmp_path / "c.png")
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
    pairs = check_html.same_pictures([tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"])
    assert pairs == [(tmp_path / "a.png", tmp_path / "b.png")]
    # one file shown twice is one picture twice
    assert check_html.same_pictures([tmp_path / "c.png", tmp_path / "c.png"]) == [(tmp_path / "c.png",) * 2]
    assert check_html.same_pictures([tmp_path / "a.png", tmp_path / "c.png"]) == []


def test_illegible_figure_rule(tmp_path):
    page = tmp_path / "page.html"
    plotting.use_book_style()
    fig, _ = plotting.new_figure(1, 2, figsize=(4, 2))
    (tmp_path / "fig.png").write_bytes(plotting.figure_png(fig))  # 8 pt ticks: 11.1 px at natural size
    image = {"src": "fig.png", "natural": 800, "rendered": 560, "in_cell": False, "numbered": True, "decoded": True}
    measured = check_html.Measured(width=1280, column=750, images=[image])
    assert check_html.illegible_figures(measured, page) == []  # 0.7 x 11.1 px = 7.8 px
    image["rendered"] = 240  # 0.3 x 11.1 px = 3.3 px
    [problem] = check_html.illegible_figures(measured, page)
    assert "2 panels" in problem and "3.3 px" in problem
    image["rendered"] = 800  # shown at its own size: fine whatever the text
    assert check_html.illegible_figures(measured, page) == []


# --- the whole check on built pages ------------------------------------------------------------

def _book(root: Path, clean: bool) -> Path:
    """A one-page Jupyter Book, executed and built; returns its HTML folder."""
    root.mkdir()
    (root / "_config.yml").write_text(textwrap.dedent(f"""\
        title: fixture
        execute:
          execute_notebooks: force
        sphinx:
          config:
            numfig: true
            mathjax_path: ../mathjax/tex-chtml.js
            html_extra_path: ["{ROOT / 'book' / '_extra'}"]
        """) + (f"    html_static_path: [\"{ROOT / 'book' / '_static'}\"]\n"
                "    html_css_files: [custom.css]\n" if clean else ""))
    (root / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    number = "1234.5\u00a0±\u00a012.3" if clean else "1234.5 ± 12.3"
    cells = [new_code_cell("import matplotlib.pyplot as plt\nimport pandas as pd\nfrom myst_nb import glue\n"
                           "from vsc_lib import plotting\nfrom vsc_lib.book import glue_figure"),
             # a table wider than a phone (the book's CSS lets it scroll inside the column)
             new_code_cell("wide = pd.DataFrame([[1234.5] * 8], columns=[f'column {k}' for k in range(8)])\n"
                           "glue('tab-wide', wide, display=False)")]
    if clean:
        cells += [new_code_cell("fig, ax = plotting.new_figure(figsize=(4, 3))\nax.plot([0, 1], [1, 0])\n"
                                "glue_figure('fig-a', fig)"),
                  new_code_cell("fig, axes = plotting.new_figure(2, 2, figsize=(7, 5))\nglue_figure('fig-b', fig)"),
                  new_code_cell("x = 1  # a short line")]
    else:
        cells += [new_code_cell("fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 1], [1, 0])\n"
                                "glue('fig-a', fig, display=False)"),
                  new_code_cell("fig, axes = plotting.new_figure(3, 8, figsize=(24, 6))\nglue_figure('fig-b', fig)"),
                  new_code_cell("x = 1  # " + "a long line " * 20)]
    cells.append(new_markdown_cell("# Page\n\n$x^2$ math.\n\n```{glue:figure} fig-a\n:name: fig-a\n\nA line.\n```\n\n"
                                   "```{glue:figure} fig-b\n:name: fig-b\n\nPanels.\n```\n\n"
                                   "```{glue:figure} tab-wide\n:name: tab-wide\n\nA wide table.\n```\n"))
    header = "| " + " | ".join(f"column {k}" for k in range(10)) + " |\n|" + "---|" * 10 + "\n"
    cells.append(new_markdown_cell(header + "| " + " | ".join([number] * 10) + " |\n"))
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nbformat.write(new_notebook(cells=cells, metadata=kernel), root / "page.ipynb")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", ".", "-W"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def browser():
    assert (ROOT / "book" / "_extra" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is missing: run make setup"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = check_html.launch(playwright)
        yield chromium
        chromium.close()


@pytest.mark.slow
def test_check_names_every_defect_of_the_old_pages(tmp_path, browser):
    html = _book(tmp_path / "old", clean=False)
    problems, _ = check_html.page_problems(html, "page", browser, screenshots=True)
    text = "\n".join(problems)
    assert "are the same picture" in text                       # the figure twice
    assert "shown outside a numbered figure" in text            # ... once bare under its cell
    assert "24 panels" in text and "smallest text is" in text   # squeezed into the column
    assert "scrolls" in text and "sideways" in text              # the long code line
    assert "numbers in tables are broken over two lines" in text
    assert "@400px: the page scrolls" in text and "sticks out" in text  # the wide table on a phone
    assert len(problems) == 7, text  # those six, the wrapped numbers at both widths
    shots = sorted(p.name for p in (html / "_screenshots").iterdir())
    assert shots == ["page-1280.png", "page-400.png"]
    with Image.open(html / "_screenshots" / "page-400.png") as shot:
        # the whole page, not the first screen (wider than 400 px: this page scrolls sideways)
        assert shot.size[0] > 400 and shot.size[1] > 900


@pytest.mark.slow
def test_check_passes_the_pages_made_the_new_way(tmp_path, browser):
    html = _book(tmp_path / "new", clean=True)
    problems, line = check_html.page_problems(html, "page", browser, screenshots=False)
    assert problems == [], problems
    assert "0 stray" in line and "1 formulas typeset" in line
