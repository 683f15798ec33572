"""Sharing of free tables: the environments partitioned into exactly k groups, each sharing one table.

Any set of environments can share one table whose cost is given per subset
(``block_cost[mask]``):

* :func:`best_partition_by_k` -- the optimum over set partitions into exactly
  k blocks, for every k: every partition enumerated up to
  :data:`PARTITION_ENUMERATE_MAX` environments, else ``subset-partition-dp``,
  a DP over subsets with the lowest environment's block chosen first
  (O(N * 3**N / 2)). Exact.
* :func:`least_partition_bits` -- the same numbers without the partitions.
* :func:`greedy_partition_by_k` -- an agglomerative *heuristic* for
  partitions too large for the exact dynamic programme.

Ties: :mod:`kdsl.sharing.ties`.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from kdsl.errors import BudgetError, KdslError
from kdsl.sharing.profiles import PartitionProfile, _as_costs, _frozen
from kdsl.sharing.subsets import _masks_by_size, _subset_sums
from kdsl.sharing.ties import _decode_keys, _key_weights, _lex_argmin

__all__ = ["best_partition_by_k", "best_partitions_by_k", "least_partition_bits", "greedy_partition_by_k", "PARTITION_ENUMERATE_MAX"]


#: Up to this many environments, partitions are enumerated outright (Bell(8) = 4140).
PARTITION_ENUMERATE_MAX = 8


#: Up to this many set partitions the per-k minimum is taken in Python rather than numpy.
_PYTHON_ARGMIN_MAX = 64


@lru_cache(maxsize=4)
def _partition_tables(n: int) -> tuple:
    """Per popcount p: masks (C,), subsets containing the lowest bit (C, 2**(p-1)), rests."""
    out: list = [None]
    for p, masks, pos in _masks_by_size(n):
        t = np.arange(1 << (p - 1), dtype=np.int64)
        subs = np.ones((len(masks), len(t)), dtype=np.int64) << pos[:, :1]
        for q in range(1, p):
            subs |= ((t[None, :] >> (q - 1)) & 1) << pos[:, q : q + 1]
        out.append((masks, subs, masks[:, None] ^ subs))
    return tuple(out)


def _labels_to_blocks(labels: np.ndarray, k: int) -> list[list[int]]:
    return [np.flatnonzero(labels == b).tolist() for b in range(k)]


@functools.cache
def _all_partitions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every set partition of n items, in lexicographic order of restricted growth strings.

    Returns ``(labels, block_masks, k)``: labels ``(P, n)``, the bitmask of each
    block ``(P, n)`` (0 where a partition has fewer blocks), blocks per partition.
    """
    strings: list[list[int]] = [[0]]
    for _ in range(n - 1):
        strings = [s + [b] for s in strings for b in range(max(s) + 2)]
    labels = np.array(strings, dtype=np.int64)
    masks = np.zeros((len(strings), n), dtype=np.int64)
    for j in range(n):
        np.add.at(masks, (np.arange(len(strings)), labels[:, j]), 1 << j)
    return labels, masks, labels.max(axis=1) + 1


@functools.cache
def _partition_plan(n: int) -> tuple:
    """Every set partition of n items grouped by their number of blocks k, for :func:`_enumerated_partitions`.

    Returns ``(index, spans, labels, blocks)``: ``index`` ``(P, n)`` into the
    block costs with one zero-cost pad ``2**n`` where a partition has fewer
    blocks, rows ordered by k and, within one k, by restricted growth string
    (a stable sort of :func:`_all_partitions`); ``spans[k] = (start, stop)``
    of k's rows (``None`` when there are none); ``labels`` ``(P + 1, n)`` in
    the same row order plus a last row of -1; ``blocks``, each partition's
    blocks as tuples, in the same row order.
    """
    labels, masks, counts = _all_partitions(n)
    order = np.argsort(counts, kind="stable")
    index = np.where(masks > 0, masks, 1 << n)[order]
    sorted_labels = _frozen(np.vstack([labels[order], np.full((1, n), -1, dtype=np.int64)]))
    index = _frozen(index)
    ks = counts[order]
    spans: list = [None] * (n + 1)
    for k in range(1, n + 1):
        rows = np.flatnonzero(ks == k)
        if rows.size:
            spans[k] = (int(rows[0]), int(rows[-1]) + 1)
    blocks = tuple(
        tuple(tuple(int(e) for e in np.flatnonzero(row == b)) for b in range(int(k)))
        for row, k in zip(sorted_labels[:-1], ks)
    )
    return index, tuple(spans), sorted_labels, blocks


