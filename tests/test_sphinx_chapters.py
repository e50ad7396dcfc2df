"""The plain `jupyter-book build book/` executes the chapters that are missing or out of date."""

from __future__ import annotations

import json
from pathlib import Path

from vsc_lib import book, sphinx_chapters
from vsc_lib.paths import REPO_ROOT


def test_every_chapter_of_the_table_of_contents_is_found_there():
    names = sphinx_chapters.toc_chapters(REPO_ROOT / "_toc.yml")
    assert names == sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))  # in ToC order
    assert "intro" not in names and "conclusion" not in names  # prose pages are not executed


def test_a_chapter_with_any_file_name_is_found_in_toc_order(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("zeta", "alpha", "10_tenth"):
        (notebooks / f"{name}.ipynb").write_text("{}")
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nparts:\n  - chapters:\n    - file: zeta\n    - file: 10_tenth\n"
                   "      sections:\n        - file: alpha\n    - file: conclusion\n")
    monkeypatch.setattr(sphinx_chapters, "NOTEBOOKS", notebooks)
    assert sphinx_chapters.toc_chapters(toc) == ["zeta", "10_tenth", "alpha"]


def _stamp(folder: Path, name: str, profile: str, key: str) -> None:
    (folder / f"{name}.ipynb").write_text(json.dumps({"metadata": {"vsc_build": {"profile": profile, "key": key}}}))


def test_a_chapter_is_current_only_with_its_profile_and_todays_key(tmp_path, monkeypatch):
    name = "01_autoencoders"
    assert not sphinx_chapters.is_current(name, "book", tmp_path)  # missing
    _stamp(tmp_path, name, "book", book.chapter_key(name, "book"))
    assert sphinx_chapters.is_current(name, "book", tmp_path)
    assert not sphinx_chapters.is_current(name, "quick", tmp_path)  # another profile
    monkeypatch.setattr(book, "code_fingerprint", lambda: "the library changed")
    assert not sphinx_chapters.is_current(name, "book", tmp_path)
    (tmp_path / f"{name}.ipynb").write_text("{ broken")
    assert not sphinx_chapters.is_current(name, "book", tmp_path)


def test_the_key_follows_the_notebook_the_requirements_and_the_evidence(tmp_path, monkeypatch):
    base = book.chapter_key("02_vae", "book")
    assert base == book.chapter_key("02_vae", "book") and base != book.chapter_key("03_beta_vae", "book")
    assert base != book.chapter_key("02_vae", "quick")
    fake = tmp_path / "repo"
    (fake / "notebooks").mkdir(parents=True)
    (fake / "notebooks" / "02_vae.ipynb").write_bytes((REPO_ROOT / "notebooks" / "02_vae.ipynb").read_bytes())
    (fake / "requirements.txt").write_text("torch\n")
    monkeypatch.setattr(book, "REPO_ROOT", fake)
    first = book.chapter_key("02_vae", "book")
    (fake / "requirements.txt").write_text("torch\nnumpy\n")
    second = book.chapter_key("02_vae", "book")
    (fake / "evidence" / "s" / "book").mkdir(parents=True)
    (fake / "evidence" / "s" / "book" / "cell.json").write_text("{}")
    third = book.chapter_key("02_vae", "book")
    assert len({first, second, third}) == 3


def test_only_the_book_folder_is_executed(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(sphinx_chapters.subprocess, "run", lambda *a, **k: calls.append(a))

    class App:
        srcdir = str(tmp_path)

    sphinx_chapters.execute_out_of_date(App())
    assert calls == []
