"""Taking a result elsewhere: networkx, pandas, Graphviz text (kdsl solve --format dot)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import kdsl

ROOT = Path(__file__).resolve().parent.parent
SENSORS = ROOT / "examples" / "sensors.kdsl"


@pytest.fixture(scope="module")
def sensors():
    return kdsl.solve(SENSORS)


def test_to_networkx_carries_mechanisms_shifts_and_bits(sensors):
    best = sensors.program(sensors.best)
    g = best.to_networkx()
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g)
    assert set(g.edges) == set(best.edges) and set(g.nodes) == set(best.mechanisms)
    assert g.graph["total_bits"] == best.total_bits and g.graph["k"] == best.k
    assert g.nodes["L"]["shifts"] == best.shifts["L"] and len(g.nodes["L"]["shifts"]) > 1
    assert g.nodes["B"]["reuse"]["shared_by"] == ["A", "B"]
    assert math.isclose(sum(g.nodes[v]["data_bits"] for v in g), best.data_bits, rel_tol=1e-12)
    assert all(sorted(g.predecessors(v)) == sorted(best.mechanisms[v].parents) for v in g)


def test_to_frame_is_the_ranking(sensors):
    frame = sensors.to_frame()
    assert list(frame["program"]) == [p.name for p in sensors.programs]
    assert list(frame["total_bits"]) == sorted(frame["total_bits"])
    assert frame.loc[frame["best"], "program"].tolist() == [sensors.best]
    row = frame.set_index("program").loc[sensors.best]
    assert row["edges"] == "L->A, L->B, L->C" and row["changed"] == "L"
    assert math.isclose(row["model_bits"] + row["data_bits"], row["total_bits"], rel_tol=1e-12)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kdsl.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=300)


def test_format_dot_is_the_best_programs_graph(sensors):
    run = _cli("solve", "examples/sensors.kdsl", "--format", "dot")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == 'digraph "sensors" {' and lines[-1] == "}"
    edges = {tuple(part.strip(' ";') for part in line.split("->")) for line in lines if "->" in line}
    assert edges == set(sensors.program(sensors.best).edges)
    assert '  "L" [shape=box, label="L\\nsite0 | site1,site2 | site3"];' in lines  # L's mechanism changes
    assert '  "C";' in lines


def test_format_registry_and_json_alias():
    by_flag = _cli("solve", "examples/symmetry.kdsl", "--json")
    by_format = _cli("solve", "examples/symmetry.kdsl", "--format", "json")
    assert by_flag.returncode == by_format.returncode == 0
    assert json.loads(by_flag.stdout) == json.loads(by_format.stdout)
    bad = _cli("solve", "examples/symmetry.kdsl", "--format", "svg")
    assert bad.returncode == 2 and "choose from 'text', 'json', 'dot', 'html', 'latex'" in bad.stderr


# ------------------------------------------------------------------ to_pgmpy
REGIMES = ROOT / "examples" / "two_regimes.kdsl"


def _regime_frames() -> dict:
    """The two_regimes example's data read straight from its CSV files, one DataFrame per environment."""
    pd = pytest.importorskip("pandas")
    data = ROOT / "examples" / "data"
    frames = {"observed": pd.read_csv(data / "rain_observed.csv"), "seeded": pd.read_csv(data / "rain_seeded.csv")}
    more = pd.read_csv(data / "rain_more.csv")
    frames.update({regime: rows.drop(columns="regime") for regime, rows in more.groupby("regime", sort=False)})
    return frames


def _conditional(frame, var: str, parents: list[str]) -> dict[tuple, tuple[int, float]]:
    """Per (var value, *parent values) seen in ``frame``: its count and P(var value | parent values)."""
    joint = frame.groupby([var, *parents]).size()
    given = frame.groupby(parents).size() if parents else None
    out = {}
    for key, n in joint.items():
        key = key if isinstance(key, tuple) else (key,)
        total = len(frame) if given is None else given[key[1] if len(parents) == 1 else key[1:]]
        out[key] = (int(n), n / total)
    return out


