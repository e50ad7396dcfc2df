"""One family record (label and colour) shared by every chapter."""

from __future__ import annotations

import re

import pytest

from vsc_lib import families, plotting


def test_a_record_holds_the_familys_label_and_one_colour():
    record = families.family_record("vsc0.2")
    assert record.label == "VSC α=0.2" == families.family_label("vsc0.2")
    assert record.family.alpha == 0.2 and record.colour == families.COLOURS["vsc0.2"]
    for name in ("vae", "beta4", "vsc0.01+min0", "lvsc0.2-sigmoid", "authors", "authors~nu", "authors-beta4"):
        assert re.fullmatch(r"#[0-9a-f]{6}", families.family_record(name).colour)


def test_chapters_one_to_five_use_the_same_colours_as_the_sweeps():
    assert plotting.MODEL_COLOURS["VAE"] == families.family_record("vae").colour
    assert plotting.MODEL_COLOURS["VSC"] == families.family_record("vsc0.01").colour
    assert plotting.MODEL_COLOURS["beta-VAE"] == families.family_record("beta4").colour


def test_an_unlisted_family_gets_a_palette_colour_chosen_by_its_name():
    first, again = families.family_record("vsc0.03"), families.family_record("vsc0.03")
    assert "vsc0.03" not in families.COLOURS and first.colour in families.PALETTE and first == again
    colours = families.family_colours(["vae", "vsc0.03"])
    assert colours == {"VAE": "#1f77b4", "VSC α=0.03": first.colour}


def test_an_unknown_family_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model family 'gan'; use 'vae'"):
        families.family_record("gan")
