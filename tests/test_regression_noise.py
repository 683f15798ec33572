"""Regressions whose residuals a histogram codes (``Y ~ linear(X) noise histogram``): Kraft, formulas, scale
invariance, orientation by non-Gaussian noise, sharing across environments, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.codes import get_code
from kdsl.lengths.score import mechanism_profile
from kdsl.mechanisms import regression
from kdsl.present.render import explain_text

CODES = ("bic", "nml", "paper", "direct")


def _spec(body: str, code: str = "nml", step: float = 0.01, names=("X", "Y"), envs: str = "env a from d") -> str:
    lines = [f"var {v} real step {step!r}" for v in names]
    return "\n".join([*lines, envs, body, f"code {code}"])


def _uniform_pair(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return {"X": np.round(x, 2), "Y": np.round(1.5 * x + rng.uniform(-1, 1, n), 2)}


def _local_bits(bound, var: str) -> float:
    mech = next(m for m in next(iter(bound.model.hypotheses.values())).mechanisms if m.var == var)
    return min(c.data_bits + c.table_bits for c in mechanism_profile(bound, mech).best.values())


# ---------------------------------------------------------------------- the code
def test_residual_cells_give_a_kraft_sum_of_exactly_one_over_the_childs_cells():
    """For any prediction, coding a value's residual cell by its bin (probability p_j) and its cell within the
    bin (1/w) sums to exactly 1 over every cell of the child: a residual cell names exactly one value cell. Rows
    are coded independently given their predictions, so a sequence's sum is the product of these."""
    rng = np.random.default_rng(0)
    log2_step = -3.0  # cells of 1/8 on the child's [-1, 1] scale
    y = np.arange(-400, 600) * 2.0**log2_step - 1.0  # every cell of a window wider than any range below
    for _ in range(50):
        fitted = np.full(len(y), rng.uniform(-1, 1))
        lowest, bins, width = float(rng.integers(-9, 0)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
        p = rng.dirichlet(np.ones(bins))
        j = (regression.residual_cells(y, fitted, log2_step) - lowest) // width
        inside = (j >= 0) & (j < bins)
        assert float(np.sum(p[j[inside].astype(int)] / width)) == pytest.approx(1.0, abs=1e-12)
        assert inside.sum() == bins * width


@pytest.mark.parametrize("code", ["nml", "paper", "direct"])
def test_the_whole_mechanism_passes_kraft_by_brute_force(code):
    """Every child sequence on three rows, each in 7 cells: the sum of 2**-length (coefficients, range, bins,
    bin counts and cells, the shortest number of bins) is at most 1."""
    x = np.array([0.0, 1.0, 3.0])
    total = 0.0
    for ys in itertools.product(range(-3, 4), repeat=3):
        bound = kdsl.load(_spec("hypothesis h {\n X ~ normal\n Y ~ linear(X) noise histogram\n}", code, 1.0),
                          data={"d": {"X": x, "Y": np.array(ys, float)}})
        total += 2.0 ** -_local_bits(bound, "Y")
    assert 0 < total <= 1.0


def _one_group(cells: np.ndarray, coefficient_bits: float) -> regression._Residuals:
    """The residuals of one group of one environment: these residual cells."""
    return regression._Residuals([cells[:, None]], np.ones((1, 1), bool), np.array([cells.min()]),
                                 np.array([cells.max() - cells.min() + 1]), np.array([coefficient_bits]),
                                 np.array([float(len(cells))]))


def test_the_data_formula_equals_the_fast_path():
    counts = np.array([5.0, 12.0, 4.0])  # three non-empty bins of 2 cells (an empty bin adds nothing)
    cells = np.concatenate([np.full(int(c), value) for value, c in zip((0.0, 2.0, 5.0), counts)])  # 6 cells
    residuals = _one_group(cells, 0.0)
    symbolic = regression.histogram_noise_data_formula().subs(
        {regression.b_sym: 3, regression.w_sym: 2, regression.n_rows: 21}).doit()
    symbolic = float(symbolic.subs({regression.count_sym[j + 1]: c for j, c in enumerate(counts)}).evalf())
    for code in ("nml", "bic"):  # maximum-likelihood bins
        assert float(residuals.fits(3, get_code(code)).data[0]) == pytest.approx(symbolic, rel=1e-12)


@settings(max_examples=8, deadline=None)
@given(st.sampled_from([1e-3, 0.37, 8.0, 1e5, 3e12]), st.sampled_from(CODES))
def test_lengths_with_histogram_noise_are_scale_invariant(factor, code):
    rng = np.random.default_rng(4)
    e = np.repeat(np.arange(2), 100)
    x = rng.normal(np.where(e == 1, 1.0, 0.0), 1.0)
    data = {"X": np.round(x, 2), "Y": np.round(0.8 * x + rng.laplace(0, 0.4, 200), 2),
            "Z": np.round(np.where(e == 1, -1.0, 0.5) * x + rng.uniform(-1, 1, 200), 2), "E": e}
    body = ("hypothesis h {\n X ~ histogram\n Y ~ linear(X) noise histogram\n Z ~ poly(X, Y) noise histogram\n}\n"
            "search {\n graphs max_parents 2\n top 2\n}")
    spec = _spec(body, code, names=("X", "Y", "Z"), envs="envs from d by E")
    base = kdsl.solve(spec, data={"d": data})
    scaled = {k: (v * factor if k != "E" else v) for k, v in data.items()}
    other = kdsl.solve(spec.replace("step 0.01", f"step {0.01 * factor!r}"), data={"d": scaled})
    # search programs may tie exactly (Markov-equivalent Gaussian ones) and swap names: compare the lengths
    assert [p.total_bits for p in other.programs] == pytest.approx([p.total_bits for p in base.programs], rel=1e-7)
    a, b = (next(p for p in r.programs if p.name == "h") for r in (base, other))
    assert b.total_bits == pytest.approx(a.total_bits, rel=1e-7)
    assert b.model_bits == pytest.approx(a.model_bits, rel=1e-6, abs=1e-6)
    assert {v: m.by_environment for v, m in a.mechanisms.items()} == {v: m.by_environment for v, m in b.mechanisms.items()}


# ---------------------------------------------------------------------- what it finds
@pytest.mark.parametrize("code", CODES)
def test_uniform_noise_orients_a_linear_pair_that_gaussian_models_cannot(code):
    data = _uniform_pair(800, 1)
    body = ("hypothesis causal {{\n X ~ {root}\n Y ~ linear(X){noise}\n}}\n"
            "hypothesis anticausal {{\n Y ~ {root}\n X ~ linear(Y){noise}\n}}")
    gap = {}
    for model, root, noise in (("gaussian", "normal", ""), ("histogram", "histogram", " noise histogram")):
        result = kdsl.solve(_spec(body.format(root=root, noise=noise), code), data={"d": data})
        lengths = {p.name: p.total_bits for p in result.programs}
        gap[model] = lengths["anticausal"] - lengths["causal"]
        if model == "histogram":
            assert result.programs[0].mechanisms["Y"].rhs == "linear(X) noise histogram"
    assert gap["histogram"] > 100, gap
    assert abs(gap["gaussian"]) < 10, gap  # Gaussian models are (nearly) the same both ways


def test_histogram_noise_is_shorter_than_gaussian_with_outliers_and_longer_with_gaussian_noise():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 600)
    e = rng.normal(0, 0.4, 600)
    hit = rng.random(600) < 0.03
    e[hit] = 8 * 0.4 * rng.choice([-1, 1], hit.sum())
    body = "hypothesis h {\n X ~ normal\n Y ~ linear(X)%s\n}"
    lengths = {}
    for name, y in (("outliers", 1.2 * x + e), ("gaussian", 1.2 * x + rng.normal(0, 0.4, 600))):
        data = {"d": {"X": np.round(x, 2), "Y": np.round(y, 2)}}
        for noise in ("", " noise histogram"):
            lengths[name, noise] = _local_bits(kdsl.load(_spec(body % noise), data=data), "Y")
    assert lengths["outliers", " noise histogram"] < lengths["outliers", ""]
    assert lengths["gaussian", ""] < lengths["gaussian", " noise histogram"]


