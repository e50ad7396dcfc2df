"""The chapter notebooks as committed: no outputs, a papermill parameters cell, all in the ToC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_chapter_of_the_toc_is_a_notebook_or_a_page():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for entry in toc["chapters"]:
        stem = entry["file"]
        assert (ROOT / "notebooks" / f"{stem}.ipynb").is_file() or (ROOT / "book" / f"{stem}.md").is_file(), stem
    assert len(NOTEBOOKS) == sum(1 for e in toc["chapters"] if (ROOT / "notebooks" / f"{e['file']}.ipynb").is_file())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs_and_a_parameters_cell(path):
    notebook = json.loads(path.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    with_outputs = [i for i, cell in enumerate(code) if cell.get("outputs") or cell.get("execution_count")]
    assert not with_outputs, f"{path.name}: code cells {with_outputs} carry outputs; clear them before committing"
    tagged = [cell for cell in code if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters' for papermill"
    assert "widgets" not in notebook.get("metadata", {})


#: the widest code line the book's column shows without a sideways scroll bar (the HTML check's
#: limit, found in a build; `ruff format --line-length 76` keeps code there but not comments)
CODE_WIDTH = 76


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_code_line_is_wider_than_the_book_column(path):
    notebook = json.loads(path.read_text())
    shown = [(k, cell) for k, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
             and not {"remove-cell", "remove-input"} & set(cell.get("metadata", {}).get("tags", []))]
    wide = [(k, line) for k, cell in shown
            for line in "".join(cell["source"]).splitlines() if len(line) > CODE_WIDTH]
    assert not wide, f"{path.name}: cells' lines over {CODE_WIDTH} characters scroll sideways in the book: {wide}"


def test_every_notebook_is_a_chapter_of_the_book():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = {entry["file"] for entry in toc["chapters"]}
    assert {path.stem for path in NOTEBOOKS} <= chapters
    assert (ROOT / "book" / "_toc.yml").resolve() == (ROOT / "_toc.yml").resolve()


def test_book_profiles():
    from vsc_lib.book import get_profile

    quick, full = get_profile("quick"), get_profile("book")
    assert get_profile("paper").data().num_train is None and quick.quick and not full.quick
    assert quick.epochs(30) == 1 and full.epochs(30) == 30
    assert quick.data().num_train == 1000 and full.data("fashion_mnist").num_train is None
    with pytest.raises(ValueError, match="unknown book profile 'fast'"):
        get_profile("fast")


def test_a_finding_pasted_into_another_page_keeps_its_emphasis_and_its_maths():
    from vsc_lib.book import finding_html

    html = finding_html("**M = 16, k = 2.** At $J$ = 40 the goal: met; $\\alpha = 0.2$ costs more.\n\nSecond.")
    assert "<strong>M = 16, k = 2.</strong>" in html
    assert '<span class="math notranslate nohighlight">\\(J\\)</span>' in html
    assert '<span class="math notranslate nohighlight">\\(\\alpha = 0.2\\)</span>' in html
    assert html.count("<p>") == 2 and "$" not in html


def test_the_introduction_pastes_a_finding_every_chapter_glues():
    import re

    intro = (ROOT / "book" / "intro.md").read_text()
    pasted = re.findall(r"```\{glue\} (\S+)-html\n:doc: (\S+)\.ipynb", intro)
    assert len(pasted) >= 4
    for key, chapter in pasted:
        cells = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert re.search(r'glue_finding\(\s*"' + re.escape(key) + '"', source), (chapter, key)
