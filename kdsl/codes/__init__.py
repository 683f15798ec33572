"""Codes: each code an object (:class:`Code`, one file per built-in code), one registry, and the length formulas.

``kdsl.codes`` is also the public face of :mod:`kdsl.codes.formulas` (every
length formula, in sympy), imported on first use so that checking a spec
does not import sympy.

>>> from kdsl import codes
>>> codes.paper_table_bits(3, 8)
60
>>> codes.get_code("paper").name
'paper'
"""

from __future__ import annotations

import importlib

from kdsl.codes.base import Code as Code
from kdsl.codes.registry import BUILTIN_CODES as BUILTIN_CODES
from kdsl.codes.registry import DEFAULT_CODE as DEFAULT_CODE
from kdsl.codes.registry import code_names as code_names
from kdsl.codes.registry import get_code as get_code
from kdsl.codes.registry import register_code as register_code

_FORMULAS = "kdsl.codes.formulas"


def __getattr__(name: str):
    """The names of :mod:`kdsl.codes.formulas`, imported on first use."""
    formulas = importlib.import_module(_FORMULAS)
    if name == "__all__":
        return [*formulas.__all__, "Code", "BUILTIN_CODES", "DEFAULT_CODE", "code_names", "get_code", "register_code"]
    if name in formulas.__all__:
        return getattr(formulas, name)
    raise AttributeError(f"module 'kdsl.codes' has no attribute {name!r}")
