"""Codes as objects: the registry, user codes from Python, additivity for every code, and search bounds.

A test-only code (:class:`HeavyTablesCode`) is added here in one class, as
docs/architecture.md's "How to add a code" says: exact search under it must
equal brute force over every DAG, which only holds if its pruning bound
(:meth:`kdsl.Code.table_parameter_floor`) is a true bound.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import all_dags, spec_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl import codes
from kdsl._registry import Registry
from kdsl.codes import registry
from kdsl.codes.base import _FORMULA_SYMBOLS
from kdsl.language.check import check
from kdsl.language.model import Hypothesis, Mechanism, Template
from kdsl.lengths.score import mechanism_profile, program_profile, reuse_profiles
from kdsl.mechanisms import tables
from kdsl.search.exact import exact_best, k_best
from kdsl.search.local import local_scores

NmlCode = type(kdsl.get_code("nml"))


class HeavyTablesCode(NmlCode):
    """A deliberately unusual code: 40 bits more per free table entry, 3 bits per parent, selection sent as 3 l + 2,
    and each slot named directly."""

    name = "heavy"
    description = "test only: nml plus 40 bits per free table entry"
    selection_kind = "direct selection"
    PER_ENTRY = 40.0

    def wrap_selection(self, l):  # noqa: E741
        return 3 * codes.formulas._as_expr(l, "l") + 2

    def slot_selection_bits(self, N, M, k):  # noqa: N803
        return codes.direct_selection_bits(N, M)

    def structure_bits(self, d, p):
        return 3 * codes.formulas._as_expr(p, "p")

    def table_parameter_bits(self, pooled, rows):
        free = (pooled.shape[2] - 1) * pooled.shape[1]
        return super().table_parameter_bits(pooled, rows) + self.PER_ENTRY * free

    def table_parameter_floor(self, values, configurations, min_rows):
        return self.PER_ENTRY * (values - 1) * configurations


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch):
    """Every test here registers into a copy of the registry, so no test code leaks into other tests."""
    codes_now = Registry("code", KeyError)
    codes_now.update(registry.CODES)
    monkeypatch.setattr(registry, "CODES", codes_now)


def every_code() -> list[str]:
    """Every registered code's name, and the test-only one (registered by the tests that use it)."""
    return [*registry.code_names(), HeavyTablesCode.name]


def registered(name: str) -> kdsl.Code:
    if name not in registry.code_names():
        kdsl.register_code(HeavyTablesCode())
    return kdsl.get_code(name)


def program_rows(result: kdsl.Result) -> list[tuple]:
    return [(p.name, p.total_bits, p.model_bits, p.data_bits, p.k, sorted(p.edges), sorted(p.shifts.items()))
            for p in result.programs]


# ---------------------------------------------------------------------- the registry
def test_a_subclass_of_bic_registered_under_a_new_name_gives_bit_identical_programs():
    class MyBic(type(kdsl.get_code("bic"))):
        name = "mybic"

    kdsl.register_code(MyBic())
    text = (
        "var A in 0..2\nvar B in 0..1\nvar C in 0..1\n"
        "simulate envs e0..e2 n 60 seed 4 {\n    A ~ categorical(0.2, 0.3, 0.5)\n"
        "    B ~ bernoulli(0.2 + 0.2 * env)\n    C ~ bernoulli(0.1 + 0.4 * B)\n}\n"
        "mechanism coin(B) = bernoulli(t) where t in {0.2, 0.4, 0.6}\n"
        "hypothesis slots {\n    A ~ table\n    B ~ coin\n    C ~ table(B)\n}\n"
        "search {\n    top 3\n}\n")
    mine = kdsl.solve(text + "code mybic\n")
    theirs = kdsl.solve(text + "code bic\n")
    assert mine.code == "mybic" and theirs.code == "bic"
    assert program_rows(mine) == program_rows(theirs)
    assert [p.formula for p in mine.programs] == [p.formula for p in theirs.programs]
    assert mine.runner_up.why_no_level == "mybic is not a code length"  # inherited: no probability reading


def test_a_name_is_registered_once_unless_replaced():
    code = HeavyTablesCode()
    assert kdsl.register_code(code) is code
    with pytest.raises(ValueError, match=r"a code named 'heavy' is already registered \(replace=True replaces it\)"):
        kdsl.register_code(HeavyTablesCode())
    kdsl.register_code(HeavyTablesCode(), replace=True)
    with pytest.raises(ValueError, match="already registered"):
        kdsl.register_code(kdsl.get_code("paper"))
    with pytest.raises(TypeError, match="kdsl.Code instance"):
        kdsl.register_code(HeavyTablesCode)
    with pytest.raises(KeyError, match=r"unknown code 'bdeu' \(registered: paper, direct, bic, nml, heavy\)"):
        kdsl.get_code("bdeu")


