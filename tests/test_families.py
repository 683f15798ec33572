"""Tests for kdsl.mechanisms.families: exact log-probabilities and sampling of the distribution families."""

from __future__ import annotations

import doctest
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kdsl.mechanisms import families
from kdsl.mechanisms.families import (
    FAMILIES,
    Domain,
    FamilyDomainError,
    FamilyParameterError,
    check_family,
    log2_prob,
    sample,
)

SETTINGS = settings(max_examples=40, deadline=None)


def probs(family, args, domain):
    return np.exp2(log2_prob(family, args, domain.values(), domain))


def mp_log2_normal_cell(lo, hi, mean, sd):
    """log2(Phi((hi-mean)/sd) - Phi((lo-mean)/sd)) in high precision (lo/hi may be infinite).

    ``lo``/``hi`` may be pairs (center, offset) so that the cell bounds are formed exactly.
    """
    with mpmath.workdps(80):

        def bound(v, inf):
            if isinstance(v, tuple):
                v = mpmath.mpf(v[0]) + mpmath.mpf(v[1])
            elif not math.isfinite(v):
                return inf
            return (mpmath.mpf(v) - mpmath.mpf(mean)) / mpmath.mpf(sd)

        a, b = bound(lo, -mpmath.inf), bound(hi, mpmath.inf)
        if a + b > 0:  # mirror to the lower side to avoid cancellation in the reference too
            a, b = -b, -a
        return float(mpmath.log(mpmath.ncdf(b) - mpmath.ncdf(a), 2))


# --------------------------------------------------------------------------
# Domain and family table
# --------------------------------------------------------------------------


def test_domain_basics():
    d = Domain(-3, 3)
    assert d.size == 7 and not d.is_real
    assert d.values().tolist() == list(range(-3, 4))
    r = Domain(None, None)
    assert r.is_real and r.size is None and r.step == 0.01
    assert Domain.real(0.001).step == 0.001
    assert Domain.labels(3) == Domain(0, 2)
    assert Domain.bits(3) == Domain(0, 7)
    with pytest.raises(ValueError):
        Domain(3, 2)
    with pytest.raises(ValueError):
        Domain(0, None)
    with pytest.raises(ValueError):
        Domain(None, None, 0.0)
    with pytest.raises(ValueError):
        r.values()


def test_family_table():
    names = {"bernoulli", "categorical", "binomial", "poisson", "geometric", "normal", "uniform"}
    assert set(FAMILIES) == names
    assert FAMILIES["normal"].arity == 2 and FAMILIES["normal"].arg_names == ("mean", "sd")
    assert FAMILIES["categorical"].arity is None
    assert FAMILIES["categorical"].arity_on(Domain(0, 4)) == 5
    assert FAMILIES["binomial"].integer_args == frozenset({0})
    assert FAMILIES["uniform"].arity == 0
    assert all(s.description for s in FAMILIES.values())


def test_doctests():
    result = doctest.testmod(families, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------
# Normalization over a finite domain
# --------------------------------------------------------------------------

domains = st.builds(
    lambda lo, k: Domain(lo, lo + k - 1), st.integers(-5, 5), st.integers(1, 25)
)
unit = st.floats(0.0, 1.0)


def family_and_args(draw, domain):
    family = draw(st.sampled_from(sorted(FAMILIES)))
    if family == "bernoulli":
        args = [draw(unit)]
    elif family == "binomial":
        args = [float(draw(st.integers(0, 40))), draw(unit)]
    elif family == "poisson":
        args = [draw(st.floats(1e-3, 60.0))]
    elif family == "geometric":
        args = [draw(st.floats(1e-3, 1.0))]
    elif family == "normal":
        args = [draw(st.floats(-40.0, 40.0)), draw(st.floats(1e-3, 50.0))]
    elif family == "categorical":
        w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=domain.size, max_size=domain.size)))
        w[draw(st.integers(0, domain.size - 1))] += 0.5
        args = list(w / w.sum())
    elif family == "uniform":
        args = []
    else:
        raise AssertionError(f"no argument generator for family {family}: add one here")
    return family, args


@st.composite
def cases(draw):
    domain = draw(domains)
    family, args = family_and_args(draw, domain)
    return family, args, domain


