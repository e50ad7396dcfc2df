"""The PDF check on constructed PDFs: a good one passes, each kind of fault is named."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import check_pdf  # noqa: E402


def _pdf(path: Path, pages: list[str], images: int) -> Path:
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for k, text in enumerate(pages):
            fig = Figure(figsize=(4, 4))
            fig.text(0.05, 0.9, text)
            if k < images:
                fig.add_axes((0.2, 0.1, 0.6, 0.6)).imshow(np.random.default_rng(k).random((8, 8)))
            pdf.savefig(fig)
    return path


def _html(path: Path, images: int) -> Path:
    path.write_text("<html>" + "<img src='x.png'>" * images + "</html>")
    return path


def test_a_complete_pdf_passes(tmp_path):
    pdf = _pdf(tmp_path / "b.pdf", ["Autoencoders", "Sparse codes of motion: UCI HAR", "The end"], images=2)
    assert check_pdf.problems(pdf, _html(tmp_path / "p.html", 2), ["Autoencoders", "Sparse codes of motion: UCI HAR"],
                              min_pages=3) == []


def test_each_fault_is_named(tmp_path):
    pdf = _pdf(tmp_path / "b.pdf", ["Autoencoders", "see Fig. ??", r"where \(x\) is"], images=1)
    found = check_pdf.problems(pdf, _html(tmp_path / "p.html", 3), ["Autoencoders", "Conclusion"], min_pages=5)
    assert any(p == "3 pages, fewer than 5" for p in found)
    assert any(p == "chapter title missing from the text: 'Conclusion'" for p in found)
    assert any(p == "1 images embedded, but the page it was printed from shows 3" for p in found)
    assert any(p == "an unresolved reference ('??') on page 2" for p in found)
    assert any(p.startswith("raw TeX in the text") for p in found)
    assert len(found) == 5


def test_titles_match_across_typography():
    assert check_pdf._plain("Smiley: the authors\u2019 re-\ncipe") == check_pdf._plain("Smiley: the authors' recipe")


@pytest.mark.parametrize("title", check_pdf.chapter_titles())
def test_every_chapter_has_a_title_to_look_for(title):
    assert len(title) > 3


def test_a_blank_first_page_and_printed_folded_code_are_named(tmp_path):
    pdf = _pdf(tmp_path / "b.pdf", ["1 / 3", "Autoencoders", "x = stored_runs.load_cell(grid, cell).model"], images=0)
    folded = ["x = stored_runs.load_cell(grid, cell).model", "y = something_not_printed_anywhere(at_all)"]
    found = check_pdf.problems(pdf, _html(tmp_path / "p.html", 0), ["Autoencoders"], min_pages=3, folded=folded)
    assert "the first page is blank (nothing on it but its number)" in found
    assert any(p.startswith("1 lines of code that the HTML folds away are printed") for p in found)
    assert len(found) == 2


def test_the_folded_code_to_look_for_comes_from_the_chapters():
    lines = check_pdf.folded_code_lines()
    assert any("get_profile" in line for line in lines)  # every chapter's folded set-up cell
    assert all(len(line) >= check_pdf.FOLDED_MIN_CHARS and not line.startswith("#") for line in lines)
