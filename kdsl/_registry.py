"""A table of named plug-ins (families, symmetry kinds): one entry per name, an error for any other name.

>>> class Missing(ValueError):
...     pass
>>> colours = Registry("colour", Missing)
>>> colours.add("red", "red")
'red'
>>> colours.add("red", "red")
Traceback (most recent call last):
...
ValueError: a colour named 'red' is already registered (replace=True replaces it)
>>> colours.entry("blue")
Traceback (most recent call last):
...
kdsl._registry.Missing: unknown colour 'blue' (registered: red)
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["Registry"]


class Registry(dict[str, T], Generic[T]):
    """A dict from name to entry whose :meth:`add` refuses a taken name and whose :meth:`entry` raises ``unknown``."""

    def __init__(self, what: str, unknown: type[Exception]) -> None:
        super().__init__()
        self.what = what
        self.unknown = unknown

    def add(self, name: str, entry: T, replace: bool = False) -> T:
        """Register ``entry`` under ``name``; a ValueError if the name is taken, unless ``replace``."""
        if name in self and not replace:
            raise ValueError(f"a {self.what} named {name!r} is already registered (replace=True replaces it)")
        self[name] = entry
        return entry

    def entry(self, name: str) -> T:
        """The entry registered under ``name``; ``unknown`` (listing the registered names) for any other."""
        try:
            return self[name]
        except KeyError:
            raise self.unknown(f"unknown {self.what} {name!r} (registered: {', '.join(self)})") from None
