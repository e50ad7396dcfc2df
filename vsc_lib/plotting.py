"""Figures for the book. Each ``plot_*`` takes arrays that were already computed and returns a
matplotlib Figure; nothing here trains, loads data or calls ``plt.show()``.

The figures are made with :func:`new_figure`, outside pyplot's registry of open figures: a
notebook's inline backend shows every figure still open when a cell ends, so a figure made with
``plt.subplots`` and glued for a captioned place in the text appeared twice in the book (once
bare under its cell, once numbered). A figure made here is shown only where it is displayed or
glued. :func:`figure_png` renders one with its legibility facts (smallest text in pixels, number
of panels) written into the PNG, where the book's HTML check reads them."""

from __future__ import annotations

import io
import math

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from .families import family_record

#: One colour per model in chapters 1-5, taken from the family records that chapters 6-8 use
#: (:mod:`vsc_lib.families`), so a model has the same colour everywhere.
MODEL_COLOURS = {"AE": "#4d4d4d", "VAE": family_record("vae").colour, "beta-VAE": family_record("beta4").colour,
                 "VSC": family_record("vsc0.01").colour, "VSC + warm-up": family_record("vsc0.5").colour}


def use_book_style() -> None:
    """Set the rcParams the book's figures use (called explicitly by each chapter)."""
    mpl.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 100, "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9,
        "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
        "axes.spines.right": False, "image.interpolation": "nearest", "figure.constrained_layout.use": True,
    })


def new_figure(nrows: int = 1, ncols: int = 1, figsize=None, squeeze: bool = True, **subplots_kw):
    """``(fig, axes)`` like ``plt.subplots``, but the figure is not registered with pyplot, so
    no notebook backend displays it behind the caller's back (and it needs no ``plt.close``)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze, **subplots_kw)


#: PNG text keys under which :func:`figure_png` records a figure's legibility facts
MIN_TEXT_KEY, PANELS_KEY, OVERLAP_KEY = "vsc:min-text-px", "vsc:panels", "vsc:overlapping-texts"


def legibility(fig: Figure) -> dict[str, float]:
    """The smallest visible text of ``fig`` in pixels at its own dpi (titles, axis and tick labels,
    legends; empty strings ignored), the number of visible panels (colour bars excluded) and the
    number of texts that overlap another one (by more than a fifth of the smaller's area: tick
    labels packed too densely, titles running into each other)."""
    fig.draw_without_rendering()  # tick labels get their text only when the figure is laid out
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()
    undrawn = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for label in _undrawn_tick_labels(axis)}
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and _visible_chain(t)
             and id(t) not in undrawn]
    boxes = np.array([tuple(t.get_window_extent(renderer).extents) for t in texts]).reshape(-1, 4)
    overlapping = 0
    if len(boxes):
        x0, y0, x1, y1 = boxes.T
        w = np.clip(np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0), 0, None)
        h = np.clip(np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0), 0, None)
        area = (x1 - x0) * (y1 - y0)
        smaller = np.minimum(area[:, None], area)
        clash = (w * h > 0.2 * np.maximum(smaller, 1e-9)) & ~np.eye(len(boxes), dtype=bool)
        overlapping = int(clash.any(1).sum())
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    return {"min_text_px": (min(t.get_fontsize() for t in texts) if texts else float("inf")) * fig.dpi / 72,
            "panels": len(panels), "overlapping": overlapping}


def _undrawn_tick_labels(axis) -> list[Text]:
    """Tick labels matplotlib keeps but does not draw: their tick lies outside the axis' view."""
    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * max(abs(low), abs(high), 1.0)
    labels = []
    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
        if not low - slack <= tick.get_loc() <= high + slack:
            labels += [tick.label1, tick.label2]
    return labels


def _visible_chain(artist) -> bool:
    axes = getattr(artist, "axes", None)
    return axes is None or axes.get_visible()


