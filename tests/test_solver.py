"""kdsl.verdict.solver directly: every program scored, ranked, and the verdict assembled from them."""

from __future__ import annotations

import math

import pytest

import kdsl
from kdsl.errors import KdslError
from kdsl.lengths.score import program_profile
from kdsl.verdict.solver import check_scorable, program_result, solve_bound

SPEC = """
var A in 0..1
var B in 0..1
simulate envs e0, e1, e2 n 150 seed 9 {
    A ~ bernoulli(0.4)
    B ~ bernoulli(0.2 + 0.6 * A)
}
hypothesis causal {
    A ~ table
    B ~ table(A)
}
hypothesis reverse {
    B ~ table
    A ~ table(B)
}
hypothesis independent {
    A ~ table
    B ~ table
}
"""


@pytest.fixture(scope="module")
def bound():
    return kdsl.load(SPEC)


def test_programs_are_ranked_by_total_bits_and_the_best_is_first(bound):
    result = solve_bound(bound, margins=False)
    totals = [p.total_bits for p in result.programs]
    assert totals == sorted(totals)
    assert result.best == result.programs[0].name
    assert [p.name for p in result.programs].count("independent") == 1


def test_equivalent_programs_tie_and_causes_keep_only_what_they_share():
    # under bic (score-equivalent) A -> B and B -> A, Markov equivalent, have the same length: a tie, no cause
    result = solve_bound(kdsl.load("code bic\n" + SPEC), margins=False)
    assert result.program("causal").total_bits == result.program("reverse").total_bits
    assert set(result.ties) == {"causal", "reverse"} and result.causes == ()
    # under nml they differ by the parameter complexity: one is best and its edge is a cause
    nml = solve_bound(kdsl.load(SPEC), margins=False)
    assert nml.ties == (nml.best,) and nml.causes == nml.program(nml.best).edges


def test_program_result_reports_the_shortest_k_of_its_profile(bound):
    hyp = bound.model.hypotheses["causal"]
    program = program_result(bound, program_profile(bound, hyp))
    finite = [row for row in program.profile if math.isfinite(row["total_bits"])]
    shortest = min(finite, key=lambda row: row["total_bits"])
    assert program.k == shortest["k"]
    assert program.total_bits == shortest["total_bits"]
    assert program.total_bits == pytest.approx(program.model_bits + program.data_bits)
    assert program.formula_text and program.formula_values


def test_the_result_is_the_same_through_kdsl_solve(bound):
    assert solve_bound(bound).to_dict() == kdsl.solve(SPEC).to_dict()


def test_a_spec_with_nothing_to_score_is_refused():
    model = kdsl.load("var X in 0..1\nsimulate env a n 5 seed 1 {\n    X ~ bernoulli(0.5)\n}\n").model
    with pytest.raises(KdslError):
        check_scorable(model)


@pytest.mark.parametrize("limit", [0, -1.0, float("nan")])
def test_a_time_limit_must_be_positive(bound, limit):
    with pytest.raises(ValueError, match="time_limit"):
        solve_bound(bound, time_limit=limit)
