"""Chapter 7's fill script (scripts/train_authors_book.py): the chosen β's other seeds wait for
every β on the choice seed, and are then those of the β with the best stored validation score."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import train_authors_book  # noqa: E402


def test_the_chosen_beta_waits_for_every_beta_and_follows_the_validation_score(monkeypatch):
    scores = {f"authors-beta{b}": 0.1 * k for k, b in enumerate((1, 2, 4, 8, 16, 32, 64))}
    scores["authors-beta8"] = 0.99  # the best on validation
    stored = set(scores) - {"authors-beta64"}

    def usable_record(grid, cell):
        if cell[1] not in stored or cell[3] != 0:
            return None
        return SimpleNamespace(evaluation=lambda what, settings: {"val_authors_block_disentanglement": scores[cell[1]]})

    monkeypatch.setattr(train_authors_book, "usable_record", usable_record)
    assert train_authors_book.chosen_cells([40]) is None  # beta 64 is not stored yet
    stored.add("authors-beta64")
    assert train_authors_book.chosen_cells([40, 18]) == [("smiley", "authors-beta8", 40, 1), ("smiley", "authors-beta8", 40, 2),
                                                         ("smiley", "authors-beta8", 18, 1), ("smiley", "authors-beta8", 18, 2)]
