"""A module imported on first use, so that a command imports only the heavy modules it needs.

``sympy``, ``scipy`` and ``networkx`` take tenths of a second each to
import; ``kdsl check`` on a spec without formulas needs none of them
(``tests/test_cli.py`` checks which it imports).

>>> import sys
>>> lazy = lazy_module("json")
>>> lazy.dumps([1])
'[1]'
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["lazy_module"]


class _LazyModule:
    """Stands for a module; the first attribute looked up imports it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # later look-ups find it here without a call
        return value

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str) -> ModuleType:
    """``name``, imported when one of its attributes is first used."""
    return _LazyModule(name)  # type: ignore[return-value]
