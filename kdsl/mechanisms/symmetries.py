"""Symmetry kinds: what ``symmetry NAME on ... = KIND`` may name, one entry per kind in one table.

A kind either makes a table *invariant* (its parent configurations are
replaced by their orbits under the kind's action on one variable's values:
``reflect``, ``cyclic``) or lets several variables *reuse* one stored table
(``permute``).  Each kind is a :class:`SymmetryKind` subclass registered in
:data:`SYMMETRY_KINDS`; the checker, the table counts and the search's bounds
read everything about a kind from its entry, so an unregistered kind is an
error, never a default.  To add a kind, subclass :class:`SymmetryKind` and
call :func:`register_symmetry_kind` (docs/architecture.md).

>>> get_symmetry_kind("reflect").orbits(5)
(array([0, 1, 2, 1, 0]), 3)
>>> get_symmetry_kind("cyclic").orbit_count(5), get_symmetry_kind("permute").reuses
(1, True)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from kdsl._registry import Registry

if TYPE_CHECKING:
    from kdsl.language.model import Variable

__all__ = [
    "SYMMETRY_KINDS",
    "SymmetryKind",
    "UnknownSymmetryKindError",
    "get_symmetry_kind",
    "kind_names",
    "register_symmetry_kind",
]

#: A problem with a symmetry's variables: (index of the variable at fault, or None for the kind itself; message).
Problem = tuple[int | None, str]


class SymmetryKind(ABC):
    """One kind of symmetry: an entry of :data:`SYMMETRY_KINDS`.

    ``reuses`` is False for a kind that makes a table invariant (it then
    defines :meth:`orbits` on one variable's value codes) and True for a kind
    whose variables reuse one stored table.  :meth:`problem` is the check of
    a declaration's variables; the checker locates its message.
    """

    name: str = ""
    description: str = ""
    reuses: bool = False

    @abstractmethod
    def problem(self, symmetry: str, variables: Sequence[Variable]) -> Problem | None:
        """What is wrong with ``symmetry NAME on VARIABLES = KIND``, or None."""

    def orbits(self, size: int) -> tuple[np.ndarray, int]:
        """Orbit id (0..count-1) of each value code ``0..size-1``, and the number of orbits (invariance kinds)."""
        raise ValueError(f"symmetry kind {self.name} gives no invariance")

    def orbit_count(self, size: int) -> int:
        """How many orbits ``size`` value codes form: an invariant table's parent counts this many configurations."""
        return self.orbits(size)[1]


class Invariance(SymmetryKind):
    """A kind acting on the values of one discrete variable (an invariant table counts its orbits)."""

    def problem(self, symmetry, variables):
        if len(variables) != 1:
            return None, f"{self.name} acts on one variable; write `symmetry {symmetry} on X = {self.name}`"
        if variables[0].is_real:
            return 0, f"{self.name} needs a discrete variable; {variables[0].name} is real"
        return None

    @abstractmethod
    def orbits(self, size: int) -> tuple[np.ndarray, int]:
        """Orbit id (0..count-1) of each value code ``0..size-1``, and the number of orbits."""


class Reflect(Invariance):
    name = "reflect"
    description = "value code c and K-1-c are one orbit (x -> lo + hi - x)"

    def orbits(self, size):
        codes = np.arange(size)
        return np.minimum(codes, size - 1 - codes), (size + 1) // 2


class Cyclic(Invariance):
    name = "cyclic"
    description = "all values are one orbit (a table invariant under every rotation of the values)"

    def orbits(self, size):
        return np.zeros(size, dtype=np.int64), 1


class Permute(SymmetryKind):
    """Reuse: each variable after the first names its group element, the code's ``reference_bits(m)`` (log2 m!)."""

    name = "permute"
    description = "two or more variables with one domain may reuse one stored table"
    reuses = True

    def problem(self, symmetry, variables):
        if len(variables) < 2:
            return None, "permute needs at least two variables, e.g. `on {X1, X2}`"
        first = variables[0]
        for i, var in enumerate(variables[1:], start=1):
            if (var.kind, var.lo, var.hi, var.labels, var.step) != (first.kind, first.lo, first.hi, first.labels, first.step):
                return i, (f"permute needs variables with the same domain: {first.name} is {first.describe()}, "
                           f"{var.name} is {var.describe()}")
        return None


class UnknownSymmetryKindError(ValueError):
    """A name that is not in :data:`SYMMETRY_KINDS` reached a dispatch (the checker admits only registered kinds)."""


#: The registered symmetry kinds by name; :func:`register_symmetry_kind` adds one.
SYMMETRY_KINDS: Registry[SymmetryKind] = Registry("symmetry kind", UnknownSymmetryKindError)


def register_symmetry_kind(kind: SymmetryKind, *, replace: bool = False) -> SymmetryKind:
    """Add ``kind`` to :data:`SYMMETRY_KINDS` (an error if its name is taken, unless ``replace``)."""
    if not kind.name or not kind.description:
        raise ValueError("a symmetry kind needs a name and a description")
    return SYMMETRY_KINDS.add(kind.name, kind, replace)


def get_symmetry_kind(name: str) -> SymmetryKind:
    """The registered kind ``name``; :class:`UnknownSymmetryKindError` for any other name.

    >>> try:
    ...     get_symmetry_kind("rotate")
    ... except UnknownSymmetryKindError as e:
    ...     print(e)
    unknown symmetry kind 'rotate' (registered: reflect, cyclic, permute)
    """
    return SYMMETRY_KINDS.entry(name)


def kind_names(reuses: bool | None = None) -> str:
    """The registered kinds as prose ("reflect, cyclic or permute"), optionally only those that do or do not reuse.

    >>> kind_names(), kind_names(reuses=False)
    ('reflect, cyclic or permute', 'reflect or cyclic')
    """
    names = [k.name for k in SYMMETRY_KINDS.values() if reuses is None or k.reuses == reuses]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


for _kind in (Reflect, Cyclic, Permute):
    register_symmetry_kind(_kind())
