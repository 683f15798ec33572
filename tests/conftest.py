"""Helpers shared by the test modules (imported as ``from conftest import ...``): random small specs and
data, and the brute-force enumerations (DAGs, set partitions) the exact methods are checked against."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from kdsl.language.model import Hypothesis, Mechanism, Template


def all_dags(d: int, max_parents: int):
    """Every DAG over d nodes as a tuple of parent masks (brute force)."""
    masks = [[m for m in range(1 << d) if not m >> v & 1 and bin(m).count("1") <= max_parents] for v in range(d)]
    for parents in itertools.product(*masks):
        # acyclic: repeatedly remove nodes without remaining parents
        left = set(range(d))
        while True:
            free = [v for v in left if not any(parents[v] >> u & 1 for u in left)]
            if not free:
                break
            left -= set(free)
        if not left:
            yield parents


def spec_text(sizes, n_env, rows, seed, max_parents, code="paper", top=3):
    names = [f"V{i}" for i in range(len(sizes))]
    lines = [f"var {n} in 0..{s - 1}" for n, s in zip(names, sizes)]
    lines.append("env data from frame")
    lines.append(f"search {{\n    graphs max_parents {max_parents}\n    top {top}\n}}")
    lines.append(f"code {code}")
    rng = np.random.default_rng(seed)
    frame = {"env": [], **{n: [] for n in names}}
    for e in range(n_env):
        # a random chain-ish truth, with a per-environment twist on the first variable
        cols = []
        for i, size in enumerate(sizes):
            if i == 0 or rng.random() < 0.3:
                p = rng.dirichlet(np.ones(size) * (0.5 + e))
                col = rng.choice(size, size=rows, p=p)
            else:
                col = (cols[i - 1] + rng.choice(2, size=rows, p=[0.8, 0.2])) % size
            cols.append(col)
        frame["env"] += [f"e{e}"] * rows
        for n, col in zip(names, cols):
            frame[n] += col.tolist()
    text = "\n".join(lines).replace("env data from frame", "envs from frame by env")
    return text, {"frame": frame}, names


#: Strategies for small random specs (spec_text's arguments but the code).
SMALL_SPECS = {"sizes": st.lists(st.integers(2, 3), min_size=2, max_size=4), "n_env": st.integers(1, 3),
               "rows": st.integers(5, 40), "seed": st.integers(0, 10_000)}


def set_partitions(items: list[int]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in set_partitions(rest):
        yield [[first], *part]
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1:]]


def table_hypothesis(bound, names: list[str], dag: tuple[int, ...]) -> Hypothesis:
    span = bound.model.search.span
    d = len(names)
    return Hypothesis("h", tuple(
        Mechanism(names[v], Template(None, names[v], tuple(names[u] for u in range(d) if dag[v] >> u & 1), "table",
                                     span=span), False, span) for v in range(d)), span)
