"""The integer-programming search (HiGHS, a real solver): its proofs equal the dynamic program's optima."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import spec_text

import kdsl
from kdsl.api import load
from kdsl.errors import BudgetError
from kdsl.search.exact import exact_best, k_best
from kdsl.search.greedy import greedy
from kdsl.search.local import StopSearch, local_scores
from kdsl.search.milp import candidate_sets, solve_milp
from kdsl.verdict.solver import solve_bound

ROOT = Path(__file__).resolve().parent.parent


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


@pytest.mark.parametrize("code", ["paper", "direct", "bic", "nml"])
def test_milp_proofs_equal_the_dynamic_program_top_1_and_top_3(code):
    text, data, _ = spec_text([3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 3, 2], 3, 120, seed=7, max_parents=2, code=code)
    bound = load(text, data=data)
    local = local_scores(bound, bound.model.search, top=3)
    best = exact_best(local)
    solved = solve_milp(local, top=1, start=greedy(local))
    assert solved.proven and solved.gap < 1e-6
    assert _close(solved.programs[0].bits, best.bits)
    assert _close(solved.lower_bound, best.bits)
    three = solve_milp(local, top=3)
    expected = k_best(local, 3)
    assert three.proven and len(three.programs) == 3
    assert all(_close(p.bits, q.bits) for p, q in zip(three.programs, expected))
    assert len({tuple(sorted(p.parents.items())) for p in three.programs}) == 3  # three distinct DAGs


def test_candidates_are_pruned_exactly():
    text, data, _ = spec_text([3] * 10, 2, 200, seed=3, max_parents=2)
    bound = load(text, data=data)
    local = local_scores(bound, bound.model.search)
    cands = candidate_sets(local)
    assert 10 <= cands.count < cands.scored
    for v, sets in enumerate(cands.sets[:10]):
        for mask, bits in sets:  # a survivor is shorter than each of its scored subsets
            sub = mask
            while sub:
                sub = (sub - 1) & mask
                assert local.best(v, sub) > bits
                if sub == 0:
                    break


def test_reuse_classes_in_the_integer_program_equal_the_dynamic_program():
    bound = load(ROOT / "examples" / "sensors.kdsl")
    local = local_scores(bound, bound.model.search, top=3)
    assert local.reuse
    best = exact_best(local)
    solved = solve_milp(local)
    assert solved.proven and _close(solved.programs[0].bits, best.bits)
    assert solved.programs[0].reuse == best.reuse != ()
    three = solve_milp(local, top=3)
    assert [round(p.bits, 6) for p in three.programs] == [round(p.bits, 6) for p in k_best(local, 3)]


def test_solve_reports_method_proof_gap_and_reason():
    text, data, _ = spec_text([3] * 8, 2, 150, seed=5, max_parents=2, top=1)
    milp = kdsl.solve(text.replace("search {", "search {\n    method milp"), data=data)
    dp = kdsl.solve(text.replace("search {", "search {\n    method dp"), data=data)
    assert milp.search["method"] == "exact integer program (HiGHS)"
    assert milp.search["proven"] is True and 0.0 <= milp.search["gap"] < 1e-6
    assert milp.search["why"] == "asked for by `method milp`"
    assert 8 <= milp.search["candidates"] <= milp.search["local_scores"]
    best = milp.program(milp.best)
    assert _close(best.total_bits, dp.program(dp.best).total_bits)
    assert _close(milp.search["lower_bound"], best.total_bits)
    assert milp.to_dict()["search"]["gap"] == milp.search["gap"]
    assert dp.search["method"] == "exact dynamic program" and dp.search["gap"] == 0.0


def test_without_time_the_milp_returns_its_start_marked_not_proven():
    text, data, _ = spec_text([3] * 8, 2, 150, seed=5, max_parents=2, top=1)
    limited = solve_bound(load(text.replace("search {", "search {\n    method milp"), data=data), time_limit=1e-6)
    assert limited.search["proven"] is False
    assert "not proven" in limited.search["method"] or "greedy" in limited.search["method"]
    assert math.isfinite(limited.program(limited.best).total_bits)


def test_a_stop_request_during_the_integer_program_keeps_the_best_so_far():
    text, data, _ = spec_text([3] * 8, 2, 150, seed=5, max_parents=2, top=1)
    bound = load(text.replace("search {", "search {\n    method milp"), data=data)

    def stop_in_the_solver(stage, done, total):
        if stage == "integer program":
            raise StopSearch

    result = solve_bound(bound, progress=stop_in_the_solver)
    assert result.search["proven"] is False
    assert math.isfinite(result.program(result.best).total_bits)


def test_method_milp_without_highs_is_a_located_error(monkeypatch):
    import kdsl.search.run as search

    monkeypatch.setattr(search, "_highspy_available", lambda: False)
    text, data, _ = spec_text([2] * 3, 1, 20, seed=1, max_parents=1, top=1)
    with pytest.raises(BudgetError) as err:
        kdsl.solve(text.replace("search {", "search {\n    method milp"), data=data, filename="m.kdsl")
    assert str(err.value).splitlines()[:3] == ["m.kdsl:6:5: `method milp` needs HiGHS, which is not installed",
                                               "        method milp", "        ^^^^^^^^^^^"]
    assert "pip install 'kdsl[milp]'" in str(err.value)


def test_the_cli_says_method_reason_proof_gap_and_candidates(tmp_path):
    import json
    import subprocess
    import sys

    import pandas as pd

    text, data, _ = spec_text([3] * 6, 2, 100, seed=2, max_parents=2, top=1)
    (tmp_path / "s.kdsl").write_text(text.replace("search {", "search {\n    method milp"))
    pd.DataFrame(data["frame"]).to_csv(tmp_path / "frame.csv", index=False)
    base = [sys.executable, "-m", "kdsl.cli", "solve", str(tmp_path / "s.kdsl"), "--data", f"frame={tmp_path / 'frame.csv'}"]
    env = {"PYTHONPATH": str(ROOT), "PATH": ""}
    text_run = subprocess.run(base, capture_output=True, text=True, env=env)
    assert text_run.returncode == 0, text_run.stderr
    assert "search: exact integer program (HiGHS) (proven optimal)" in text_run.stdout
    assert "method chosen: asked for by `method milp`" in text_run.stdout
    assert "kept by exact pruning" in text_run.stdout
    json_run = subprocess.run(base + ["--json"], capture_output=True, text=True, env=env)
    search = json.loads(json_run.stdout)["search"]  # HiGHS's banner must not reach stdout
    assert search["proven"] is True and 0 <= search["gap"] < 1e-6 and search["candidates"] >= 6


def test_a_stopped_integer_program_reports_its_lower_bound_and_gap():
    text, data, _ = spec_text([3] * 10, 2, 150, seed=4, max_parents=2, top=1)
    bound = load(text, data=data)
    local = local_scores(bound, bound.model.search)
    calls = []

    def stop_after_the_first_relaxation(stage, done, total):
        calls.append(stage)
        if len(calls) > 1:
            raise StopSearch

    stopped = solve_milp(local, start=greedy(local), progress=stop_after_the_first_relaxation)
    optimum = exact_best(local).bits
    best = stopped.programs[0].bits
    assert not stopped.proven
    assert math.isfinite(stopped.lower_bound) and stopped.lower_bound <= optimum + 1e-6 <= best + 1e-6
    assert abs(stopped.gap - (best - stopped.lower_bound)) < 1e-9


def test_an_integer_program_stopped_before_any_lower_bound_says_so_instead_of_an_infinite_gap(monkeypatch):
    import kdsl.search.milp as milp
    from kdsl.present.render import solve_text
    from kdsl.search.local import StopSearch

    def stopped(*args, **kwargs):
        raise StopSearch

    monkeypatch.setattr(milp, "improve", stopped)  # the time limit or Ctrl-C during the start heuristic
    text, data, _ = spec_text([3] * 6, 2, 100, seed=5, max_parents=2, top=1)
    result = solve_bound(load(text.replace("search {", "search {\n    method milp"), data=data))
    assert result.search["method"] == "integer program (HiGHS), stopped before the solver had a lower bound (no gap yet)"
    assert result.search["proven"] is False and result.search["gap"] is None
    out = solve_text(result)
    assert "inf bits" not in out and "search: integer program (HiGHS), stopped before the solver had a lower bound" in out


def test_method_dp_beyond_the_memory_budget_is_located_at_the_method_line():
    text, data, _ = spec_text([2] * 30, 1, 10, seed=1, max_parents=1, top=1)
    text = text.replace("search {", "search {\n    method dp")
    line = text.splitlines().index("    method dp") + 1
    with pytest.raises(BudgetError) as err:
        kdsl.solve(text, data=data, filename="m.kdsl")
    shown = str(err.value).splitlines()
    assert shown[0].startswith(f"m.kdsl:{line}:5: `method dp`: the dynamic program needs")
    assert shown[1:3] == ["        method dp", "        ^^^^^^^^^"]