@SETTINGS
@given(cases())
def test_probabilities_sum_to_one(case):
    family, args, domain = case
    p = probs(family, args, domain)
    assert p.shape == (domain.size,)
    assert np.all(p >= 0)
    assert math.isclose(p.sum(), 1.0, rel_tol=0, abs_tol=1e-9)


@SETTINGS
@given(cases())
def test_sampling_stays_in_domain(case):
    family, args, domain = case
    draws = sample(family, args, domain, np.random.default_rng(3), size=200)
    assert draws.dtype == np.int64 and draws.shape == (200,)
    assert np.all((draws >= domain.lo) & (draws <= domain.hi))
    # every drawn value has positive probability
    assert np.all(np.isfinite(log2_prob(family, args, draws, domain)))


# --------------------------------------------------------------------------
# Agreement with scipy and the tail rule
# --------------------------------------------------------------------------


@SETTINGS
@given(
    st.integers(0, 30),
    st.floats(0.01, 0.99),
    st.floats(0.1, 30.0),
    st.floats(0.05, 1.0),
)
def test_interior_matches_scipy(trials, p, rate, q):
    d = Domain(-2, 40)
    x = np.arange(-1, 40)  # interior values (both ends excluded)
    cases = [
        ("bernoulli", [p], stats.bernoulli.pmf(x, p)),
        ("binomial", [trials, p], stats.binom.pmf(x, trials, p)),
        ("poisson", [rate], stats.poisson.pmf(x, rate)),
        ("geometric", [q], stats.geom.pmf(x + 1, q)),
    ]
    for family, args, expected in cases:
        got = np.exp2(log2_prob(family, args, x, d))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300, err_msg=family)


def test_tail_mass_moves_to_the_ends():
    d = Domain(0, 17)
    rate = 20 * 0.9
    lp = log2_prob("poisson", [rate], d.values(), d)
    assert math.isclose(lp[17], stats.poisson.logsf(16, rate) / math.log(2), rel_tol=1e-12)
    assert math.isclose(lp[0], stats.poisson.logpmf(0, rate) / math.log(2), rel_tol=1e-12)
    np.testing.assert_allclose(lp[1:17], stats.poisson.logpmf(np.arange(1, 17), rate) / math.log(2))

    d2 = Domain(2, 5)
    lp2 = log2_prob("binomial", [10, 0.3], d2.values(), d2)
    np.testing.assert_allclose(np.exp2(lp2[0]), stats.binom.cdf(2, 10, 0.3), rtol=1e-12)
    np.testing.assert_allclose(np.exp2(lp2[-1]), stats.binom.sf(4, 10, 0.3), rtol=1e-12)

    d3 = Domain(3, 6)
    lp3 = log2_prob("geometric", [0.25], d3.values(), d3)
    np.testing.assert_allclose(np.exp2(lp3[0]), 1 - 0.75**4, rtol=1e-12)
    np.testing.assert_allclose(np.exp2(lp3[-1]), 0.75**6, rtol=1e-12)


def test_outside_support_is_impossible():
    d = Domain(0, 5)
    lp = log2_prob("bernoulli", [0.3], d.values(), d)
    assert np.all(lp[2:] == -np.inf)
    np.testing.assert_allclose(np.exp2(lp[:2]), [0.7, 0.3])
    # support of poisson starts at 0: the lower end of -3..3 collects P(X <= -3) = 0
    d = Domain(-3, 3)
    lp = log2_prob("poisson", [2.0], d.values(), d)
    assert np.all(lp[:3] == -np.inf) and np.all(np.isfinite(lp[3:]))
    # binomial above its trials; degenerate-but-valid p = 0 and p = 1
    d = Domain(0, 6)
    assert np.all(log2_prob("binomial", [3, 0.5], np.array([4, 5, 6]), d) == -np.inf)
    assert log2_prob("bernoulli", [1.0], 1, Domain(0, 1)) == 0.0
    assert log2_prob("bernoulli", [1.0], 0, Domain(0, 1)) == -np.inf
    assert log2_prob("binomial", [0, 0.5], 0, d) == 0.0
    # values outside the domain or not integers
    assert np.all(log2_prob("uniform", [], np.array([-1, 7, 2.5]), d) == -np.inf)
    assert log2_prob("uniform", [], 3, d) == pytest.approx(-math.log2(7))


