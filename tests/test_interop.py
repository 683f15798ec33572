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
