"""Free mechanisms of real variables (kdsl.mechanisms.regression): lengths, cross-checks, search, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.errors import KdslError
from kdsl.language.check import check
from kdsl.language.syntax import parse
from kdsl.mechanisms import regression
from kdsl.search.exact import exact_best
from kdsl.search.local import local_scores

CODES = ("bic", "nml", "paper", "direct")


def _spec(names: list[str], step: float, body: str = "", code: str = "bic", envs: str = "env a from d") -> str:
    lines = [f"var {v} real step {step!r}" for v in names]
    return "\n".join([*lines, envs, body, f"code {code}"])


def _chain(n: int, seed: int, scale: float = 1.0, envs: int = 1) -> dict:
    """X -> Y -> Z, Y also <- W, rounded to two decimals (times ``scale``); column E names the environment."""
    rng = np.random.default_rng(seed)
    e = np.repeat(np.arange(envs), n)
    x = rng.normal(np.where(e == 1, 2.0, 0.0), 1.0)
    w = rng.normal(0, 1, len(e))
    y = 1.5 * x - 0.8 * w + rng.normal(0, 0.7, len(e))
    z = np.where(e == 2, -1.0, 0.6) * y + rng.normal(0, 0.5, len(e))
    v = rng.normal(0, 2, len(e))
    cols = {"X": x, "W": w, "Y": y, "Z": z, "V": v}
    out = {k: np.round(c, 2) * scale for k, c in cols.items()}
    out["E"] = np.array([f"e{i}" for i in e])
    return out


def _gaussian_bic(y: np.ndarray, parents: list[np.ndarray], step: float) -> float:
    """An independent Gaussian BIC in bits: density x step at the MLE, half log2 n per parameter."""
    n = len(y)
    design = np.column_stack([np.ones(n), *parents])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    rss = float(np.sum((y - design @ beta) ** 2))
    var = max(rss / n, step**2)
    rank = np.linalg.matrix_rank(design)
    return (n / 2 * math.log2(2 * math.pi * var) + rss / (2 * var * math.log(2)) - n * math.log2(step)
            + (rank + 1) / 2 * math.log2(n))


# ---------------------------------------------------------------------- formulas and codes
def test_numeric_formulas_equal_their_sympy_forms():
    rng = np.random.default_rng(1)
    for _ in range(20):
        n, r = float(rng.integers(5, 500)), float(rng.integers(1, 4))
        res, var, step = rng.uniform(0.1, 50), rng.uniform(0.01, 3), rng.uniform(1e-3, 1)
        lr, lt = float(rng.integers(0, 30)), float(rng.integers(0, 20))
        subs = {regression.n_rows: n, regression.rss: res, regression.s2: var, regression.step: step,
                regression.r_rank: r, regression.log2_bound: lr, regression.log2_tau0: lt}
        assert float(regression.gaussian_data_formula().evalf(subs=subs)) == pytest.approx(
            float(regression.gaussian_data_bits(n, res, math.log2(var), math.log2(step))), rel=1e-12)
        assert float(regression.nml_complexity_formula().evalf(subs=subs)) == pytest.approx(
            float(regression.nml_complexity_bits(n, r, lr, lt)), rel=1e-9, abs=1e-9)
        z = int(rng.integers(1, 10**6))
        assert float(regression.elias_gamma_formula().subs(regression.z_int, z)) == regression.elias_gamma_bits(z)


def test_elias_gamma_and_float_codes_pass_kraft():
    z = np.arange(1, 1 << 16)
    assert float(np.sum(2.0 ** -regression.elias_gamma_bits(z))) == pytest.approx(1.0, abs=1e-4)
    for precision in (1, 8, 20):
        assert 0.999 < regression.kraft_sum_numbers(precision, 5000) <= 1.0
        assert 0.999 < regression.kraft_sum_numbers(precision, 5000, signed=False) <= 1.0


def test_quantize_rounds_to_the_mantissa():
    for v in (1.0, 3.14159, 1e-7, 123456.789):
        q = v * float(regression.quantize(np.log2(v), 8))
        assert abs(q - v) <= v * 2.0**-9 * (1 + 1e-12)
        assert (q / 2.0 ** math.floor(math.log2(q))) * 2**8 == pytest.approx(round((q / 2.0 ** math.floor(math.log2(q))) * 2**8))


# ---------------------------------------------------------------------- cross-checks
def test_bic_local_scores_equal_an_independent_gaussian_bic():
    data = _chain(300, 0)
    bound = kdsl.load(_spec(["X", "W", "Y", "Z", "V"], 0.01, "search {\n classes linear\n}"), data={"d": data})
    local = local_scores(bound, bound.model.search)
    names = local.variables
    checked = 0
    for v, entries in enumerate(local.entries):
        for mask, (bits, template, _) in entries.items():
            parents = [data[names[u]] for u in range(len(names)) if mask >> u & 1]
            assert template.family in ("linear", "normal")
            assert bits == pytest.approx(_gaussian_bic(data[names[v]], parents, 0.01), rel=1e-9, abs=1e-6)
            checked += 1
    assert checked == 5 * 16


def test_exact_optimum_equals_brute_force_over_every_dag_on_five_variables():
    data = _chain(200, 3)
    bound = kdsl.load(_spec(["X", "W", "Y", "Z", "V"], 0.01, "search {\n classes linear\n}"), data={"d": data})
    local = local_scores(bound, bound.model.search)
    d = 5
    best = math.inf
    for order in itertools.permutations(range(d)):
        choices = [[mask for mask in range(1 << d) if not mask & ~sum(1 << u for u in order[:i])]
                   for i in range(d)]
        per_var = [[local.best(order[i], m) for m in choices[i]] for i in range(d)]
        best = min(best, sum(min(row) for row in per_var))  # parents chosen independently within the order
        # and literally every combination for the first order, to check the independence shortcut
        if order == tuple(range(d)):
            literal = min(sum(c) for c in itertools.product(*per_var))
            assert literal == pytest.approx(sum(min(row) for row in per_var))
    assert exact_best(local).bits == pytest.approx(best, rel=1e-12)


def test_two_gaussians_tie_under_bic_and_shifts_of_the_cause_orient_them():
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(0, 1, 2000), 2)
    y = np.round(0.8 * x + rng.normal(0, 0.6, 2000), 2)
    spec = _spec(["X", "Y"], 0.01, "search {\n top 2\n}")
    result = kdsl.solve(spec, data={"d": {"X": x, "Y": y}})
    assert set(result.ties) == {"search-1", "search-2"}
    assert result.causes == ()
    # four environments shifting the cause's mean: the causal direction shares Y's regression
    e = np.repeat(np.arange(4), 500)
    x = np.round(rng.normal(np.array([0.0, 2.0, -1.0, 4.0])[e], 1.0), 2)
    y = np.round(0.8 * x + rng.normal(0, 0.6, 2000), 2)
    spec = _spec(["X", "Y"], 0.01, "search {\n top 2\n}", envs="envs from d by E")
    for code in CODES:
        result = kdsl.solve(spec.replace("code bic", f"code {code}"), data={"d": {"X": x, "Y": y, "E": e}})
        assert result.causes == (("X", "Y"),), code
        assert result.programs[0].shifts["Y"] == [["0", "1", "2", "3"]] or len(result.programs[0].shifts["Y"]) == 1


# ---------------------------------------------------------------------- search without templates
@pytest.mark.parametrize("code", CODES)
def test_search_over_real_variables_needs_no_template_and_reports_shifted_mechanisms(code):
    data = _chain(400, 7, envs=3)
    spec = _spec(["X", "W", "Y", "Z", "V"], 0.01, "search {\n graphs max_parents 3\n}", code, "envs from d by E")
    result = kdsl.solve(spec, data={"d": data})
    best = result.programs[0]
    assert set(best.edges) >= {("X", "Y"), ("W", "Y"), ("Y", "Z")}
    assert result.search["proven"]
    changed = {v for v, groups in best.shifts.items() if len(groups) > 1}
    assert changed == {"X", "Z"}


def test_classes_narrow_the_free_mechanisms():
    data = _chain(100, 2)
    spec = _spec(["X", "Y"], 0.01, "search {\n classes histogram\n}")
    result = kdsl.solve(spec, data={"d": {"X": data["X"], "Y": data["Y"]}})
    assert {m.rhs for m in result.programs[0].mechanisms.values()} == {"histogram"}
    with pytest.raises(KdslError, match="unknown class 'linaer'"):
        kdsl.solve(spec.replace("classes histogram", "classes linaer"), data={"d": data})


def test_poly_finds_a_curve_that_linear_misses():
    rng = np.random.default_rng(11)
    x = np.round(rng.uniform(-2, 2, 600), 2)
    y = np.round(x**2 + rng.normal(0, 0.3, 600), 2)
    body = ("hypothesis line {\n X ~ histogram\n Y ~ linear(X)\n}\n"
            "hypothesis curve {\n X ~ histogram\n Y ~ poly(X)\n}\n"
            "hypothesis square {\n X ~ histogram\n Y ~ poly(2, X)\n}")
    for code in CODES:
        result = kdsl.solve(_spec(["X", "Y"], 0.01, body, code), data={"d": {"X": x, "Y": y}})
        assert result.programs[-1].name == "line", code
        assert "degree 2" in result.programs[0].mechanisms["Y"].by_environment["a"]


# ---------------------------------------------------------------------- scale invariance
@settings(max_examples=12, deadline=None)
@given(st.sampled_from([1e-3, 0.37, 8.0, 1e5, 3e12]), st.sampled_from(CODES))
def test_every_length_is_scale_invariant(factor, code):
    data = _chain(150, 4, envs=2)
    body = ("hypothesis h {\n X ~ histogram\n W ~ normal\n Y ~ linear(X, W)\n Z ~ poly(Y)\n V ~ normal\n}\n"
            "search {\n graphs max_parents 2\n top 2\n}")
    spec = _spec(["X", "W", "Y", "Z", "V"], 0.01, body, code, "envs from d by E")
    base = kdsl.solve(spec, data={"d": data})
    scaled = {k: (v * factor if k != "E" else v) for k, v in data.items()}
    other = kdsl.solve(spec.replace("step 0.01", f"step {0.01 * factor!r}"), data={"d": scaled})
    for a, b in zip(base.programs, other.programs):
        assert a.name == b.name and a.edges == b.edges
        assert b.total_bits == pytest.approx(a.total_bits, rel=1e-7)
        assert b.model_bits == pytest.approx(a.model_bits, rel=1e-6, abs=1e-6)


# ---------------------------------------------------------------------- bad input
def _lengths(result) -> list[float]:
    return [p.total_bits for p in result.programs] + [p.model_bits for p in result.programs if p.finite]


@pytest.mark.parametrize("code", CODES)
def test_degenerate_columns_give_finite_non_negative_lengths(code):
    rng = np.random.default_rng(2)
    x = np.round(rng.normal(0, 1, 40), 2)
    cases = {
        "constant": {"X": np.full(40, 3.0), "Y": x, "Z": x * 2},
        "duplicated": {"X": x, "Y": x.copy(), "Z": np.round(x + rng.normal(0, 0.1, 40), 2)},
        "huge": {"X": x * 1e300, "Y": np.round(rng.normal(0, 1, 40), 2) * 1e300, "Z": x},
        "few rows": {"X": x[:3], "Y": x[:3] ** 2, "Z": np.array([1.0, 5.0, 2.0])},
    }
    body = ("hypothesis wide {\n X ~ normal\n Y ~ poly(X)\n Z ~ poly(X, Y)\n}\n"
            "hypothesis hist {\n X ~ histogram\n Y ~ histogram\n Z ~ linear(X, Y)\n}\n"
            "search {\n top 3\n}")
    for name, cols in cases.items():
        result = kdsl.solve(_spec(["X", "Y", "Z"], 0.01, body, code), data={"d": cols})
        assert result.best is not None, name
        for bits in _lengths(result):
            assert not math.isnan(bits) and bits >= 0, (name, bits)
        for p in result.programs:
            if not p.finite:
                assert p.reason, name


def test_missing_and_non_finite_real_cells_are_located_errors(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("X,Y\n1.5,2\n,3\n")
    spec = tmp_path / "s.kdsl"
    spec.write_text('var X real\nvar Y real\nenv a from "d.csv"\nhypothesis h {\n X ~ normal\n Y ~ linear(X)\n}\n')
    with pytest.raises(KdslError) as err:
        kdsl.solve(str(spec))
    assert "d.csv" in str(err.value) and ":3:" in str(err.value)
    with pytest.raises(KdslError, match="non-finite"):
        kdsl.load('var X real\nvar Y real\nenv a from d\nhypothesis h {\n X ~ normal\n Y ~ linear(X)\n}\n',
                  data={"d": {"X": np.array([1.0, np.inf]), "Y": np.array([1.0, 2.0])}})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e300, 1e300, allow_nan=False), st.floats(-1e6, 1e6, allow_nan=False)),
                min_size=1, max_size=30), st.sampled_from(CODES), st.sampled_from([1e-6, 0.01, 1.0, 1e4]))
@example([(1.34e148, 0.0)], "nml", 1e-6)
@example([(1e308, 1e-300), (-1e308, 0.0), (5.0, 1e308)], "bic", 1.0)  # a range of more cells than a float holds
def test_arbitrary_real_data_never_crash_nor_give_negative_lengths(rows, code, step):
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    spec = _spec(["X", "Y"], step, "search {\n top 2\n}\nhypothesis h {\n X ~ histogram\n Y ~ poly(2, X)\n}", code)
    result = kdsl.solve(spec, data={"d": {"X": x, "Y": y}})
    for bits in _lengths(result):
        assert not math.isnan(bits) and bits >= 0


def test_free_real_mechanisms_in_hypotheses_are_checked():
    base = "var X real\nvar Y real\nvar K in 0..3\nenv a from d\nhypothesis h {{\n{}\n}}\n"
    cases = {
        " X ~ normal\n Y ~ linear(X)\n K ~ linear(X)": "linear describes a real variable; K is discrete",
        " X ~ normal\n Y ~ poly(0, X)\n K ~ table": "the degree of poly must be a whole number from 1 to 9",
        " X ~ histogram(Y)\n Y ~ normal\n K ~ table": "histogram has no parents",
        " X ~ normal\n Y ~ poly\n K ~ table": "poly needs at least one parent",
        " X ~ normal\n Y ~ linear(X + 1)\n K ~ table": "the arguments of linear(...) are parent variables",
    }
    for body, message in cases.items():
        with pytest.raises(KdslError, match=message.replace("(", r"\(").replace(")", r"\)")):
            check(parse(base.format(body)))


def test_explain_shows_a_regression_term():
    data = _chain(60, 1)
    result = kdsl.solve(_spec(["X", "Y"], 0.01, "hypothesis h {\n X ~ normal\n Y ~ linear(X)\n}", "nml"),
                        data={"d": {"X": data["X"], "Y": data["Y"]}})
    text = result.programs[0].formula_text
    assert "P_{Y}" in text and "D_{Y}" in text
    values = result.programs[0].formula_values
    assert values["P_{Y}"] > 0 and values["D_{Y}"] == pytest.approx(result.programs[0].mechanisms["Y"].data_bits)


def test_step_auto_takes_the_datas_resolution(tmp_path):
    (tmp_path / "d.csv").write_text("X,Y\n1.5,10\n2.25,20\n3,40\n")
    (tmp_path / "s.kdsl").write_text('var X real step auto\nvar Y real step auto\nenv a from "d.csv"\n'
                                     "hypothesis h {\n X ~ normal\n Y ~ linear(X)\n}\n")
    bound = kdsl.load(str(tmp_path / "s.kdsl"))
    assert (bound.model.variables["X"].step, bound.model.variables["Y"].step) == (0.01, 10.0)
    # the same lengths as with the steps written out
    written = (tmp_path / "s.kdsl").read_text().replace("X real step auto", "X real step 0.01").replace(
        "Y real step auto", "Y real step 10")
    (tmp_path / "w.kdsl").write_text(written)
    assert kdsl.solve(str(tmp_path / "w.kdsl")).programs[0].total_bits == pytest.approx(
        kdsl.solve(str(tmp_path / "s.kdsl")).programs[0].total_bits, rel=1e-12)
    # no step written is `step auto`
    default = (tmp_path / "s.kdsl").read_text().replace(" step auto", "")
    (tmp_path / "d.kdsl").write_text(default)
    assert kdsl.solve(str(tmp_path / "d.kdsl")).programs[0].total_bits == pytest.approx(
        kdsl.solve(str(tmp_path / "s.kdsl")).programs[0].total_bits, rel=1e-12)


GAUSSIAN_PAIR = "var X real\nvar Y real\nenv a from d\nhypothesis h {{\n X ~ histogram\n Y ~ poly(X)\n}}\ncode {code}"


@pytest.mark.parametrize("code", ["bic", "paper", "nml"])
def test_the_default_step_follows_the_recording_so_rescaled_data_keep_their_lengths(code):
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(0, 2, 200), 2)
    y = np.round(x + rng.normal(0, 0.5, 200), 1)
    base = kdsl.solve(GAUSSIAN_PAIR.format(code=code), data={"d": {"X": x, "Y": y}})
    assert "X 0.01, Y 0.1" in base.notes[0]
    for factor in (1e-200, 1e6, 1e300):  # values near 1e300 neither overflow nor cost more
        scaled = kdsl.solve(GAUSSIAN_PAIR.format(code=code), data={"d": {"X": x * factor, "Y": y * factor}})
        assert scaled.programs[0].total_bits == pytest.approx(base.programs[0].total_bits, rel=1e-9)


def test_values_at_full_precision_get_a_step_of_1e12_of_their_magnitude():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 3, 100)
    spec = "var X real\nenv a from d\nhypothesis h {\n X ~ normal\n}"
    step = kdsl.load(spec, data={"d": {"X": x}}).model.variables["X"].step
    assert 0.5e-12 * np.abs(x).max() <= step <= 10e-12 * np.abs(x).max()
    assert kdsl.solve(spec, data={"d": {"X": x}}).programs[0].data_bits / len(x) < 50  # about log2(3 / 1e-11) bits a value
