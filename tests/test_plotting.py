"""Figures: the right number of panels, labels and what they say they show."""

from __future__ import annotations

import numpy as np

from vsc_lib import plotting


def test_class_patterns_draw_only_the_dimensions_a_class_switches_on():
    dense = np.zeros((3, 200))
    dense[0, 7], dense[1, 7], dense[2, 150] = 0.9, 0.6, 1.0
    fig = plotting.plot_class_patterns({"model a": dense, "model b": np.zeros((3, 200))}, ["x", "y", "z"])
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 2
    first, second = panels
    assert first.get_title() == "model a: 2 of 200 dimensions with mean π > 0.05"
    assert [t.get_text() for t in first.get_xticklabels()] == ["7", "150"]
    assert [t.get_text() for t in first.get_yticklabels()] == ["x", "y", "z"]
    assert first.get_images()[0].get_array().shape == (3, 2)
    assert "no dimension on" in [t.get_text() for t in second.texts]
