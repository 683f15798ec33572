"""Structure search: exact against brute force, consistent with hand-written hypotheses."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL_SPECS, all_dags, spec_text, table_hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.errors import BudgetError
from kdsl.language.model import Hypothesis, Mechanism, Template
from kdsl.lengths.score import program_profile
from kdsl.present.render import solve_text
from kdsl.search.exact import exact_best, k_best
from kdsl.search.greedy import greedy
from kdsl.search.local import EdgeRules, local_scores

ROOT = Path(__file__).resolve().parent.parent


def hypothesis_for(bound, parents: tuple[int, ...], names: list[str], outcome_local) -> Hypothesis:
    mechanisms = []
    for v, var in enumerate(names):
        template = outcome_local.entries[v][parents[v]][1]
        mechanisms.append(Mechanism(var, template, False, bound.model.search.span))
    return Hypothesis("brute", tuple(mechanisms), bound.model.search.span)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SMALL_SPECS, code=st.sampled_from(["paper", "bic", "nml"]))
def test_exact_search_equals_brute_force_over_all_dags(sizes, n_env, rows, seed, code):
    d = len(sizes)
    max_parents = d - 1
    text, data, names = spec_text(sizes, n_env, rows, seed, max_parents, code)
    bound = kdsl.load(text, data=data)
    local = local_scores(bound, bound.model.search, top=3)
    # brute force through the full scoring path of hand-written programs
    cache: dict = {}
    totals = []
    for dag in all_dags(d, max_parents):
        hyp = table_hypothesis(bound, names, dag)
        prof = program_profile(bound, hyp, cache)
        totals.append((prof.by_k[prof.best_k()][0], dag))
    totals.sort()
    best_bits, best_parents, reused = exact_best(local)
    assert reused == ()
    constant = 1.0 if code == "paper" else 0.0
    assert best_bits + constant == pytest.approx(totals[0][0], abs=1e-7)
    top = k_best(local, 3)
    assert [round(p.bits + constant, 6) for p in top] == [round(t, 6) for t, _ in totals[:3]]
    # the greedy heuristic is never better than the optimum
    g_bits = greedy(local).bits
    assert g_bits >= best_bits - 1e-9


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SMALL_SPECS, code=st.sampled_from(["paper", "bic", "nml"]), rule_seed=st.integers(0, 10_000))
def test_search_under_edge_rules_equals_brute_force_over_the_dags_they_allow(sizes, n_env, rows, seed, code, rule_seed):
    d = len(sizes)
    text, data, names = spec_text(sizes, n_env, rows, seed, d - 1, code)
    bound = kdsl.load(text, data=data)
    rng = np.random.default_rng(rule_seed)
    forbidden = tuple(int(rng.integers(0, 1 << d)) & ~(1 << v) for v in range(d))
    required = tuple(int(rng.integers(0, 1 << d)) & ~(1 << v) & ~forbidden[v] & int(rng.integers(0, 1 << d)) for v in range(d))
    rules = EdgeRules(forbidden, required)
    local = local_scores(bound, bound.model.search, top=3, rules=rules)
    full = local_scores(bound, bound.model.search, top=1 << d)  # every parent set, none pruned
    totals = sorted((sum(full.best(v, dag[v]) for v in range(d)), dag) for dag in all_dags(d, d - 1)
                    if all(rules.allows(v, dag[v]) for v in range(d)))
    best = exact_best(local)
    if not totals:  # the rules allow no DAG (a required cycle)
        assert not math.isfinite(best.bits)
        return
    assert best.bits == pytest.approx(totals[0][0], abs=1e-7)
    assert all(rules.allows(v, best.parents[v]) for v in range(d))
    top = k_best(local, 3)
    assert [round(p.bits, 6) for p in top] == [round(t, 6) for t, _ in totals[:3]]
    g = greedy(local)
    assert g.bits >= best.bits - 1e-9
    if math.isfinite(g.bits):
        assert all(rules.allows(v, g.parents[v]) for v in range(d))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(2, 3),
    others=st.lists(st.integers(2, 3), min_size=1, max_size=2),
    group=st.integers(2, 3),
    n_env=st.integers(1, 3),
    rows=st.integers(5, 40),
    seed=st.integers(0, 10_000),
    code=st.sampled_from(["paper", "bic", "nml"]),
)
def test_search_with_reuse_equals_brute_force_over_dags_and_reuse_classes(size, others, group, n_env, rows, seed, code):
    # the first `group` variables share a domain and a permute symmetry; every program is a DAG plus,
    # optionally, one reuse class (two or more of them with equal parents), scored as a hand-written hypothesis
    sizes = [size] * group + others[: 4 - group]  # at most 4 variables: 543 DAGs, each with its reuse options
    d = len(sizes)
    text, data, names = spec_text(sizes, n_env, rows, seed, d - 1, code)
    members = names[:group]
    text = text.replace("search {\n", f"symmetry swap on {{{', '.join(members)}}} = permute\nsearch {{\n    symmetries swap\n")
    bound = kdsl.load(text, data=data)
    local = local_scores(bound, bound.model.search, top=3)
    span = bound.model.search.span
    cache: dict = {}
    totals = []
    for dag in all_dags(d, d - 1):
        options = [()]
        for r in range(2, group + 1):
            options += [c for c in itertools.combinations(range(group), r) if len({dag[v] for v in c}) == 1]
        for reused in options:
            mechanisms = []
            for v in range(d):
                parents = tuple(names[u] for u in range(d) if dag[v] >> u & 1)
                kind, symmetry = ("reuse", "swap") if v in reused else ("table", None)
                mechanisms.append(Mechanism(names[v], Template(None, names[v], parents, kind, symmetry=symmetry, span=span),
                                                 False, span))
            prof = program_profile(bound, Hypothesis("h", tuple(mechanisms), span), cache)
            totals.append(prof.by_k[prof.best_k()][0])
    totals.sort()
    constant = 1.0 if code == "paper" else 0.0
    best = exact_best(local)
    assert best.bits + constant == pytest.approx(totals[0], abs=1e-7)
    top = k_best(local, 3)
    assert [round(p.bits + constant, 6) for p in top] == [round(t, 6) for t in totals[:3]]
    assert greedy(local).bits >= best.bits - 1e-9
    # the search's best program, scored as a hypothesis, has the length the search found
    result = kdsl.solve(text, data=data)
    assert result.program("search-1").total_bits == pytest.approx(totals[0], abs=1e-7)


def test_top_n_keeps_programs_whose_parent_sets_pruning_would_drop_for_the_best():
    # 15 rows of 3 binary variables under `paper`: a two-parent table (80 parameter bits) can never be
    # the best choice, so the search for the best skips every two-parent set; the top 20 of the 25 DAGs
    # include four with one, so the top-N search must keep them
    d = 3
    text, data, names = spec_text([2, 2, 2], 1, 15, 0, 2, "paper", top=20)
    bound = kdsl.load(text, data=data)
    span = bound.model.search.span
    cache: dict = {}
    totals = []
    for dag in all_dags(d, 2):
        hyp = Hypothesis("h", tuple(
            Mechanism(names[v], Template(None, names[v], tuple(names[u] for u in range(d) if dag[v] >> u & 1), "table",
                                         span=span), False, span) for v in range(d)), span)
        prof = program_profile(bound, hyp, cache)
        totals.append(prof.by_k[prof.best_k()][0])
    totals.sort()
    assert len(k_best(local_scores(bound, bound.model.search, top=1), 20)) < 20  # what pruning for the best leaves
    found = [p.total_bits for p in kdsl.solve(text, data=data).programs]
    assert found == pytest.approx(totals[:20], abs=1e-7)


def test_search_finds_planted_reuse_and_not_where_the_mechanisms_differ():
    def spec(p2: str) -> str:
        return f"""