@pytest.mark.parametrize("code", CODES)
def test_environments_share_one_fit_and_its_histogram_and_a_changed_one_is_a_shift(code):
    rng = np.random.default_rng(8)
    e = np.repeat(np.arange(3), 400)
    x = rng.uniform(-2, 2, 1200)
    y = np.where(e == 2, -1.0, 1.5) * x + rng.uniform(-0.5, 0.5, 1200)
    data = {"d": {"X": np.round(x, 2), "Y": np.round(y, 2), "E": e}}
    spec = _spec("hypothesis h {\n X ~ histogram\n Y ~ linear(X) noise histogram\n}", code, envs="envs from d by E")
    best = kdsl.solve(spec, data=data).programs[0]
    assert best.shifts["Y"] == [["0", "1"], ["2"]]
    assert "bins" in best.mechanisms["Y"].by_environment["0"]
    fixed = kdsl.solve(spec.replace("noise histogram", "noise histogram fixed"), data=data).programs[0]
    assert fixed.shifts["Y"] == [["0", "1", "2"]] and fixed.total_bits > best.total_bits


# ---------------------------------------------------------------------- bad input and output
@pytest.mark.parametrize("code", CODES)
def test_degenerate_columns_give_finite_non_negative_lengths_or_a_reason(code):
    rng = np.random.default_rng(2)
    x = np.round(rng.normal(0, 1, 40), 2)
    cases = {
        "constant child": {"X": x, "Y": np.full(40, 3.0)},
        "constant parent": {"X": np.full(40, 3.0), "Y": x},
        "exact fit": {"X": x, "Y": 2 * x},
        "huge": {"X": x, "Y": np.round(rng.normal(0, 1, 40), 2) * 1e300},
        "one row": {"X": x[:1], "Y": x[:1]},
    }
    body = "hypothesis h {\n X ~ normal\n Y ~ poly(2, X) noise histogram\n}\nsearch {\n top 2\n}"
    for name, cols in cases.items():
        result = kdsl.solve(_spec(body, code), data={"d": cols})
        assert result.best is not None, name
        for p in result.programs:
            assert not math.isnan(p.total_bits) and p.total_bits >= 0, (name, p.total_bits)
            assert p.finite or p.reason, name
    huge = kdsl.solve(_spec(body, code), data={"d": cases["huge"]}).programs
    assert any("residuals span more recording cells" in (p.reason or "") for p in huge)