def _partition_totals(padded: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Each row's cost of every enumerated partition (``[row, partition]``): its blocks' costs added left to
    right, so a row's numbers do not depend on the rows beside it (numpy's ``sum`` pairs 8 or more terms)."""
    totals = padded[:, index[:, 0]]
    for column in index.T[1:]:
        totals = totals + padded[:, column]
    return totals


def _enumerated_partitions(arr: np.ndarray, n: int) -> PartitionProfile:
    index, spans, _, _ = _partition_plan(n)
    padded = np.append(arr, 0.0)  # mask 0 (an absent block) costs nothing
    totals = _partition_totals(padded[None], index)[0]
    values = totals.tolist() if len(totals) <= _PYTHON_ARGMIN_MAX else None
    if values is None or not all(v == v for v in values):  # Python's min and numpy's argmin differ on NaN
        values = None
    chosen: list[tuple[int, float] | None] = [None] * (n + 1)
    for k in range(1, n + 1):
        span = spans[k]
        if span is None:
            continue
        start, stop = span
        # the first minimum within k's rows: the smallest growth string
        if values is not None:
            best = min(range(start, stop), key=values.__getitem__)
            chosen[k] = (best, values[best])
        else:
            best = start + int(np.argmin(totals[start:stop]))
            chosen[k] = (best, float(totals[best]))
    return _chosen_partitions(n, chosen)


def _chosen_partitions(n: int, chosen: list[tuple[int, float] | None]) -> PartitionProfile:
    """The profile of the enumerated partition rows chosen per k (``(row, total)``; None: no partition)."""
    _, _, labels, blocks = _partition_plan(n)
    bits = [math.inf] * (n + 1)
    partitions: list = [None] * (n + 1)
    rows = [len(labels) - 1] * (n + 1)  # the last row of `labels` is all -1
    for k, choice in enumerate(chosen):
        if choice is not None and math.isfinite(choice[1]):
            bits[k] = choice[1]
            partitions[k] = [list(b) for b in blocks[choice[0]]]
            rows[k] = choice[0]
    return PartitionProfile(bits=np.array(bits), partitions=tuple(partitions), labels=labels.take(rows, axis=0),
                            method="enumerated-partitions", exact=True)


def best_partitions_by_k(block_costs: np.ndarray) -> list[PartitionProfile]:
    """:func:`best_partition_by_k` of each row of ``block_costs`` (``[row, mask]``), the same profiles as alone;
    up to :data:`PARTITION_ENUMERATE_MAX` environments every row's partitions are enumerated in one numpy pass.

    >>> sizes = np.array([bin(m).count("1") for m in range(8)])
    >>> cost = 10.0 + 3.0 * sizes
    >>> cost[[5, 6, 7]] += 8.0
    >>> rows = np.stack([cost, cost[::-1]])
    >>> together = best_partitions_by_k(rows)
    >>> together[0].partitions[2], together[0].bits.tolist()
    ([[0, 1], [2]], [inf, 27.0, 29.0, 39.0])
    >>> [(p.bits.tolist(), p.partitions) for p in together] == [
    ...     (q.bits.tolist(), q.partitions) for q in map(best_partition_by_k, rows)]
    True
    """
    arr = np.asarray(block_costs, dtype=float)
    width = arr.shape[1]
    n = int(round(math.log2(width))) if width > 1 else 0
    if n < 1 or n > PARTITION_ENUMERATE_MAX or width != 1 << n:
        return [best_partition_by_k(row) for row in arr]
    index, spans, _, _ = _partition_plan(n)
    with np.errstate(invalid="ignore"):  # inf - inf in a row that goes alone below
        totals = _partition_totals(np.concatenate([arr, np.zeros((len(arr), 1))], axis=1), index)
    best = [None if span is None else span[0] + np.argmin(totals[:, span[0]: span[1]], axis=1) for span in spans]
    odd = np.isnan(arr).any(1) | np.isneginf(arr).any(1)  # alone: an error, as best_partition_by_k raises
    return [best_partition_by_k(arr[r]) if odd[r] else _chosen_partitions(
        n, [None if rows is None else (int(rows[r]), float(totals[r, rows[r]])) for rows in best])
        for r in range(len(arr))]


def least_partition_bits(block_cost: np.ndarray) -> np.ndarray:
    """``best_partition_by_k(block_cost).bits`` without the partitions: the least cost for every k.

    For N up to :data:`PARTITION_ENUMERATE_MAX` one vectorised pass over the
    enumerated partitions (each partition's blocks added in the same order
    as there); beyond, the partition DP. A search needs only these numbers
    for the thousands of parent sets it ranks. A 2-D ``block_cost`` holds one
    table's block costs per row (``[row, mask]``) and gives ``[row, k]``, each
    row the same numbers as alone.

    Examples
    --------
    >>> sizes = np.array([bin(m).count("1") for m in range(8)])
    >>> cost = 10.0 + 3.0 * sizes
    >>> cost[[5, 6, 7]] += 8.0
    >>> least_partition_bits(cost).tolist()
    [inf, 27.0, 29.0, 39.0]
    >>> least_partition_bits(np.stack([cost, cost + 1.0])).tolist()
    [[inf, 27.0, 29.0, 39.0], [inf, 28.0, 31.0, 42.0]]
    """
    arr = np.asarray(block_cost, dtype=float)
    many = arr.ndim == 2
    arr = arr if many else arr[None]
    width = arr.shape[1]
    n = int(round(math.log2(width))) if width > 1 else 0
    if n < 1 or n > PARTITION_ENUMERATE_MAX or width != 1 << n:
        bits = np.stack([best_partition_by_k(row).bits for row in arr])
        return bits if many else bits[0]
    # rows the enumeration does not take (no finite block, NaN, -inf) go to the partition DP
    odd = ~np.isfinite(arr[:, 1:]).any(1) | np.isnan(arr).any(1) | np.isneginf(arr).any(1)
    index, spans, _, _ = _partition_plan(n)
    padded = np.concatenate([arr, np.zeros((len(arr), 1))], axis=1)
    with np.errstate(invalid="ignore"):  # inf - inf in a row that goes to the DP below
        totals = _partition_totals(padded, index)
    bits = np.full((len(arr), n + 1), np.inf)
    for k in range(1, n + 1):
        if spans[k] is not None:
            bits[:, k] = totals[:, spans[k][0]: spans[k][1]].min(axis=1)
    for row in np.flatnonzero(odd):
        bits[row] = best_partition_by_k(arr[row]).bits
    return bits if many else bits[0]


def best_partition_by_k(block_cost: np.ndarray, *, budget: float = 5e7, method: str = "auto") -> PartitionProfile:
    """Cheapest partition of the environments into exactly k shared tables, every k.

    Parameters
    ----------
    block_cost:
        Length ``2**N``: ``block_cost[mask]`` is the cost of one table shared by
        the environments whose bits are set in ``mask`` (environment e is bit
        ``1 << e``); entry 0 is ignored. ``+inf`` forbids a block.
    budget:
        Largest estimated number of operations (about ``N * 3**N / 2``); the
        default admits N up to 14.
    method:
        ``enumerate`` (every set partition, vectorised; N <= 8), ``dp`` (the
        subset DP), or ``auto`` (enumeration up to
        :data:`PARTITION_ENUMERATE_MAX`, else the DP). Both are exact and
        break ties the same way.

    Returns
    -------
    PartitionProfile
        Exact ``bits[k]`` and partitions for k = 1..N. Ties go to the
        partition with the lexicographically smallest restricted growth string.

    Raises
    ------
    BudgetError
        For too many environments; use :func:`greedy_partition_by_k`.

    Examples
    --------
    >>> # environments 0 and 1 agree; 2 is different: pooling costs extra
    >>> sizes = np.array([bin(m).count("1") for m in range(8)])
    >>> cost = 10.0 + 3.0 * sizes
    >>> cost[[5, 6, 7]] += 8.0         # any block holding 2 with 0 or 1
    >>> prof = best_partition_by_k(cost)
    >>> prof.bits.tolist()
    [inf, 27.0, 29.0, 39.0]
    >>> prof.partitions[2]
    [[0, 1], [2]]
    """
    arr = _as_costs(block_cost, "block_cost", 1, 1)
    n = int(round(math.log2(len(arr)))) if len(arr) > 1 else 0
    if n < 1 or len(arr) != 1 << n:
        raise KdslError(f"block_cost must have length 2**N for N >= 1 environments, got {len(arr)}")
    if method not in ("auto", "dp", "enumerate"):
        raise ValueError(f"unknown method {method!r}")
    if method == "enumerate" or (method == "auto" and n <= PARTITION_ENUMERATE_MAX):
        if n > PARTITION_ENUMERATE_MAX:
            raise BudgetError(f"enumerating the set partitions of N={n} environments is too many; use method='dp'")
        return _enumerated_partitions(arr, n)
    ops = n * 3.0**n / 2
    if ops > budget:
        raise BudgetError(
            f"exact partition DP over N={n} environments needs ~{ops:.3g} operations (N*3^N/2), "
            f"budget {budget:.3g}; use greedy_partition_by_k (a heuristic)"
        )
    full = (1 << n) - 1
    base = n + 1
    weights = _key_weights(n, base)
    wmask = [_subset_sums(w) for w in weights]
    tables = _partition_tables(n)
    f_prev = np.full(1 << n, np.inf)
    f_prev[0] = 0.0
    k_prev = [np.zeros(1 << n, dtype=np.int64) for _ in weights]
    bits = np.full(n + 1, np.inf)
    labels = np.full((n + 1, n), -1, dtype=np.int64)
    partitions: list = [None] * (n + 1)
    for j in range(1, n + 1):
        f = np.full(1 << n, np.inf)
        keys = [np.zeros(1 << n, dtype=np.int64) for _ in weights]
        for p in range(j, n + 1):
            masks, subs, rests = tables[p]
            vals = arr[subs] + f_prev[rests]
            # the new block takes label 0 and the rest shifts by one, so alternatives
            # compare exactly as the keys of their continuations do
            i = _lex_argmin(vals, lambda rests=rests, k_prev=k_prev: [k[rests] for k in k_prev], axis=1)
            ci = np.arange(len(masks))
            rest = rests[ci, i]
            f[masks] = vals[ci, i]
            for key, kp, wm in zip(keys, k_prev, wmask):
                key[masks] = kp[rest] + wm[masks]
        if np.isfinite(f[full]):
            bits[j] = f[full]
            labels[j] = _decode_keys([k[full] for k in keys], weights, base) - 1
            partitions[j] = _labels_to_blocks(labels[j], j)
        f_prev, k_prev = f, keys
    return PartitionProfile(
        bits=bits, partitions=tuple(partitions), labels=labels, method="subset-partition-dp", exact=True
    )


def greedy_partition_by_k(
    block_cost: Callable[[list[int]], float] | np.ndarray,
    n_envs: int | None = None,
) -> PartitionProfile:
    """Agglomerative partitions for every k -- a heuristic, not exact.

    Starts from singletons (k = N) and repeatedly merges the two blocks whose
    union raises the total cost least, recording the partition at every k.
    The results for k = N and k = 1 are exact (only one partition each); in
    between they are upper bounds on :func:`best_partition_by_k`. It needs
    ``O(N**2)`` evaluations of ``block_cost``.

    Parameters
    ----------
    block_cost:
        A callable taking a sorted list of environment indices and returning
        the cost of one table shared by them, or an array indexed by bitmask
        as in :func:`best_partition_by_k`.
    n_envs:
        Number of environments; required with a callable.

    Notes
    -----
    Ties go to the pair of blocks that comes first when blocks are ordered by
    their smallest member. An increase of the form ``inf - inf`` counts as
    ``+inf``.

    Examples
    --------
    >>> def cost(block):
    ...     spread = max(block) - min(block)
    ...     return 10.0 + 2.0 * len(block) + 3.0 * spread**2
    >>> prof = greedy_partition_by_k(cost, n_envs=4)
    >>> prof.partitions[2], prof.exact
    ([[0, 1], [2, 3]], False)
    """
    if callable(block_cost):
        if n_envs is None or int(n_envs) < 1:
            raise KdslError("greedy_partition_by_k needs n_envs >= 1 with a callable block_cost")
        n = int(n_envs)
        fn = block_cost
    else:
        arr = _as_costs(block_cost, "block_cost", 1, 1)
        n = int(round(math.log2(len(arr)))) if len(arr) > 1 else 0
        if n < 1 or len(arr) != 1 << n:
            raise KdslError(f"block_cost must have length 2**N for N >= 1 environments, got {len(arr)}")
        if n_envs is not None and int(n_envs) != n:
            raise KdslError(f"n_envs={n_envs} does not match block_cost of length 2**{n}")

        def fn(block: list[int]) -> float:
            return float(arr[sum(1 << e for e in block)])

    def evaluate(block: list[int]) -> float:
        value = float(fn(block))
        if math.isnan(value) or value == -math.inf:
            raise KdslError(f"block_cost({block}) returned {value}")
        return value

    blocks = [[e] for e in range(n)]
    own = np.array([evaluate(b) for b in blocks])
    merged = np.full((n, n), np.inf)
    for i, j in itertools.combinations(range(n), 2):
        merged[i, j] = evaluate(blocks[i] + blocks[j])
    bits = np.full(n + 1, np.inf)
    labels = np.full((n + 1, n), -1, dtype=np.int64)
    partitions: list = [None] * (n + 1)

    def record() -> None:
        k = len(blocks)
        bits[k] = own.sum()
        if np.isfinite(bits[k]):
            for b, block in enumerate(blocks):
                labels[k, block] = b
            partitions[k] = [list(b) for b in blocks]

    record()
    while len(blocks) > 1:
        nb = len(blocks)
        with np.errstate(invalid="ignore"):
            inc = merged - own[:, None] - own[None, :]
        inc[np.isnan(inc) | ~np.triu(np.ones((nb, nb), dtype=bool), 1)] = np.inf
        flat = int(np.argmin(inc))
        if not np.isfinite(inc.flat[flat]) and inc.flat[flat] > 0:
            flat = 1  # nothing finite: merge the first two blocks (order-preserving)
        i, j = divmod(flat, nb)
        blocks[i] = sorted(blocks[i] + blocks[j])
        own[i] = merged[i, j]
        del blocks[j]
        own = np.delete(own, j)
        merged = np.delete(np.delete(merged, j, axis=0), j, axis=1)
        for x in range(len(blocks)):
            if x != i:
                lo, hi = min(x, i), max(x, i)
                merged[lo, hi] = evaluate(sorted(blocks[lo] + blocks[hi]))
        record()
    return PartitionProfile(
        bits=bits, partitions=tuple(partitions), labels=labels, method="greedy-agglomerative", exact=False
    )