@pytest.mark.parametrize("code", ["nml", "bic"])
def test_to_pgmpy_cpds_are_the_groups_pooled_frequencies(code, monkeypatch):
    pytest.importorskip("pgmpy")
    import pandas as pd

    monkeypatch.chdir(REGIMES.parent)
    result = kdsl.solve(REGIMES.read_text().replace("code paper", f"code {code}"))
    program = result.program("forward")
    networks = program.to_pgmpy()
    frames = _regime_frames()
    assert list(networks) == [e["name"] for e in result.environments] == list(frames)
    for env, network in networks.items():
        assert set(network.edges) == {("rain", "wet")}
        for var, parents in (("rain", []), ("wet", ["rain"])):
            group = next(g for g in program.shifts[var] if env in g)
            cpd = network.get_cpds(var)
            pooled = _conditional(pd.concat([frames[e] for e in group]), var, parents)
            for values, (_, frequency) in pooled.items():
                assert cpd.get_value(**dict(zip([var, *parents], values))) == pytest.approx(frequency, rel=1e-12)
            # the environment's own rows cost their bits under that CPD, as its data_bits_by_environment says
            own = _conditional(frames[env], var, parents)
            bits = -sum(n * math.log2(cpd.get_value(**dict(zip([var, *parents], values))))
                        for values, (n, _) in own.items())
            assert program.mechanisms[var].data_bits_by_environment[env] == pytest.approx(bits, rel=1e-12)
    # environments that share a mechanism share its CPD; a changed mechanism differs across its groups
    assert program.shifts["wet"] == [list(frames)]
    assert networks["observed"].get_cpds("wet") == networks["seeded"].get_cpds("wet")
    assert networks["observed"].get_cpds("rain") != networks["seeded"].get_cpds("rain")


def test_to_pgmpy_spreads_an_invariant_table_over_each_orbit():
    pytest.importorskip("pgmpy")
    result = kdsl.solve(ROOT / "examples" / "symmetry.kdsl")
    best = result.program(result.best)
    assert best.symmetries == ({"var": "Y", "symmetry": "mirror", "use": "invariance"},)
    (network,) = best.to_pgmpy().values()
    cpd = network.get_cpds("Y")
    for x in range(5):  # mirror reflects X: x and 4 - x share a column
        for y in (0, 1):
            assert cpd.get_value(Y=y, X=x) == cpd.get_value(Y=y, X=4 - x)
    assert cpd.get_value(Y=1, X=0) > cpd.get_value(Y=1, X=2)  # the data: P(Y=1) = 0.1 + 0.2 |X - 2|


def test_to_pgmpy_refuses_what_a_table_cannot_express():
    with pytest.raises(ValueError, match="is a real variable"):
        kdsl.solve(ROOT / "examples" / "gaussian_directions.kdsl").programs[0].to_pgmpy()
    covariate = kdsl.solve(ROOT / "examples" / "covariate_shift.kdsl")
    with pytest.raises(ValueError, match=r"is described by .*, not a table"):
        covariate.programs[0].to_pgmpy()


def test_to_pgmpy_imports_pgmpy_only_when_called():
    code = ("import sys, kdsl; r = kdsl.solve('examples/symmetry.kdsl'); assert 'pgmpy' not in sys.modules; "
            "r.programs[0].to_pgmpy(); assert 'pgmpy' in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=300)
    assert run.returncode == 0, run.stderr


def test_result_types_are_public(sensors):
    assert isinstance(sensors, kdsl.Result) and isinstance(sensors.programs[0], kdsl.ProgramResult)


@pytest.mark.parametrize("package, call", [("pandas", lambda r: r.to_frame()),
                                            ("pgmpy", lambda r: r.program(r.best).to_pgmpy())])
def test_interop_without_its_package_says_what_to_install(sensors, monkeypatch, package, call):
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(ImportError, match=r"pip install 'kdsl\[interop\]'"):
        call(sensors)