def test_single_value_domain():
    d = Domain(4, 4)
    for family, args in [("poisson", [3.0]), ("normal", [0.0, 1.0]), ("categorical", [1.0]), ("uniform", [])]:
        assert log2_prob(family, args, np.array([3, 4, 5]), d).tolist() == [-np.inf, 0.0, -np.inf]


def test_categorical_and_uniform():
    d = Domain(-1, 2)
    p = [0.1, 0.0, 0.6, 0.3]
    np.testing.assert_allclose(probs("categorical", p, d), p)
    assert log2_prob("categorical", p, 0, d) == -np.inf
    np.testing.assert_allclose(probs("uniform", [], d), 0.25)


def test_far_discrete_tails_are_finite_and_accurate():
    """log(cdf) underflows in scipy here; the tails are summed instead."""
    with mpmath.workdps(50):
        # P(X >= 200) for poisson(0.01), about 2**-2574
        lam, k = mpmath.mpf("0.01"), 200
        ref = mpmath.nsum(lambda j: mpmath.exp(-lam) * lam**j / mpmath.factorial(j), [k, mpmath.inf])
        got = log2_prob("poisson", [0.01], 200, Domain(0, 200))
        assert got == pytest.approx(float(mpmath.log(ref, 2)), rel=1e-12)
        # P(X <= 10) for poisson(1000)
        lam = mpmath.mpf(1000)
        ref = mpmath.fsum(mpmath.exp(-lam) * lam**j / mpmath.factorial(j) for j in range(11))
        got = log2_prob("poisson", [1000.0], 10, Domain(10, 20))
        assert got == pytest.approx(float(mpmath.log(ref, 2)), rel=1e-12)
        # P(X >= 100) for binomial(120, 1e-5)
        n, p = 120, mpmath.mpf("1e-5")
        ref = mpmath.fsum(mpmath.binomial(n, j) * p**j * (1 - p) ** (n - j) for j in range(100, n + 1))
        got = log2_prob("binomial", [n, 1e-5], 100, Domain(0, 100))
        assert got == pytest.approx(float(mpmath.log(ref, 2)), rel=1e-12)


# --------------------------------------------------------------------------
# Normal
# --------------------------------------------------------------------------


@SETTINGS
@given(st.floats(-30, 30), st.floats(0.05, 20.0))
def test_discretized_normal_matches_formula(mean, sd):
    d = Domain(-5, 8)
    x = d.values().astype(float)
    lower = np.r_[-np.inf, x[1:] - 0.5]
    upper = np.r_[x[:-1] + 0.5, np.inf]
    expected = stats.norm.cdf(upper, mean, sd) - stats.norm.cdf(lower, mean, sd)
    got = probs("normal", [mean, sd], d)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)
    lp = log2_prob("normal", [mean, sd], x, d)
    for i in [0, 3, len(x) - 1]:
        assert lp[i] == pytest.approx(mp_log2_normal_cell(lower[i], upper[i], mean, sd), rel=1e-11, abs=1e-11)


def test_normal_real_domain_tiny_sd_and_far_values():
    d = Domain.real(0.01)
    sd = 1e-6
    x = np.array([0.0, 0.004, 0.01, 0.05, 0.5, -3.0])
    lp = log2_prob("normal", [0.0, sd], x, d)
    assert np.all(np.isfinite(lp))
    assert abs(lp[0]) < 1e-12  # the whole mass sits in the cell of 0
    for xi, got in zip(x, lp):
        ref = mp_log2_normal_cell((xi, -0.005), (xi, 0.005), 0.0, sd)
        assert got == pytest.approx(ref, rel=1e-11, abs=1e-12)


@SETTINGS
@given(st.floats(-1e4, 1e4), st.floats(-8.0, 3.0), st.floats(-6.0, 2.0), st.floats(-4.0, 4.0))
def test_normal_cells_accurate_everywhere(x, log_sd, log_step, offset_sd):
    """Cells near and far from the mean, narrow and wide, against a high-precision reference."""
    sd, step = 10.0**log_sd, 10.0**log_step
    mean = x + offset_sd * sd * 10 ** abs(offset_sd)
    got = float(log2_prob("normal", [mean, sd], x, Domain.real(step)))
    ref = mp_log2_normal_cell((x, -step / 2), (x, step / 2), mean, sd)
    if ref == -np.inf:
        return
    assert math.isfinite(got)
    assert got == pytest.approx(ref, rel=1e-10, abs=1e-11)


