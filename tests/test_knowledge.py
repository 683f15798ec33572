"""Background knowledge in a search block: forbid, require, tiers and targets, each against brute force."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from conftest import all_dags, set_partitions, spec_text, table_hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.codes import formulas as codes
from kdsl.language.model import Mechanism, Template
from kdsl.lengths.score import mechanism_profile, program_profile, table_local_bits, template_costs
from kdsl.mechanisms import regression, tables
from kdsl.search.exact import exact_best, k_best
from kdsl.search.greedy import greedy
from kdsl.search.local import knowledge_rules, local_scores


def random_knowledge(rng: np.random.Generator, d: int, n_env: int) -> dict:
    """Random forbid, require (acyclic, not forbidden, not against the tiers), tiers and targets."""
    pairs = [(u, v) for u in range(d) for v in range(d) if u != v]
    forbid = [p for p in pairs if rng.random() < 0.2]
    tiers: list[list[int]] = []
    if rng.random() < 0.5:
        tier_of = {v: int(rng.integers(0, 3)) for v in range(d) if rng.random() < 0.7}
        tiers = [sorted(v for v, t in tier_of.items() if t == i) for i in range(3)]
        tiers = [t for t in tiers if t]
    tier = {v: i for i, t in enumerate(tiers) for v in t}
    require: list[tuple[int, int]] = []
    graph = nx.DiGraph()
    graph.add_nodes_from(range(d))
    for u, v in pairs:
        if rng.random() < 0.2 and (u, v) not in forbid and not (u in tier and v in tier and tier[u] > tier[v]):
            graph.add_edge(u, v)
            if nx.is_directed_acyclic_graph(graph):
                require.append((u, v))
            else:
                graph.remove_edge(u, v)
    targets = {e: [v for v in range(d) if rng.random() < 0.4] for e in range(n_env) if rng.random() < 0.6}
    return {"forbid": forbid, "require": require, "tiers": tiers, "targets": targets}


def knowledge_lines(knowledge: dict, names: list[str]) -> str:
    lines = []
    if knowledge["forbid"]:
        lines.append("forbid " + ", ".join(f"{names[u]} -> {names[v]}" for u, v in knowledge["forbid"]))
    if knowledge["require"]:
        lines.append("require " + ", ".join(f"{names[u]} -> {names[v]}" for u, v in knowledge["require"]))
    if len(knowledge["tiers"]) > 1:
        lines.append("tiers " + " < ".join("{" + ", ".join(names[v] for v in t) + "}" for t in knowledge["tiers"]))
    for e, targeted in knowledge["targets"].items():
        lines.append(f"targets e{e}: " + (", ".join(names[v] for v in targeted) if targeted else "none"))
    return "".join(f"    {line}\n" for line in lines)


def allowed(dag: tuple[int, ...], knowledge: dict) -> bool:
    """Whether a DAG obeys the edge knowledge, read straight from the lists (not through EdgeRules)."""
    tiers = knowledge["tiers"] if len(knowledge["tiers"]) > 1 else []
    tier = {v: i for i, t in enumerate(tiers) for v in t}
    for v, pmask in enumerate(dag):
        for u in range(len(dag)):
            if pmask >> u & 1 and ((u, v) in knowledge["forbid"] or (u in tier and v in tier and tier[u] > tier[v])):
                return False
    return all(dag[v] >> u & 1 for u, v in knowledge["require"])


def free_blocks(var: int, knowledge: dict, n_env: int) -> list[list[int]]:
    """The environments that must share var's mechanism (those declaring targets without var), and the rest alone."""
    shared = [e for e, targeted in knowledge["targets"].items() if var not in targeted]
    return ([sorted(shared)] if shared else []) + [[e] for e in range(n_env) if e not in shared]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(2, 3), min_size=3, max_size=4),
    n_env=st.integers(1, 3),
    rows=st.integers(5, 40),
    seed=st.integers(0, 10_000),
    code=st.sampled_from(["paper", "bic", "nml"]),
    knowledge_seed=st.integers(0, 10_000),
)
def test_search_with_knowledge_equals_brute_force_over_the_dags_it_allows(sizes, n_env, rows, seed, code, knowledge_seed):
    d = len(sizes)
    text, data, names = spec_text(sizes, n_env, rows, seed, d - 1, code)
    knowledge = random_knowledge(np.random.default_rng(knowledge_seed), d, n_env)
    text = text.replace("    top 3\n", "    top 3\n" + knowledge_lines(knowledge, names))
    bound = kdsl.load(text, data=data)
    # brute force: every DAG the knowledge allows, scored as a hand-written program (targets merge groupings)
    cache: dict = {}
    totals = []
    for dag in all_dags(d, d - 1):
        if allowed(dag, knowledge):
            prof = program_profile(bound, table_hypothesis(bound, names, dag), cache)
            totals.append(prof.by_k[prof.best_k()][0])
    totals.sort()
    constant = 1.0 if code == "paper" else 0.0
    local = local_scores(bound, bound.model.search, top=3, rules=knowledge_rules(bound.model, bound.model.search))
    best = exact_best(local)
    assert best.bits + constant == pytest.approx(totals[0], abs=1e-7)
    assert [round(p.bits + constant, 6) for p in k_best(local, 3)] == [round(t, 6) for t in totals[:3]]
    g = greedy(local)
    assert g.bits >= best.bits - 1e-9
    assert allowed(tuple(g.parents[v] for v in range(d)), knowledge)
    # the whole path: the reported programs are the brute force's shortest, obey the knowledge, and their
    # groupings keep together the environments declared not to target a variable
    result = kdsl.solve(text, data=data)
    found = [p for p in result.programs if p.name.startswith("search-")]
    assert [round(p.total_bits, 6) for p in found] == [round(t, 6) for t in totals[:3]]
    for program in found:
        assert program.violations == ()
        index = {n: i for i, n in enumerate(names)}
        dag = tuple(sum(1 << index[p] for p, c in program.edges if c == n) for n in names)
        assert allowed(dag, knowledge)
        for v, name in enumerate(names):
            shared = {f"e{e}" for e, targeted in knowledge["targets"].items() if v not in targeted}
            assert any(shared <= set(group) for group in program.shifts[name])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_env=st.integers(2, 4),
    rows=st.integers(5, 30),
    seed=st.integers(0, 10_000),
    code=st.sampled_from(["paper", "bic", "nml"]),
    knowledge_seed=st.integers(0, 10_000),
)
def test_targets_table_grouping_equals_brute_force_over_groupings_of_the_merged_blocks(n_env, rows, seed, code,
                                                                                      knowledge_seed):
    sizes = [2, 3]
    text, data, names = spec_text(sizes, n_env, rows, seed, 1, code)
    knowledge = random_knowledge(np.random.default_rng(knowledge_seed), 2, n_env)
    knowledge.update(forbid=[], require=[], tiers=[])
    text = text.replace("    top 3\n", "    top 3\n" + knowledge_lines(knowledge, names))
    bound = kdsl.load(text, data=data)
    model = bound.model
    weight = kdsl.get_code(code).selection_weight
    mech = Mechanism("V1", Template(None, "V1", ("V0",), "table", span=model.search.span), False, model.search.span)
    counts = tables.count_tables(bound, model.variables["V1"], [model.variables["V0"]])
    blocks = free_blocks(1, knowledge, n_env)
    best = math.inf
    for partition in set_partitions(list(range(n_env))):
        if not all(any(set(b) <= set(g) for g in partition) for b in blocks):
            continue  # splits environments the targets say share V1's mechanism
        data_bits, param_bits, _ = tables.group_costs(np.stack([counts[g].sum(0) for g in partition]),
                                                      model.code)
        grouping = float(codes.evaluate(codes.grouping_bits(len(blocks), len(partition)), {}))
        best = min(best, float(data_bits.sum() + param_bits.sum()) + weight * grouping)
    profile = mechanism_profile(bound, mech)
    assert min(c.local_bits(weight) for c in profile.best.values()) == pytest.approx(best, abs=1e-7)
    assert table_local_bits(bound, mech) - profile.structure_bits == pytest.approx(best, abs=1e-7)
    assert max(profile.best) <= len(blocks)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_env=st.integers(2, 4),
    seed=st.integers(0, 10_000),
    code=st.sampled_from(["paper", "bic", "nml", "direct"]),
    targets_seed=st.integers(0, 10_000),
)
def test_targets_template_selection_equals_brute_force_over_assignments_constant_on_blocks(n_env, seed, code,
                                                                                          targets_seed):
    rng = np.random.default_rng(targets_seed)
    targets = {e: rng.random() < 0.5 for e in range(n_env) if rng.random() < 0.7}  # e: whether it targets X
    lines = "".join(f"    targets e{e}: {'X' if hit else 'none'}\n" for e, hit in targets.items())
    ps = ", ".join(f"{p:.2f}" for p in np.random.default_rng(seed).uniform(0.1, 0.9, n_env))
    text = (f"let p = [{ps}]\nvar X in 0..1\nsimulate envs e0..e{n_env - 1} n 25 seed {seed} {{\n"
            f"    X ~ bernoulli(p[env])\n}}\nmechanism coin(X) = bernoulli(t) where t in {{0.2, 0.5, 0.8}}\n"
            f"code {code}\nsearch {{\n{lines}}}\n")
    bound = kdsl.load(text)
    template = bound.model.templates["coin"]
    cost = template_costs(bound, template)
    shared = [e for e, hit in targets.items() if not hit]
    blocks = ([shared] if shared else []) + [[e] for e in range(n_env) if e not in shared]
    weight = kdsl.get_code(code).selection_weight
    best = math.inf
    for choice in itertools.product(range(3), repeat=len(blocks)):
        k = len(set(choice))
        data = sum(cost[e, c] for b, c in zip(blocks, choice) for e in b)
        if code == "direct":
            selection = len(blocks) * math.log2(3)
        else:
            formula = codes.prefix_selection_bits if code == "nml" else codes.compressed_selection_bits
            selection = float(codes.evaluate(formula(len(blocks), 3, k), {}))
        best = min(best, data + weight * selection)
    profile = mechanism_profile(bound, Mechanism("X", template, False, bound.model.search.span))
    assert min(c.local_bits(weight) for c in profile.best.values()) == pytest.approx(best, abs=1e-7)
    for c in profile.best.values():  # every choice keeps the merged environments on one candidate
        assert len({c.labels[e] for e in shared}) <= 1


