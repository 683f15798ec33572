"""Greedy structure search: hill climbing over single-edge changes, a heuristic.

:func:`greedy` climbs from the empty graph (or the required edges) by
single-edge additions, removals and reversals. It gives the best-so-far
program when a time limit strikes and a start beyond exact reach.
"""

from __future__ import annotations

from kdsl.search.local import LocalScores, Program, _deadline_passed

__all__ = ["greedy"]


def _acyclic_with(parents: dict[int, int], child: int, new_parent: int) -> bool:
    """Would adding new_parent -> child keep the graph acyclic (no path child ~> new_parent)?"""
    stack, seen = [new_parent], set()
    while stack:
        u = stack.pop()
        if u == child:
            return False
        if u in seen:
            continue
        seen.add(u)
        pmask = parents[u]
        stack.extend(b for b in range(len(parents)) if pmask >> b & 1)
    return True


def greedy(local: LocalScores, deadline: float | None = None) -> Program:
    """Hill climbing over single-edge changes from the empty graph, or the required edges (a heuristic).

    A move to a parent set the local scores lack (pruned or against the
    rules) has infinite length and is never taken.

    Reuse classes are then tried on the DAG found: a class whose members
    all have the same parents replaces their separate tables when shorter.
    """
    d = len(local.variables)
    required = local.rules.required if local.rules is not None else (0,) * d
    parents = dict(enumerate(required))  # start from the required edges (the empty graph without rules)
    scores = {v: local.best(v, parents[v]) for v in range(d)}
    while not _deadline_passed(deadline):
        best_gain, best_move = 1e-9, None
        for child in range(d):
            for other in range(d):
                if other == child:
                    continue
                bit = 1 << other
                if parents[child] & bit:
                    gain = scores[child] - local.best(child, parents[child] ^ bit)
                    if gain > best_gain:
                        best_gain, best_move = gain, ("remove", child, other)
                    # reversal: other -> child becomes child -> other
                    trial = dict(parents)
                    trial[child] ^= bit
                    if _acyclic_with(trial, other, child):
                        gain_r = gain + scores[other] - local.best(other, parents[other] | (1 << child))
                        if gain_r > best_gain:
                            best_gain, best_move = gain_r, ("reverse", child, other)
                else:
                    if not _acyclic_with(parents, child, other):
                        continue
                    gain = scores[child] - local.best(child, parents[child] | bit)
                    if gain > best_gain:
                        best_gain, best_move = gain, ("add", child, other)
        if best_move is None:
            break
        kind, child, other = best_move
        bit = 1 << other
        if kind == "add":
            parents[child] |= bit
        elif kind == "remove":
            parents[child] ^= bit
        else:
            parents[child] ^= bit
            parents[other] |= 1 << child
            scores[other] = local.best(other, parents[other])
        scores[child] = local.best(child, parents[child])
    return _with_reuse(local, parents, scores)


def _with_reuse(local: LocalScores, parents: dict[int, int], scores: dict[int, float]) -> Program:
    """Use the reuse classes that shorten a given DAG, largest saving first, at most one per symmetry."""
    gains = []
    for i, block in enumerate(local.reuse):
        common = {parents[v] for v in block.members}
        if len(common) == 1:
            gain = sum(scores[v] for v in block.members) - block.best(common.pop())
            if gain > 1e-9:
                gains.append((-gain, i))
    used: list[int] = []
    taken, symmetries = 0, set()
    total = float(sum(scores.values()))
    for neg_gain, i in sorted(gains):
        block = local.reuse[i]
        if block.mask & taken or block.symmetry in symmetries:
            continue
        used.append(i)
        taken |= block.mask
        symmetries.add(block.symmetry)
        total += neg_gain
    return Program(total, parents, tuple(sorted(used)))
