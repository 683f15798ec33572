"""Markov equivalence of DAGs: which edge directions every DAG of a class shares.

Two DAGs are Markov equivalent when they have the same skeleton and the same
v-structures (``a -> c <- b`` with ``a`` and ``b`` not adjacent). An edge is
*compelled* when it points the same way in every DAG of the class; the others
are *reversible*. The compelled edges are those the v-structures orient,
closed under Meek's rules R1-R3 (starting from the v-structures, R4 never
applies).

With one environment and a score-equivalent code, data cannot tell a
reversible edge's direction: only a compelled edge, or something beyond the
class (shifts across environments, the prices of parameters), orients it.

>>> sorted(compelled_edges(["A", "B", "C"], [("A", "C"), ("B", "C")]))  # a v-structure
[('A', 'C'), ('B', 'C')]
>>> compelled_edges(["A", "B", "C"], [("A", "B"), ("B", "C")])  # a chain: its class holds the reversals
set()
>>> sorted(compelled_edges("ABCD", [("A", "C"), ("B", "C"), ("C", "D")]))  # R1 carries the collider on
[('A', 'C'), ('B', 'C'), ('C', 'D')]
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["compelled_edges", "v_structures"]


class _Dag:
    """A DAG as parent and child sets (plain Python: kdsl's verdict needs no graph library)."""

    def __init__(self, nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> None:
        self.parents: dict[str, set[str]] = {v: set() for v in nodes}
        self.children: dict[str, set[str]] = {v: set() for v in self.parents}
        self.edges = list(dict.fromkeys(edges))
        for a, b in self.edges:
            for v in (a, b):
                self.parents.setdefault(v, set())
                self.children.setdefault(v, set())
            self.parents[b].add(a)
            self.children[a].add(b)
        if self._has_cycle():
            raise ValueError(f"not a DAG: {sorted(self.edges)}")

    def _has_cycle(self) -> bool:
        left = {v: len(p) for v, p in self.parents.items()}
        free = [v for v, n in left.items() if n == 0]
        while free:
            for child in self.children[free.pop()]:
                left[child] -= 1
                if left[child] == 0:
                    free.append(child)
        return any(left.values())

    def has_edge(self, a: str, b: str) -> bool:
        return a in self.parents.get(b, ())


def v_structures(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """Every ``(a, c, b)`` with ``a -> c <- b``, ``a < b`` and ``a``, ``b`` not adjacent.

    >>> v_structures("ABC", [("A", "C"), ("B", "C")])
    {('A', 'C', 'B')}
    """
    graph = _Dag(nodes, edges)
    out = set()
    for c in graph.parents:
        parents = sorted(graph.parents[c])
        for i, a in enumerate(parents):
            for b in parents[i + 1:]:
                if not graph.has_edge(a, b) and not graph.has_edge(b, a):
                    out.add((a, c, b))
    return out


def compelled_edges(nodes: Iterable[str], edges: Iterable[tuple[str, str]],
                    known: Iterable[tuple[str, str]] = ()) -> set[tuple[str, str]]:
    """The edges of a DAG directed the same way in every DAG Markov equivalent to it (and, with ``known``,
    in every one that also has the ``known`` edges' directions).

    Parameters
    ----------
    nodes, edges:
        The DAG (``edges`` as ``(parent, child)`` pairs); a cycle is a ``ValueError``.
    known:
        Edges of the DAG whose direction is settled otherwise (by shifts, the fit or knowledge); Meek's
        rules propagate them as they do v-structures.

    Returns
    -------
    set of (parent, child)
        The compelled edges; the DAG's other edges are reversible.

    Examples
    --------
    >>> chain = [("A", "B"), ("B", "C"), ("C", "D")]
    >>> sorted(compelled_edges("ABCD", chain)), sorted(compelled_edges("ABCD", chain, known=[("A", "B")]))
    ([], [('A', 'B'), ('B', 'C'), ('C', 'D')])
    """
    nodes, edges = list(nodes), list(edges)
    graph = _Dag(nodes, edges)
    adjacent = {v: graph.parents[v] | graph.children[v] for v in graph.parents}
    directed: set[tuple[str, str]] = {e for e in known if graph.has_edge(*e)}
    for a, c, b in v_structures(nodes, edges):
        directed |= {(a, c), (b, c)}
    undirected = {frozenset(e) for e in graph.edges} - {frozenset(e) for e in directed}

    def orient(x: str, y: str) -> None:
        undirected.discard(frozenset((x, y)))
        directed.add((x, y))

    changed = True
    while changed:
        changed = False
        for pair in list(undirected):
            x, y = sorted(pair)
            for u, v in ((x, y), (y, x)):
                if frozenset((u, v)) not in undirected:
                    continue
                into_u = {a for a, b in directed if b == u}
                # R1: a -> u - v with a, v not adjacent
                r1 = any(v not in adjacent[a] for a in into_u)
                # R2: u -> w -> v with u - v
                r2 = any((u, w) in directed and (w, v) in directed for w in adjacent[u] & adjacent[v])
                # R3: u - w1 -> v <- w2 - u, w1 and w2 not adjacent
                mids = [w for w in adjacent[u] & adjacent[v]
                        if frozenset((u, w)) in undirected and (w, v) in directed]
                r3 = any(w2 not in adjacent[w1] for i, w1 in enumerate(mids) for w2 in mids[i + 1:])
                if r1 or r2 or r3:
                    orient(u, v)
                    changed = True
    return {e for e in directed if graph.has_edge(*e)}