def figure_png(fig: Figure) -> bytes:
    """``fig`` as PNG bytes (tight bounding box, the figure's dpi) with :func:`legibility`'s facts
    stored as PNG text chunks."""
    facts = legibility(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight",
                metadata={MIN_TEXT_KEY: f"{facts['min_text_px']:.2f}", PANELS_KEY: str(facts["panels"]),
                          OVERLAP_KEY: str(facts["overlapping"])})
    return buffer.getvalue()


def _as_images(x) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(x.shape[0], *x.shape[-2:]) if x.ndim == 4 else x


def plot_image_rows(rows: dict[str, np.ndarray], columns: list[str] | None = None, scale: float = 0.9) -> Figure:
    """Rows of grey images with a label per row: ``rows[label]`` is (N, 1, H, W) or (N, H, W)."""
    labels = list(rows)
    images = [_as_images(rows[k]) for k in labels]
    n = max(len(i) for i in images)
    fig, axes = new_figure(len(labels), n, figsize=(scale * n, scale * len(labels) + 0.2), squeeze=False)
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


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def plot_varied_rows(x, recon, varied, dims, names, values) -> Figure:
    """One row per input: the input, its reconstruction, then the decoded image as its largest
    active element (dimension ``dims[i]``, -1 when none is on) takes each of ``values``; rows are
    labelled with the input's class name and the dimension."""
    x, recon, varied = _numpy(x), _numpy(recon), _numpy(varied)
    rows = {(f"{name}: dim {int(dim)}" if int(dim) >= 0 else f"{name}: none on"):
            np.concatenate([x[i:i + 1], recon[i:i + 1], varied[i]])
            for i, (name, dim) in enumerate(zip(names, dims, strict=True))}
    return plot_image_rows(rows, ["input", "recon."] + [f"{float(v):+.0f}" for v in values])


def plot_conditional_rows(x, draws, names) -> Figure:
    """One row per input: the input, then its conditional draws (``draws[i]``: (K, ...) images);
    rows labelled with the input's class name (a repeated name gets a trailing space, so every
    row keeps its own label)."""
    x, draws = _numpy(x), _numpy(draws)
    rows: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        while name in rows:
            name += " "
        rows[name] = np.concatenate([x[i:i + 1], draws[i]])
    return plot_image_rows(rows, ["input"] + [f"draw {k + 1}" for k in range(draws.shape[1])])


