"""Cells named on the command line (one parser for every script: ``vsc_lib.studies.parse_cell``),
and the Smiley scripts' short form."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from vsc_lib.studies import CellFormatError, parse_cell

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from gpu_full_smiley import smiley_cell  # noqa: E402


def test_a_cell_is_dataset_family_J_seed_and_anything_else_is_refused_with_the_form():
    assert parse_cell("mnist:vae:8:0") == ("mnist", "vae", 8, 0)
    assert parse_cell("smiley:authors-beta16:18:2") == ("smiley", "authors-beta16", 18, 2)
    for bad in ("mnist:vae:8", "mnist:vae:eight:0", "mnist:vae:8:-1", "", ":vae:8:0"):
        with pytest.raises(CellFormatError, match="dataset:family:J:seed"):
            parse_cell(bad)


def test_the_smiley_scripts_take_family_J_seed():
    assert smiley_cell("authors:60:0") == ("smiley", "authors", 60, 0)
    for bad in ("authors:60", "authors:sixty:0", "authors:60:-1", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="family:J:seed"):  # argparse prints the message
            smiley_cell(bad)
