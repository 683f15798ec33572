"""Every kind of mechanism a spec may name after ``~``, found from one place.

Besides a declared template, a hypothesis line ``X ~ NAME(...)`` names a
distribution family (one entry each in :data:`kdsl.mechanisms.families.FAMILIES`)
or a *free* mechanism, which fits any parent set without a template: ``table``
for a discrete variable, and the free mechanisms of a real variable (one entry
each in :data:`kdsl.mechanisms.regression.KINDS`).  The checker lists and
suggests names from here; symmetry kinds are in :mod:`kdsl.mechanisms.symmetries`.

>>> kinds = free_kinds()
>>> [(k.name, "real" if k.real else "discrete") for k in kinds.values()]
[('table', 'discrete'), ('linear', 'real'), ('poly', 'real'), ('normal', 'real'), ('histogram', 'real')]
>>> mechanism_names()[-5:]  # after the families; normal only once
['uniform', 'table', 'linear', 'poly', 'histogram']
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from kdsl.mechanisms.families import FAMILIES

__all__ = ["FreeKind", "TABLE", "free_kinds", "mechanism_names", "known_mechanisms"]


@dataclass(frozen=True)
class FreeKind:
    """A free mechanism: what it is called, which variables it describes, whether it takes parents."""

    name: str
    real: bool  # describes real variables (else discrete ones)
    parents: bool  # takes parents (False: roots only)
    summary: str


#: The free mechanism of a discrete variable.
TABLE = FreeKind("table", False, True, "a free conditional probability table over the parents' values")


def free_kinds() -> dict[str, FreeKind]:
    """Every free mechanism by name: :data:`TABLE`, then the real-variable kinds of ``regression.KINDS``."""
    regression = importlib.import_module("kdsl.mechanisms.regression")  # numeric stack: imported when first asked
    return {TABLE.name: TABLE, **{k.name: FreeKind(k.name, True, k.parents, k.summary) for k in regression.KINDS.values()}}


def mechanism_names() -> list[str]:
    """Every name a line may put after ``~`` other than a template: the families, then the free kinds, each once
    (``normal`` is both a family and a free real mechanism)."""
    return list(dict.fromkeys([*FAMILIES, *free_kinds()]))


def known_mechanisms() -> str:
    """The families and free mechanisms as one line of a hint.

    >>> known_mechanisms().split("; ")[1]
    'free: table (discrete), linear, poly, normal, histogram (real)'
    """
    free = free_kinds().values()
    discrete = ", ".join(k.name for k in free if not k.real)
    real = ", ".join(k.name for k in free if k.real)
    return f"families: {', '.join(FAMILIES)}; free: {discrete} (discrete), {real} (real)"