def plot_prior_rows(vsc, vae, per_row: int = 10) -> Figure:
    """Decoded prior samples of VSC (top rows) and of the VAE (bottom rows), ``per_row`` a row."""
    rows = {}
    for label, images in (("VSC", _numpy(vsc)), ("VAE", _numpy(vae))):
        for k in range(0, len(images), per_row):
            rows[label + " " * (k // per_row)] = images[k:k + per_row]
    return plot_image_rows(rows)


def plot_latent_grid(images: np.ndarray, extent: float, title: str | None = None) -> Figure:
    """A (n, n, H, W) grid of decoded images laid out over a square of latent values [-extent, extent]^2."""
    n, _, h, w = images.shape
    canvas = images[::-1].transpose(0, 2, 1, 3).reshape(n * h, n * w)  # first latent along x, second up
    fig, ax = new_figure(figsize=(4, 4))
    ax.imshow(canvas, cmap="gray_r", extent=(-extent, extent, -extent, extent), vmin=0, vmax=1)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return fig


def plot_latent_scatter(codes: np.ndarray, labels: np.ndarray, class_names, title: str | None = None) -> Figure:
    """Two-dimensional codes coloured by class."""
    fig, ax = new_figure(figsize=(4.6, 4))
    cmap = mpl.colormaps["tab10"]
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
    fig, ax = new_figure(figsize=(min(10, 2 + 0.12 * values.shape[1]), 3))
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


def plot_class_patterns(panels: dict[str, np.ndarray], class_names, min_pi: float = 0.05,
                        width: float = 7.2) -> Figure:
    """Per-class mean spike probabilities of several models, one row of the figure per model:
    ``panels[title]`` is (C classes, J); only the dimensions whose mean exceeds ``min_pi`` for
    some class are drawn (in index order, labelled by index), so a model that switches on a
    handful of J = 200 dimensions shows them at a readable size. One shared 0-1 colour scale."""
    titles = list(panels)
    fig, axes = new_figure(len(titles), 1, figsize=(width, 1.1 + 1.5 * len(titles)), squeeze=False)
    image = None
    for ax, title in zip(axes[:, 0], titles, strict=True):
        values = np.asarray(panels[title])
        used = np.flatnonzero(values.max(0) > min_pi)
        if used.size:
            image = ax.imshow(values[:, used], cmap="magma_r", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
            step = max(1, int(np.ceil(used.size / 30)))
            ax.set_xticks(range(0, used.size, step), [str(j) for j in used[::step]], rotation=90)
        else:
            ax.set_xticks([])
            ax.text(0.5, 0.5, "no dimension on", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks(range(len(class_names)), class_names)
        ax.set_title(f"{title}: {used.size} of {values.shape[1]} dimensions with mean π > {min_pi:g}")
    axes[-1, 0].set_xlabel("latent dimension")
    if image is not None:
        fig.colorbar(image, ax=list(axes[:, 0]), label="mean π", shrink=0.8)
    return fig


def plot_curves(x, series: dict[str, np.ndarray], xlabel: str, ylabel: str, logx: bool = False,
                errors: dict[str, np.ndarray] | None = None, title: str | None = None,
                colours: dict[str, str] | None = None) -> Figure:
    """Line plot of several named series over a common x, with optional error bars. Colours by
    series name from ``colours``, else the model's colour (:data:`MODEL_COLOURS`, by the name's
    part before " (")."""
    fig, ax = new_figure(figsize=(5, 3.2))
    handles = []
    for name, values in series.items():
        colour = (colours or {}).get(name) or MODEL_COLOURS.get(name.split(" (")[0])
        if errors and name in errors:
            handles.append(ax.errorbar(x, values, yerr=errors[name], marker="o", ms=3, capsize=2, label=name,
                                       color=colour))
        else:
            handles.extend(ax.plot(x, values, marker="o", ms=3, label=name, color=colour))
    if logx:  # the values themselves as ticks: a log axis' minor labels ran into each other
        ax.set_xscale("log")
        ax.set_xticks(list(x), [f"{v:g}" for v in x])
        ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(handles, list(series), frameon=False)  # in the order of the series, whatever was drawn how
    if title:
        ax.set_title(title)
    return fig


def plot_histories(panels: dict[str, dict[str, tuple]], xlabel: str, marks: dict[str, float] | None = None,
                   spans: dict[str, tuple[float, float]] | None = None, logy: tuple[str, ...] = ()) -> Figure:
    """Training histories side by side, one panel per measure: ``panels[ylabel][label] = (x, y)``,
    the same colour for a label in every panel. Where a schedule changes, in every panel:
    ``marks[name] = x`` draws a vertical line (dashed, then dotted, ...) and ``spans[name] = (x0,
    x1)`` shades an interval (a spike-only phase, a ramp). One legend under the panels names the
    series, the marks and the spans, so no label is drawn over the curves. Panels named in
    ``logy`` get a logarithmic y axis with plain-number ticks (counts that fall from 60 to a few)."""
    fig = Figure(figsize=(3.6 * len(panels), 3.8), layout="constrained")  # room for the legend under the panels
    axes = fig.subplots(1, len(panels), squeeze=False)
    labels = list(dict.fromkeys(label for series in panels.values() for label in series))
    colours = {label: f"C{k}" for k, label in enumerate(labels)}
    styles = ("--", ":", "-.")
    handles: dict[str, object] = {}
    for ax, (ylabel, series) in zip(axes.flat, panels.items(), strict=True):
        for n, (name, (x0, x1)) in enumerate((spans or {}).items()):
            handles[name] = ax.axvspan(x0, x1, color="0.5", alpha=0.12 + 0.12 * n, lw=0)
        for n, (name, at) in enumerate((marks or {}).items()):
            handles[name] = ax.axvline(at, color="0.3", lw=0.9, ls=styles[n % len(styles)])
        for label, (x, y) in series.items():
            (handles[label],) = ax.plot(x, y, lw=1.2, color=colours[label])
        if ylabel in logy:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    names = [*labels, *(spans or {}), *(marks or {})]
    fig.legend([handles[name] for name in names], names, loc="outside lower center", frameon=False, fontsize=7,
               ncol=min(len(names), 3))
    return fig


def plot_notice(text: str) -> Figure:
    """A figure holding one line of text and no panels: what a captioned place in the text shows
    when its data are absent from this build (e.g. no full-size run in the cache)."""
    fig = Figure(figsize=(6, 0.5))
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color="0.3")
    return fig


def plot_histogram(values: dict[str, np.ndarray], xlabel: str, bins) -> Figure:
    fig, ax = new_figure(figsize=(5, 3))
    for name, v in values.items():
        ax.hist(v, bins=bins, alpha=0.6, label=name, color=MODEL_COLOURS.get(name.split(" (")[0]))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test images")
    ax.legend(frameon=False)
    return fig


def plot_latent_grids(panels: dict[str, np.ndarray], title: str | None = None) -> Figure:
    """Several (n, n, H, W) decoded grids side by side, one panel per model."""
    fig, axes = new_figure(1, len(panels), figsize=(2.6 * len(panels), 2.9), squeeze=False)
    for ax, (name, images) in zip(axes[0], panels.items(), strict=True):
        n, _, h, w = images.shape
        ax.imshow(images.transpose(0, 2, 1, 3).reshape(n * h, n * w), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def plot_versus_latent(panels: dict[str, dict[str, tuple]], ylabel: str, references: dict[str, dict[str, tuple]] | None = None,
                       colours: dict[str, str] | None = None, linestyles: dict[str, str] | None = None,
                       ncols: int = 2) -> Figure:
    """Panels of curves over the latent size J (log axis), ``ncols`` per row (3.6 inches each,
    so that two fill the book's text column).

    ``panels[title][label] = (J values, means, sds)`` draws error bars (one sd);
    ``references[title][label] = (J values, values)`` draws dashed curves without markers' fill
    (published numbers). ``colours`` and ``linestyles`` are looked up by label.
    """
    colours, linestyles = colours or {}, linestyles or {}
    ncols = min(ncols, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.6 * ncols, 4.0 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (title, series) in zip(axes.flat, panels.items(), strict=False):
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


def plot_correlation_matrices(rows: dict[str, list[tuple[str, np.ndarray, np.ndarray]]], source_names, group_sizes,
                              threshold: float = 0.07, width: float = 7.2, label_size: float = 7) -> Figure:
    """|correlation| matrices laid out for the text column: one row of panels per model, the
    k-th panel of every row in the same column (e.g. one column per latent size J).

    ``rows[model] = [(title, matrix, latents), ...]``: ``matrix`` is (K sources, J latents) with
    the latents already in display order and ``latents`` their original indices. Only latents
    with some |correlation| above ``threshold`` are drawn, labelled by their index (every n-th
    where they are too dense to read; the title counts the latents left out); values at or below
    ``threshold`` are blank (the display threshold of the authors' notebook). Source names label
    the first panel of each row; lines separate the source groups. Every label is at least
    ``label_size`` points.
    """
    models = list(rows)
    ncols = max(len(r) for r in rows.values())
    shown = {(m, k): np.flatnonzero((matrix > threshold).any(0)) for m in models
             for k, (_, matrix, _) in enumerate(rows[m])}
    widths = [max(max((len(shown[m, k]) for m in models if (m, k) in shown), default=1), 4) for k in range(ncols)]
    fig = Figure(figsize=(width, 2.5 * len(models) + 0.5))
    boundaries = np.cumsum(group_sizes)[:-1] - 0.5
    # room for the source names and the colour bar, then what one latent column gets, in points
    points_per_column = (width - 1.9) * 72 / sum(widths)
    for subfig, model in zip(np.atleast_1d(fig.subfigures(len(models), 1)), models, strict=True):
        subfig.suptitle(model, fontsize=label_size + 1.5, fontweight="bold")
        axes = np.atleast_1d(subfig.subplots(1, ncols, gridspec_kw={"width_ratios": widths}))
        image = None
        for k, ax in enumerate(axes):
            if (model, k) not in shown:
                ax.set_visible(False)
                continue
            title, matrix, latents = rows[model][k]
            keep = shown[model, k]
            values = np.where(matrix[:, keep] > threshold, matrix[:, keep], np.nan)
            image = ax.imshow(values if keep.size else np.full((len(source_names), 1), np.nan), cmap="viridis",
                              vmin=0, vmax=1, aspect="auto", interpolation="nearest")
            for b in boundaries:
                ax.axhline(b, color="0.6", lw=0.6)
            hidden = matrix.shape[1] - keep.size
            ax.set_title(title + (f"\n{hidden} untracked" if hidden else "\n"), fontsize=label_size)
            # rotated labels side by side: one every `step` columns where they would touch
            room = points_per_column * widths[k] / max(keep.size, 1)
            step = max(1, math.ceil(1.3 * label_size / room))
            ticks = range(0, keep.size, step)
            ax.set_xticks(list(ticks), [str(int(latents[keep[j]])) for j in ticks], rotation=90, fontsize=label_size)
            ax.tick_params(length=2, pad=1)
            if k == 0:
                ax.set_yticks(range(len(source_names)), source_names, fontsize=label_size)
                ax.set_xlabel("latent index (reordered)", fontsize=label_size)
            else:
                ax.set_yticks([])
        if image is not None:  # one bar per row (a bar cannot span subfigures), all on the same 0-1 scale
            bar = subfig.colorbar(image, ax=list(axes), shrink=0.8, aspect=15, pad=0.01)
            bar.set_label("|corr.|", fontsize=label_size)
            bar.ax.tick_params(labelsize=label_size)
    return fig


def plot_signal_windows(windows: list[np.ndarray], titles: list[str], channel_groups: dict[str, tuple[int, int]],
                        rate: float, per_row: int = 3, width: float = 7.2) -> Figure:
    """Multichannel windows, one column per window and ``per_row`` windows per row of the layout;
    each window gets one panel per channel group (``channel_groups[name] = (first, last + 1)``,
    e.g. accelerometer x/y/z) with its channels as lines over time in seconds (``rate`` samples
    per second)."""
    groups = list(channel_groups.items())
    blocks = -(-len(windows) // per_row)
    fig, axes = new_figure(blocks * len(groups), per_row, figsize=(width, 1.6 * blocks * len(groups) + 0.3),
                           squeeze=False, sharex=True)
    for k, (window, title) in enumerate(zip(windows, titles, strict=True)):
        block, column = divmod(k, per_row)
        t = np.arange(window.shape[-1]) / rate
        for g, (name, (lo, hi)) in enumerate(groups):
            ax = axes[block * len(groups) + g, column]
            for c in range(lo, hi):
                ax.plot(t, window[c], lw=0.8, label="xyz"[c - lo] if hi - lo <= 3 else str(c))
            ax.locator_params(axis="y", nbins=4)  # room between the panels stacked above each other
            if g == 0:
                ax.set_title(title)
            if column == 0:
                ax.set_ylabel(f"{name}\n(standardised)")
            if block == blocks - 1 and g == len(groups) - 1:
                ax.set_xlabel("seconds")
    for k in range(len(windows), blocks * per_row):
        for g in range(len(groups)):
            axes[(k // per_row) * len(groups) + g, k % per_row].set_visible(False)
    axes[0, -1].legend(frameon=False, fontsize=8, loc="upper right", ncol=3)
    return fig
