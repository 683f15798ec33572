"""Checks of bench/accuracy.py's essential-graph code, as quoted in bench/ACCURACY.md.

* ``cpdag(nodes, edges)`` equals causal-learn's ``dag2cpdag`` on pgmpy's five networks and on 300
  random DAGs;
* ``cpdag(nodes, edges, target_sets)`` (the interventional essential graph) equals brute force: an
  edge is directed iff every DAG with the same skeleton and v-structures, and the same direction on
  every edge with exactly one endpoint in some target set, directs it the same way (400 random cases).

    PYTHONPATH=. python bench/accuracy_check.py
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import accuracy as acc  # noqa: E402
import networkx as nx  # noqa: E402
from causallearn.graph.Dag import Dag  # noqa: E402
from causallearn.graph.GraphNode import GraphNode  # noqa: E402
from causallearn.utils.DAG2CPDAG import dag2cpdag  # noqa: E402


def causallearn_cpdag(nodes, edges) -> dict:
    graph_nodes = [GraphNode(v) for v in nodes]
    index = {v: i for i, v in enumerate(nodes)}
    dag = Dag(graph_nodes)
    for a, b in edges:
        dag.add_directed_edge(graph_nodes[index[a]], graph_nodes[index[b]])
    return acc.from_causallearn(dag2cpdag(dag).graph, nodes)


def v_structures(nodes, edges) -> set:
    adjacent = {frozenset(e) for e in edges}
    parents = {v: {a for a, b in edges if b == v} for v in nodes}
    return {(frozenset((a, b)), c) for c in nodes for a, b in itertools.combinations(sorted(parents[c]), 2)
            if frozenset((a, b)) not in adjacent}


def brute_essential(nodes, edges, target_sets) -> dict:
    reference = v_structures(nodes, edges)
    members = []
    for flips in itertools.product((0, 1), repeat=len(edges)):
        other = [(b, a) if f else (a, b) for (a, b), f in zip(edges, flips, strict=True)]
        if not nx.is_directed_acyclic_graph(nx.DiGraph(other)) or v_structures(nodes, other) != reference:
            continue
        if any(f and (a in t) != (b in t) for (a, b), f in zip(edges, flips, strict=True) for t in target_sets):
            continue
        members.append(set(other))
    return {frozenset((a, b)): ("->", a, b) if all((a, b) in m for m in members) else ("--",) for a, b in edges}


def random_dag(rng: random.Random, max_nodes: int):
    d = rng.randint(3, max_nodes)
    nodes = [f"v{i}" for i in range(d)]
    edges = [(nodes[i], nodes[j]) for i in range(d) for j in range(i + 1, d) if rng.random() < 0.5]
    order = nodes[:]
    rng.shuffle(order)
    return nodes, [(order[int(a[1:])], order[int(b[1:])]) for a, b in edges]


def main() -> int:
    failures = 0
    for name in acc.NETWORKS:
        model = acc.load_network(name)
        nodes, edges = [str(v) for v in model.nodes()], [tuple(map(str, e)) for e in model.edges()]
        same = acc.cpdag(nodes, edges) == causallearn_cpdag(nodes, edges)
        failures += not same
        print(f"{name}: CPDAG equals causal-learn's: {same}")
    rng = random.Random(0)
    bad = sum(acc.cpdag(n, e) != causallearn_cpdag(n, e) for n, e in (random_dag(rng, 8) for _ in range(300)))
    print(f"300 random DAGs: {bad} CPDAG mismatches")
    failures += bad
    rng = random.Random(1)
    checked = bad = 0
    while checked < 400:
        nodes, edges = random_dag(rng, 6)
        if len(edges) > 12:
            continue
        targets = [set()] + [set(rng.sample(nodes, rng.randint(0, 2))) for _ in range(rng.randint(0, 2))]
        checked += 1
        bad += acc.cpdag(nodes, edges, targets) != brute_essential(nodes, edges, targets)
    print(f"{checked} random DAGs with targets: {bad} interventional essential graph mismatches")
    failures += bad
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