def test_greedy_grouping_keeps_untargeted_environments_together():
    # 16 environments, two of them declared untargeted: 15 blocks, beyond the exact partition DP (14)
    n_env = 16
    text, data, names = spec_text([2, 2], n_env, 20, 3, 1, "nml", top=1)
    text = text.replace("    top 1\n", "    top 1\n    targets e0: none\n    targets e9: none\n")
    result = kdsl.solve(text, data=data)
    for program in result.programs:
        assert not program.exact
        for var in names:
            assert any({"e0", "e9"} <= set(g) for g in program.shifts[var])
        blocks = {s["symbol"]: s["value"] for s in program.breakdown["symbols"]}
        assert blocks["N_{V0}"] == blocks["N_{V1}"] == 15


SPRINKLER = """
var season in 0..1
var rain in 0..1
var sprinkler in 0..1
var wet in 0..1
simulate envs base, drought n 300 seed 1 {
    season ~ bernoulli(0.5)
    rain ~ bernoulli(0.2 + 0.5 * season - 0.15 * env)
    sprinkler ~ bernoulli(0.7 - 0.4 * season)
    wet ~ bernoulli(0.05 + 0.5 * rain + 0.4 * sprinkler)
}
hypothesis against {
    season ~ table
    rain ~ table(wet) fixed
    sprinkler ~ table(season)
    wet ~ table
}
search {
    graphs max_parents 2
    forbid wet -> rain
    require season -> rain
    tiers {season} < {rain, sprinkler} < {wet}
    targets drought: rain
    targets base: none
}
"""


