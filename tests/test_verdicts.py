"""Verdicts: edge margins against brute force, where orientations come from, readings, stability."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL_SPECS, all_dags, spec_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.present.render import solve_text
from kdsl.search.local import local_scores
from kdsl.verdict.solver import solve_bound

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kdsl.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SMALL_SPECS, code=st.sampled_from(["paper", "direct", "bic", "nml"]))
def test_edge_margins_equal_brute_force_over_every_dag_without_or_reversing_the_edge(sizes, n_env, rows, seed, code):
    d = len(sizes)
    text, data, names = spec_text(sizes, n_env, rows, seed, d - 1, code)
    bound = kdsl.load(text, data=data)
    result = solve_bound(bound)
    full = local_scores(bound, bound.model.search, top=1 << d)  # every parent set, none pruned
    totals = [(sum(full.best(v, dag[v]) for v in range(d)), dag) for dag in all_dags(d, d - 1)]
    best_bits = min(t for t, _ in totals)
    best = result.program(result.best)
    assert {(m.parent, m.child) for m in result.edges_margin} == set(best.edges)
    for m in result.edges_margin:
        a, b = names.index(m.parent), names.index(m.child)
        removed = min(t for t, dag in totals if not dag[b] >> a & 1 and not dag[a] >> b & 1)
        reversed_ = min(t for t, dag in totals if dag[a] >> b & 1)
        assert m.remove_bits == pytest.approx(removed - best_bits, abs=1e-6)
        assert m.reverse_bits == pytest.approx(reversed_ - best_bits, abs=1e-6)
        assert m.margin == min(m.remove_bits, m.reverse_bits)
        # a search picked both programs: bits without a probability level
        assert m.reading.level is None and m.reading.why_no_level
    json.dumps(result.to_dict(), allow_nan=False)


def test_orientation_from_parameter_bits_only_is_flagged():
    result = kdsl.solve(EXAMPLES / "orientation_parameters.kdsl")
    (edge,) = result.edges_margin
    assert (edge.parent, edge.child) == ("A", "B") and edge.orientation == "parameters"
    assert edge.reverse_program == "b_causes_a" and edge.remove_program == "independent"
    assert edge.reverse_bits == pytest.approx(result.program("b_causes_a").total_bits
                                              - result.program("a_causes_b").total_bits)
    # declared hypotheses under nml: the no-hypercompression level, and a weak margin said so
    assert edge.reading.strength == "weak" and edge.reading.level == pytest.approx(2 ** -edge.reverse_bits)
    text = solve_text(result)
    assert "A -> B (direction from parameter bits only)" in text
    assert "parameter bits only (!)" in text and "weak: favoured at level 2^-" in text


def test_orientation_from_shifts_names_the_shift():
    result = kdsl.solve(EXAMPLES / "orientation_shift.kdsl")
    (edge,) = result.edges_margin
    assert (edge.parent, edge.child, edge.orientation) == ("A", "B", "shifts")
    assert "B needs 2 distinct mechanisms instead of 1" in edge.why
    assert result.causes == (("A", "B"),)
    assert "decided by shifts" in solve_text(result)


def test_orientation_forced_by_a_v_structure():
    result = kdsl.solve(EXAMPLES / "orientation_collider.kdsl")
    assert {(m.parent, m.child, m.orientation) for m in result.edges_margin} == {
        ("A", "C", "equivalence class"), ("B", "C", "equivalence class")}


def test_one_environment_never_orients_by_shifts():
    text, data, _ = spec_text([2, 3, 2], 1, 400, 11, 2, "paper")
    result = kdsl.solve(text, data=data)
    assert result.edges_margin
    assert all(m.orientation in ("equivalence class", "parameters") for m in result.edges_margin)


def test_bic_margins_have_no_probability_reading():
    text = (EXAMPLES / "orientation_parameters.kdsl").read_text().replace("code nml", "code bic")
    result = kdsl.solve(text)
    assert result.runner_up is not None and result.runner_up.level is None
    assert "bic is not a code length" in solve_text(result)


IGNORED = """
var A in 0..2
var B in 0..2
simulate env a n 200 seed 1 {
    A ~ binomial(2, 0.4)
    B ~ binomial(2, 0.3)
}
mechanism m(B | A) = binomial(2, p) where p in grid(0.1, 0.9, 9)
hypothesis uses_m {
    A ~ table
    B ~ m
}
hypothesis free {
    A ~ table
    B ~ table
}
"""


def test_an_ignored_template_parent_is_a_located_warning_and_no_cause(tmp_path):
    spec = tmp_path / "ignored.kdsl"
    spec.write_text(IGNORED)
    result = kdsl.solve(spec)
    assert result.best == "uses_m" and result.program("uses_m").edges == (("A", "B"),)
    assert result.causes == ()
    assert result.edges_margin[0].orientation == "ignored"
    assert any(n.startswith(f"{spec}:8:17: warning: parent 'A' is not used") for n in result.notes), result.notes
    run = _run("check", str(spec))
    assert run.returncode == 0
    assert run.stderr.splitlines()[0].startswith(f"{spec}:8:17: warning: parent 'A'")
    assert run.stderr.splitlines()[2] == " " * 20 + "^"


def test_stability_reproduces_with_its_seed_and_its_frequencies_are_in_the_json():
    path = str(EXAMPLES / "orientation_shift.kdsl")
    first = _run("solve", path, "--json", "--stability", "3", "--seed", "5")
    again = _run("solve", path, "--json", "--stability", "3", "--seed", "5")
    other = _run("solve", path, "--json", "--stability", "3", "--seed", "6")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)["stability"]
    assert out == json.loads(again.stdout)["stability"]
    assert (out["runs"], out["seed"], out["fraction"]) == (3, 5, 0.5)
    for kind in ("edges", "orientations", "targets", "best"):
        assert out[kind] and all(0 < f <= 1 for f in out[kind].values())
    assert out["edges"]["A - B"] == 1.0
    assert sum(out["best"].values()) == pytest.approx(1.0)
    assert set(out["codes"]) == {"paper", "direct", "bic", "nml"}
    assert json.loads(other.stdout)["stability"]["seed"] == 6
    text = _run("solve", path, "--stability", "3", "--seed", "5").stdout
    assert "stability over 3 subsamples of 0.5 of each environment (seed 5):" in text


def test_subsamples_are_drawn_without_replacement_and_differ_by_seed():
    from kdsl.data.bind import subsample

    bound = kdsl.load(EXAMPLES / "orientation_shift.kdsl")
    first = subsample(bound, fraction=0.5, seed=(1, 0))
    second = subsample(bound, fraction=0.5, seed=(2, 0))
    assert [e.rows for e in first.environments] == [200, 200]
    assert any(not np.array_equal(a.columns["A"], b.columns["A"])
               for a, b in zip(first.environments, second.environments))


def test_stability_line_in_a_search():
    text = (EXAMPLES / "orientation_shift.kdsl").read_text().replace("    top 3", "    top 3\n    stability 2 seed 4")
    result = kdsl.solve(text)
    assert result.stability["runs"] == 2 and result.stability["seed"] == 4


def test_delta_to_best_in_every_rendering():
    result = kdsl.solve(EXAMPLES / "orientation_parameters.kdsl")
    gap = result.program("b_causes_a").total_bits - result.program("a_causes_b").total_bits
    programs = {p["name"]: p for p in result.to_dict()["programs"]}
    assert programs["a_causes_b"]["delta_bits"] == 0 and programs["b_causes_a"]["delta_bits"] == pytest.approx(gap)
    assert f"+{gap:.2f}" in solve_text(result)
    assert f"+{gap:.2f}" in result._repr_html_()
    assert "kdsl-margins" in result._repr_html_()


def test_infinite_program_margins_and_runner_up_stay_json():
    result = kdsl.solve(EXAMPLES / "orientation_parameters.kdsl")
    out = result.to_dict()
    assert out["runner_up"]["strength"] == "weak" and math.isfinite(out["runner_up"]["bits"])
    assert out["edges_margin"][0]["margin_bits"] == pytest.approx(out["runner_up"]["bits"])


def test_the_reading_a_verdict_doc_shows_what_kdsl_solve_prints():
    doc = (ROOT / "docs" / "verdicts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n\$ kdsl solve (\S+)\n(.*?)\n```", doc, re.S)
    assert {path for path, _ in blocks} == {f"examples/orientation_{k}.kdsl" for k in ("parameters", "shift", "collider")}
    for path, shown in blocks:
        run = _run("solve", path)
        assert run.returncode == 0, run.stderr
        assert run.stdout.rstrip("\n") == shown, path


def test_shifts_compare_how_many_mechanisms_change_before_how_many_there_are():
    """two_regimes: forward keeps 3 + 1 distinct tables, backward 2 + 2: as many in all, but backward changes
    two variables' mechanisms against one, so the direction is decided by shifts, not by parameter bits."""
    result = kdsl.solve(EXAMPLES / "two_regimes.kdsl")
    forward, backward = result.program("forward"), result.program("backward")
    assert sum(m.distinct for m in forward.mechanisms.values()) == sum(
        m.distinct for m in backward.mechanisms.values())
    (edge,) = result.edges_margin
    assert (edge.parent, edge.child, edge.orientation) == ("rain", "wet", "shifts")
    assert edge.why.startswith("reversed, 2 changing mechanisms instead of 1 across the environments")
    assert result.causes == (("rain", "wet"),)
    assert "algorithmic causes: rain -> wet\n" in solve_text(result)


