"""Free regressions fitted many parent sets at once give each parent set's lengths bit for bit as fitted alone."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.language.model import Mechanism, Template
from kdsl.lengths.score import mechanism_profile, regression_profiles
from kdsl.search.local import local_scores, score_parent_set

CODES = ("bic", "nml", "paper", "direct")
#: How a real column is made: independent noise, a copy of the first column (collinear parents), a constant,
#: an exact linear function of the first (a fit with no residual), or values 1e300 times larger.
COLUMN_KINDS = ("noise", "copy", "constant", "exact", "huge")


def _data(rng: np.random.Generator, kinds: list[str], labelled: bool, n_env: int, rows: list[int]) -> dict:
    total = sum(rows)
    first = np.round(rng.normal(0, 1, total), 2)
    cols = {}
    for i, kind in enumerate(kinds):
        if i == 0 or kind == "noise":
            values = first if i == 0 else np.round(0.7 * first + rng.normal(0, 1, total), 2)
        else:
            values = {"copy": first.copy(), "constant": np.full(total, 2.5), "exact": 3 * first - 1,
                      "huge": np.round(rng.normal(0, 1, total), 2) * 1e300}[kind]
        cols[f"R{i}"] = values
    cols["D"] = rng.integers(0, 3, total)  # a numeric discrete parent: enters by its value
    if labelled:
        cols["K"] = np.array(["lo", "mid", "hi"])[rng.integers(0, 3, total)]  # by indicator columns
    cols["e"] = np.repeat([f"e{i}" for i in range(n_env)], rows)
    return cols


def _spec(kinds: list[str], labelled: bool, code: str, fixed: bool, targets: bool) -> str:
    lines = [f"var R{i} real step 0.01" for i in range(len(kinds))] + ["var D in 0..2"]
    if labelled:
        lines.append("var K in {lo, mid, hi}")
    lines.append("envs from f by e")
    search = ["search {", " graphs max_parents 3", " classes linear, poly, histogram", " fixed" if fixed else " shifts"]
    if targets:
        search.append(" targets e0: none")
    lines += [*search, "}", f"code {code}"]
    return "\n".join(lines)


def _templates(bound: kdsl.BoundModel, child: str) -> list[Template]:
    at = bound.model.variables[child].span
    others = [v for v in bound.model.variables if v != child]
    out = [Template(None, child, (), "regression", family=f, span=at) for f in ("normal", "histogram")]
    for size in (1, 2, 3):
        for parents in itertools.combinations(others, size):
            out.append(Template(None, child, parents, "regression", family="linear", span=at))
            out += [Template(None, child, parents, "regression", family="poly", degree=d, span=at) for d in (2, 3)]
            # a search's choice among noise models, and residuals coded by a histogram (fitted one by one)
            out.append(Template(None, child, parents, "regression", family="poly", degree=2, span=at, choices=2))
            if size < 3:
                out += [Template(None, child, parents, "regression", family=f, degree=d, span=at, noise="histogram",
                                 choices=2) for f, d in (("linear", 0), ("poly", 2))]
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(COLUMN_KINDS), min_size=2, max_size=3), labelled=st.booleans(),
       n_env=st.integers(1, 4), rows=st.lists(st.integers(1, 25), min_size=4, max_size=4),
       code=st.sampled_from(CODES), fixed=st.booleans(), targets=st.booleans(), seed=st.integers(0, 10_000))
def test_regressions_profiled_together_equal_each_alone(kinds, labelled, n_env, rows, code, fixed, targets, seed):
    """Linear and polynomial regressions of every parent set up to 3 (real, numeric and labelled parents), with
    Gaussian or histogram noise, roots' normal and histogram, over 1-4 environments of 1-25 rows (so often more columns than rows),
    with collinear, duplicated, constant, exactly fitted and 1e300-scaled columns, under every code, fixed or
    shifting, with and without declared targets: the batch's profiles are the one-at-a-time profiles,
    compared with ``==`` (every float bit for bit), with and without the least data bits."""
    rng = np.random.default_rng(seed)
    data = _data(rng, kinds, labelled, n_env, rows[:n_env])
    bound = kdsl.load(_spec(kinds, labelled, code, fixed, targets and n_env > 1), data={"f": data})
    at = bound.model.variables["R0"].span
    mechs = [Mechanism(t.child, t, fixed, at) for child in (f"R{i}" for i in range(len(kinds)))
             for t in _templates(bound, child)]
    for with_min_data in (False, True):
        together = regression_profiles(bound, mechs, with_min_data)
        for mech, profile in zip(mechs, together):
            alone = mechanism_profile(bound, mech, with_min_data)
            assert profile == alone, (mech.template.describe(), with_min_data)


def _one_by_one(bound, spec, items):
    for v_index, parents in items:
        yield score_parent_set(bound, spec, v_index, parents, {})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(COLUMN_KINDS), min_size=2, max_size=3), labelled=st.booleans(),
       n_env=st.integers(1, 3), code=st.sampled_from(CODES), fixed=st.booleans(), seed=st.integers(0, 10_000))
def test_a_search_scores_parent_sets_in_batches_as_one_by_one(kinds, labelled, n_env, code, fixed, seed):
    """The serial scorer's chunks (free regressions profiled together) give every local score bit for bit as
    :func:`score_parent_set` alone with an empty cache."""
    rng = np.random.default_rng(seed)
    data = _data(rng, kinds, labelled, n_env, [12] * n_env)
    bound = kdsl.load(_spec(kinds, labelled, code, fixed, False), data={"f": data})
    spec = bound.model.search
    batched = local_scores(bound, spec)
    alone = local_scores(bound, spec, scorer=_one_by_one)
    assert [{m: (e[0], e[1]) for m, e in row.items()} for row in batched.entries] == [
        {m: (e[0], e[1]) for m, e in row.items()} for row in alone.entries]


def test_many_environments_group_greedily_in_the_batch_as_alone():
    """Beyond the exact grouping's 14 environments each fit is made on demand, block by block, in both paths."""
    rng = np.random.default_rng(5)
    data = _data(rng, ["noise", "copy", "noise"], True, 15, [6] * 15)
    bound = kdsl.load(_spec(["noise", "copy", "noise"], True, "bic", False, False), data={"f": data})
    at = bound.model.variables["R0"].span
    mechs = [Mechanism("R2", Template(None, "R2", p, "regression", family="poly", degree=2, span=at), False, at)
             for p in [("R0",), ("R0", "R1"), ("K", "D"), ("R1", "K")]]
    profiles = regression_profiles(bound, mechs, True)
    assert all(p.method == "greedy merging (heuristic)" for p in profiles)
    assert profiles == [mechanism_profile(bound, m, True) for m in mechs]