def test_programs_against_the_knowledge_are_flagged_and_the_knowledge_is_reported():
    result = kdsl.solve(SPRINKLER)
    against = result.program("against")
    assert against.violations == ("forbidden edge wet -> rain", "missing required edge season -> rain",
                                  "rain is written fixed, but drought declares it a target")
    assert all(p.violations == () for p in result.programs if p.name.startswith("search-"))
    assert any(n.startswith("against the search's knowledge") and "against (" in n for n in result.notes)
    out = result.to_dict()
    assert out["search"]["knowledge"] == {
        "forbid": [["wet", "rain"]], "require": [["season", "rain"]],
        "tiers": [["season"], ["rain", "sprinkler"], ["wet"]], "targets": {"drought": ["rain"], "base": []}}
    assert next(p for p in out["programs"] if p["name"] == "against")["violations"][0] == "forbidden edge wet -> rain"
    # base declares no target: every variable but rain has one block, rain two, so only rain may shift
    best = result.program(result.best)
    symbols = {s["symbol"]: s["value"] for s in best.breakdown["symbols"]}
    assert symbols["N_{season}"] == symbols["N_{wet}"] == 1
    assert "N" in symbols and symbols["N"] == 2  # rain is free in both environments


def test_knowledge_reaches_the_integer_program():
    pytest.importorskip("highspy")
    text = SPRINKLER.replace("search {", "search {\n    method milp")
    milp = kdsl.solve(text)
    dp = kdsl.solve(SPRINKLER)
    assert milp.search["method"] != dp.search["method"]
    assert [round(p.total_bits, 6) for p in milp.programs] == [round(p.total_bits, 6) for p in dp.programs]
    assert milp.program("search-1").edges == dp.program("search-1").edges
    assert ("season", "rain") in milp.program("search-1").edges


