"""``array``: a user's own array or tensor (images or vectors), passed to :func:`vsc_lib.fit.fit`.

It is not stored: a run's configuration names it by the SHA-256 of its content
(``DataConfig.data_hash``) and gives the shape of one example (``DataConfig.input_shape``), and
the values are checked against the likelihood when the data are given.
"""

from __future__ import annotations

from . import Dataset, register

DATASET = register(Dataset("array", "a user's own array, named by the hash of its content", input_shape=None,
                           values="any"))
