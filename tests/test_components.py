"""The exact search by parts (kdsl.search.components): the same optimum as one dynamic program over everything."""

from __future__ import annotations

import math

import numpy as np
from conftest import spec_text
from hypothesis import given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.errors import Span
from kdsl.language.model import Template
from kdsl.search.components import by_components, components
from kdsl.search.exact import exact_best
from kdsl.search.local import LocalScores, local_scores
from kdsl.search.milp import candidate_sets
from kdsl.search.run import DP_PREFERRED_MAX, search

TABLE = Template(None, "X", (), "table", span=Span(1, 1, 1, 2, 0, 1))


def random_local(d: int, seed: int, density: float) -> LocalScores:
    """Local scores of d variables: the empty set always, a few random parent sets of up to 2 parents each."""
    rng = np.random.default_rng(seed)
    entries = []
    for v in range(d):
        row = {0: (float(rng.integers(20, 40)), TABLE, None)}
        others = [u for u in range(d) if u != v]
        for u in others:
            if rng.random() < density:
                row[1 << u] = (float(rng.integers(5, 40)), TABLE, None)
        for a, b in zip(others, others[1:]):
            if rng.random() < density / 2:
                row[(1 << a) | (1 << b)] = (float(rng.integers(0, 40)), TABLE, None)
        entries.append(row)
    return LocalScores([f"V{v}" for v in range(d)], entries)


def is_dag(parents: dict[int, int], d: int) -> bool:
    left = set(range(d))
    while left:
        free = {v for v in left if not any(parents[v] >> u & 1 for u in left)}
        if not free:
            return False
        left -= free
    return True


@settings(max_examples=60, deadline=None)
@given(d=st.integers(2, 9), seed=st.integers(0, 10_000), density=st.floats(0.05, 0.6))
def test_parts_give_the_optimum_of_the_whole_dynamic_program(d, seed, density):
    local = random_local(d, seed, density)
    split = by_components(local, max_size=d)
    whole = exact_best(local)
    if split is None:  # one component holding every variable: nothing to split
        assert len(components(candidate_sets(local).sets, d)) == 1
        return
    found, parts = split
    assert sorted(v for part in parts for v in part) == list(range(d))
    assert math.isclose(found.bits, whole.bits, rel_tol=0, abs_tol=1e-9)
    assert is_dag(found.parents, d)
    assert math.isclose(sum(local.best(v, m) for v, m in found.parents.items()), found.bits, abs_tol=1e-9)


def test_components_are_the_strongly_connected_parts_of_the_candidate_graph():
    # 0 <-> 1 (each a candidate parent of the other), 2 -> 3, 3 -> 4 -> 3: parts {0, 1}, {2}, {3, 4}
    sets = [[(0b10, 1.0), (0, 2.0)], [(0b1, 1.0), (0, 2.0)], [(0, 1.0)], [(0b10100, 1.0), (0, 2.0)],
            [(0b1000, 1.0), (0, 2.0)]]
    assert components(sets, 5) == [[0, 1], [2], [3, 4]]


def test_a_part_larger_than_allowed_leaves_the_search_to_the_whole_problem():
    # V0 and V1 are candidate parents of each other (a part of 2); V2 stands alone
    local = LocalScores(["V0", "V1", "V2"], [{0: (9.0, TABLE, None), 2: (5.0, TABLE, None)},
                                             {0: (9.0, TABLE, None), 1: (6.0, TABLE, None)}, {0: (1.0, TABLE, None)}])
    assert by_components(local, max_size=1) is None
    found, parts = by_components(local, max_size=2)
    assert parts == [[0, 1], [2]] and found.bits == exact_best(local).bits == 15.0


def test_search_beyond_the_dynamic_programs_size_solves_the_parts_exactly():
    sizes = [2] * (DP_PREFERRED_MAX + 2)
    text, data, _ = spec_text(sizes, 2, 60, 5, 1, top=1)
    bound = kdsl.load(text, data=data)
    outcome = search(bound)
    assert outcome.proven and outcome.method == "exact dynamic program"
    assert "independent parts" in outcome.stats["why"]
    whole = exact_best(local_scores(bound, bound.model.search))
    assert math.isclose(outcome.programs[0].bits, whole.bits, rel_tol=1e-12)