def test_a_required_parent_no_mechanism_can_have_is_refused_at_the_search():
    text = """
var X in 0..1
var Y real
simulate env a n 30 seed 1 {
    X ~ bernoulli(0.5)
    Y ~ normal(0, 1)
}
search {
    classes histogram
    require X -> Y
}
"""
    with pytest.raises(kdsl.KdslError) as info:
        kdsl.solve(text)
    assert "leaves Y no mechanism" in info.value.message
    assert info.value.line == 8


def real_spec(n_env: int, targets: dict[int, bool], code: str, seed: int) -> str:
    """Two real variables, X -> Y, Y's slope shifting with the environment; ``targets[e]``: whether e targets Y."""
    lines = "".join(f"    targets e{e}: {'Y' if hit else 'none'}\n" for e, hit in targets.items())
    return (f"var X real step 0.1\nvar Y real step 0.1\nsimulate envs e0..e{n_env - 1} n 30 seed {seed} {{\n"
            f"    X ~ normal(0, 1)\n    Y ~ normal((1 + 0.5 * env) * X, 0.5)\n}}\n"
            f"hypothesis h {{\n    X ~ normal\n    Y ~ linear(X)\n}}\ncode {code}\nsearch {{\n    top 1\n{lines}}}\n")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_env=st.integers(2, 4),
    seed=st.integers(0, 10_000),
    code=st.sampled_from(["paper", "bic", "nml"]),
    targets_seed=st.integers(0, 10_000),
)
def test_targets_regression_grouping_equals_brute_force_over_groupings_of_the_merged_blocks(n_env, seed, code,
                                                                                           targets_seed):
    rng = np.random.default_rng(targets_seed)
    targets = {e: bool(rng.random() < 0.5) for e in range(n_env) if rng.random() < 0.7}
    bound = kdsl.load(real_spec(n_env, targets, code, seed))
    mech = bound.model.hypotheses["h"].mechanism("Y")
    (fit,) = regression._gaussian_fits(bound, [("Y", mech.template.parents, 1)], bound.model.code, "")
    block = fit.block
    shared = [e for e, hit in targets.items() if not hit]
    n_blocks = n_env - max(len(shared) - 1, 0)
    weight = kdsl.get_code(code).selection_weight
    best = math.inf
    for partition in set_partitions(list(range(n_env))):
        if not any(set(shared) <= set(g) for g in partition):
            continue
        fits = [block(g) for g in partition]
        grouping = float(codes.evaluate(codes.grouping_bits(n_blocks, len(partition)), {}))
        best = min(best, sum(float(f.data[0] + f.param[0]) for f in fits) + weight * grouping)
    profile = mechanism_profile(bound, mech)
    assert min(c.local_bits(weight) for c in profile.best.values()) == pytest.approx(best, rel=1e-9, abs=1e-7)


def test_targets_keep_real_environments_together_past_the_exact_grouping():
    # 16 environments, e0..e12 declared untargeted: 4 blocks, grouped exactly from one fit per set of blocks
    result = kdsl.solve(real_spec(16, {e: False for e in range(13)}, "nml", 5))
    merged = {f"e{e}" for e in range(13)}
    for program in result.programs:
        assert any(merged <= set(g) for g in program.shifts["Y"])
        assert program.mechanisms["Y"].method == "exact partition DP"
        assert {s["symbol"]: s["value"] for s in program.breakdown["symbols"]}["N_{Y}"] == 4


def test_targets_lines_that_can_change_nothing_are_a_located_warning(tmp_path, capsys):
    """Environments share a mechanism only when two with a `targets` line leave the variable out."""
    lone = SPRINKLER.replace("    targets base: none\n", "")
    spec = tmp_path / "lone.kdsl"
    spec.write_text(lone)
    model = kdsl.load(spec).model
    (warning,) = [w for w in model.warnings if "targets" in w.message]
    line = lone.splitlines().index("    targets drought: rain") + 1
    assert (warning.line, warning.column) == (line, 13)
    assert warning.message.startswith("this is the only `targets` line, so it changes nothing")
    assert "targets base: none" in warning.hint
    from kdsl.cli import main

    assert main(["check", str(spec)]) == 0
    assert capsys.readouterr().err.startswith(f"{spec}:{line}:13: warning: this is the only `targets` line")
    every = SPRINKLER.replace("targets base: none", "targets base: season, rain, sprinkler, wet")
    (warning,) = [w for w in kdsl.load(every).model.warnings if "targets" in w.message]
    assert warning.message.startswith("no variable is left out by two environments' `targets` lines")
    assert not [w for w in kdsl.load(SPRINKLER).model.warnings if "targets" in w.message]
