"""kdsl: find causal and symmetric structure by compression.

A spec declares variables, environments, mechanism and symmetry templates
and hypotheses; kdsl turns each candidate program into a description length
in bits and selects the shortest.

>>> import kdsl
>>> spec = kdsl.parse("var X in 0..3")
>>> type(spec.decls[0]).__name__
'VarDecl'
"""

from __future__ import annotations

from .api import load, solve
from .errors import BudgetError, DataError, KdslError, ModelError, SpecError, SpecSyntaxError
from .syntax import parse

__version__ = "0.1.0"

__all__ = [
    "parse",
    "load",
    "solve",
    "KdslError",
    "SpecSyntaxError",
    "SpecError",
    "DataError",
    "ModelError",
    "BudgetError",
    "__version__",
]
