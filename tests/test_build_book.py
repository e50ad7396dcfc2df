"""The book build's own logic: naming the slowest cell of an executed chapter, or the time outside its cells."""

from __future__ import annotations

import nbformat

from scripts.build_book import slow_note, slowest_cell


def _notebook(tmp_path, durations):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("# title"))
    for i, duration in enumerate(durations):
        cell = nbformat.v4.new_code_cell(f"step_{i}()\nmore()")
        if duration is not None:
            cell.metadata["papermill"] = {"duration": duration}
        notebook.cells.append(cell)
    path = tmp_path / "chapter.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_slowest_code_cell_is_named_with_its_first_line(tmp_path):
    assert slowest_cell(_notebook(tmp_path, [0.5, 601.2, None, 3.0])) == (2, 601.2, "step_1()")


def test_a_notebook_without_timed_code_cells_names_none(tmp_path):
    assert slowest_cell(_notebook(tmp_path, [])) is None
    assert slowest_cell(_notebook(tmp_path, [None]))[1] == 0.0


def test_a_slow_chapter_names_its_slow_cell_or_the_time_outside_its_cells(tmp_path):
    path = _notebook(tmp_path, [0.5, 601.2, 3.0])
    assert slow_note(path, 606.0, 30.0) == " (slowest cell 2: 601 s, `step_1()`)"
    assert slow_note(path, 700.0, 30.0) == (" (slowest cell 2: 601 s, `step_1()`; 95 s outside its cells "
                                            "(kernel start, final kernel_info reply, shutdown))")
    quick = _notebook(tmp_path, [0.5, 2.0, 1.5])
    assert slow_note(quick, 609.0, 30.0) == " (605 s outside its cells (kernel start, final kernel_info reply, shutdown))"
    assert slow_note(quick, 9.0, 30.0) == ""
