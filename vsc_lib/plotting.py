"""Figures for the book. Each ``plot_*`` takes arrays that were already computed and returns a
matplotlib Figure; nothing here trains, loads data or calls ``plt.show()``."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

#: One colour per model, the same in every chapter.
MODEL_COLOURS = {"AE": "#4d4d4d", "VAE": "#1f77b4", "beta-VAE": "#9467bd", "VSC": "#d62728", "VSC + warm-up": "#ff7f0e"}


def use_book_style() -> None:
    """Set the rcParams the book's figures use (called explicitly by each chapter)."""
    mpl.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 100, "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9,
        "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
        "axes.spines.right": False, "image.interpolation": "nearest", "figure.constrained_layout.use": True,
    })


def _as_images(x) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(x.shape[0], *x.shape[-2:]) if x.ndim == 4 else x


def plot_image_rows(rows: dict[str, np.ndarray], columns: list[str] | None = None, scale: float = 0.9) -> Figure:
    """Rows of grey images with a label per row: ``rows[label]`` is (N, 1, H, W) or (N, H, W)."""
    labels = list(rows)
    images = [_as_images(rows[k]) for k in labels]
    n = max(len(i) for i in images)
    fig, axes = plt.subplots(len(labels), n, figsize=(scale * n, scale * len(labels) + 0.2), squeeze=False)
    for r, (label, row) in enumerate(zip(labels, images, strict=True)):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(row):
                ax.imshow(row[c], cmap="gray_r", vmin=0, vmax=1)
            if r == 0 and columns is not None and c < len(columns):
                ax.set_title(columns[c])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    return fig


def plot_latent_grid(images: np.ndarray, extent: float, title: str | None = None) -> Figure:
    """A (n, n, H, W) grid of decoded images laid out over a square of latent values [-extent, extent]^2."""
    n, _, h, w = images.shape
    canvas = images[::-1].transpose(0, 2, 1, 3).reshape(n * h, n * w)  # first latent along x, second up
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(canvas, cmap="gray_r", extent=(-extent, extent, -extent, extent), vmin=0, vmax=1)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return fig