def test_a_reversal_with_fewer_distinct_mechanisms_but_as_many_changes_is_not_a_shift():
    """sensors: reversing L -> A moves the shift from L (3 tables) to A (2): one changing variable either way
    and fewer tables in all, so the shift counts give no structural evidence and the label says so with them."""
    result = kdsl.solve(EXAMPLES / "sensors.kdsl")
    by_edge = {(m.parent, m.child): m for m in result.edges_margin}
    assert by_edge[("L", "A")].orientation == "parameters"
    assert "(reversed: 1 changing and 5 distinct in all; as found: 1 changing and 6 distinct)" in by_edge[("L", "A")].why


def test_the_readme_samples_are_lines_kdsl_solve_prints():
    """Every `$ kdsl solve FILE` block of the README: its lines, in order, are the real output's (`...` skips)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n\$ kdsl solve (\S+)[^\n]*\n(.*?)\n```", readme, re.S)
    assert {path for path, _ in blocks} >= {f"examples/{name}.kdsl" for name in
                                            ("covariate_shift", "discovery", "sensors", "greenhouse")}
    for path, shown in blocks:
        run = _run("solve", path)
        assert run.returncode == 0, run.stderr
        real = iter(run.stdout.splitlines())
        for line in shown.splitlines():
            if line.strip() != "...":
                assert line in real, (path, line)
        if "..." not in shown:
            assert shown == run.stdout.rstrip("\n"), path


def test_beyond_the_margin_limit_the_verdict_says_margins_were_not_computed_and_directions_not_tested():
    text, data, names = spec_text([2] * 13, 1, 150, 4, 1, "nml")
    result = kdsl.solve(text.replace("    top 3\n", ""), data=data)
    assert result.search["proven"] and len(names) == 13
    assert result.margin_basis == "the other programs listed (the search's runners-up and the declared hypotheses)"
    assert any(n.startswith("edge margins against the search were not computed (13 variables: two constrained "
                            "exact searches per edge are run only up to 12 variables)") for n in result.notes)
    untested = [(m.parent, m.child) for m in result.edges_margin if m.orientation == "untested"]
    assert untested and all(m.reverse_bits is None for m in result.edges_margin if m.orientation == "untested")
    causes = solve_text(result).split("algorithmic causes: ")[1].splitlines()[0]
    for a, b in untested:
        if (a, b) in result.causes:
            assert f"{a} -> {b} (direction not tested)" in causes


def test_an_edge_whose_reverse_the_knowledge_rules_out_is_fixed_by_knowledge():
    result = kdsl.solve(EXAMPLES / "knowledge.kdsl")
    by_edge = {(m.parent, m.child): m for m in result.edges_margin}
    fixed = {e: m.why for e, m in by_edge.items() if m.orientation == "knowledge"}
    assert fixed, by_edge
    spec = kdsl.load(EXAMPLES / "knowledge.kdsl").model.search
    for (a, b), why in fixed.items():
        assert spec.forbids(b, a) or (a, b) in spec.require
        assert why.startswith("fixed by knowledge: ")
    text = solve_text(result)
    assert "fixed by knowledge" in text and "reversal not considered" not in text
    a, b = next(iter(fixed))
    if (a, b) in result.causes:
        assert f"{a} -> {b} (direction fixed by knowledge)" in text
