"""kdsl against peers: `code bic` with one environment is pgmpy's BIC in bits
(-BIC / ln 2), and `code nml` is the brute-force multinomial NML sum."""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import kdsl

os.environ.setdefault("HF_HUB_OFFLINE", "1")

pgmpy = pytest.importorskip("pgmpy")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from pgmpy.models import DiscreteBayesianNetwork
    from pgmpy.sampling import BayesianModelSampling
    from pgmpy.structure_score import BIC, LogLikelihood

LN2 = math.log(2.0)
REL = 1e-6


def pgmpy_bits(score_class, data: pd.DataFrame, edges, nodes, state_names=None) -> float:
    """pgmpy's score (natural log, higher is better) as a code length in bits."""
    model = DiscreteBayesianNetwork()
    model.add_nodes_from(nodes)
    model.add_edges_from(edges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return -float(score_class(data, state_names=state_names).score(model)) / LN2


def hypothesis_block(name: str, nodes, edges) -> str:
    lines = []
    for node in nodes:
        parents = [a for a, b in edges if b == node]
        lines.append(f"    {node} ~ table({', '.join(parents)})" if parents else f"    {node} ~ table")
    return f"hypothesis {name} {{\n" + "\n".join(lines) + "\n}\n"


# ----------------------------------------------------------------------------- (a) pgmpy's own frame


SMALL = pd.DataFrame({"A": [0, 1, 1, 0], "B": [1, 0, 1, 0], "C": [1, 1, 1, 0]})


@pytest.mark.parametrize("edges", [
    [("A", "B"), ("A", "C")],  # pgmpy's doctest: BIC = -10.397
    [("A", "B"), ("B", "C"), ("A", "C")],
    [],
    [("C", "A")],
])
def test_bic_matches_pgmpy_on_small_frame(edges):
    nodes = ["A", "B", "C"]
    spec = "\n".join(f"var {v} in 0..1" for v in nodes) + "\nenv obs from df\n"
    spec += hypothesis_block("h", nodes, edges) + "code bic\n"
    program = kdsl.solve(spec, data={"df": SMALL}).program("h")
    expected = pgmpy_bits(BIC, SMALL, edges, nodes)
    assert math.isclose(program.total_bits, expected, rel_tol=REL)
    assert math.isclose(program.data_bits, pgmpy_bits(LogLikelihood, SMALL, edges, nodes), rel_tol=REL, abs_tol=1e-9)
    if edges == [("A", "B"), ("A", "C")]:
        assert math.isclose(program.total_bits, 10.397207708399 / LN2, rel_tol=REL)


# ----------------------------------------------------------------------------- (b, c) asia


def _asia():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from pgmpy.example_models import load_model

            return load_model("bnlearn/asia")
        except Exception:  # no network / no cache: the copy bundled with pgmpy
            from pgmpy.utils import get_example_model

            return get_example_model("asia")


@pytest.fixture(scope="module")
def asia():
    model = _asia()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = BayesianModelSampling(model).forward_sample(size=2000, seed=7, show_progress=False, n_jobs=1)
    return model, data


def _wrong_edges(true_edges):
    """Every edge reversed: the v-structure at `either` becomes a fork, so not Markov equivalent."""
    return [(b, a) for a, b in true_edges]


def test_bic_matches_pgmpy_on_asia(asia):
    model, data = asia
    nodes = list(model.nodes())
    states = {v: list(model.states[v]) for v in nodes}
    true_edges = list(model.edges())
    wrong_edges = _wrong_edges(true_edges)
    empty: list = []
    spec = "model asia\n"
    spec += "\n".join(f"var {v} in {{{', '.join(states[v])}}}" for v in nodes)
    spec += "\nenv obs from asia_df\n"
    spec += hypothesis_block("truth", nodes, true_edges)
    spec += hypothesis_block("reversed", nodes, wrong_edges)
    spec += hypothesis_block("empty", nodes, empty)
    spec += "code bic\n"
    result = kdsl.solve(spec, data={"asia_df": data})
    assert result.environments[0]["rows"] == 2000

    peers = {}
    for name, edges in [("truth", true_edges), ("reversed", wrong_edges), ("empty", empty)]:
        expected = pgmpy_bits(BIC, data, edges, nodes, states)
        peers[name] = expected
        program = result.program(name)
        assert math.isclose(program.total_bits, expected, rel_tol=REL), name
        loglik = pgmpy_bits(LogLikelihood, data, edges, nodes, states)
        assert math.isclose(program.data_bits, loglik, rel_tol=REL), name
        assert sorted(map(tuple, program.edges)) == sorted(edges)

    # the ranking agrees with pgmpy's
    kdsl_order = [p.name for p in result.programs]
    assert kdsl_order == sorted(peers, key=peers.get)
    assert result.best == "truth"
    assert sorted(result.causes) == sorted(true_edges)


# ----------------------------------------------------------------------------- nml by brute force


def brute_complexity(size: int, n: int) -> float:
    """sum over every sequence in {0..K-1}^n of its maximum likelihood (prod (h/n)^h)."""
    if n == 0:
        return 1.0
    total = 0.0
    for seq in itertools.product(range(size), repeat=n):
        total += math.prod((c / n) ** c for c in Counter(seq).values())
    return total


@pytest.mark.parametrize("x,y", [
    ([0, 0, 1, 1, 1], ["a", "b", "c", "a", "a"]),
    ([0, 1, 1, 1, 1, 1, 0], ["c", "c", "c", "b", "a", "c", "c"]),
    ([1, 1, 1], ["a", "a", "b"]),  # X=0 never seen: its complexity is log2 1 = 0
])
def test_nml_table_bits_are_brute_force_sums(x, y):
    spec = """
var X in 0..1
var Y in {a, b, c}
env obs from d
hypothesis h {
    X ~ table
    Y ~ table(X)
}
code nml
"""
    program = kdsl.solve(spec, data={"d": {"X": x, "Y": y}}).program("h")
    x_arr, y_arr = np.array(x), np.array(y)
    complexity_x = math.log2(brute_complexity(2, len(x)))
    complexity_y = sum(math.log2(brute_complexity(3, int((x_arr == j).sum()))) for j in (0, 1))
    structure = (math.log2(2) + math.log2(math.comb(1, 0))) + (math.log2(2) + math.log2(math.comb(1, 1)))
    grouping = 0.0  # one environment: log2 1 + log2 S(1, 1)
    assert math.isclose(program.model_bits, structure + grouping + complexity_x + complexity_y, rel_tol=1e-9)

    def mle(values) -> float:
        counts = Counter(values).values()
        n = sum(counts)
        return -sum(c * math.log2(c / n) for c in counts)

    data = mle(x) + sum(mle(y_arr[x_arr == j].tolist()) for j in (0, 1) if (x_arr == j).any())
    assert math.isclose(program.data_bits, data, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(program.total_bits, program.model_bits + program.data_bits, rel_tol=1e-12)