def test_normal_probability_near_1e_minus_300_is_finite():
    d = Domain(0, 100)
    lp = log2_prob("normal", [0.0, 1.0], np.array([37, 38, 40, 99, 100]), d)
    assert np.all(np.isfinite(lp))
    assert lp[-1] == pytest.approx(mp_log2_normal_cell(99.5, math.inf, 0.0, 1.0), rel=1e-12)
    assert lp[0] == pytest.approx(mp_log2_normal_cell(36.5, 37.5, 0.0, 1.0), rel=1e-12)


def test_broadcasting_candidates_by_rows():
    d = Domain(0, 17)
    rates = np.array([[1.0], [5.0], [18.0]])
    x = np.array([[0, 3, 17, 9]])
    lp = log2_prob("poisson", [rates], x, d)
    assert lp.shape == (3, 4)
    for i, r in enumerate(rates[:, 0]):
        np.testing.assert_allclose(lp[i], log2_prob("poisson", [r], x[0], d))
    mean = np.array([[0.0], [2.0]])
    sd = np.array([1.0, 2.0, 3.0])  # broadcasts against mean to (2, 3)
    assert log2_prob("normal", [mean, sd], 1.0, Domain.real()).shape == (2, 3)
    assert log2_prob("uniform", [], np.array([0, 1]), d).shape == (2,)
    assert log2_prob("poisson", [2.0], 3, d).shape == ()


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "args", "domain", "index", "text"),
    [
        ("normal", [0.0, 0.0], Domain.real(), 1, "sd must be > 0 (got 0)"),
        ("normal", [0.0, np.array([[1.0], [-1.0], [-2.0]])], Domain(0, 3), 1, "(got -1)"),
        ("normal", [np.inf, 1.0], Domain.real(), 0, "mean must be finite"),
        ("normal", [0.0, np.inf], Domain.real(), 1, "sd must be finite"),
        ("bernoulli", [1.5], Domain(0, 1), 0, "p must be in [0, 1] (got 1.5)"),
        ("bernoulli", [np.nan], Domain(0, 1), 0, "(got nan)"),
        ("binomial", [2.5, 0.5], Domain(0, 4), 0, "trials must be a non-negative integer (got 2.5)"),
        ("binomial", [-1, 0.5], Domain(0, 4), 0, "trials"),
        ("binomial", [3, np.array([0.2, 1.5, -1])], Domain(0, 4), 1, "p must be in [0, 1] (got 1.5)"),
        ("poisson", [0.0], Domain(0, 4), 0, "rate must be > 0 (got 0)"),
        ("geometric", [0.0], Domain(0, 4), 0, "p must be in (0, 1]"),
        ("categorical", [0.5, 0.4, 0.2], Domain(0, 2), None, "sum to 1"),
        ("categorical", [0.5, 0.5], Domain(0, 2), None, "takes 3 probabilities"),
        ("categorical", [0.5, 0.5, 0.0, 0.0], Domain(0, 2), 3, "takes 3 probabilities"),
        ("categorical", [0.5, 1.5, -1.0], Domain(0, 2), 1, "p1 must be in [0, 1]"),
        ("normal", [0.0], Domain(0, 2), None, "takes 2 arguments"),
        ("uniform", [0.5], Domain(0, 2), 0, "takes no arguments"),
    ],
)
def test_parameter_errors(family, args, domain, index, text):
    with pytest.raises(FamilyParameterError) as info:
        log2_prob(family, args, np.array([0]), domain)
    assert info.value.arg_index == index
    assert text in str(info.value)
    with pytest.raises(FamilyParameterError):
        sample(family, args, domain, np.random.default_rng(0), size=3)


def test_categorical_sum_tolerance_and_integer_rounding():
    check_family("categorical", [0.1, 0.2, 0.7 + 5e-10], Domain(0, 2))
    with pytest.raises(FamilyParameterError):
        check_family("categorical", [0.1, 0.2, 0.7 + 5e-9], Domain(0, 2))
    trials = check_family("binomial", [20 * 0.15, 0.5], Domain(0, 5))[0]
    assert trials == 3.0


