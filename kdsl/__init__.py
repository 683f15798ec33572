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

from kdsl.api import load, solve
from kdsl.codes import Code, get_code, register_code
from kdsl.distributed import Job, solve_many
from kdsl.errors import BudgetError, DataError, KdslError, ModelError, SpecError, SpecSyntaxError
from kdsl.language.syntax import parse
from kdsl.verdict.result import ProgramResult, Result

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext kdsl``: register the ``%%kdsl`` cell magic and ``%kdsl`` line magic.

    IPython is imported only here, by :mod:`kdsl.present.magics`, never by ``import kdsl``.
    """
    from kdsl.present.magics import load_ipython_extension as _load

    _load(ipython)


__all__ = [
    "parse",
    "load",
    "solve",
    "solve_many",
    "Result",
    "ProgramResult",
    "Code",
    "get_code",
    "register_code",
    "Job",
    "KdslError",
    "SpecSyntaxError",
    "SpecError",
    "DataError",
    "ModelError",
    "BudgetError",
    "__version__",
]


def __getattr__(name: str):
    """Lazy accessors for the notebook extra: ``kdsl.ResultView`` and ``kdsl.explore``.

    They import ipywidgets on first use, never at ``import kdsl``.
    """
    if name == "ResultView":
        from kdsl.present.widgets import ResultView

        globals()["ResultView"] = ResultView
        return ResultView
    if name == "explore":
        from kdsl.present.explore import explore

        globals()["explore"] = explore
        return explore
    raise AttributeError(f"module 'kdsl' has no attribute {name!r}")
