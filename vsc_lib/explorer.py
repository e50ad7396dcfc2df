"""An ipywidgets explorer of one VSC code: toggles switch latent dimensions on and off, sliders
set their slab values, and the decoded image follows. It needs a live Jupyter kernel; the book's
static pages show a traversal grid instead."""

from __future__ import annotations

import torch

from .analysis import active_dimensions, decode
from .models import VSC


def spike_explorer(model: VSC, x: torch.Tensor, max_dims: int = 8, extra_dims: int = 2):
    """Widget for the code of one image ``x`` (1, C, H, W).

    Offers the image's active dimensions (largest |slab mean| first, at most ``max_dims``) plus
    ``extra_dims`` inactive ones that the image does not use, each with an on/off toggle and a
    slab-value slider in [-3, 3].
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    with torch.no_grad():
        posterior = model.eval().encode(x.to(model.device))
    mu, pi = posterior.mu[0].cpu(), posterior.spike_prob[0].cpu()
    active = active_dimensions(mu, pi, max_dims)
    inactive = [int(j) for j in torch.argsort(pi) if int(j) not in active][:extra_dims]
    dims = active + inactive
    toggles = [widgets.ToggleButton(value=j in active, description=f"z{j}", layout=widgets.Layout(width="70px")) for j in dims]
    sliders = [widgets.FloatSlider(value=float(mu[j]) if j in active else 1.0, min=-3, max=3, step=0.1,
                                   readout_format=".1f", layout=widgets.Layout(width="260px")) for j in dims]
    output = widgets.Output()

    def redraw(*_):
        z = torch.zeros(1, model.latent_dim)
        for j, toggle, slider in zip(dims, toggles, sliders, strict=True):
            if toggle.value:
                z[0, j] = slider.value
        image = decode(model, z)[0, 0].numpy()
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.4, 2.4))
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
            ax.set_axis_off()
            plt.show()

    for widget in toggles + sliders:
        widget.observe(redraw, names="value")
    redraw()
    rows = [widgets.HBox([t, s]) for t, s in zip(toggles, sliders, strict=True)]
    return widgets.HBox([widgets.VBox(rows), output])
