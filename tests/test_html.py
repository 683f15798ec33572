"""The HTML renderer and Result._repr_mimebundle_ (kdsl.present.html), with only kdsl installed."""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kdsl.present.format import changed_variables
from kdsl.present.html import graph_layout, mimebundle, program_svg, result_html
from kdsl.verdict.result import MechanismResult, ProgramResult, Result

ROOT = Path(__file__).resolve().parent.parent
KDSL_PARENT = Path(__import__("kdsl").__file__).resolve().parent.parent

HOSTILE = "<img src=x onerror=alert(1)>"

# Run in a fresh interpreter in which every notebook package is blocked: the
# mimebundle must be built from kdsl alone.
CHILD = textwrap.dedent(
    """
    import json, sys
    for name in ("IPython", "ipywidgets", "ipykernel", "matplotlib", "pandas", "nbformat", "nbclient"):
        sys.modules[name] = None  # any import of them now raises ImportError
    import kdsl

    hostile = sys.argv[3]
    out = {}
    specs = {
        "two_regimes": (sys.argv[1], None),
        "discovery": (sys.argv[2], None),
        "hostile": ('''
    var X in 0..1
    var Y in 0..1
    envs from d by regime
    hypothesis joint {
        X ~ table
        Y ~ table(X)
    }
    hypothesis apart {
        X ~ table
        Y ~ table
    }
    ''', {"d": {"X": [0, 1, 1, 0, 1, 1, 0, 0] * 3,
                "Y": [0, 1, 1, 0, 1, 1, 0, 1] * 3,
                "regime": [hostile] * 8 + ["a&b"] * 8 + ["plain"] * 8}}),
    }
    for key, (spec, data) in specs.items():
        result = kdsl.solve(spec, data=data)
        out[key] = {"bundle": result._repr_mimebundle_(), "html": result._repr_html_(), "to_dict": result.to_dict()}
    out["loaded"] = sorted(m for m in ("IPython", "ipywidgets", "ipykernel", "matplotlib", "pandas")
                           if sys.modules.get(m) is not None)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def bundles():
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "examples" / "two_regimes.kdsl"),
         str(ROOT / "examples" / "discovery.kdsl"), HOSTILE],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={"PYTHONPATH": str(KDSL_PARENT), "PATH": ""},
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_bundle_without_notebook_packages(bundles):
    assert bundles["loaded"] == []
    for key in ("two_regimes", "discovery", "hostile"):
        bundle = bundles[key]["bundle"]
        assert set(bundle) == {"text/plain", "text/html", "application/json"}
        assert bundle["application/json"] == bundles[key]["to_dict"]
        assert bundle["text/html"] == bundles[key]["html"]
        assert bundle["text/plain"].startswith("model ")


def test_ranked_names_in_order(bundles):
    for key in ("two_regimes", "discovery"):
        bundle = bundles[key]["bundle"]
        names = [p["name"] for p in bundle["application/json"]["programs"]]
        shown = re.findall(r'<tr class="kdsl-program[^"]*" data-program="([^"]*)"', bundle["text/html"])
        assert shown == names
        best = bundle["application/json"]["best"]
        assert re.search(rf'<tr class="kdsl-program kdsl-best" data-program="{best}" style="background:', bundle["text/html"])
        plain = bundle["text/plain"]
        assert [plain.index(f"\n{n} ") for n in names] == sorted(plain.index(f"\n{n} ") for n in names)
        assert f"best: {best}" in plain


def test_best_graph_has_every_variable_and_one_arrow_per_edge(bundles):
    for key in ("two_regimes", "discovery"):
        bundle = bundles[key]["bundle"]
        data = bundle["application/json"]
        best = next(p for p in data["programs"] if p["name"] == data["best"])
        svg = bundle["text/html"].split('<svg', 1)[1].split("</svg>", 1)[0]
        for var in best["mechanisms"]:
            assert f'data-variable="{var}"' in svg
            assert f">{var}</text>" in svg
        assert svg.count('class="kdsl-edge"') == len(best["edges"]) > 0
        assert svg.count('class="kdsl-arrowhead"') == len(best["edges"])
        for a, b in best["edges"]:
            assert f'data-source="{a}" data-target="{b}"' in svg
        changed = {v for v, groups in best["shifts"].items() if len(groups) > 1}
        assert changed
        for var in best["mechanisms"]:
            marked = f'<g class="kdsl-node kdsl-changed" data-variable="{var}">' in svg
            assert marked == (var in changed), var
        assert "changed mechanism" in svg  # the legend


def test_two_regimes_marks_rain_not_wet(bundles):
    page = bundles["two_regimes"]["bundle"]["text/html"]
    assert '<g class="kdsl-node kdsl-changed" data-variable="rain">' in page
    assert '<g class="kdsl-node" data-variable="wet">' in page
    assert "3 mechanisms" in page


def test_winning_formula_as_latex(bundles):
    for key in ("two_regimes", "discovery"):
        bundle = bundles[key]["bundle"]
        data = bundle["application/json"]
        best = next(p for p in data["programs"] if p["name"] == data["best"])
        assert best["formula"]
        assert f"$$L = {html.escape(best['formula'])}$$" in bundle["text/html"]


def test_static_html_has_the_breakdown_of_the_best_program(bundles):
    for key in ("two_regimes", "discovery"):
        bundle = bundles[key]["bundle"]
        data = bundle["application/json"]
        best = next(p for p in data["programs"] if p["name"] == data["best"])
        page = bundle["text/html"]
        assert 'class="kdsl-breakdown"' in page and "(program)" in page
        for v in best["breakdown"]["variables"]:
            assert f"<b>{v['total_bits']:.2f}</b>" in page and html.escape(v["method_meaning"]) in page
        for s in best["breakdown"]["symbols"]:
            assert f"<code>{html.escape(s['symbol'])}</code>" in page and html.escape(s["meaning"]) in page


def test_search_verdict_and_notes_shown(bundles):
    page = bundles["discovery"]["bundle"]["text/html"]
    assert "proven optimal" in page and "algorithmic causes" in page


def test_hostile_environment_names_are_escaped(bundles):
    bundle = bundles["hostile"]["bundle"]
    page = bundle["text/html"]
    assert HOSTILE in json.dumps(bundle["application/json"]["environments"]).replace("\\u003c", "<")
    assert "<img" not in page and "onerror=alert(1)>" not in page
    assert html.escape(HOSTILE) in page
    assert "a&amp;b" in page and "a&b" not in page


# ------------------------------------------------------------------ in process
def _program(name, edges=(), shifts=None, total=3.0, reason=None, k=1, symmetries=()):
    variables = sorted({v for e in edges for v in e} | set(shifts or {}))
    finite = math.isfinite(total)
    return ProgramResult(
        name, total, 1.0 if finite else math.inf, total - 1.0 if finite else math.inf, k, tuple(edges),
        {v: MechanismResult("table", "table", (), False, 1, 0.0, {}, "exact") for v in variables}, shifts or {}, symmetries, (),
        "x" if finite else "", "x" if finite else "", {}, reason=reason,
    )


def _result(programs, best, ties=None, notes=()):
    return Result("m", "paper", ({"name": "e0", "rows": 3},), tuple(programs), best,
                  tuple(ties if ties is not None else ([best] if best else [])), (), notes)


def test_hostile_program_and_variable_names_are_escaped():
    bad = '<script>alert("x")</script>'
    p = _program(bad, edges=((bad, "Y"),), shifts={bad: [["e0"], [bad]], "Y": [["e0"]]},
                 symmetries=({"var": bad, "symmetry": bad},))
    r = _result([p], bad, notes=(bad,))
    page = result_html(r)
    assert "<script" not in page
    assert page.count(html.escape(bad)) >= 5
    assert 'class="kdsl-node kdsl-changed kdsl-symmetric"' in page


def test_infinite_program_and_ties():
    a, b = _program("a", edges=(("X", "Y"),)), _program("b", edges=(("Y", "X"),))
    inf = _program("never", shifts={"X": [["e0"]]}, total=math.inf, reason="row 3 impossible", k=None)
    page = result_html(_result([a, b, inf], "a", ties=["a", "b"]))
    assert page.count("kdsl-tie") == 2 and "<b>tie between a, b (within" in page
    assert "infinite length: row 3 impossible" in page and "\u221e" in page and "no finite length" in page


def test_no_best_program_renders_without_graph():
    r = _result([_program("never", total=math.inf, reason="why", k=None)], None)
    page = result_html(r)
    assert "no program has a finite length" in page and "<svg" not in page
    bundle = r._repr_mimebundle_()
    assert "no program has a finite length" in bundle["text/plain"]
    with pytest.raises(ValueError):
        program_svg(r)


def test_include_exclude_keep_text_plain():
    r = _result([_program("a", edges=(("X", "Y"),))], "a")
    assert set(mimebundle(r, include={"text/html"})) == {"text/plain", "text/html"}
    assert set(r._repr_mimebundle_(exclude={"text/html", "text/plain"})) == {"text/plain", "application/json"}


def test_layout_is_topological_and_survives_a_cycle():
    assert graph_layout(["C", "B", "A"], [("A", "B"), ("B", "C")]) == [["A"], ["B"], ["C"]]
    assert graph_layout(["A", "B"], [("A", "B"), ("B", "A")]) == [["A", "B"]]
    p = _program("cyc", edges=(("A", "B"), ("B", "A")), shifts={"A": [["e0"]], "B": [["e0"]]})
    svg = program_svg(_result([p], "cyc"), "cyc")
    assert svg.count('class="kdsl-arrowhead"') == 2


def test_changed_variables():
    p = _program("p", shifts={"X": [["a"], ["b"]], "Y": [["a", "b"]]})
    assert changed_variables(p) == {"X": [["a"], ["b"]]}
