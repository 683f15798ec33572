"""The one table of codes: names to :class:`~kdsl.codes.base.Code` instances.

A spec's ``code NAME(...)`` line resolves here (:mod:`kdsl.language.check`),
so a code registered from Python is usable in specs at once.

>>> import kdsl
>>> type(kdsl.get_code("bic")).__name__, "nml" in code_names()
('BicCode', True)
>>> kdsl.register_code(kdsl.get_code("bic"))
Traceback (most recent call last):
...
ValueError: a code named 'bic' is already registered (replace=True replaces it)
"""

from __future__ import annotations

from kdsl._registry import Registry
from kdsl.codes.base import Code
from kdsl.codes.bic import BicCode
from kdsl.codes.direct import DirectCode
from kdsl.codes.nml import NmlCode
from kdsl.codes.paper import PaperCode

__all__ = ["CODES", "BUILTIN_CODES", "DEFAULT_CODE", "get_code", "register_code", "code_names"]

#: The registered codes by name; :func:`register_code` adds one.
CODES: Registry[Code] = Registry("code", KeyError)

#: The code of a spec without a ``code`` line.
DEFAULT_CODE = "nml"


def register_code(code: Code, replace: bool = False) -> Code:
    """Make ``code`` available as ``code NAME`` in specs and to :func:`get_code`; returns it.

    Parameters
    ----------
    code : Code
        An instance of a :class:`~kdsl.codes.base.Code` subclass with a name.
    replace : bool
        Replace a code already registered under that name (else a ValueError).
    """
    if not isinstance(code, Code):
        raise TypeError(f"register_code takes a kdsl.Code instance, not {code!r}")
    if not code.name or not code.name.isidentifier():
        raise ValueError(f"a code's name must be an identifier, not {code.name!r}")
    return CODES.add(code.name, code, replace)


def get_code(name: str) -> Code:
    """The code registered as ``name`` (with its default options); KeyError listing the names if none."""
    return CODES.entry(name)


def code_names() -> tuple[str, ...]:
    """Every registered code's name, the built-in ones first."""
    return tuple(CODES)


for _code in (PaperCode(), DirectCode(), BicCode(), NmlCode()):
    register_code(_code)

#: The built-in codes' names.
BUILTIN_CODES = code_names()
