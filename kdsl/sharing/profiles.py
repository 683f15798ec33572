"""What a sharing optimisation returns: the best sharing for every k, as frozen plain data, and the cost checks.

Data costs are computed elsewhere (:mod:`kdsl.lengths.score`); the sharing
modules only decide which environments share which mechanism. Given the bits
each environment's data cost under each candidate, they find, for every
number k of distinct mechanisms, the cheapest way to let the N environments
share k of them: :mod:`kdsl.sharing.selection` for parameter slots chosen
from codebooks, :mod:`kdsl.sharing.partitions` for free tables (any set of
environments may share one). Costs may contain ``+inf`` (impossible); ``nan``
and ``-inf`` are refused (:func:`_as_costs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kdsl.errors import KdslError

__all__ = ["SelectionProfile", "CoupledProfile", "PartitionProfile", "METHODS"]


#: What each method label of a mechanism's sharing means, in words (``kdsl explain`` prints these).
METHODS = {
    "no slots": "the mechanism has no parameters to choose: nothing is shared or selected",
    "fixed": "one mechanism for every environment (written `fixed`): no choice across environments",
    "subset-dp": "exact: a dynamic program over subsets of environments finds, for every k, the best "
                 "assignment of environments to exactly k candidates",
    "used-set-dp": "exact: a dynamic program over environments that tracks which candidates are used so far",
    "branch-and-bound": "exact: bounds every candidate set and solves only those that can beat the best so far",
    "enumerate-dp": "exact: enumerates the choices of every slot but the last, and solves the last by subset-dp",
    "exact partition DP": "exact: a dynamic program over subsets finds, for every k, the best grouping of the "
                          "environments into k groups that each share one table (or fit)",
    "greedy merging (heuristic)": "a heuristic: too many environments for the exact grouping, so groups are "
                                  "merged greedily; the grouping may not be the shortest",
}


def _freeze_arrays(obj: object, **dtypes: type) -> None:
    """Store each named field of a frozen dataclass as a read-only array of the given dtype."""
    for name, dtype in dtypes.items():
        object.__setattr__(obj, name, _frozen(np.asarray(getattr(obj, name), dtype=dtype)))


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(arr)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class _Assignments:
    """Fields shared by the selection profiles: the bits of every k, and the assignment that attains them."""

    bits: np.ndarray
    assignment: np.ndarray
    method: str
    exact: bool

    def __post_init__(self) -> None:
        _freeze_arrays(self, bits=float, assignment=np.int64)


@dataclass(frozen=True, eq=False)
class SelectionProfile(_Assignments):
    """Best exactly-k selection for every k.

    Attributes
    ----------
    bits:
        Shape ``(kmax + 1,)``, ``kmax = min(N, M)``. ``bits[k]`` is the minimum
        total cost using exactly k distinct candidates; ``bits[0]`` and every
        infeasible k are ``inf``.
    assignment:
        Shape ``(kmax + 1, N)``, int. ``assignment[k, e]`` is the candidate of
        environment e in the optimum for k; ``-1`` where ``bits[k]`` is inf.
    method:
        Which algorithm produced it (see the module docstring).
    exact:
        Whether ``bits`` are proven optimal.
    """

    @property
    def kmax(self) -> int:
        """Largest k considered, ``min(N, M)``."""
        return len(self.bits) - 1


@dataclass(frozen=True, eq=False)
class CoupledProfile(_Assignments):
    """Best joint selection for coupled slots, for every per-slot count.

    Attributes
    ----------
    bits:
        Shape ``(kmax_1 + 1, ..., kmax_S + 1)`` with ``kmax_i = min(N, M_i)``;
        ``bits[k_1, ..., k_S]`` is the minimum total cost when slot i uses
        exactly ``k_i`` distinct values. ``inf`` where impossible (any
        ``k_i = 0`` included).
    assignment:
        Shape ``bits.shape + (S, N)``, int: ``assignment[k_1, ..., k_S, i, e]``
        is slot i's candidate for environment e; ``-1`` where infeasible.
    method, exact:
        As in :class:`SelectionProfile`.
    """


@dataclass(frozen=True, eq=False)
class PartitionProfile:
    """Best set partition of the environments into exactly k blocks, every k.

    Attributes
    ----------
    bits:
        Shape ``(N + 1,)``; ``bits[k]`` is the minimum summed block cost over
        partitions into k blocks (``bits[0] = inf``).
    partitions:
        ``partitions[k]`` is the partition as a list of blocks, each a sorted
        list of environment indices, blocks ordered by smallest member;
        ``None`` for k = 0 or where ``bits[k]`` is inf.
    labels:
        Shape ``(N + 1, N)``: block label of each environment (restricted
        growth string), ``-1`` where infeasible.
    method, exact:
        As in :class:`SelectionProfile`.
    """

    bits: np.ndarray
    partitions: tuple
    labels: np.ndarray
    method: str
    exact: bool

    def __post_init__(self) -> None:
        _freeze_arrays(self, bits=float, labels=np.int64)
        object.__setattr__(self, "partitions", tuple(self.partitions))


def _as_costs(cost: object, name: str, min_ndim: int, max_ndim: int | None = None) -> np.ndarray:
    try:
        arr = np.array(cost, dtype=float)
    except (TypeError, ValueError) as exc:
        raise KdslError(f"{name} must be an array of numbers ({exc})") from None
    if arr.ndim < min_ndim or (max_ndim is not None and arr.ndim > max_ndim):
        want = f"{min_ndim}" if max_ndim == min_ndim else f"at least {min_ndim}"
        raise KdslError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    if 0 in arr.shape:
        raise KdslError(f"{name} is empty (shape {arr.shape}); need at least one environment and candidate")
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if total == total and total != -math.inf:  # no NaN and no -inf (either would make the sum NaN or -inf)
        return arr
    if np.isnan(arr).any():
        raise KdslError(f"{name} contains NaN")
    if np.isneginf(arr).any():
        raise KdslError(f"{name} contains -inf; costs are bits, use +inf for 'impossible'")
    return arr