@pytest.mark.parametrize(
    "family", ["bernoulli", "categorical", "binomial", "poisson", "geometric", "uniform"]
)
def test_domain_errors(family):
    args = {"bernoulli": [0.5], "binomial": [3, 0.5], "poisson": [1.0], "geometric": [0.5]}.get(family, [])
    with pytest.raises(FamilyDomainError):
        log2_prob(family, args, np.array([0.0]), Domain.real())
    with pytest.raises(FamilyDomainError):
        sample(family, args, Domain.real(), np.random.default_rng(0), size=2)


def test_unknown_family():
    with pytest.raises(ValueError, match="unknown family"):
        log2_prob("gamma", [1.0], 0, Domain(0, 1))


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------

FREQUENCY_CASES = [
    ("bernoulli", [0.3], Domain(0, 3)),
    ("categorical", [0.1, 0.0, 0.5, 0.4], Domain(-2, 1)),
    ("binomial", [12, 0.4], Domain(2, 9)),
    ("poisson", [20 * 0.9], Domain(0, 17)),
    ("geometric", [0.3], Domain(0, 6)),
    ("normal", [2.2, 1.7], Domain(0, 5)),
    ("uniform", [], Domain(-3, 3)),
]


@pytest.mark.parametrize(("family", "args", "domain"), FREQUENCY_CASES)
def test_sampling_frequencies_match_probabilities(family, args, domain):
    n = 40_000
    draws = sample(family, args, domain, np.random.default_rng(11), size=n)
    p = probs(family, args, domain)
    counts = np.bincount(draws - domain.lo, minlength=domain.size)
    assert np.all(counts[p == 0] == 0)
    keep = p > 0
    expected = n * p[keep]
    chi2 = float(np.sum((counts[keep] - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-6, (family, counts, expected)


@pytest.mark.parametrize(("family", "args", "domain"), FREQUENCY_CASES)
def test_sampling_is_reproducible(family, args, domain):
    a = sample(family, args, domain, np.random.default_rng(42), size=50)
    b = sample(family, args, domain, np.random.default_rng(42), size=50)
    assert np.array_equal(a, b)


def test_sampling_per_row_parameters():
    rng = np.random.default_rng(0)
    parent = rng.integers(0, 2, size=5000)
    child = sample("bernoulli", [0.2 + 0.6 * parent], Domain(0, 1), rng, size=5000)
    assert abs(child[parent == 0].mean() - 0.2) < 0.03
    assert abs(child[parent == 1].mean() - 0.8) < 0.03
    y = sample("normal", [parent * 100.0, 1.0], Domain.real(), rng, size=5000)
    assert np.all(np.abs(y - parent * 100.0) < 6)
    # without size: the broadcast shape of the arguments
    assert sample("poisson", [np.array([1.0, 2.0, 3.0])], Domain(0, 9), rng).shape == (3,)
    assert sample("poisson", [1.0], Domain(0, 9), rng).shape == ()
    with pytest.raises(ValueError):
        sample("poisson", [np.array([1.0, 2.0])], Domain(0, 9), rng, size=3)


def test_sampling_real_domain_rounds_to_step():
    for step, decimals in [(0.01, 2), (0.001, 3), (0.25, 2), (1.0, 0)]:
        y = sample("normal", [3.0, 2.0], Domain.real(step), np.random.default_rng(1), size=2000)
        assert y.dtype == np.float64
        k = np.round(y / step)
        np.testing.assert_allclose(y, k * step, atol=1e-12)
        assert np.array_equal(y, np.round(y, decimals))
        assert abs(y.mean() - 3.0) < 0.2 and abs(y.std() - 2.0) < 0.2
        assert np.all(np.isfinite(log2_prob("normal", [3.0, 2.0], y, Domain.real(step))))


def test_normal_real_frequencies_match_cells():
    d = Domain.real(0.5)
    y = sample("normal", [0.0, 1.0], d, np.random.default_rng(5), size=40_000)
    cells = np.arange(-2.0, 2.01, 0.5)
    p = np.exp2(log2_prob("normal", [0.0, 1.0], cells, d))
    counts = np.array([(y == c).sum() for c in cells])
    expected = 40_000 * p
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected) + 5)