def test_an_unknown_code_in_a_spec_is_a_located_error_listing_the_registered_codes():
    kdsl.register_code(HeavyTablesCode())
    with pytest.raises(kdsl.SpecError) as err:
        check(kdsl.parse("var X in 0..1\ncode heavvy\n"))
    e = err.value
    assert (e.line, e.column) == (2, 6)
    assert e.message == "unknown code 'heavvy'; use paper, direct, bic, nml, heavy; did you mean 'heavy'?"
    with pytest.raises(kdsl.SpecError) as err:
        check(kdsl.parse("var X in 0..1\ncode heavy(precision = 3)\n"))
    assert err.value.message == "code heavy takes no options; unknown option 'precision'"
    assert (err.value.line, err.value.column) == (2, 12)


def test_code_options_are_read_by_the_code_and_carried_on_the_model():
    model = check(kdsl.parse("var X in 0..1\ncode paper(precision = 12)\n"))
    assert model.code == kdsl.get_code("paper").with_options(precision=12) != kdsl.get_code("paper")
    assert model.code.precision == 12 and model.code.source() == "code paper(precision = 12)"
    with pytest.raises(kdsl.SpecError, match="precision is a whole number of bits from 1 to 52") as err:
        check(kdsl.parse("var X in 0..1\ncode paper(precision = 2.5)\n"))
    assert (err.value.line, err.value.column) == (2, 24)
    assert check(kdsl.parse("var X in 0..1\n")).code is kdsl.get_code(registry.DEFAULT_CODE)


# ---------------------------------------------------------------------- one source per formula
@pytest.mark.parametrize("name", every_code())
@settings(max_examples=25, deadline=None)
@given(values=st.tuples(st.integers(1, 60), st.integers(1, 60), st.integers(1, 60)))
def test_every_compiled_formula_equals_its_sympy_expression(name, values):
    code = registered(name)
    for formula, symbols in _FORMULA_SYMBOLS.items():
        args = values[:len(symbols)]
        if formula == "structure_bits":
            args = (args[0], args[1] % args[0])  # p parents among d variables: 0 <= p < d
        exact = codes.evaluate(getattr(code, formula)(*args), {})
        assert code.bits(formula, *args) == pytest.approx(exact, rel=1e-12, abs=1e-12), (formula, args)


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.lists(st.lists(st.integers(0, 40), min_size=2, max_size=4), min_size=1, max_size=3),
                       min_size=1, max_size=3).filter(lambda c: len({len(row) for g in c for row in g}) == 1
                                                      and len({len(g) for g in c}) == 1))
def test_table_parameter_fast_paths_equal_the_formulas(counts):
    pooled = np.array(counts, dtype=float)
    rows = pooled.reshape(len(pooled), -1).sum(-1)
    g, j, values = pooled.shape
    free = (values - 1) * j
    for precision in (3, 8):
        paper = kdsl.get_code("paper").with_options(precision=precision)
        assert paper.table_parameter_bits(pooled, rows).tolist() == [float(codes.paper_table_bits(free, precision))] * g
    bic = kdsl.get_code("bic").table_parameter_bits(pooled, rows)
    for r, bits in zip(rows, bic):
        assert bits == pytest.approx(codes.evaluate(codes.bic_table_bits(free, max(r, 1)), {}), rel=1e-12, abs=1e-12)
    nml = kdsl.get_code("nml").table_parameter_bits(pooled, rows)
    for table, bits in zip(pooled, nml):
        exact = math.fsum(codes.log2_multinomial_complexity(values, int(n)) for n in table.sum(-1))
        assert bits == pytest.approx(exact, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------- additivity, for every code
def additivity_spec(code: str, seed: int, n_env: int) -> str:
    return (f"var A in 0..2\nvar B in 0..1\nvar C in 0..1\nvar D in 0..1\nvar R real step 0.1\n"
            f"symmetry s on {{C, D}} = permute\n"
            f"simulate envs e0..e{n_env - 1} n 40 seed {seed} {{\n    A ~ categorical(0.2, 0.3, 0.5)\n"
            f"    B ~ bernoulli(0.2 + 0.15 * env)\n    C ~ bernoulli(0.1 + 0.6 * B)\n"
            f"    D ~ bernoulli(0.1 + 0.6 * B)\n    R ~ normal(2 * B + 0.3 * env, 1)\n}}\n"
            f"mechanism coin(B) = bernoulli(t) where t in {{0.2, 0.4, 0.6}}\n"
            f"hypothesis one {{\n    A ~ table\n    B ~ coin\n    C ~ table(B)\n    D ~ table(B)\n    R ~ linear(B)\n}}\n"
            f"hypothesis two {{\n    A ~ table(B)\n    B ~ coin\n    C ~ table(B)\n    D ~ table(A, B)\n"
            f"    R ~ linear(B)\n}}\n"
            f"hypothesis three {{\n    A ~ table\n    B ~ table\n    C ~ table(B) / s\n    D ~ table(B) / s\n"
            f"    R ~ normal\n}}\n"
            f"code {code}\n")


@pytest.mark.parametrize("name", every_code())
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_env=st.integers(1, 4))
def test_a_programs_length_is_the_sum_of_its_variables_own_lengths_plus_constants(name, seed, n_env):
    """Each variable's shortest length depends only on its own parents, mechanism and grouping (computed alone,
    without the rest of the program); the program's length is their sum plus the code's program-level bits."""
    code = registered(name)
    bound = kdsl.load(additivity_spec(name, seed, n_env))
    weight = code.selection_weight
    own: dict[tuple, float] = {}
    for hyp in bound.model.hypotheses.values():
        profile = program_profile(bound, hyp)
        reused = [m for m in hyp.mechanisms if m.template.kind == "reuse"]
        alone = {p.var: p for p in reuse_profiles(bound, reused)} if reused else {}
        total = code.constant_bits
        for mech in hyp.mechanisms:
            if mech.template.kind == "reuse":
                continue
            prof = mechanism_profile(bound, mech)  # this variable alone
            bits = min(c.local_bits(weight) for c in prof.best.values()) + prof.structure_bits
            key = (mech.var, mech.template, mech.parents)
            assert own.setdefault(key, bits) == bits  # the same in every program using it
            total += bits
        if alone:
            total += min(sum(p.best[k].local_bits(weight) for p in alone.values()) for k in next(iter(alone.values())).best)
            total += sum(p.structure_bits for p in alone.values())
        assert profile.by_k[profile.best_k()][0] == pytest.approx(total, rel=1e-12, abs=1e-9), hyp.name