def plot_latent_scatter(codes: np.ndarray, labels: np.ndarray, class_names, title: str | None = None) -> Figure:
    """Two-dimensional codes coloured by class."""
    fig, ax = plt.subplots(figsize=(4.6, 4))
    cmap = plt.get_cmap("tab10")
    for k, name in enumerate(class_names):
        chosen = labels == k
        ax.scatter(codes[chosen, 0], codes[chosen, 1], s=2, color=cmap(k), label=name, alpha=0.6, rasterized=True)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.legend(markerscale=4, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_class_heatmap(values: np.ndarray, class_names, title: str, diverging: bool, label: str) -> Figure:
    """(C, J) per-class summary; ``diverging`` centres a red-blue map at zero (codes), otherwise
    a sequential map from 0 (spike probabilities)."""
    fig, ax = plt.subplots(figsize=(min(10, 2 + 0.12 * values.shape[1]), 3))
    if diverging:
        bound = float(np.abs(values).max()) or 1.0
        image = ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
    else:
        image = ax.imshow(values, cmap="magma_r", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("latent dimension")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=label, shrink=0.9)
    return fig


def plot_curves(x, series: dict[str, np.ndarray], xlabel: str, ylabel: str, logx: bool = False,
                errors: dict[str, np.ndarray] | None = None, title: str | None = None) -> Figure:
    """Line plot of several named series over a common x, with optional error bars."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, values in series.items():
        colour = MODEL_COLOURS.get(name.split(" (")[0])
        if errors and name in errors:
            ax.errorbar(x, values, yerr=errors[name], marker="o", ms=3, capsize=2, label=name, color=colour)
        else:
            ax.plot(x, values, marker="o", ms=3, label=name, color=colour)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_histogram(values: dict[str, np.ndarray], xlabel: str, bins) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 3))
    for name, v in values.items():
        ax.hist(v, bins=bins, alpha=0.6, label=name, color=MODEL_COLOURS.get(name.split(" (")[0]))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test images")
    ax.legend(frameon=False)
    return fig


def plot_latent_grids(panels: dict[str, np.ndarray], title: str | None = None) -> Figure:
    """Several (n, n, H, W) decoded grids side by side, one panel per model."""
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.9), squeeze=False)
    for ax, (name, images) in zip(axes[0], panels.items(), strict=True):
        n, _, h, w = images.shape
        ax.imshow(images.transpose(0, 2, 1, 3).reshape(n * h, n * w), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


#: One colour per sweep family (see ``vsc_lib.experiments``).
FAMILY_COLOURS = {"vae": "#1f77b4", "vsc0.5": "#ff7f0e", "vsc0.2": "#2ca02c", "vsc0.1": "#8c564b", "vsc0.01": "#d62728"}


def plot_versus_latent(panels: dict[str, dict[str, tuple]], ylabel: str, references: dict[str, dict[str, tuple]] | None = None,
                       colours: dict[str, str] | None = None, linestyles: dict[str, str] | None = None) -> Figure:
    """Side-by-side panels of curves over the latent size J (log axis).

    ``panels[title][label] = (J values, means, sds)`` draws error bars (one sd);
    ``references[title][label] = (J values, values)`` draws dashed curves without markers' fill
    (published numbers). ``colours`` and ``linestyles`` are looked up by label.
    """
    colours, linestyles = colours or {}, linestyles or {}
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), squeeze=False)
    for ax, (title, series) in zip(axes[0], panels.items(), strict=True):
        for label, (x, mean, sd) in series.items():
            ax.errorbar(x, mean, yerr=sd, marker="o", ms=3.5, capsize=2.5, label=label, color=colours.get(label),
                        linestyle=linestyles.get(label, "-"))
        for label, (x, values) in (references or {}).get(title, {}).items():
            ax.plot(x, values, marker="x", ms=4, linestyle=":", label=label, color=colours.get(label), alpha=0.8)
        ax.set_xscale("log", base=2)
        ticks = sorted({int(v) for series_ in series.values() for v in series_[0]})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("latent dimensions $J$")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return fig


def plot_correlation_matrices(panels: dict[str, np.ndarray], source_names, group_sizes, ncols: int = 3,
                              threshold: float = 0.07) -> Figure:
    """|correlation| matrices, one panel each: ``panels[title]`` is (K sources, J latents) with
    the latents already in display order. Values at or below ``threshold`` are drawn blank (the
    display threshold of the authors' notebook); lines separate the source groups."""
    titles = list(panels)
    nrows = -(-len(titles) // ncols)
    widths = [max(panels[t].shape[1] for t in titles[c::ncols]) for c in range(min(ncols, len(titles)))]
    fig, axes = plt.subplots(nrows, len(widths), figsize=(2.2 + 0.085 * sum(widths) + 1.2 * len(widths), 2.7 * nrows + 0.4),
                             squeeze=False, gridspec_kw={"width_ratios": widths})
    boundaries = np.cumsum(group_sizes)[:-1] - 0.5
    image = None
    for k, ax in enumerate(axes.flat):
        if k >= len(titles):
            ax.set_visible(False)
            continue
        matrix = np.where(panels[titles[k]] > threshold, panels[titles[k]], np.nan)
        image = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        for b in boundaries:
            ax.axhline(b, color="0.6", lw=0.6)
        ax.set_title(titles[k])
        ax.set_xlabel("latent (reordered)")
        ax.set_xticks([])
        if k % len(widths) == 0:
            ax.set_yticks(range(len(source_names)), source_names, fontsize=6)
        else:
            ax.set_yticks([])
    fig.colorbar(image, ax=axes, label="|correlation|", shrink=0.8)
    return fig
