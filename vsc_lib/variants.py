"""The names of the registered model variants, (kind, prior) pairs: the bottom of the import graph.

:mod:`vsc_lib.config` checks a configuration's kind and prior against these names and
:mod:`vsc_lib.models` registers its classes under them (:func:`vsc_lib.models.register_variant`),
so neither imports the other to validate a configuration.
"""

from __future__ import annotations

#: every registered (kind, prior), in registration order: the built-in ones (the classes of
#: vsc_lib.models), then any added by register_variant
NAMES: dict[tuple[str, str], None] = dict.fromkeys([("ae", "fixed"), ("vae", "fixed"), ("vsc", "fixed"),
                                                    ("vsc", "learned")])


def add(kind: str, prior: str) -> None:
    """Register the name (kind, prior) (models.register_variant calls this with its class)."""
    NAMES[(kind, prior)] = None


def kinds() -> tuple[str, ...]:
    """The registered model kinds."""
    return tuple(dict.fromkeys(kind for kind, _ in NAMES))


def priors(kind: str) -> tuple[str, ...]:
    """The priors registered for ``kind``."""
    return tuple(prior for k, prior in NAMES if k == kind)