# ---------------------------------------------------------------------- search bounds come from the code
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(2, 3), min_size=2, max_size=4), n_env=st.integers(1, 3),
       rows=st.integers(5, 60), seed=st.integers(0, 10_000))
def test_exact_search_under_an_unusual_code_equals_brute_force_over_all_dags(sizes, n_env, rows, seed):
    code = registered(HeavyTablesCode.name)
    d = len(sizes)
    text, data, names = spec_text(sizes, n_env, rows, seed, d - 1, code.name)
    bound = kdsl.load(text, data=data)
    assert bound.model.code == code
    local = local_scores(bound, bound.model.search, top=3)
    cache: dict = {}
    totals = []
    span = bound.model.search.span
    for dag in all_dags(d, d - 1):
        hyp = Hypothesis("h", tuple(Mechanism(names[v], Template(None, names[v], tuple(
            names[u] for u in range(d) if dag[v] >> u & 1), "table", span=span), False, span) for v in range(d)), span)
        prof = program_profile(bound, hyp, cache)
        totals.append(prof.by_k[prof.best_k()][0])
    totals.sort()
    best_bits, _, _ = exact_best(local)
    assert best_bits + code.constant_bits == pytest.approx(totals[0], abs=1e-7)
    assert [round(p.bits + code.constant_bits, 6) for p in k_best(local, 3)] == [round(t, 6) for t in totals[:3]]


def test_the_unusual_codes_bound_is_the_one_search_prunes_with():
    """Parameter bits at least the code's floor, for every table shape: the promise pruning rests on."""
    code = registered(HeavyTablesCode.name)
    rng = np.random.default_rng(3)
    for values, configurations in itertools.product((2, 3, 4), (1, 2, 6)):
        pooled = rng.integers(0, 5, size=(4, configurations, values)).astype(float)
        rows = pooled.reshape(4, -1).sum(-1)
        _, param, _ = tables.group_costs(pooled, code)
        assert (param >= code.table_parameter_floor(values, configurations, int(rows.min()))).all()


@pytest.mark.parametrize("name", every_code())
@pytest.mark.parametrize(("n_env", "size"), [(1, 1), (2, 2), (3, 5), (6, 4), (10, 18)])
def test_every_prefix_code_names_a_slots_selection_within_kraft(name, n_env, size):
    """Over all M**N selections (C(M, k) k! S(N, k) of them use k candidates), a one-slot program's selection bits
    as the code sends them sum to at most 1; a code that is no prefix code (bic) says so instead."""
    code = registered(name)
    total = math.fsum(
        2.0 ** (codes.formulas._ln_binomial_scalar(size, k) / math.log(2) + math.log2(math.factorial(k))
                + codes.log2_stirling2(n_env, k) - float(code.wrap_selection(code.bits("slot_selection_bits", n_env,
                                                                                       size, k))))
        for k in range(1, min(n_env, size) + 1))
    assert total <= 1 + 1e-12 or not code.is_prefix_code
