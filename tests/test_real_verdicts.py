"""Verdicts over real variables: where an orientation comes from, and a search with only `var X real` lines."""

from __future__ import annotations

import numpy as np
import pytest

import kdsl
from kdsl.present.render import solve_text
from kdsl.search.exact import exact_best
from kdsl.search.run import search

CODES = ("bic", "nml", "paper", "direct")


def _pair(shape: str, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0, 1, 500), 2)
    y = 0.8 * x + rng.normal(0, 0.6, 500) if shape == "linear" else x ** 2 + rng.uniform(-0.5, 0.5, 500)
    return {"d": {"X": x, "Y": np.round(y, 2)}}


def _edge(result, a: str, b: str):
    return next(m for m in result.edges_margin if (m.parent, m.child) == (a, b))


@pytest.mark.parametrize("code", ["nml", "paper", "direct"])
def test_an_orientation_between_gaussians_rests_only_on_parameter_bits_and_the_verdict_says_so(code):
    spec = f"var X real\nvar Y real\nenv a from d\nsearch {{\n graphs\n}}\ncode {code}"
    result = kdsl.solve(spec, data=_pair("linear"))
    (a, b), = result.programs[0].edges
    margin = _edge(result, a, b)
    assert margin.orientation == "parameters"
    assert margin.reverse_bits is not None and margin.reverse_bits < 3  # a few bits of parameter pricing
    assert f"{a}->{b}: decided only by parameter and selection bits" in solve_text(result)
    assert "parameter bits only" in solve_text(result)


def test_under_bic_two_gaussians_tie_instead():
    result = kdsl.solve("var X real\nvar Y real\nenv a from d\nsearch {\n graphs\n}\ncode bic", data=_pair("linear"))
    assert set(result.ties) == {"search-1", "search-2"} and result.causes == ()


@pytest.mark.parametrize("code", CODES)
def test_a_curve_only_one_direction_fits_orients_by_the_fit(code):
    spec = f"var X real\nvar Y real\nenv a from d\nsearch {{\n graphs\n}}\ncode {code}"
    result = kdsl.solve(spec, data=_pair("square"))
    assert result.causes == (("X", "Y"),)
    margin = _edge(result, "X", "Y")
    assert margin.orientation == "fit"
    assert "fit the data worse by" in margin.why
    assert "decided by the fit" in solve_text(result)


def _real_only(envs: int, seed: int) -> dict:
    """Five real variables X -> Y <- W, Y -> Z, V alone; environment 1 shifts X, environment 2 changes Z."""
    rng = np.random.default_rng(seed)
    e = np.repeat(np.arange(envs), 300)
    x = rng.normal(np.where(e == 1, 2.0, 0.0), 1.0)
    w = rng.normal(0, 1, len(e))
    y = 1.5 * x - 0.8 * w + rng.normal(0, 0.7, len(e))
    z = np.where(e == 2, -1.0, 0.6) * y + rng.normal(0, 0.5, len(e))
    v = rng.normal(0, 2, len(e))
    cols = {k: np.round(c, 2) for k, c in {"X": x, "W": w, "Y": y, "Z": z, "V": v}.items()}
    cols["E"] = e
    return {"d": cols}


SPEC = "var X real\nvar W real\nvar Y real\nvar Z real\nvar V real\nenvs from d by E\n" \
       "search {\n graphs max_parents 3\n}\ncode "


@pytest.mark.parametrize("code", CODES)
def test_only_real_variables_and_a_search_solve_exactly_when_the_program_fits(code):
    """Done-when of issue 11: `var X real` lines, data and `search { graphs max_parents 3 }`, no templates."""
    bound = kdsl.load(SPEC + code, data=_real_only(3, 7))
    exact = search(bound)
    assert exact.proven and "dynamic program" in exact.method
    best = exact.programs[0]
    # the same optimum when the dynamic program's tables do not fit: the integer program, proven too
    budgeted = search(bound, memory_budget=1)
    assert budgeted.proven and "integer program" in budgeted.method
    assert budgeted.programs[0].bits == pytest.approx(best.bits, rel=1e-12)
    assert exact_best(exact.local).bits == pytest.approx(best.bits, rel=1e-12)
    result = kdsl.solve(SPEC + code, data=_real_only(3, 7))
    assert result.search["proven"]
    top = result.programs[0]
    assert {("X", "Y"), ("W", "Y"), ("Y", "Z")} <= set(top.edges)
    assert {v for v, groups in top.shifts.items() if len(groups) > 1} == {"X", "Z"}


CHAIN = """var A real step 0.01
var B real step 0.01
var C real step 0.01
var D real step 0.01
let shift = [0, 0, 3]
simulate envs e1..e3 n 600 seed 5 {{
    A ~ normal(shift[env], 1)
    B ~ normal(0.8 * A, 0.5)
    C ~ normal(0.8 * B, 0.5)
    D ~ normal(0.8 * C, 0.5)
}}
code {code}
search {{
    graphs max_parents 2
}}
"""


@pytest.mark.parametrize("code", ["nml", "bic", "paper"])
def test_edges_downstream_of_a_shift_settled_edge_are_implied_not_parameter_bits(code):
    """Only A shifts: the shifts settle A -> B, and Meek's rules then orient B -> C and C -> D, which a
    reversal alone would turn into a new v-structure at B (so they are not 'parameter bits only')."""
    result = kdsl.solve(CHAIN.format(code=code))
    assert result.programs[0].edges == (("A", "B"), ("B", "C"), ("C", "D"))
    by_edge = {(m.parent, m.child): m for m in result.edges_margin}
    assert by_edge[("A", "B")].orientation == "shifts"
    for edge in (("B", "C"), ("C", "D")):
        assert by_edge[edge].orientation == "implied"
        assert by_edge[edge].why.startswith("implied by A -> B (by shifts)")
    assert "B->C  " in solve_text(result) and "implied by oriented edges" in solve_text(result)


def test_a_search_program_equal_to_a_declared_one_but_for_its_choice_bits_repeats_it():
    """The search pays 3 bits for choosing the mechanisms the hypothesis names; the margin is over the
    reversal, not over the same program found by the search."""
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(-2, 2, 800), 2)
    y = np.round(x + rng.uniform(-0.5, 0.5, 800), 2)
    spec = ("var X real\nvar Y real\nenv a from d\nhypothesis fwd {\n X ~ histogram\n Y ~ linear(X) noise histogram\n"
            "}\nsearch {\n graphs\n}\n")
    result = kdsl.solve(spec, data={"d": {"X": x, "Y": y}})
    assert [p.name for p in result.programs[:2]] == ["fwd", "search-1"]
    assert result.programs[1].same_as == "fwd"
    assert result.programs[1].total_bits == pytest.approx(result.programs[0].total_bits + 3, abs=1e-9)
    assert result.runner_up.bits > 100 and result.causes == (("X", "Y"),)