def test_explain_says_what_the_data_bits_of_histogram_noise_are():
    result = kdsl.solve(_spec("hypothesis h {\n X ~ histogram\n Y ~ linear(X) noise histogram\n}"),
                        data={"d": _uniform_pair(100, 2)})
    program = result.programs[0]
    assert "D_{Y}" in program.formula_text and "P_{Y}" in program.formula_text
    assert program.formula_values["D_{Y}"] == pytest.approx(program.mechanisms["Y"].data_bits)
    assert "residual histogram" in explain_text(result)


@pytest.mark.parametrize("code", ["nml", "bic"])
def test_the_number_of_bins_is_chosen_as_the_exact_code_would(code):
    """The vectorised scan over B (maximum-likelihood bins) finds the shortest B the exact pricing finds."""
    rng = np.random.default_rng(6)
    for span in (1, 7, 300, 5000):
        cells = np.concatenate([[0.0, span - 1.0], rng.integers(0, span, 200).astype(float)])
        pooled = _one_group(cells, 30.0)
        candidates = regression.bins_.candidates(float(span), len(cells))
        bits, bins = regression._shortest_bins(pooled, candidates, get_code(code))
        exact = {b: float(np.sum(f.data + f.param)) + float(regression.elias_gamma_bits(np.array(b)))
                 for b in candidates for f in [pooled.fits(b, get_code(code))]}
        extra = 30.0 + float(regression.range_bits(np.array(0.0), np.array(float(span))))
        assert bits + extra == pytest.approx(min(exact.values()), rel=1e-12)
        assert exact[bins] == pytest.approx(min(exact.values()), rel=1e-12)


