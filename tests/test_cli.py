"""The real command line, run as a subprocess: `python -m kdsl.cli check ...`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kdsl

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
model cli_demo
let theta = [0.2, 0.8]
var X in 0..5
var Y in 0..5
var S in {low, high}
mechanism rate(X) = poisson(5 * t) where t in grid(0.1, 0.9, 9)
mechanism noisy(Y | X) = normal(X, 1)
symmetry mirror on X = reflect
hypothesis causal {
    X ~ rate
    Y ~ noisy
    S ~ table(Y)
}
hypothesis anticausal {
    Y ~ table
    X ~ table(Y)
    S ~ table
}
env obs from "obs.csv"
simulate envs e0..e1 n 25 seed 4 {
    X ~ poisson(5 * theta[env])
    Y ~ normal(X, 1)
    S ~ bernoulli(0.5)
}
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("KDSL_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "kdsl.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "obs.csv").write_text("X,Y,S\n0,1,low\n2,2,high\n5,4,low\n", encoding="utf-8")
    (tmp_path / "spec.kdsl").write_text(SPEC, encoding="utf-8")
    return tmp_path


def test_check_valid_spec(project):
    result = run_cli("check", str(project / "spec.kdsl"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "cli_demo" in out
    lines = out.splitlines()

    def line_of(start: str) -> str:
        return next(line for line in lines if line.strip().startswith(start))

    # variables with their domain sizes
    assert "6 values" in line_of("X ") and "6 values" in line_of("Y ")
    assert "2 values" in line_of("S ")
    # environments with their row counts
    assert "3 rows" in line_of("obs ")
    assert "25 rows" in line_of("e0 ") and "25 rows" in line_of("e1 ")
    # templates and hypotheses
    assert "rate" in out and "noisy" in out
    assert "9 candidates" in line_of("rate")
    assert "X -> Y" in line_of("causal") and "Y -> S" in line_of("causal")
    assert "Y -> X" in line_of("anticausal")


def test_check_json_summary(project):
    result = run_cli("check", "spec.kdsl", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["model"] == "cli_demo"
    assert {v["name"]: v["size"] for v in summary["variables"]} == {"X": 6, "Y": 6, "S": 2}
    assert {e["name"]: e["rows"] for e in summary["environments"]} == {"obs": 3, "e0": 25, "e1": 25}
    assert [t["name"] for t in summary["templates"]] == ["rate", "noisy"]
    assert [h["name"] for h in summary["hypotheses"]] == ["causal", "anticausal"]


def test_spec_error_exits_2_with_located_message(tmp_path):
    bad = tmp_path / "bad.kdsl"
    bad.write_text("var X in 0..3\nhypothesis h {\n    X ~ table(Z)\n}\n", encoding="utf-8")
    result = run_cli("check", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"{bad}:3:15: unknown variable 'Z'"
    assert lines[1] == "        X ~ table(Z)"
    assert lines[2] == "    " + " " * 14 + "^"


def test_syntax_error_exits_2_with_hint(tmp_path):
    bad = tmp_path / "bad.kdsl"
    bad.write_text("var X 0..3\n", encoding="utf-8")
    result = run_cli("check", "bad.kdsl", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("bad.kdsl:1:7: expected 'in' or 'real'")
    assert lines[1] == "    var X 0..3"
    assert lines[2] == "          ^"
    assert any("var X in 0..3" in line for line in lines[3:])


def test_negative_fixture_exits_2(tmp_path):
    fixture = Path(__file__).parent / "specs" / "syntax_unclosed_brace.kdsl"
    expected = fixture.read_text(encoding="utf-8").splitlines()[0].split("error:", 1)[1].strip()
    result = run_cli("check", str(fixture), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{fixture}:{expected}")
    assert len(result.stderr.splitlines()) >= 3


def test_data_error_exits_2(project):
    (project / "obs.csv").write_text("X,Y,S\n0,1,low\n9,2,high\n", encoding="utf-8")
    result = run_cli("check", "spec.kdsl", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first == "obs.csv:3:1: column 'X', data row 2: value 9 is outside the domain 0..5 of X"


def test_data_option_binds_a_caller_supplied_name(tmp_path):
    (tmp_path / "lab.csv").write_text("X,S\n1,b\n2,a\n3,b\n", encoding="utf-8")
    spec = tmp_path / "spec.kdsl"
    spec.write_text("var X in 0..3\nvar S in {a, b}\nenv lab from lab_df\n", encoding="utf-8")
    result = run_cli("check", str(spec), "--data", "lab_df=lab.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("lab "))
    assert "3 rows" in line


def test_missing_data_option_exits_2(tmp_path):
    spec = tmp_path / "spec.kdsl"
    spec.write_text("var X in 0..3\nenv lab from lab_df\n", encoding="utf-8")
    result = run_cli("check", str(spec), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == f"{spec}:2:14: no data named 'lab_df' was supplied (supplied: none)"
    assert "--data lab_df=" in result.stderr


def test_version():
    result = run_cli("--version", cwd=ROOT)
    assert result.returncode == 0
    assert result.stdout.strip() == f"kdsl {kdsl.__version__}"


@pytest.mark.parametrize("value", ["0", "-1", "inf", "soon"])
def test_time_limit_must_be_a_positive_number_of_seconds(project, value):
    result = run_cli("solve", str(project / "spec.kdsl"), "--time-limit", value, cwd=project)
    assert result.returncode == 2
    assert "--time-limit" in result.stderr and repr(value) in result.stderr
    assert "Traceback" not in result.stderr


def test_python_api_names_a_missing_spec_file_and_rejects_data_that_is_not_a_mapping(project):
    import kdsl
    from kdsl.errors import DataError, KdslError
    from kdsl.verdict.solver import solve_bound

    with pytest.raises(KdslError, match="no such spec file") as info:
        kdsl.solve("nonexistent.kdsl")
    assert info.value.file == "nonexistent.kdsl"
    with pytest.raises(DataError, match="data must map the names"):
        kdsl.load(project / "spec.kdsl", data=[1, 2])
    with pytest.raises(ValueError, match="positive"):
        solve_bound(kdsl.load(project / "spec.kdsl"), time_limit=0)


def test_explain_one_program_legend_terms_and_per_variable_sums():
    out = run_cli("explain", "examples/covariate_shift.kdsl", "--program", "causal", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "program causal:" in text and "program anticausal" not in text
    formula = next(line for line in text.splitlines() if line.strip().startswith("length = "))
    legend = text[text.index("legend"):text.index("terms in bits")]
    for symbol in ("D_{X}", "D_{Y}", "M_{t}", "k_{t}", "N", "d", "p_{X}", "p_{Y}"):
        assert symbol in formula
        line = next(row for row in legend.splitlines() if row.split()[:2] == [symbol, "="])
        assert len(line.split()) > 3  # a value and a meaning in words
    block = [row for row in text[text.index("per variable"):text.index("how each variable")].splitlines()[1:] if row.strip()]
    rows = {row.split()[0]: [float(x) for x in row.split()[1:6:2]] for row in block}
    assert set(rows) == {"X", "Y", "(program)", "total"}
    for model, data, total in rows.values():
        assert abs(model + data - total) <= 0.011  # printed with two decimals
    summed = sum(rows[name][2] for name in ("X", "Y", "(program)"))
    assert abs(summed - rows["total"][2]) <= 0.02
    assert "[subset-dp]" in text and "exact: a dynamic program over subsets" in text  # the label explained


def test_explain_explains_each_method_label_once():
    out = run_cli("explain", "examples/gaussian_directions.kdsl", cwd=ROOT)  # both variables use used-set-dp
    assert out.returncode == 0, out.stderr
    labels = out.stdout[out.stdout.index("how the sharing was found (the labels"):].splitlines()[1:]
    assert labels and len(labels) == len(set(labels))
    assert sum(line.strip().startswith("[used-set-dp]") for line in labels) == 1


def test_explain_json_carries_the_breakdown():
    out = run_cli("explain", "examples/covariate_shift.kdsl", "--program", "causal", "--program", "anticausal",
                  "--json", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [p["name"] for p in data["programs"]] == ["causal", "anticausal"]
    for p in data["programs"]:
        b = p["breakdown"]
        parts = [v["total_bits"] for v in b["variables"]] + [b["program"]["total_bits"]]
        assert abs(sum(parts) - p["total_bits"]) < 1e-9
        assert {t["owner"] for t in b["terms"]} == {"X", "Y", None}
        assert all(s["meaning"] for s in b["symbols"])


def test_explain_defaults_to_best_and_runner_up_and_names_unknown_programs():
    out = run_cli("explain", "examples/covariate_shift.kdsl", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "program causal:" in out.stdout and "program causal_fixed:" in out.stdout
    assert "program anticausal:" not in out.stdout
    assert out.stdout.count("length = D_{X}") == 2  # each program's own formula
    assert "2*log2(M_{t}) + 2*log2(d)" in out.stdout  # causal_fixed names its one candidate with log2 M, doubled
    bad = run_cli("explain", "examples/covariate_shift.kdsl", "--program", "nope", cwd=ROOT)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "examples/covariate_shift.kdsl: no program named 'nope'; the programs are: causal" in bad.stderr


def test_check_imports_no_heavy_module_for_a_spec_without_formulas(tmp_path):
    """`kdsl check` of tables over a small CSV needs numpy only: sympy, scipy, networkx, pandas and IPython stay out."""
    (tmp_path / "d.csv").write_text("X,Y\n0,1\n1,0\n1,1\n")
    (tmp_path / "s.kdsl").write_text('var X in 0..1\nvar Y in 0..1\nenv a from "d.csv"\n'
                                     "hypothesis h {\n    X ~ table\n    Y ~ table(X)\n}\n")
    heavy = ("sympy", "scipy", "networkx", "pandas", "IPython", "lark")
    code = ("import sys; from kdsl.cli import main; status = main(['check', 's.kdsl']); "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules)); sys.exit(status)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert run.returncode == 0, run.stderr
    assert "hypotheses (1)" in run.stdout
    assert run.stdout.splitlines()[-1] == "[]"


def test_the_console_script_exits_at_once_with_its_output_flushed(tmp_path):
    (tmp_path / "s.kdsl").write_text("var X in 0..1\nsimulate env a n 5 seed 0 {\n    X ~ bernoulli(0.5)\n}\n")
    run = subprocess.run([sys.executable, "-m", "kdsl.cli", "check", "s.kdsl", "--json"], capture_output=True,
                         text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert run.returncode == 0
    assert json.loads(run.stdout)["environments"] == [{"name": "a", "rows": 5, "origin": "simulate (seed 0)"}]
    bad = subprocess.run([sys.executable, "-m", "kdsl.cli", "check", "missing.kdsl"], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert bad.returncode == 2 and bad.stderr


@pytest.mark.parametrize("address", ["localhost", "tcp://localhost", "nonsense", "http://127.0.0.1:8787",
                                     "tcp://host:99999"])
def test_a_scheduler_address_without_host_and_port_is_a_usage_error(address):
    run = run_cli("solve", "examples/symmetry.kdsl", "--scheduler", address, cwd=ROOT)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert f"expected a Dask scheduler address tcp://HOST:PORT (or HOST:PORT), e.g. tcp://127.0.0.1:8786, " \
           f"got '{address}'" in run.stderr
    assert ("dashboard" in run.stderr) == address.startswith("http")


def test_the_python_api_takes_a_client_object_not_an_address():
    with pytest.raises(TypeError, match=r"client must be a dask.distributed.Client, got str 'tcp://x'; "
                                        r"for a scheduler address, pass Client\('tcp://x'\)"):
        kdsl.solve(ROOT / "examples" / "symmetry.kdsl", client="tcp://x")
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client, got int 3$"):
        kdsl.solve_many(["examples/symmetry.kdsl"], client=3)


def test_seed_without_stability_and_json_with_another_format_are_usage_errors():
    seed = run_cli("solve", "examples/orientation_shift.kdsl", "--seed", "3", cwd=ROOT)
    assert seed.returncode == 2 and seed.stdout == ""
    assert seed.stderr.startswith("<command line>: --seed is the seed of the stability subsamples: give --stability N")
    both = run_cli("solve", "examples/orientation_shift.kdsl", "--format", "dot", "--json", cwd=ROOT)
    assert both.returncode == 2 and both.stdout == ""
    assert "--json is --format json: give one of --json and --format dot" in both.stderr
    same = run_cli("solve", "examples/orientation_shift.kdsl", "--format", "json", "--json", cwd=ROOT)
    assert same.returncode == 0 and json.loads(same.stdout)["best"] == "search-1"


def test_a_single_spec_that_fails_under_json_prints_its_error_as_json_too(tmp_path):
    (tmp_path / "bad.kdsl").write_text("var X in 0..1\nhypothesis h {\n    X ~ tabel\n}\n")
    run = run_cli("solve", "bad.kdsl", "--json", cwd=tmp_path)
    assert run.returncode == 2
    assert json.loads(run.stdout) == {"file": "bad.kdsl", "error": {
        "kind": "SpecError", "message": "unknown template or family 'tabel'; did you mean 'table'?",
        "file": "bad.kdsl", "line": 3, "column": 9, "hint": json.loads(run.stdout)["error"]["hint"]}}
    assert run.stderr.startswith("bad.kdsl:3:9: unknown template or family 'tabel'")
    text = run_cli("solve", "bad.kdsl", cwd=tmp_path)
    assert text.returncode == 2 and text.stdout == ""


def test_asking_a_result_for_a_program_it_lacks_names_the_programs():
    result = kdsl.solve(ROOT / "examples" / "two_regimes.kdsl")
    with pytest.raises(kdsl.KdslError, match="no program named 'nope'; the programs are: forward, backward"):
        result.program("nope")


def test_ctrl_c_while_scoring_reports_the_best_program_over_the_scored_parent_sets(tmp_path):
    import signal

    lines = [f"var V{i} in 0..2" for i in range(18)] + ["simulate envs a, b n 1000 seed 3 {", "    V0 ~ binomial(2, 0.4)"]
    lines += [f"    V{i} ~ binomial(2, 0.2 + 0.25 * V{i - 1})" for i in range(1, 18)] + ["}", "search {",
                                                                                         "    graphs max_parents 4", "}"]
    (tmp_path / "big.kdsl").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), KDSL_PROGRESS="1")
    env.pop("KDSL_DEBUG", None)
    proc = subprocess.Popen([sys.executable, "-m", "kdsl.cli", "solve", "big.kdsl"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    while "local scores" not in seen:  # the progress bar: scoring has started
        char = proc.stderr.read(1)
        assert char, seen
        seen += char
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "interrupted" not in err
    # 57,000 parent sets to score: the signal lands while scoring, even on a loaded machine
    assert re.search(r"search: greedy \(stopped (while|after) scoring\) \(best so far, NOT proven optimal\)", out)
    assert out.startswith("model big, code nml, 2 environments, 2000 rows") and "best: search-1 (" in out


def test_solve_text_and_dot_build_no_formulas_and_print_the_same(tmp_path):
    from kdsl.present.formats import get_format
    from kdsl.verdict.solver import solve_bound

    bound = kdsl.load(ROOT / "examples" / "discovery.kdsl")
    full, lean = solve_bound(bound), solve_bound(bound, formulas=False)
    assert all(p.formula_text == "" and p.breakdown is None for p in lean.programs)
    assert all(p.formula_text for p in full.programs if p.finite)
    for name in ("text", "dot"):
        fmt = get_format(name)
        assert not fmt.formulas and fmt.solve(lean) == fmt.solve(full)
    assert get_format("json").formulas and get_format("html").formulas