var Y in 0..2
var X1 in 0..3
var X2 in 0..3
symmetry swap on {{X1, X2}} = permute
simulate envs e0..e2 n 400 seed 3 {{
    Y ~ categorical(0.2, 0.5, 0.3)
    X1 ~ binomial(3, 0.2 + 0.3 * Y)
    X2 ~ binomial(3, {p2})
}}
search {{
    graphs max_parents 1
    symmetries swap
    top 1
}}
"""
    same = kdsl.solve(spec("0.2 + 0.3 * Y")).to_dict()
    best = same["programs"][0]
    assert sorted(best["edges"]) == [["Y", "X1"], ["Y", "X2"]]
    assert best["mechanisms"]["X2"]["reuse"] == {"symmetry": "swap", "stored_by": "X1", "shared_by": ["X1", "X2"],
                                                 "reference_bits": 1.0}
    assert {"var": "X2", "symmetry": "swap", "use": "reuse"} in best["symmetries"]
    different = kdsl.solve(spec("0.9 - 0.3 * Y")).to_dict()["programs"][0]
    # no environment changes anything here, so the directions are not identified; the skeleton is
    assert {frozenset(e) for e in different["edges"]} == {frozenset(("Y", "X1")), frozenset(("Y", "X2"))}
    assert "reuse" not in different["mechanisms"]["X2"] and different["symmetries"] == []


def test_too_many_reuse_combinations_are_refused_before_the_search():
    names = [f"V{i}" for i in range(9)]
    lines = [f"var {n} in 0..1" for n in names]
    lines.append(f"symmetry s on {{{', '.join(names)}}} = permute")
    lines.append("simulate env a n 10 seed 1 {\n" + "\n".join(f"    {n} ~ bernoulli(0.5)" for n in names) + "\n}")
    lines.append("search {\n    graphs max_parents 1\n    symmetries s\n}")
    with pytest.raises(BudgetError, match=r"502 combinations of reuse classes .* over the budget of 256"):
        kdsl.solve("\n".join(lines))


def test_search_reproduces_the_hand_written_hypothesis_bit_for_bit():
    text = (ROOT / "examples" / "discovery.kdsl").read_text()
    found = kdsl.solve(ROOT / "examples" / "discovery.kdsl").program("search-1")
    parents: dict[str, list[str]] = {}
    for a, b in found.edges:
        parents.setdefault(b, []).append(a)
    names = ["season", "rain", "sprinkler", "wet", "slippery", "falls"]
    lines = [f"    {v} ~ table({', '.join(parents[v])})" if v in parents else f"    {v} ~ table" for v in names]
    spec = text.replace("search {", "hypothesis written {\n" + "\n".join(lines) + "\n}\nsearch {")
    spec = spec.replace("top 3", "top 1")
    result = kdsl.solve(spec, filename=str(ROOT / "examples" / "discovery.kdsl"))
    written = result.program("written")
    assert written.total_bits == found.total_bits  # the same floating-point number, not merely close
    # the very same program, labelled as such rather than reported as a tie
    assert written.same_as == "search-1" and result.ties == ("search-1",)
    assert "written = search-1" in solve_text(result)


def test_discovery_recovers_the_planted_graph_and_targets():
    result = kdsl.solve(ROOT / "examples" / "discovery.kdsl")
    truth = {("season", "rain"), ("season", "sprinkler"), ("rain", "wet"), ("sprinkler", "wet"),
             ("wet", "slippery"), ("slippery", "falls")}
    best = result.program(result.best)
    assert set(best.edges) == truth
    assert set(result.causes) == truth
    targets = {v: groups for v, groups in best.shifts.items() if len(groups) > 1}
    assert set(targets) == {"rain", "sprinkler", "slippery", "falls"}
    assert ["drought"] in targets["rain"]
    assert ["broken_sprinkler"] in targets["sprinkler"]
    assert ["mats"] in targets["slippery"] and ["mats"] in targets["falls"]
    assert result.search["proven"] is True


def test_search_is_deterministic():
    first = kdsl.solve(ROOT / "examples" / "discovery.kdsl").to_dict()
    second = kdsl.solve(ROOT / "examples" / "discovery.kdsl").to_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_oversize_search_is_refused_with_its_size_and_options():
    variables = "\n".join(f"var X{i} in 0..1" for i in range(30))
    spec = variables + "\nenv a from frame\nsearch {\n    graphs\n}\n"
    frame = {f"X{i}": [0, 1] for i in range(30)}
    with pytest.raises(BudgetError) as err:
        kdsl.solve(spec, data={"a": frame, "frame": frame}, filename="big.kdsl")
    message = str(err.value)
    assert message.startswith("big.kdsl:32:1: this search would score 16,106,127,360 (variable, parent set) pairs")
    assert "max_parents" in message


def test_oversize_search_through_the_cli_exits_2(tmp_path):
    variables = "\n".join(f"var X{i} in 0..1" for i in range(30))
    (tmp_path / "big.kdsl").write_text(variables + '\nenv a from "a.csv"\nsearch {\n    graphs\n}\n')
    (tmp_path / "a.csv").write_text(",".join(f"X{i}" for i in range(30)) + "\n" + ",".join("0" * 30) + "\n")
    run = subprocess.run([sys.executable, "-m", "kdsl.cli", "solve", str(tmp_path / "big.kdsl")], capture_output=True,
                         text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert ":32:1: this search would score" in run.stderr


def test_time_limit_returns_best_so_far_marked_not_proven():
    result = kdsl.solve(ROOT / "examples" / "discovery.kdsl")
    assert result.search["proven"]
    from kdsl.api import load
    from kdsl.verdict.solver import solve_bound

    limited = solve_bound(load(ROOT / "examples" / "discovery.kdsl"), time_limit=1e-6)
    assert limited.search["proven"] is False
    assert limited.best is not None and math.isfinite(limited.program(limited.best).total_bits)


def test_invariant_table_found_by_search_when_it_is_shorter():
    spec = (ROOT / "examples" / "symmetry.kdsl").read_text()
    result = kdsl.solve(spec)
    best = result.program(result.best)
    assert best.edges == (("X", "Y"),)
    assert best.symmetries == ({"var": "Y", "symmetry": "mirror", "use": "invariance"},)


def test_progress_callback_is_called():
    calls = []
    from kdsl.api import load
    from kdsl.verdict.solver import solve_bound

    solve_bound(load(ROOT / "examples" / "discovery.kdsl"), progress=lambda *a: calls.append(a))
    stages = {c[0] for c in calls}
    assert "local scores" in stages
    assert all(0 <= done <= total for _, done, total in calls)


def test_a_stop_request_keeps_the_best_program_so_far():
    from kdsl.api import load
    from kdsl.search.local import StopSearch
    from kdsl.verdict.solver import solve_bound

    calls = []

    def stop_after_a_while(stage, done, total):
        calls.append(stage)
        if len(calls) > 2:
            raise StopSearch

    result = solve_bound(load(ROOT / "examples" / "discovery.kdsl"), progress=stop_after_a_while)
    assert result.search["proven"] is False
    assert "stopped" in result.search["method"]
    assert result.best is not None and math.isfinite(result.program(result.best).total_bits)


def test_causes_drop_directions_an_unreported_equal_length_dag_reverses():
    # under bic the two directions of a single edge are Markov equivalent and exactly as long
    spec = """
