"""Compelled edges against brute force over every DAG on four nodes."""

from __future__ import annotations

import itertools
from collections import defaultdict

from kdsl.verdict.equivalence import compelled_edges, v_structures

NODES = "ABCD"


def every_dag():
    pairs = list(itertools.combinations(NODES, 2))
    for choice in itertools.product((0, 1, 2), repeat=len(pairs)):
        edges = [(a, b) if c == 1 else (b, a) for (a, b), c in zip(pairs, choice) if c]
        try:
            v_structures(NODES, edges)
        except ValueError:
            continue
        yield edges


def test_compelled_edges_are_those_every_equivalent_dag_shares():
    classes = defaultdict(list)
    for edges in every_dag():
        key = (frozenset(frozenset(e) for e in edges), frozenset(v_structures(NODES, edges)))
        classes[key].append(set(edges))
    assert len(classes) == 185  # the Markov equivalence classes on four labelled nodes
    for members in classes.values():
        shared = set.intersection(*members)
        for edges in members:
            assert compelled_edges(NODES, edges) == shared
