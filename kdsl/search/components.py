"""The exact search by parts: the candidate parent graph's strongly connected components, one dynamic program each.

After exact pruning (:func:`kdsl.search.milp.candidate_sets`) every variable
keeps only the parent sets none of whose scored subsets is as short. Draw an
arc u -> v whenever u is in one of v's kept sets: every DAG built from kept
sets is a subgraph of this graph, so each of its cycles would run inside one
strongly connected component of it. Acyclicity is therefore a constraint on
each component alone, with the parents outside a component free: the shortest
program is the sum of each component's shortest, and each component is solved
exactly by :func:`kdsl.search.exact.exact_best` over its own variables
(each kept set seen only through its parents inside the component). A sparse
problem of 20 variables may split into parts of 15 or fewer, whose dynamic
programs are 2^5 times smaller; one component holding every variable gains
nothing, and :func:`by_components` then returns None.

Programs with reuse classes (a unit of several variables) and the k shortest
programs are left to the whole-problem searches.

>>> from kdsl.errors import Span
>>> from kdsl.language.model import Template
>>> t = Template(None, "A", (), "table", span=Span(1, 1, 1, 2, 0, 1))
>>> local = LocalScores(["A", "B", "C"], [{0: (9.0, t, None), 2: (5.0, t, None)},
...                                       {0: (9.0, t, None), 1: (6.0, t, None)},
...                                       {0: (4.0, t, None), 1: (5.0, t, None)}])
>>> components(candidate_sets(local).sets, 3)     # A and B are candidate parents of each other; C stays alone
[[0, 1], [2]]
>>> found, parts = by_components(local, max_size=2)   # B -> A (5 + 9) beats A -> B (9 + 6); C takes no parent
>>> found
Program(bits=18.0, parents={0: 2, 1: 0, 2: 0}, reuse=())
"""

from __future__ import annotations

import math

from kdsl.search.exact import exact_best
from kdsl.search.local import LocalScores, Program, Progress
from kdsl.search.milp import candidate_sets

__all__ = ["components", "by_components"]


def components(sets: list[list[tuple[int, float]]], d: int) -> list[list[int]]:
    """The strongly connected components of the graph u -> v for every u in one of ``sets[v]``'s parent masks.

    Components are listed by their lowest variable, each in increasing order.
    """
    reach = [0] * d  # reach[v]: the variables v reaches (its descendants in the graph), by transitive closure
    for v in range(d):
        for mask, _ in sets[v]:
            for u in range(d):
                if mask >> u & 1:
                    reach[u] |= 1 << v
    for w in range(d):
        for u in range(d):
            if reach[u] >> w & 1:
                reach[u] |= reach[w]
    out, placed = [], 0
    for v in range(d):
        if placed >> v & 1:
            continue
        part = [v] + [u for u in range(v + 1, d) if reach[v] >> u & 1 and reach[u] >> v & 1]
        placed |= sum(1 << u for u in part)
        out.append(part)
    return out


def by_components(local: LocalScores, max_size: int, progress: Progress | None = None,
                  deadline: float | None = None) -> tuple[Program, list[list[int]]] | None:
    """The shortest program, one dynamic program per component of at most ``max_size`` variables; and the components.

    None when the search has reuse classes, when a component is larger than
    ``max_size`` or holds every variable (nothing to gain), when a component
    has no program, or on the deadline: the whole-problem search then runs.
    """
    d = len(local.variables)
    if local.reuse or d < 2:
        return None
    cands = candidate_sets(local).sets[:d]
    parts = components(cands, d)
    if len(parts) == 1 or max(map(len, parts)) > max_size:
        return None
    parents: dict[int, int] = {}
    total = 0.0
    for part in parts:
        found = _solve_part(local, cands, part, progress, deadline)
        if found is None:
            return None
        total += found[0]
        parents.update(found[1])
    return Program(total, parents), parts


def _solve_part(local: LocalScores, cands: list[list[tuple[int, float]]], part: list[int],
                progress: Progress | None, deadline: float | None) -> tuple[float, dict[int, int]] | None:
    """One component's shortest program (bits, full parent masks), its kept sets seen through their inside parents."""
    position = {v: i for i, v in enumerate(part)}
    entries: list[dict] = []
    full_masks: list[dict[int, int]] = []
    for v in part:
        row: dict = {}
        full: dict[int, int] = {}
        for mask, _ in cands[v]:  # shortest first: the first set with given inside parents is the one to keep
            inside = sum(1 << position[u] for u in part if mask >> u & 1)
            if inside not in row:
                row[inside] = local.entries[v][mask]
                full[inside] = mask
        entries.append(row)
        full_masks.append(full)
    found = exact_best(LocalScores([local.variables[v] for v in part], entries), progress, deadline)
    if found is None or not math.isfinite(found.bits):
        return None
    return found.bits, {v: full_masks[i][found.parents[i]] for i, v in enumerate(part)}
