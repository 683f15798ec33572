"""Tests for kdsl.codes.formulas: exact small values, log-space evaluation, Kraft sums, NML, Fig. 3."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln, logsumexp
from scipy.stats import binom
from sympy.functions.combinatorial.numbers import stirling

from kdsl.codes import formulas as codes
from kdsl.codes.formulas import (
    F,
    Log2,
    M,
    N,
    Stirling2,
    bic_table_bits,
    compressed_selection_bits,
    d,
    direct_selection_bits,
    evaluate,
    grouping_bits,
    k,
    kraft_sum_selection,
    lambdify_bits,
    log2_binomial,
    log2_multinomial_complexity,
    log2_stirling2,
    n,
    nml_table_bits,
    p,
    paper_table_bits,
    paper_wrap,
    prefix_selection_bits,
    rows,
    structure_bits,
)

LN2 = math.log(2)
FAST = settings(max_examples=60, deadline=None)


def exact_log2(value: int) -> float:
    return math.log2(value) if value > 0 else math.inf


# ---------------------------------------------------------------- symbols and printing


def test_symbols_are_positive_integers() -> None:
    for s in (N, M, k, n, rows, F, d, p):
        assert s.is_integer and s.is_positive


def test_stirling2_evaluates_exactly_and_prints() -> None:
    for ni in range(0, 15):
        for ki in range(0, 17):
            assert Stirling2(ni, ki) == stirling(ni, ki)
    assert Stirling2(-1, 2) == 0
    assert str(Stirling2(N, k)) == "S(N, k)"
    assert sp.latex(Stirling2(N, k)) == r"\left\{ {N \atop k} \right\}"
    assert sp.latex(Stirling2(N, k) ** 2) == r"\left\{ {N \atop k} \right\}^{2}"
    big = Stirling2(5000, 7)  # too big to expand eagerly: stays symbolic
    assert isinstance(big, Stirling2)


def test_log2_function() -> None:
    assert Log2(1024) == 10
    assert Log2(0) == sp.oo
    assert str(Log2(M)) == "log2(M)"
    assert sp.latex(Log2(M)) == r"\log_{2}{\left(M \right)}"


def test_formulas_are_the_documented_ones() -> None:
    assert direct_selection_bits() == N * Log2(M)
    assert compressed_selection_bits() == (
        Log2(sp.binomial(M, k)) + Log2(Stirling2(N, k)) + Log2(sp.factorial(k)) + Log2(k)
    )
    assert paper_wrap(sp.Symbol("l")) == 2 * sp.Symbol("l") + 1
    assert grouping_bits() == Log2(N) + Log2(Stirling2(N, k))
    assert paper_table_bits() == (2 * n + 4) * F
    assert bic_table_bits() == F / 2 * Log2(rows)
    assert structure_bits() == Log2(d) + Log2(sp.binomial(d - 1, p))


def test_latex_of_compressed_selection_shows_stirling_notation() -> None:
    tex = sp.latex(compressed_selection_bits())
    assert r"\atop" in tex
    assert r"\left\{ {N \atop k} \right\}" in tex
    assert r"\binom{M}{k}" in tex
    assert r"\log_{2}" in tex


def test_arguments_are_never_parsed_from_text() -> None:
    with pytest.raises(TypeError):
        direct_selection_bits("10", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        evaluate("N*log(M)", {})  # type: ignore[arg-type]


# ---------------------------------------------------------------- exact small values


def test_compressed_selection_small_case_exact() -> None:
    expected = math.log2(math.comb(18, 2)) + math.log2(stirling(10, 2)) + math.log2(2) + 1
    assert evaluate(compressed_selection_bits(), {N: 10, M: 18, k: 2}) == pytest.approx(expected, abs=1e-12)
    assert float(compressed_selection_bits(10, 18, 2)) == pytest.approx(expected, abs=1e-12)
    assert evaluate(compressed_selection_bits(10, 18, 2)) == pytest.approx(expected, abs=1e-12)


def test_other_lengths_small_values() -> None:
    assert evaluate(direct_selection_bits(), {N: 10, M: 18}) == pytest.approx(10 * math.log2(18), abs=1e-12)
    assert direct_selection_bits(3, 8) == 9
    assert paper_wrap(compressed_selection_bits(10, 18, 1)) == 2 * Log2(18) + 1
    assert evaluate(grouping_bits(), {N: 5, k: 2}) == pytest.approx(math.log2(5) + math.log2(15), abs=1e-12)
    assert paper_table_bits(5, 8) == 100
    assert evaluate(bic_table_bits(), {F: 3, rows: 100}) == pytest.approx(1.5 * math.log2(100), abs=1e-12)
    expected = math.log2(6) + math.log2(math.comb(5, 2))
    assert evaluate(structure_bits(), {d: 6, p: 2}) == pytest.approx(expected, abs=1e-12)


def test_k_one_costs_nothing_to_name() -> None:
    assert compressed_selection_bits(N, M, 1) == Log2(M)
    assert Stirling2(N, N) == 1 and Stirling2(N, 0) == 0
    assert evaluate(compressed_selection_bits(), {N: 7, M: 5, k: 1}) == pytest.approx(math.log2(5))


@pytest.mark.parametrize(
    ("n_env", "m_cand", "k_used"),
    [(3, 10, 4), (10, 3, 4), (5, 5, 0), (0, 5, 0)],
)
def test_impossible_selections_are_infinite(n_env: int, m_cand: int, k_used: int) -> None:
    assert evaluate(compressed_selection_bits(), {N: n_env, M: m_cand, k: k_used}) == math.inf
    assert compressed_selection_bits(n_env, m_cand, k_used) == sp.oo
    f = lambdify_bits(compressed_selection_bits(), (N, M, k))
    assert f(n_env, m_cand, k_used) == math.inf
    assert evaluate(paper_wrap(compressed_selection_bits()), {N: n_env, M: m_cand, k: k_used}) == math.inf


def test_negative_k_is_outside_the_domain_but_raises_nothing() -> None:
    value = evaluate(compressed_selection_bits(), {N: 4, M: 4, k: -1})
    assert math.isnan(value) or value == math.inf


def test_impossible_groupings_and_parent_sets_are_infinite() -> None:
    assert evaluate(grouping_bits(), {N: 3, k: 4}) == math.inf
    assert evaluate(structure_bits(), {d: 3, p: 3}) == math.inf
    assert log2_stirling2(4, 0) == math.inf
    assert log2_stirling2(0, 0) == 0.0
    assert log2_binomial(5, -1) == math.inf


# ---------------------------------------------------------------- log space


def test_evaluate_large_arguments_is_finite_and_exact() -> None:
    values = {N: 1000, M: 2000, k: 500}
    got = evaluate(compressed_selection_bits(), values)
    mpmath.mp.dps = 40
    want = (
        mpmath.log(mpmath.binomial(2000, 500), 2)
        + mpmath.log(mpmath.mpf(int(stirling(1000, 500))), 2)
        + mpmath.log(mpmath.factorial(500), 2)
        + mpmath.log(500, 2)
    )
    assert math.isfinite(got)
    assert got == pytest.approx(float(want), rel=1e-12)
    # the same expression with integers substituted (exact S(1000, 500) inside) agrees
    assert evaluate(compressed_selection_bits(1000, 2000, 500)) == pytest.approx(float(want), rel=1e-12)


def test_evaluate_huge_arguments_is_finite() -> None:
    values = {N: 10**6, M: 10**7, k: 4 * 10**5}
    got = evaluate(paper_wrap(compressed_selection_bits()), values)
    assert math.isfinite(got)
    lg = (
        gammaln(10**7 + 1) - gammaln(4 * 10**5 + 1) - gammaln(10**7 - 4 * 10**5 + 1) + gammaln(4 * 10**5 + 1)
    ) / LN2
    assert got > 2 * lg  # the Stirling part is positive


def test_sympy_base_two_logs_written_elsewhere_are_handled() -> None:
    expr = sp.log(sp.binomial(M, k) * sp.factorial(k), 2) + sp.log(N) / 2
    got = evaluate(expr, {M: 5000, k: 2500, N: 10})
    want = (gammaln(5001) - gammaln(2501)) / LN2 + math.log(10) / 2
    assert got == pytest.approx(want, rel=1e-12)


def test_bare_counts_outside_logs() -> None:
    assert evaluate(sp.binomial(M, k) + Stirling2(N, k), {M: 10, k: 3, N: 5}) == pytest.approx(120 + 25)
    assert evaluate(sp.factorial(k), {k: 5}) == pytest.approx(120)


def test_lambdify_bits_vectorized_and_safe_names() -> None:
    odd = sp.Symbol("lambda", positive=True)
    spaced = sp.Symbol("x y", positive=True)
    f = lambdify_bits(odd * Log2(spaced) + N, (odd, spaced, N))
    out = f(np.array([1.0, 2.0]), 8, np.array([[0.0], [1.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[3.0, 6.0], [4.0, 7.0]])
    g = lambdify_bits(compressed_selection_bits(), (N, M, k))
    ks = np.arange(1, 11)
    np.testing.assert_allclose(
        g(10, 18, ks), [evaluate(compressed_selection_bits(10, 18, int(j))) for j in ks], rtol=1e-12
    )
    constant = lambdify_bits(sp.Integer(3), (N,))
    assert constant(np.zeros(4)).tolist() == [3.0] * 4


def test_missing_symbols_are_reported() -> None:
    with pytest.raises(ValueError, match="M"):
        evaluate(direct_selection_bits(), {N: 3})
    with pytest.raises(ValueError, match="k"):
        lambdify_bits(compressed_selection_bits(), (N, M))


@FAST
@given(st.integers(0, 80), st.integers(-2, 82))
def test_log2_stirling2_matches_exact(ni: int, ki: int) -> None:
    want = exact_log2(int(stirling(ni, ki))) if ki >= 0 else math.inf
    got = log2_stirling2(ni, ki)
    assert got == want or got == pytest.approx(want, rel=1e-13)


@FAST
@given(st.integers(0, 400), st.integers(-3, 403))
def test_log2_binomial_matches_math_comb(a: int, b: int) -> None:
    want = exact_log2(math.comb(a, b)) if b >= 0 else math.inf
    got = log2_binomial(a, b)
    assert got == want or got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_log2_stirling2_across_method_boundaries() -> None:
    # exact (<= 300), log-space recurrence (<= 3000) and Temme's estimate (> 3000)
    for ni, ki in [(301, 150), (350, 17), (400, 398), (1000, 500)]:
        want = float(mpmath.log(mpmath.mpf(int(stirling(ni, ki))), 2))
        assert log2_stirling2(ni, ki) == pytest.approx(want, rel=1e-12)
    row = codes._ln_stirling2_row(3500) / LN2
    for ki in [3, 10, 117, 1000, 1750, 3000, 3497]:
        assert abs(codes._ln_stirling2_temme(3500, ki) / LN2 - row[ki]) < 1e-4
    assert log2_stirling2(3500, 1750) == pytest.approx(row[1750], abs=1e-4)
    # closed forms at any size
    assert log2_stirling2(10**9, 10**9 - 1) == pytest.approx(math.log2(math.comb(10**9, 2)), rel=1e-14)
    assert log2_stirling2(10**6, 2) == pytest.approx(10**6 - 1, rel=1e-15)
    assert math.isfinite(log2_stirling2(10**9, 10**9 - 2))
    assert math.isfinite(log2_stirling2(10**9, 3))


def test_stirling2_needs_integers() -> None:
    with pytest.raises(ValueError):
        log2_stirling2(3.5, 2)  # type: ignore[arg-type]


# ---------------------------------------------------------------- Kraft sums


def literal_kraft_sum(n_env: int, m_cand: int, code: str) -> float:
    """Enumerate every map from n_env environments to m_cand candidates."""
    length_of_k: dict[int, float] = {}
    total = 0.0
    for alpha in itertools.product(range(m_cand), repeat=n_env):
        used = len(set(alpha))
        if used not in length_of_k:
            if code == "direct":
                expr = direct_selection_bits(n_env, m_cand)
            elif code == "compressed":
                expr = compressed_selection_bits(n_env, m_cand, used)
            elif code == "prefix":
                expr = prefix_selection_bits(n_env, m_cand, used)
            else:
                expr = paper_wrap(compressed_selection_bits(n_env, m_cand, used))
            length_of_k[used] = evaluate(expr)
        total += 2.0 ** -length_of_k[used]
    return total


@pytest.mark.parametrize(("n_env", "m_cand"), [(a, b) for a in range(1, 5) for b in range(1, 5)])
def test_kraft_sums_by_literal_enumeration(n_env: int, m_cand: int) -> None:
    for code in ("direct", "compressed", "paper", "prefix"):
        assert kraft_sum_selection(n_env, m_cand, code) == pytest.approx(
            literal_kraft_sum(n_env, m_cand, code), rel=1e-12
        )
    assert literal_kraft_sum(n_env, m_cand, "direct") == pytest.approx(1.0, rel=1e-12)
    assert literal_kraft_sum(n_env, m_cand, "prefix") == pytest.approx(1.0, rel=1e-12)  # nml's selection
    assert literal_kraft_sum(n_env, m_cand, "paper") <= 1.0
    # l alone: each k contributes exactly 1/k, so the sum is the harmonic number H_min(N, M)
    harmonic = sum(Fraction(1, j) for j in range(1, min(n_env, m_cand) + 1))
    assert literal_kraft_sum(n_env, m_cand, "compressed") == pytest.approx(float(harmonic), rel=1e-12)


def test_compressed_selection_alone_is_not_a_prefix_code() -> None:
    assert literal_kraft_sum(2, 2, "compressed") == pytest.approx(1.5)
    assert literal_kraft_sum(2, 2, "compressed") > 1.0
    assert kraft_sum_selection(3, 4, "compressed") > 1.0


@FAST
@given(st.integers(1, 60), st.integers(1, 60))
def test_kraft_inequality_for_the_codes(n_env: int, m_cand: int) -> None:
    assert kraft_sum_selection(n_env, m_cand, "direct") == pytest.approx(1.0, rel=1e-9)
    assert kraft_sum_selection(n_env, m_cand, "prefix") == pytest.approx(1.0, rel=1e-9)
    assert kraft_sum_selection(n_env, m_cand, "paper") <= 1.0
    harmonic = math.fsum(1.0 / j for j in range(1, min(n_env, m_cand) + 1))
    assert kraft_sum_selection(n_env, m_cand, "compressed") == pytest.approx(harmonic, rel=1e-9)


def test_kraft_sum_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        kraft_sum_selection(2, 2, "bic")
    with pytest.raises(ValueError):
        kraft_sum_selection(0, 2, "direct")


# ---------------------------------------------------------------- NML


def brute_force_complexity(values: int, n_rows: int) -> Fraction:
    """Sum over all count vectors of the maximized likelihood, in exact rationals."""
    if n_rows == 0:
        return Fraction(1)
    total = Fraction(0)
    for head in itertools.product(range(n_rows + 1), repeat=values - 1):
        last = n_rows - sum(head)
        if last < 0:
            continue
        counts = (*head, last)
        ways = math.factorial(n_rows)
        likelihood = Fraction(1)
        for c in counts:
            ways //= math.factorial(c)
            likelihood *= Fraction(c, n_rows) ** c
        total += ways * likelihood
    return total


@pytest.mark.parametrize("values", [1, 2, 3, 4])
def test_nml_complexity_against_brute_force(values: int) -> None:
    for n_rows in range(0, 13):
        want = math.log2(brute_force_complexity(values, n_rows))
        assert log2_multinomial_complexity(values, n_rows) == pytest.approx(want, rel=1e-12, abs=1e-12)


def binary_complexity_log2_direct(n_rows: int) -> float:
    """log2 C(2, n) summed in log space: sum_h Binomial(n, h/n).pmf(h)."""
    h = np.arange(n_rows + 1)
    return float(logsumexp(binom.logpmf(h, n_rows, h / n_rows))) / LN2


@pytest.mark.parametrize("n_rows", [10_000, 10_001, 54_321, 400_000])
def test_nml_binary_large_rows_against_log_space_sum(n_rows: int) -> None:
    assert log2_multinomial_complexity(2, n_rows) == pytest.approx(
        binary_complexity_log2_direct(n_rows), rel=1e-10
    )


def test_nml_recurrence_identities_for_larger_rows() -> None:
    n_rows = 2500
    c2 = [2.0 ** log2_multinomial_complexity(2, r) for r in range(n_rows + 1)]
    # C(3, n) = C(2, n) + n
    assert 2.0 ** log2_multinomial_complexity(3, n_rows) == pytest.approx(c2[n_rows] + n_rows, rel=1e-11)
    # C(4, n) = sum_r Binomial(n, r/n).pmf(r) C(2, r) C(2, n - r)   (split 4 = 2 + 2)
    r = np.arange(n_rows + 1)
    log_terms = binom.logpmf(r, n_rows, r / n_rows) + np.log(c2) + np.log(c2[::-1])
    want = float(logsumexp(log_terms)) / LN2
    assert log2_multinomial_complexity(4, n_rows) == pytest.approx(want, rel=1e-11)


def test_nml_huge_rows_do_not_overflow() -> None:
    for values in (2, 3, 10, 200):
        bits = log2_multinomial_complexity(values, 10**7)
        assert math.isfinite(bits)
        # parametric complexity ~ (K-1)/2 log2 n for fixed K
        assert bits < (values - 1) / 2 * math.log2(10**7) + 10


def test_nml_table_bits() -> None:
    assert nml_table_bits(2, 1) == 1.0
    assert nml_table_bits(3, [2, 2, 0]) == pytest.approx(2 * math.log2(4.5))
    assert nml_table_bits(1, [5, 7]) == 0.0
    with pytest.raises(ValueError):
        log2_multinomial_complexity(0, 3)
    with pytest.raises(ValueError):
        log2_multinomial_complexity(2, -1)


# ---------------------------------------------------------------- the paper's Fig. 3 (G.1 experiment)

FIG3_PAIRS = [(20, 10), (20, 20), (20, 40), (20, 80), (30, 20), (30, 40), (30, 80)]


@pytest.mark.parametrize(("m_cand", "n_env"), FIG3_PAIRS)
def test_fig3_strategy1_minus_strategy2_sign_pattern(m_cand: int, n_env: int) -> None:
    diff = lambdify_bits(direct_selection_bits() - compressed_selection_bits(), (N, M, k))
    ks = np.arange(1, min(m_cand, n_env) + 1)
    values = diff(n_env, m_cand, ks)
    assert np.all(np.isfinite(values))
    assert values[0] > 0  # few mechanisms: compressed selection is shorter
    assert values.min() < 0  # negative in the middle
    low = int(np.argmin(values))
    assert np.all(np.diff(values[: low + 1]) < 0)  # falling down to the minimum
    if (m_cand, n_env) == (20, 80):
        # with N = 4M almost every map onto all M candidates is surjective, so
        # l(M) ~ N log2 M + log2 M: the curve keeps falling up to k = M = 20
        assert low == len(ks) - 1
    else:
        assert low < len(ks) - 1
        assert np.all(np.diff(values[low:]) > 0)  # and rising again up to k = min(M, N)
