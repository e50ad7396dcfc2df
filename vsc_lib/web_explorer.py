"""The data of the static pages' live decoder (``book/_explorer/explorer/explorer.js``).

:func:`explorer_data` exports an MLP decoder (two linear layers with a ReLU between, as every
MLP model of the library has) and a few example codes as a JSON-ready dict; :func:`explorer_html`
wraps it into the HTML a chapter displays: the data inline (so the page works from ``file://``
with the network off, where a browser refuses to fetch a separate JSON file), an empty element
the script fills, and the script itself, served from the built site. The weights are float32,
base64-encoded: the page decodes exactly what the library decodes (tested against
:meth:`~vsc_lib.models.LatentModel.output_image` in headless Chromium).
"""

from __future__ import annotations

import base64
import html
import json
import re

import numpy as np
import torch
from torch import nn

from .likelihoods import NormalisedGaussianLikelihood
from .models import LatentModel

#: where the built site serves the script (``html_extra_path``: ``book/_explorer/``)
SCRIPT = "explorer/explorer.js"


def _b64(tensor: torch.Tensor) -> str:
    return base64.b64encode(np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype="<f4").tobytes()).decode()


def explorer_data(model: LatentModel, codes: torch.Tensor, labels: list[str], dims: list[list[int]] | None = None,
                  names: dict[int, str] | None = None, value_range: tuple[float, float] = (-3.0, 3.0)) -> dict:
    """The decoder of ``model`` and the example ``codes`` (E, J) for the page's explorer.

    Args:
        labels: one name per example (shown in the example picker).
        dims: per example, the dimensions offered as toggles and sliders (default: the
            dimensions the code has on, largest magnitude first, at most 10).
        names: optional names of dimensions (e.g. the attribute group a Smiley dimension follows).
        value_range: the sliders' range of slab values.
    """
    linears = [m for m in model.decoder if isinstance(m, nn.Linear)]
    if model.config.body != "mlp" or len(linears) != 2:
        raise ValueError("the page's explorer decodes MLP decoders (body='mlp') only.")
    codes = codes.detach().cpu().float()
    if codes.ndim != 2 or codes.shape[1] != model.latent_dim or len(labels) != len(codes):
        raise ValueError(f"need codes (E, {model.latent_dim}) and one label per code, got {tuple(codes.shape)} "
                         f"and {len(labels)} labels.")
    if dims is None:
        dims = [[int(j) for j in torch.argsort(c.abs(), descending=True) if c[int(j)] != 0][:10] for c in codes]
    channels, height, width = model.input_shape if len(model.input_shape) == 3 else (1, 1, model.input_shape[-1])
    first, second = linears
    pixels = channels * height * width  # only the means' rows: the normalised Gaussian's variance head is not drawn
    return {
        "latent_dim": model.latent_dim, "hidden": first.out_features, "outputs": pixels,
        "height": height, "width": width, "channels": channels,
        "post": "normalised" if isinstance(model.likelihood, NormalisedGaussianLikelihood) else "sigmoid",
        "w1": _b64(first.weight), "b1": _b64(first.bias), "w2": _b64(second.weight[:pixels]),
        "b2": _b64(second.bias[:pixels]),
        "examples": [{"label": label, "code": [round(float(v), 6) for v in code], "dims": [int(d) for d in ds]}
                     for label, code, ds in zip(labels, codes, dims, strict=True)],
        "names": {str(k): v for k, v in (names or {}).items()},
        "range": list(value_range),
    }


def explorer_html(data: dict, element_id: str, title: str, script: str = SCRIPT) -> str:
    """The HTML of one explorer: its data inline, the element it draws in, and the script."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", element_id):
        raise ValueError(f"element_id {element_id!r} must be lower-case letters, digits and hyphens.")
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="vsc-explorer" id="{element_id}" data-title="{html.escape(title)}"></div>\n'
            f'<script type="application/json" id="{element_id}-data">{payload}</script>\n'
            f'<script src="{script}"></script>\n')


def page_explorer(model: LatentModel, x: torch.Tensor, labels: list[str], element_id: str, title: str,
                  groups: dict[str, list[int]] | None = None, limit: int = 10) -> str:
    """The HTML of an explorer of the gated codes (slab means of the dimensions with pi > 0.5) of
    the examples ``x``: each example offers its own active dimensions (largest first) and, with
    ``groups`` ({name: dimensions}, e.g. the latents tied to Smiley's attribute groups), those
    dimensions first, named by their group; at most ``limit`` per example."""
    model.require_spikes("the page's explorer")
    with torch.no_grad():
        codes = model.eval().code(x.to(model.device), "gated").cpu()
    names = {int(j): name for name, dims in (groups or {}).items() for j in dims}
    # the groups' dimensions taken in turn (the first of each group, then the second, ...), so
    # that every group is offered even when one group has many
    lists = [list(map(int, dims)) for dims in (groups or {}).values()]
    turns = [dims[k] for k in range(max(map(len, lists), default=0)) for dims in lists if k < len(dims)]
    dims = []
    for code in codes:
        own = [int(j) for j in torch.argsort(code.abs(), descending=True) if code[int(j)] != 0]
        dims.append(list(dict.fromkeys([*turns, *own]))[:limit])
    return explorer_html(explorer_data(model, codes, labels, dims, names), element_id, title)
