"""The default search method beyond 16 variables, decided on the parent sets kept after exact pruning."""

from __future__ import annotations

import math

import numpy as np
from conftest import spec_text

import kdsl
from kdsl.language.check import check
from kdsl.language.syntax import parse
from kdsl.search.exact import exact_best
from kdsl.search.local import local_scores
from kdsl.search.milp import candidate_sets
from kdsl.search.run import DP_PREFERRED_MAX, MILP_KEPT_PER_VARIABLE, choose_method, estimate, search


def linear_gaussian(d: int, rows: int, seed: int) -> tuple[str, dict]:
    """A random linear-Gaussian DAG over d real variables (at most 2 parents each), recorded to two decimals."""
    rng = np.random.default_rng(seed)
    x = np.zeros((rows, d))
    for i in range(d):
        parents = rng.choice(i, size=min(i, int(rng.integers(0, 3))), replace=False) if i else []
        x[:, i] = sum(rng.uniform(0.5, 1.5) * x[:, p] for p in parents) + rng.normal(0, 1, rows)
    names = [f"X{i}" for i in range(d)]
    spec = "\n".join([*(f"var {n} real step 0.01" for n in names), "env a from d",
                      "search {\n    graphs max_parents 2\n    classes linear\n}", "code bic"])
    return spec, {"d": {n: np.round(x[:, i], 2) for i, n in enumerate(names)}}


def test_real_variables_beyond_16_keep_many_parent_sets_and_the_dynamic_program_proves_the_optimum():
    spec, data = linear_gaussian(DP_PREFERRED_MAX + 2, 100, seed=0)
    bound = kdsl.load(spec, data=data)
    outcome = search(bound)
    local = local_scores(bound, bound.model.search)
    kept = candidate_sets(local).count
    assert kept > MILP_KEPT_PER_VARIABLE * len(local.variables)  # real variables prune few parent sets
    assert outcome.method == "exact dynamic program" and outcome.proven and outcome.gap == 0.0
    why = outcome.stats["why"]
    assert why.startswith(f"18 variables, {kept:,} parent sets kept after exact pruning")
    assert "too many for the integer program" in why and "independent parts" not in why
    assert math.isclose(outcome.programs[0].bits, exact_best(local).bits, rel_tol=1e-12)
    assert outcome.programs[0].bits < sum(local.best(v, 0) for v in range(18))  # edges found: not the empty graph
    # `top 3` beyond 14 variables needs the integer program; with this many kept sets only the best is reported
    three = search(kdsl.load(spec.replace("classes linear", "classes linear\n    top 3"), data=data))
    assert three.method == "exact dynamic program" and len(three.programs) == 1
    assert "top 3 needs at most 14 variables" in three.stats["note"]
    assert math.isclose(three.programs[0].bits, outcome.programs[0].bits, rel_tol=1e-12)


def test_discrete_variables_beyond_16_keep_few_parent_sets_and_the_integer_program_runs():
    text, data, _ = spec_text([3] * 18, 3, 300, seed=1, max_parents=2, code="bic", top=1)
    bound = kdsl.load(text, data=data)
    outcome = search(bound)
    local = local_scores(bound, bound.model.search)
    kept = candidate_sets(local).count
    assert kept <= MILP_KEPT_PER_VARIABLE * 18
    assert outcome.method == "exact integer program (HiGHS)" and outcome.proven
    assert outcome.stats["why"].startswith(f"18 variables, {kept:,} parent sets kept after exact pruning")
    assert "few enough" in outcome.stats["why"]
    assert math.isclose(outcome.programs[0].bits, exact_best(local).bits, rel_tol=1e-9)


def test_the_choice_beyond_16_waits_for_the_kept_parent_sets_where_the_dynamic_program_fits():
    model = check(parse("\n".join(f"var X{i} in 0..1" for i in range(20)) + "\nsearch {\n graphs max_parents 2\n}"))
    size = estimate(model, model.search)
    assert choose_method(model, model.search, size)[0] == "milp"  # provisional, before the local scores
    assert choose_method(model, model.search, size, kept=20 * MILP_KEPT_PER_VARIABLE)[0] == "milp"
    kept = 20 * MILP_KEPT_PER_VARIABLE + 1
    method, why = choose_method(model, model.search, size, kept=kept)
    assert method == "dp" and f"{kept:,} parent sets kept after exact pruning ({kept / 20:.1f} per variable)" in why
    # beyond the memory budget the dynamic program cannot run: the integer program, with a warning when many are kept
    method, why = choose_method(model, model.search, size, memory_budget=size["dp_bytes"] - 1, kept=20 * 100)
    assert method == "milp" and "over the" in why and "(100.0 per variable), more than" in why
    assert "`time_limit`" in why
    method, why = choose_method(model, model.search, size, memory_budget=size["dp_bytes"] - 1, kept=20 * 5)
    assert method == "milp" and "over the" in why and "per variable" not in why