def test_a_search_finds_the_histogram_noise_and_its_orientation_rests_on_the_fit():
    data = _uniform_pair(800, 1)
    spec = _spec("search {\n graphs\n top 2\n}")
    result = kdsl.solve(spec, data={"d": data})
    best = result.programs[0]
    assert best.mechanisms["Y"].rhs.endswith("noise histogram")
    assert result.causes == (("X", "Y"),)
    margin = next(m for m in result.edges_margin if (m.parent, m.child) == ("X", "Y"))
    assert margin.orientation == "fit"
    # `classes` without histogram: Gaussian noise only, and no bit for a choice of noise
    narrowed = kdsl.solve(spec.replace(" top 2", " top 2\n classes linear, poly"), data={"d": data})
    assert all(not m.rhs.endswith("noise histogram") for p in narrowed.programs for m in p.mechanisms.values())


@pytest.mark.parametrize("noise", ["gaussian", "uniform"])
def test_a_search_pays_log2_of_the_free_mechanisms_it_chose_among(noise):
    rng = np.random.default_rng(12)
    x = rng.normal(0, 1, 500)
    e = rng.normal(0, 0.5, 500) if noise == "gaussian" else rng.uniform(-1, 1, 500)
    data = {"d": {"X": np.round(x, 2), "Y": np.round(0.7 * x + e, 2)}}
    found = kdsl.solve(_spec("search {\n graphs\n top 1\n}"), data=data).programs[0]
    lines = "\n".join(f" {v} ~ {m.rhs}" for v, m in found.mechanisms.items())
    written = next(p for p in kdsl.solve(_spec(f"hypothesis h {{\n{lines}\n}}\nsearch {{\n top 1\n}}"), data=data).programs
                   if p.name == "h")
    with_parents = sum(1 for m in found.mechanisms.values() if "(" in m.rhs)
    assert with_parents == 1
    # linear or poly, each with either noise: 2 bits; a root, normal or histogram: 1 bit; a hypothesis: nothing
    assert found.total_bits == pytest.approx(written.total_bits + 2 * with_parents + 1 * (2 - with_parents), rel=1e-12)


@pytest.mark.parametrize("code", CODES)
def test_every_subset_of_environments_fitted_at_once_equals_each_fitted_alone(code):
    rng = np.random.default_rng(9)
    e = np.repeat(np.arange(3), [50, 1, 80])
    x = rng.normal(0, 1, len(e))
    data = {"d": {"X": np.round(x, 2), "Y": np.round(np.where(e == 2, 2.0, 1.0) * x + rng.laplace(0, 0.3, len(e)), 2),
                  "E": e}}
    bound = kdsl.load(_spec("hypothesis h {\n X ~ normal\n Y ~ poly(2, X) noise histogram\n}", code,
                            envs="envs from d by E"), data=data)
    template = next(iter(bound.model.hypotheses.values())).mechanisms[1].template
    ((_, block, subsets, _),) = regression._histogram_noise_regressions(bound, template, bound.model.code)
    every = subsets()
    for mask in range(1, 8):
        alone = block([i for i in range(3) if mask >> i & 1])
        for name in ("data", "param", "rows"):
            assert float(getattr(every, name)[mask]) == pytest.approx(float(getattr(alone, name)[0]), rel=1e-9), name
