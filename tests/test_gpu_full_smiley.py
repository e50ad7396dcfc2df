"""The full-size Smiley GPU script's cell parsing (the training itself needs a GPU or hours; its
quick path was run on the CPU with ``--grid quick --allow-cpu``)."""

from __future__ import annotations

import argparse

import pytest

from research.gpu_full_smiley import parse_cell


def test_a_cell_is_family_J_seed_and_anything_else_is_refused_with_the_form():
    assert parse_cell("authors:60:0") == ("smiley", "authors", 60, 0)
    assert parse_cell("authors-beta16:18:2") == ("smiley", "authors-beta16", 18, 2)
    for bad in ("authors:60", "authors:sixty:0", "authors:60:-1", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="family:J:seed"):
            parse_cell(bad)
