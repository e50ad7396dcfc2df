"""The sentences the chapters print about their own results, as functions of measured numbers,
one module per chapter (:mod:`.comparison` for chapter 5, :mod:`.quantitative` for 6,
:mod:`.smiley` for 7, :mod:`.har` for 8) and the formatting they share (:mod:`.text`).

A chapter computes its numbers and passes them here; each function returns Markdown for a
``{glue:md}`` place in the text. Every conclusion a sentence draws (an ordering, a claim that
holds or not, a target met or missed) is decided here from the numbers, through the intervals of
:mod:`vsc_lib.stats` where it compares seeds, so it is unit tested for each outcome
(``tests/test_readings.py``), and no chapter builds its prose in a code cell. Chapters call them
as ``readings.<name>``; every public name of the modules is available here.
"""

from __future__ import annotations

from .comparison import *  # noqa: F403
from .har import *  # noqa: F403
from .quantitative import *  # noqa: F403
from .smiley import *  # noqa: F403
from .text import *  # noqa: F403
