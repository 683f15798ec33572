"""kdsl.present.render directly: the text, Graphviz and LaTeX a solved spec is shown as."""

from __future__ import annotations

import re

import pytest

import kdsl
from kdsl.present.format import bits_text
from kdsl.present.render import dot_text, explain_text, latex_text, solve_text

SPEC = """
var A in 0..1
var B in 0..1
simulate envs e0, e1 n 200 seed 4 {
    A ~ bernoulli(0.3)
    B ~ bernoulli(0.1 + 0.7 * A)
}
hypothesis causal {
    A ~ table
    B ~ table(A)
}
hypothesis independent {
    A ~ table
    B ~ table
}
hypothesis impossible {
    A ~ bernoulli(0.0)
    B ~ table
}
"""


@pytest.fixture(scope="module")
def result():
    return kdsl.solve(SPEC)


def test_solve_text_ranks_every_program_with_its_bits(result):
    text = solve_text(result)
    positions = [text.index(f"\n{p.name} ") for p in result.programs]
    assert positions == sorted(positions)  # shortest first, as ranked
    causal = result.program("causal")
    assert result.best == "causal"
    assert bits_text(causal.total_bits) in text
    assert "A -> B" in text


def test_dot_text_draws_the_best_program(result):
    dot = dot_text(result)
    assert dot.lstrip().startswith("digraph")
    assert dot.count("{") == dot.count("}")
    edges = re.findall(r'"?(\w+)"?\s*->\s*"?(\w+)"?', dot)
    assert set(edges) == set(result.program(result.best).edges)


def test_explain_text_shows_the_best_two_with_formulas_and_why_a_length_is_infinite(result):
    text = explain_text(result)
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("program ")] == [
        f"program {p.name}" for p in result.programs[:2]]
    causal = result.program("causal")
    assert f"length = {causal.formula_text}" in text
    impossible = result.program("impossible")
    assert impossible.total_bits == float("inf") and impossible.reason
    assert f"infinite: {impossible.reason}" in explain_text(result, ["impossible"])


def test_explain_text_of_one_program_shows_only_it(result):
    text = explain_text(result, ["independent"])
    assert "program independent:" in text and "program causal:" not in text


def test_latex_text_has_one_row_per_program(result):
    latex = latex_text(result)
    assert latex.count("L_{") == len(result.programs)
    assert latex.startswith("% kdsl:") and "\\begin{align*}" in latex and latex.endswith("\\end{align*}")
    assert "\\infty" in latex  # the impossible program, with its reason
