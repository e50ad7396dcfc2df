"""Model families: the short names sweeps and chapters use for a model recipe, and one record
per family (its label and its colour) that every chapter shares, so one model has one name and
one colour throughout the book.

A family names a recipe (see :func:`parse_family`): ``"vae"``; ``"beta<b>"``, the β-VAE;
``"vsc<alpha>[+min0][+hold]"``, the fixed-prior VSC; ``"lvsc<alpha>[-<selector>]"``, VSC with the
learned prior; ``"authors"``, ``"authors~<ingredient>"`` and ``"authors-beta<b>"``, the authors'
Smiley recipe, with one ingredient put back, and the β-VAE with the authors' body; ``"fit"`` and
``"fit-old"``, the VSC that :func:`vsc_lib.fit.fit` trains by default, now and before issue 31,
and ``"fit+a<alpha>+u<weight>"``, fit's VSC with another alpha or usage weight (the variants its
default was chosen from).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from .config import SELECTORS
from .fit import EARLIER_VSC_DEFAULTS, VSC_DEFAULTS
from .recipes import EARLIER


@dataclass(frozen=True)
class Family:
    """What a family name stands for (see :func:`parse_family`)."""

    kind: str  # "vae" or "vsc"
    beta: float = 1.0
    alpha: float | None = None
    prior: str = "fixed"
    selector: str = "softmax"
    #: trained with the grid's authors' recipe (``Grid.recipe``), with these ingredients put back
    recipe: bool = False
    ingredients: tuple[str, ...] = ()
    #: fixed-prior VSC: the authors' spike form (log pi = min(v, 0)) and their long spike-only phase
    spike_form: str = "sigmoid"
    hold: bool = False
    #: the VSC of ``vsc_lib.fit.fit`` with its defaults: ``"default"`` (now) or ``"earlier"`` (before issue 31)
    fit: str = ""
    #: fit's VSC: the weight of the per-dimension usage term (``ModelConfig.usage_weight``)
    usage: float = 0.0


_FAMILY_HELP = ("use 'vae', 'beta<beta>' (e.g. 'beta4'), 'vsc<alpha>[+min0][+hold]' (e.g. 'vsc0.01', 'vsc0.01+min0'), "
                f"'lvsc<alpha>[-<selector>]' (e.g. 'lvsc0.2', 'lvsc0.2-sigmoid'; selectors: {', '.join(SELECTORS)}), "
                "'authors', 'authors~<ingredient>', 'authors-beta<beta>', 'fit[+a<alpha>][+u<weight>]' or "
                "'fit-old' with 0 < alpha < 1 and beta > 0")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def parse_family(family: str) -> Family:
    """``"vae"``; ``"beta<b>"``: the beta-VAE; ``"vsc<a>"``: VSC with the fixed prior;
    ``"lvsc<a>"`` or ``"lvsc<a>-<selector>"``: VSC with the learned prior (softmax selector by
    default). A clear error for anything else."""
    if not isinstance(family, str):
        raise ValueError(f"unknown model family {family!r} (not a string); {_FAMILY_HELP}.")
    if family == "vae":
        return Family("vae")
    if family == "fit-old":
        return Family("vsc", alpha=EARLIER_VSC_DEFAULTS["alpha"], usage=EARLIER_VSC_DEFAULTS["usage_weight"],
                      fit="earlier")
    if family == "fit" or family.startswith("fit+"):
        alpha, usage = VSC_DEFAULTS["alpha"], VSC_DEFAULTS["usage_weight"]
        mods = family.split("+")[1:]
        for mod in mods:
            value = _number(mod[1:])
            if mod[:1] == "a" and 0.0 < value < 1.0:
                alpha = value
            elif mod[:1] == "u" and 0.0 <= value < 1e4:
                usage = value
            else:
                raise ValueError(f"unknown model family {family!r}: {mod!r} is neither a<alpha> with 0 < alpha < 1 "
                                 f"nor u<weight> with weight >= 0; {_FAMILY_HELP}.")
        if len({m[:1] for m in mods}) != len(mods):
            raise ValueError(f"unknown model family {family!r}: give alpha and the usage weight once each.")
        return Family("vsc", alpha=alpha, usage=usage, fit="default")
    if family.startswith("authors"):
        rest = family[len("authors"):]
        if rest.startswith("-beta"):
            beta = _number(rest[5:])
            if 0.0 < beta < 1e4:
                return Family("vae", beta=beta, recipe=True)
        else:
            ingredients = tuple(rest.split("~")[1:]) if rest.startswith("~") or not rest else None
            if ingredients is not None and all(i in EARLIER for i in ingredients):
                return Family("vsc", prior="learned", recipe=True, ingredients=ingredients)
        raise ValueError(f"unknown model family {family!r}; {_FAMILY_HELP} (ingredients: {', '.join(EARLIER)}).")
    if family.startswith("vsc") and "+" in family:
        base, *mods = family.split("+")
        if set(mods) <= {"min0", "hold"} and len(set(mods)) == len(mods):
            plain = parse_family(base)
            if plain.prior == "fixed":
                return Family("vsc", alpha=plain.alpha, spike_form="min0" if "min0" in mods else "sigmoid",
                              hold="hold" in mods)
    if family.startswith("beta"):
        beta = _number(family[4:])
        if 0.0 < beta < 1e4:
            return Family("vae", beta=beta)
    elif family.startswith(("vsc", "lvsc")):
        learned = family.startswith("lvsc")
        alpha_text, _, selector = family[4 if learned else 3:].partition("-")
        alpha = _number(alpha_text)
        if 0.0 < alpha < 1.0 and (not selector or (learned and selector in SELECTORS)):
            return Family("vsc", alpha=alpha, prior="learned" if learned else "fixed", selector=selector or "softmax")
    raise ValueError(f"unknown model family {family!r}; {_FAMILY_HELP}.")


def family_alpha(family: str) -> float | None:
    """None for the VAE families, alpha for the VSC ones; a clear error for an unknown name."""
    return parse_family(family).alpha


def family_label(family: str) -> str:
    f = parse_family(family)
    if f.fit:
        if family in ("fit", "fit-old"):
            return "VSC, fit's default" if family == "fit" else "VSC, fit's earlier default"
        return f"VSC, fit with α={f.alpha:g}, usage weight {f.usage:g}"
    if f.recipe:
        if f.kind == "vae":
            return f"β-VAE β={f.beta:g} (authors' body)"
        return "VSC, authors' recipe" + "".join(f", {EARLIER[i]}" for i in f.ingredients)
    if f.kind == "vae":
        return "VAE" if f.beta == 1.0 else f"β-VAE β={f.beta:g}"
    if f.prior == "fixed":
        extra = [text for on, text in ((f.spike_form == "min0", "min(v, 0) spike"), (f.hold, "long spike-only phase")) if on]
        return f"VSC α={f.alpha:g}" + (f" ({', '.join(extra)})" if extra else "")
    return f"VSC learned prior α={f.alpha:g}" + ("" if f.selector == "softmax" else f" ({f.selector})")


#: the colour of each family the book plots; a family not listed gets one from :data:`PALETTE`,
#: chosen by its name (so it is the same in every chapter and every build)
COLOURS = {
    "vae": "#1f77b4", "beta2": "#c5b0d5", "beta4": "#9467bd", "beta8": "#7b4fa6", "beta16": "#4b2a7a",
    "vsc0.5": "#ff7f0e", "vsc0.2": "#2ca02c", "vsc0.1": "#8c564b", "vsc0.01": "#d62728",
    "vsc0.01+min0": "#e377c2", "vsc0.01+hold": "#bcbd22", "vsc0.01+min0+hold": "#17becf",
    "fit": "#2ca02c", "fit-old": "#d62728",
    "authors": "#d62728", "authors-beta1": "#1f77b4", "authors-beta4": "#9467bd", "authors-beta16": "#4b2a7a",
}
PALETTE = ("#ff7f0e", "#2ca02c", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#98df8a",
           "#ffbb78", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5")


@dataclass(frozen=True)
class FamilyRecord:
    """One family as every chapter shows it: its name, what it stands for, label and colour."""

    name: str
    family: Family
    label: str
    colour: str


def family_record(family: str) -> FamilyRecord:
    """The shared record of ``family`` (a clear error for an unknown name)."""
    parsed = parse_family(family)
    colour = COLOURS.get(family)
    if colour is None:
        index = int(hashlib.sha256(family.encode()).hexdigest(), 16) % len(PALETTE)
        colour = PALETTE[index]
    return FamilyRecord(family, parsed, family_label(family), colour)


def family_colours(families) -> dict[str, str]:
    """{label: colour} for plots whose series are named by the families' labels."""
    return {family_record(f).label: family_record(f).colour for f in families}