var A in 0..1
var B in 0..1
simulate env a n 500 seed 3 {
    A ~ bernoulli(0.3)
    B ~ bernoulli(0.2 + 0.6 * A)
}
search {
    graphs max_parents 1
    top 1
}
code bic
"""
    result = kdsl.solve(spec)
    assert len(result.program("search-1").edges) == 1
    assert result.causes == ()
    assert any("2 DAGs of equal length" in n for n in result.notes)
    both = kdsl.solve(spec.replace("top 1", "top 2"))
    assert both.causes == () and len(both.ties) == 2


def test_causes_keep_directions_the_shifts_identify():
    result = kdsl.solve(ROOT / "examples" / "discovery.kdsl")
    assert ("season", "rain") in result.causes  # reversible in the equivalence class, fixed by the regimes


def test_search_beyond_the_memory_budget_says_both_sizes_in_gib():
    names = [f"X{i}" for i in range(26)]
    spec = "\n".join(f"var {n} in 0..1" for n in names) + "\nenv a from frame\nsearch {\n    graphs max_parents 1\n}\n"
    frame = {n: [0, 1, 1, 0] for n in names}
    bound = kdsl.load(spec, data={"frame": frame})
    result = kdsl.solve(spec, data={"frame": frame})
    # beyond the DP's budget; the kept parent sets (none: no parent shortens a variable here) split it into parts
    assert result.search["method"] == "exact dynamic program" and "26 independent parts" in result.search["why"]
    from kdsl.search.run import estimate
    needed = estimate(bound.model, bound.model.search)["dp_bytes"]
    assert f"needs {needed / 2**30:.1f} GiB, over the 4.0 GiB budget" in result.search["why"]


def test_estimate_counts_the_dynamic_program_tables_over_the_other_variables():
    from kdsl.search.exact import _dp_bytes
    # one float64 cell per (variable, set of the other variables) and per (reuse class, set of the rest)
    assert _dp_bytes(10, [3]) - _dp_bytes(10, []) == 8 * 2**7
    assert _dp_bytes(20, []) > 8 * 20 * 2**19


def test_ctrl_c_while_scoring_keeps_the_scores_in_and_reports_a_program_over_them():
    """A KeyboardInterrupt raised while a parent set is scored (not only in a progress report) ends the scoring;
    the search reports greedy's program over the parent sets scored so far, marked not proven."""
    from kdsl.search.local import score_parent_set
    from kdsl.search.run import search

    text, data, names = spec_text([2, 3, 2, 2, 3], 2, 200, 5, 2)
    bound = kdsl.load(text, data=data)
    scored = []

    def interrupted_scorer(bound, spec, items):
        cache: dict = {}
        for v_index, parents in items:
            if len(scored) == 12:
                raise KeyboardInterrupt
            scored.append(parents)
            yield score_parent_set(bound, spec, v_index, parents, cache)

    outcome = search(bound, scorer=interrupted_scorer)
    assert len(scored) == 12 and not outcome.local.complete
    assert outcome.method == "greedy (stopped while scoring)" and not outcome.proven
    (program,) = outcome.programs
    assert program == greedy(outcome.local)  # hill climbing over the scored sets, not only the empty graph
    assert math.isfinite(program.bits)
    allowed = {(v, mask) for v, entries in enumerate(outcome.local.entries) for mask in entries}
    assert all((v, mask) in allowed for v, mask in program.parents.items())

    def interrupt(bound, spec, items):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # in the empty sets' layer there is nothing to report yet
        search(bound, scorer=interrupt)


def test_notes_accumulate():
    from kdsl.search.run import _add_note

    stats: dict = {}
    _add_note(stats, "first")
    _add_note(stats, "second")
    assert stats["note"] == "first; second"


@pytest.mark.parametrize("method", ["dp", "milp", "greedy"])
def test_a_search_note_reaches_the_result_under_every_method(method):
    # a permute symmetry on real variables is not searched, and the search says so whichever method runs
    result = kdsl.solve(f"""
var A in 0..1
var X real
var Y real
symmetry s on {{X, Y}} = permute
simulate env a n 40 seed 1 {{
    A ~ bernoulli(0.5)
    X ~ normal(A, 1)
    Y ~ normal(X, 1)
}}
search {{
    graphs max_parents 1
    symmetries s
    method {method}
}}
""")
    note = result.search["note"]
    assert note.startswith("permute symmetries on real variables (s) are not searched")
    assert note in result.notes
