"""Codes: the length formulas of every code (:mod:`kdsl.codes.formulas`), public as ``kdsl.codes``.

>>> from kdsl import codes
>>> codes.paper_table_bits(3, 8)
60
"""

from kdsl.codes.formulas import *  # noqa: F403 - this package's public face
from kdsl.codes.formulas import __all__  # noqa: F401
