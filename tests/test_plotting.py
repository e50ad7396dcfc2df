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


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def test_image_rows_have_one_labelled_row_per_entry_and_column_titles():
    rows = {"input": np.zeros((3, 1, 4, 4)), "recon.": np.ones((2, 4, 4))}
    fig = plotting.plot_image_rows(rows, columns=["a", "b", "c"])
    axes = _panels(fig)
    assert len(axes) == 6  # 2 rows x 3 columns; the shorter row leaves its last cell blank
    assert [axes[0].get_ylabel(), axes[3].get_ylabel()] == ["input", "recon."]
    assert [ax.get_title() for ax in axes[:3]] == ["a", "b", "c"]
    assert len(axes[5].get_images()) == 0 and len(axes[4].get_images()) == 1


def test_curves_draw_one_labelled_line_per_series_with_value_ticks_on_a_log_axis():
    fig = plotting.plot_curves([1, 4, 16], {"VAE": np.array([3.0, 2, 1]), "VSC": np.array([1.0, 2, 3])}, "β", "D",
                               logx=True, errors={"VAE": np.array([0.1, 0.1, 0.1])})
    (ax,) = _panels(fig)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_xscale()) == ("β", "D", "log")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["VAE", "VSC"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4", "16"]


def test_histories_draw_a_panel_per_measure_with_the_schedule_in_each_and_one_legend():
    x = np.linspace(0.2, 1, 5)
    panels = {"on per face": {"full": (x, 60 * x), "reduced": (x, 2 * x)}, "test −ELBO": {"full": (x, -x)}}
    fig = plotting.plot_histories(panels, "fraction of the schedule", {"lr drop": 0.3}, {"spike only": (0, 0.375)},
                                  logy=("on per face",))
    axes = _panels(fig)
    assert [ax.get_ylabel() for ax in axes] == ["on per face", "test −ELBO"]
    assert [ax.get_yscale() for ax in axes] == ["log", "linear"]
    assert [len(ax.get_lines()) for ax in axes] == [3, 2]  # the series and the mark in each
    assert [len(ax.patches) for ax in axes] == [1, 1]  # the span in each
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["full", "reduced", "spike only", "lr drop"]
    assert axes[0].get_lines()[1].get_color() == axes[1].get_lines()[1].get_color()  # "full" alike in both
    assert not any(ax.texts for ax in axes)
    assert plotting.legibility(fig)["overlapping"] == 0


def test_a_notice_is_a_line_of_text_without_panels():
    fig = plotting.plot_notice("No full-size run in this build's cache.")
    assert not fig.axes and [t.get_text() for t in fig.texts] == ["No full-size run in this build's cache."]
    assert plotting.legibility(fig)["panels"] == 0


def test_versus_latent_lays_out_panels_by_row_and_hides_spares():
    series = {"VAE": ([8, 32], np.array([100.0, 90]), np.array([1.0, 1]))}
    fig = plotting.plot_versus_latent({"MNIST": series, "Fashion": series, "HAR": series}, "−ELBO", ncols=2)
    axes = _panels(fig)
    assert [ax.get_title() for ax in axes] == ["MNIST", "Fashion", "HAR"] and len(fig.axes) == 4


def test_correlation_matrices_put_one_model_per_row_and_count_untracked_latents():
    matrix = np.zeros((18, 5))
    matrix[0, 0], matrix[5, 1] = 0.9, 0.5  # two latents follow a source, three do not
    rows = {"VSC": [("J = 5", matrix, np.arange(5))], "β-VAE": [("J = 5", matrix, np.arange(5))]}
    sizes = [3, 5, 6, 4]
    fig = plotting.plot_correlation_matrices(rows, [f"s{k}" for k in range(18)], sizes)
    axes = _panels(fig)
    assert len(axes) == 2
    assert "3 untracked" in axes[0].get_title() or any("3 untracked" in t.get_text() for t in fig.texts)
    assert axes[0].get_images()[0].get_array().shape[1] == 2  # only the tracked latents are drawn


def test_class_heatmap_labels_classes_and_dimensions():
    fig = plotting.plot_class_heatmap(np.random.default_rng(0).random((3, 10)), ["a", "b", "c"], "π", False, "mean π")
    ax = _panels(fig)[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert (ax.get_xlabel(), ax.get_title()) == ("latent dimension", "π")


def test_varied_conditional_and_prior_rows_label_every_row():
    import torch

    x, recon = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    varied = torch.rand(2, 3, 1, 4, 4)
    fig = plotting.plot_varied_rows(x, recon, varied, [5, -1], ["seven", "two"], torch.tensor([-1.0, 0.0, 1.0]))
    axes = _panels(fig)
    assert [axes[0].get_ylabel(), axes[5].get_ylabel()] == ["seven: dim 5", "two: none on"]
    assert [ax.get_title() for ax in axes[:5]] == ["input", "recon.", "-1", "+0", "+1"]
    fig = plotting.plot_conditional_rows(x, torch.rand(2, 4, 1, 4, 4), ["two", "two"])
    axes = _panels(fig)
    assert len(axes) == 10 and axes[0].get_ylabel() == "two" and axes[5].get_ylabel() == "two "  # a row each
    fig = plotting.plot_prior_rows(np.zeros((20, 1, 4, 4)), np.ones((20, 1, 4, 4)))
    labels = [ax.get_ylabel() for ax in _panels(fig)[::10]]
    assert labels == ["VSC", "VSC ", "VAE", "VAE "]
