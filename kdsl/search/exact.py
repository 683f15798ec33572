"""Exact structure search over the local scores: the shortest program, and the top N.

* :func:`exact_best` finds the optimal DAG by dynamic programming over
  variable subsets (best parent sets by a subset-minimum transform, then
  sinks layer by layer), vectorised with numpy. Exact.
* :func:`k_best` finds the exact top-N DAGs by the k-best variant of the same
  recursion, removing duplicates (one DAG reached through several sinks) at
  every subset. Exact; practical up to :data:`KBEST_MAX_VARIABLES` variables.

Both read only :class:`~kdsl.search.local.LocalScores`; reuse classes enter
as units that place all their variables at once.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from kdsl.search.local import LocalScores, Program, Progress, _deadline_passed

__all__ = ["exact_best", "k_best", "KBEST_MAX_VARIABLES"]
#: Exact top-N (N > 1) is computed up to this many variables.
KBEST_MAX_VARIABLES = 14


def _drop_bits(masks, removed: int):
    """``masks`` (an int or an integer array) with the bits of ``removed`` taken out, higher bits shifted down.

    A unit's parents lie outside the unit, so its tables run over the other
    variables only; this is the index of a set of other variables there.

    >>> _drop_bits(0b10110, 0b00100), _drop_bits(np.array([0b1001, 0b0011]), 0b0010).tolist()
    (10, [5, 1])
    """
    for b in reversed(range(removed.bit_length())):
        if removed >> b & 1:
            masks = (masks & ((1 << b) - 1)) | ((masks >> (b + 1)) << b)
    return masks


def _units(local: LocalScores) -> list[tuple[int, dict[int, float]]]:
    """Every unit a program places: its variable mask and its local scores (parent mask -> bits).

    Units are the variables, then the reuse classes (``local.reuse``), whose
    scores hold the bits of all their members together.
    """
    rows = [(1 << v, {mask: entry[0] for mask, entry in local.entries[v].items()}) for v in range(len(local.variables))]
    return rows + [(block.mask, {mask: entry[0] for mask, entry in block.entries.items()}) for block in local.reuse]


def _best_parent_tables(local: LocalScores) -> list[np.ndarray]:
    """Per unit u, ``table[C]``: the least local score of u with parents inside C, a set of the other variables.

    C is indexed without the unit's own variables (:func:`_drop_bits`), so a
    variable's table has ``2**(d-1)`` cells. The subset minimum is taken in
    place one variable at a time; which parent set attains it is not stored
    (:func:`_best_parents_inside` finds it again for the few sets a program uses).
    """
    d = len(local.variables)
    tables = []
    for umask, row in _units(local):
        free = d - bin(umask).count("1")
        table = np.full(1 << free, np.inf)
        if row:
            table[_drop_bits(np.fromiter(row, np.int64, len(row)), umask)] = np.fromiter(row.values(), float, len(row))
        for b in range(free):  # pair each set without variable b with the same set with it
            view = table.reshape(-1, 2, 1 << b)
            np.minimum(view[:, 0, :], view[:, 1, :], out=view[:, 1, :])
        tables.append(table)
    return tables


def _best_parents_inside(row: dict[int, float], candidates: int) -> int:
    """The parent set inside ``candidates`` with the least bits (ties: fewest parents, then the lowest mask)."""
    inside = [(bits, bin(mask).count("1"), mask) for mask, bits in row.items() if not mask & ~candidates]
    return min(inside)[2]


def _subset_layers(d: int) -> list[np.ndarray]:
    """Every subset of d variables as a mask, grouped by size (int32 masks below 31 variables)."""
    masks = np.arange(1 << d, dtype=np.int32 if d < 31 else np.int64)
    sizes = np.zeros(1 << d, dtype=np.uint8)
    for b in range(d):
        sizes += (masks >> b & 1).astype(np.uint8)
    return [masks[sizes == layer] for layer in range(d + 1)]


def _dp_bytes(d: int, class_sizes: list[int]) -> int:
    """Peak bytes of :func:`exact_best` on d variables and reuse classes of these sizes (measured in bench/)."""
    tables = 8 * (d * (1 << (d - 1)) + sum(1 << (d - r) for r in class_sizes))
    widest = math.comb(d, d // 2)  # the largest layer of subsets
    # subset masks (4 bytes) and the sink table (8), plus the temporaries of the widest layer
    return tables + 12 * (1 << d) + _LAYER_BYTES * widest


#: Bytes of temporaries per subset of the widest layer while one unit is placed (measured, bench/dp_memory.py).
_LAYER_BYTES = 20


def _reuse_runs_of(local: LocalScores):
    """The reuse classes each exact run may use: one class of every symmetry (a symmetry stores one table).

    A program may use at most one class per permute symmetry (docs/language.md:
    the symmetry's variables reuse *one* stored table), which does not
    decompose over subsets; so the dynamic program runs once for each choice
    of one class per symmetry, and every run also covers the programs that
    use fewer classes.
    """
    by_symmetry: dict[str, list[int]] = {}
    for i, block in enumerate(local.reuse):
        by_symmetry.setdefault(block.symmetry, []).append(i)
    yield from itertools.product(*by_symmetry.values())


def exact_best(local: LocalScores, progress: Progress | None = None,
               deadline: float | None = None) -> Program | None:
    """The optimal program over all DAGs and reuse classes; None on a deadline.

    ``best[S]``, the shortest program for the variables in S with parents
    inside S, is the least over units u inside S (the sink) of
    ``best[S - u]`` plus u's best parent set inside ``S - u``; subsets are
    taken layer by layer, by size. Which sink attains each minimum is not
    stored: it is found again for the one chain of sets the optimum uses.
    """
    d = len(local.variables)
    full = (1 << d) - 1
    layers = _subset_layers(d)
    rows = _units(local)
    tables = _best_parent_tables(local)
    best = np.empty(1 << d)
    found: Program | None = None
    for run in _reuse_runs_of(local):
        units = list(range(d)) + [d + i for i in run]
        best.fill(np.inf)
        best[0] = 0.0
        for layer in range(1, d + 1):
            if _deadline_passed(deadline):
                return None
            if progress is not None:
                progress("subsets", layer, d)
            for u in units:
                umask = rows[u][0]
                sets = layers[layer]
                sets = sets[sets & umask == umask]
                rest = sets ^ umask
                cand = best[rest]
                cand += tables[u][_drop_bits(rest, umask)]
                np.minimum(cand, best[sets], out=cand)
                best[sets] = cand
        if not best[full] < (math.inf if found is None else found.bits):
            found = Program(math.inf, {}) if found is None else found
            continue
        parents: dict[int, int] = {}
        used: list[int] = []
        mask = full
        while mask:  # the sink of each set on the optimal chain: the unit whose sum reproduces best[set]
            u = next(u for u in units if mask & rows[u][0] == rows[u][0] and best[mask ^ rows[u][0]]
                     + tables[u][_drop_bits(mask ^ rows[u][0], rows[u][0])] == best[mask])
            umask = rows[u][0]
            mask ^= umask
            pmask = _best_parents_inside(rows[u][1], mask)
            if u >= d:
                used.append(u - d)
            parents.update((v, pmask) for v in range(d) if umask >> v & 1)
        found = Program(float(best[full]), parents, tuple(sorted(used)))
    return found


def _top_parent_sets(row: dict[int, float], umask: int, d: int, top: int) -> list[list[tuple[float, int]]]:
    """For every set C of the variables outside ``umask`` (indexed as in :func:`_drop_bits`), the ``top``
    shortest parent sets inside C."""
    free = d - bin(umask).count("1")
    own: dict[int, tuple[float, int]] = {_drop_bits(mask, umask): (bits, mask) for mask, bits in row.items()}
    lists: list[list[tuple[float, int]]] = [[] for _ in range(1 << free)]
    for c in range(1 << free):
        merged = [own[c]] if c in own else []
        for b in range(free):
            if c >> b & 1:
                merged.extend(lists[c ^ (1 << b)])
        lists[c] = sorted(set(merged))[:top]
    return lists


def k_best(local: LocalScores, top: int, progress: Progress | None = None,
           deadline: float | None = None) -> list[Program] | None:
    """The exact ``top`` shortest programs (ties broken by a fixed order); None on a deadline."""
    d = len(local.variables)
    size = 1 << d
    rows = _units(local)
    parent_lists = [_top_parent_sets(row, umask, d, top) for umask, row in rows]
    order = sorted(range(1, size), key=lambda m: bin(m).count("1"))
    everything: dict[tuple[tuple[int, int], ...], float] = {}
    for run in _reuse_runs_of(local):
        units = [(u, rows[u][0]) for u in [*range(d), *(d + i for i in run)]]
        nets: list[list[tuple[float, tuple[tuple[int, int], ...]]]] = [[] for _ in range(size)]
        nets[0] = [(0.0, ())]
        for s in order:
            if _deadline_passed(deadline):
                return None
            candidates: dict[tuple[tuple[int, int], ...], float] = {}
            for u, umask in units:
                if s & umask != umask:
                    continue
                rest = s ^ umask
                for bits_net, net in nets[rest]:
                    for bits_p, pmask in parent_lists[u][_drop_bits(rest, umask)]:
                        key = tuple(sorted((*net, (u, pmask))))
                        total = bits_net + bits_p
                        if total < candidates.get(key, math.inf):
                            candidates[key] = total
            nets[s] = heapq.nsmallest(top, ((b, k) for k, b in candidates.items()))
            if progress is not None and s % 256 == 0:
                progress("subsets", s, size)
        for bits, net in nets[size - 1]:
            everything[net] = min(bits, everything.get(net, math.inf))
    out = []
    for bits, net in heapq.nsmallest(top, ((b, k) for k, b in everything.items())):
        if not math.isfinite(bits):
            continue
        parents: dict[int, int] = {}
        used = []
        for u, pmask in net:
            if u < d:
                parents[u] = pmask
            else:
                used.append(u - d)
                for v in local.reuse[u - d].members:
                    parents[v] = pmask
        out.append(Program(bits, parents, tuple(sorted(used))))
    return out
