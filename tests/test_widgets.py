"""The notebook widgets: ResultView's tabs and their data, selection, and kdsl.present.explore."""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import kdsl
from kdsl.verdict.result import Result

widgets = pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from kdsl.present.explore import rewrite_spec, spec_settings  # noqa: E402
from kdsl.present.widgets import SORT_KEYS, TAB_TITLES, ResultView, bits_png  # noqa: E402

explore_module = importlib.import_module("kdsl.present.explore")

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"
COVARIATE = ROOT / "examples" / "covariate_shift.kdsl"

SEARCH_SPEC = (ROOT / "examples" / "symmetry.kdsl").read_text()


@pytest.fixture(scope="module")
def regimes() -> Result:
    return kdsl.solve(ROOT / "examples" / "two_regimes.kdsl")


def groups_in(shift_map_html: str, var: str) -> list[int]:
    """The group numbers of one variable's row of the shift map."""
    row = re.search(rf"<tr><td[^>]*><b>{var}</b>.*?</tr>", shift_map_html, re.S).group(0)
    return [int(g) for g in re.findall(r"data-group='(\d+)'", row)]


# ----------------------------------------------------------------------------- ResultView
def test_result_view_tabs_and_first_selection(regimes):
    view = ResultView(regimes)
    assert isinstance(view, widgets.Tab)
    assert tuple(view.titles) == TAB_TITLES == ("ranking", "bits", "graph", "shifts", "length")
    kinds = [type(c).__name__ for c in view.children]
    assert kinds == ["VBox", "VBox", "HTML", "HTML", "HTMLMath"]
    assert view.selected == regimes.best == "forward"
    assert view.program_select.value == "forward"
    assert [value for _, value in view.program_select.options] == ["forward", "backward"]
    assert view.sort_buttons.options == tuple(SORT_KEYS)


def test_result_view_shows_the_data_of_each_tab(regimes):
    view = ResultView(regimes)
    forward = regimes.program("forward")
    ranking = view.ranking.value
    assert "forward ★" in ranking and "backward" in ranking
    assert f"{forward.total_bits:.2f}" in ranking and "rain → wet" in ranking
    assert re.search(r"data-program='forward' style='background:#fff3c4", ranking)
    assert bytes(view.bits_image.value).startswith(PNG)
    assert "data bits in each environment, stacked by variable" in view.bits_note.value  # fed by the solver
    assert "<svg" in view.graph.value and "rain" in view.graph.value
    assert "{observed} | {seeded, monsoon} | {drought}" in view.graph.value
    # shift map: rain uses 3 tables (observed | seeded, monsoon | drought); wet one table everywhere
    assert ">observed<" in view.shift_map.value and ">monsoon<" in view.shift_map.value
    assert groups_in(view.shift_map.value, "rain") == [1, 2, 3, 2]
    assert groups_in(view.shift_map.value, "wet") == [1, 1, 1, 1]
    assert forward.formula in view.length.value
    assert "$$L = " in view.length.value and f"{forward.total_bits:.2f}" in view.length.value
    assert "D_{rain} = 617.7" in view.length.value
    # the breakdown: a bar row per variable and the program's own row, each term in bits, the legend in words
    length = view.length.value
    assert "kdsl-breakdown" in length and "(program)" in length and "number of environments" in length
    for v in forward.breakdown["variables"]:
        assert f"<code>{v['variable']}</code>" in length and f"<b>{v['total_bits']:.2f}</b>" in length
    assert length.count('title="model ') == len(forward.breakdown["variables"]) + 1
    for t in forward.breakdown["terms"]:
        assert f"{t['bits']:.2f}" in length


def test_ranking_tab_shows_delta_margins_and_stability():
    spec = (ROOT / "examples" / "orientation_shift.kdsl").read_text().replace("    top 3", "    top 3\n    stability 2")
    result = kdsl.solve(spec)
    ranking = ResultView(result).ranking.value
    gap = result.program("search-2").total_bits - result.program("search-1").total_bits
    assert f"+{gap:.2f}" in ranking
    assert "class=\"kdsl-margins\"" in ranking and "decided by shifts" in ranking
    assert "class=\"kdsl-stability-table\"" in ranking and "A - B" in ranking
    assert "stability over 2 subsamples" in ranking


def test_selecting_a_program_updates_graph_shifts_and_length(regimes):
    view = ResultView(regimes)
    before = {"graph": view.graph.value, "shifts": view.shift_map.value, "length": view.length.value,
              "bits": view.bits_image.value}
    view.program_select.value = "backward"  # what a click in the ranking does
    assert view.selected == "backward"
    backward = regimes.program("backward")
    assert view.graph.value != before["graph"] and "wet → rain" in view.graph.value
    assert groups_in(view.shift_map.value, "wet") == [1, 2, 1, 2]
    assert groups_in(view.shift_map.value, "rain") == [1, 2, 1, 2]
    assert backward.formula in view.length.value and f"{backward.total_bits:.2f}" in view.length.value
    assert view.length.value != before["length"]
    assert bytes(view.bits_image.value) != bytes(before["bits"])  # the selected bar is outlined
    assert re.search(r"data-program='backward' style='background:#fff3c4", view.ranking.value)
    # and from Python: the ranking's selection follows
    view.selected = "forward"
    assert view.program_select.value == "forward"
    assert view.graph.value == before["graph"] and view.shift_map.value == before["shifts"]
    with pytest.raises(Exception, match="no program named 'nope'"):
        view.selected = "nope"
    assert view.select("backward") is view and view.selected == "backward"


def test_sorting_the_ranking_keeps_the_selection(regimes):
    view = ResultView(regimes, selected="backward")
    view.sort_buttons.value = "name"
    assert [v for _, v in view.program_select.options] == ["backward", "forward"]
    assert view.selected == "backward" and view.program_select.value == "backward"
    assert view.ranking.value.index("data-program='backward'") < view.ranking.value.index("data-program='forward'")
    view.sort_buttons.value = "model"
    assert [v for _, v in view.program_select.options] == ["forward", "backward"]


def test_per_environment_bits_are_drawn_when_recorded(regimes):
    program = regimes.program("forward")
    envs = [e["name"] for e in regimes.environments]
    mechanisms = {var: dataclasses.replace(m, data_bits_by_environment={e: m.data_bits / len(envs) for e in envs})
                  for var, m in program.mechanisms.items()}
    result = dataclasses.replace(regimes, programs=(dataclasses.replace(program, mechanisms=mechanisms),
                                                    regimes.program("backward")))
    png, note = bits_png(result, "forward")
    assert png.startswith(PNG) and "data bits in each environment" in note


def test_an_infinite_program_is_shown_with_its_reason(regimes):
    bad = dataclasses.replace(regimes.program("backward"), total_bits=math.inf, model_bits=math.inf, k=None,
                              formula="", formula_text="", formula_values={}, reason="row 3 of seeded is impossible")
    result = dataclasses.replace(regimes, programs=(regimes.program("forward"), bad))
    view = ResultView(result, selected="backward")
    assert "no finite length" in view.length.value and "row 3 of seeded is impossible" in view.length.value
    assert "∞" in view.ranking.value
    assert "infinite length are not drawn" in view.bits_note.value


def test_result_view_needs_a_result():
    with pytest.raises(TypeError, match="kdsl Result"):
        ResultView({"best": "x"})


# ----------------------------------------------------------------------------- packaging of the extra
def test_import_kdsl_imports_no_notebook_package():
    code = ("import sys, kdsl; bad = [m for m in ('ipywidgets', 'matplotlib', 'IPython', 'traitlets') if m in sys.modules]; "
            "assert not bad, bad; assert kdsl.ResultView.__name__ == 'ResultView'; assert 'ipywidgets' in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_lazy_accessors():
    assert kdsl.ResultView is ResultView
    assert kdsl.explore is explore_module.explore


def test_widgets_without_ipywidgets_say_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    for name in ("kdsl.present.widgets", "kdsl.present.explore"):
        monkeypatch.delitem(sys.modules, name)
        with pytest.raises(ImportError, match=re.escape("pip install 'kdsl[notebook]'")):
            __import__(name)


# ----------------------------------------------------------------------------- explore
def test_rewrite_spec_changes_only_the_spans():
    text = COVARIATE.read_text()
    assert "# 10 environments e0..e9, 10 samples each" in text
    new = rewrite_spec(text, n=25, environments=4, code="bic")
    assert "simulate envs e0..e3 n 25 seed 0 {" in new
    assert "\ncode bic\n" in new and "code paper" not in new
    assert "# 10 environments e0..e9, 10 samples each" in new  # comments are not touched
    assert new.replace("e0..e3 n 25", "e0..e9 n 10").replace("code bic", "code paper") == text
    assert rewrite_spec(text, precision=12).rstrip().endswith("code paper(precision = 12)")
    assert kdsl.load(rewrite_spec(text, n=3, environments=2)).environments[1].rows == 3
    no_code = "var X in 0..1\nsimulate env a n 5 seed 1 {\n    X ~ bernoulli(0.5)\n}"
    assert rewrite_spec(no_code, code="nml", n=7).endswith("n 7 seed 1 {\n    X ~ bernoulli(0.5)\n}\ncode nml\n")


def test_spec_settings():
    assert spec_settings(COVARIATE.read_text()) == {
        "n": 10, "environments": 10, "max_environments": 10, "precision": 8, "code": "paper", "simulations": 1}
    assert spec_settings((ROOT / "examples" / "coins.kdsl").read_text()) == {
        "n": None, "environments": None, "max_environments": None, "precision": 8, "code": "nml", "simulations": 0}


def test_explore_constructs_with_sliders_and_resolves_when_one_moves():
    ex = kdsl.explore(COVARIATE, background=False)
    assert isinstance(ex, widgets.VBox)
    assert (ex.n_slider.value, ex.env_slider.value, ex.precision_slider.value, ex.code_buttons.value) == (10, 10, 8, "paper")
    assert ex.env_slider.max == 10  # theta has 10 values
    assert isinstance(ex.progress, widgets.IntProgress) and ex.stop_button.description == "Stop"
    assert len(ex.history) == 1 and ex.result.best == "causal" and ex.history[0]["k"] == 4
    assert ex.history[0]["causes"] == [["X", "Y"]]

    ex.n_slider.value = 100  # the observer re-solves
    assert len(ex.history) == 2 and ex.history[-1]["n"] == 100
    assert {e["rows"] for e in ex.result.environments} == {100}
    assert ex.history[-1]["k"] > ex.history[0]["k"]  # more samples justify more rates
    assert "n 100 seed 0" in ex.text and ex.progress.description == "done"
    assert "<b>" in ex.history_html.value and bytes(ex.k_plot.value).startswith(PNG)

    ex.env_slider.value = 4
    assert [e["name"] for e in ex.result.environments] == ["e0", "e1", "e2", "e3"]
    ex.code_buttons.value = "bic"
    assert ex.result.code == "bic" and ex.precision_slider.disabled
    ex.code_buttons.value = "paper"
    ex.precision_slider.value = 4
    assert "code paper(precision = 4)" in ex.text

    count = len(ex.history)
    ex.update()  # direct call after the slider's observer solved: the same settings, not solved twice
    assert len(ex.history) == count
    ex.n_slider.value = 20
    ex.update()
    assert len(ex.history) == count + 1 and ex.history[-1]["n"] == 20


def test_explore_subsamples_a_csv_backed_spec():
    ex = kdsl.explore(ROOT / "examples" / "coins.kdsl", background=False)
    assert not ex.simulated and ex.env_slider.disabled and not ex.seed_slider.disabled
    assert (ex.n_slider.value, ex.n_slider.max, ex.code_buttons.value) == (120, 120, "nml")
    assert ex.seed_slider in ex.children and ex.env_slider not in ex.children and {e["rows"] for e in ex.result.environments} == {120}
    full = ex.result.program("first_causes_second").total_bits
    ex.n_slider.value = 30
    assert {e["rows"] for e in ex.result.environments} == {30} and ex.history[-1]["n"] == 30
    assert ex.result.program("first_causes_second").total_bits < full  # fewer rows, fewer data bits
    first = ex.history[-1]
    ex.seed_slider.value = 5  # another draw of 30 rows
    ex.seed_slider.value = 0  # the first draw again, bit for bit
    assert ex.history[-1]["total_bits"] == first["total_bits"] and ex.history[-1]["seed"] == 0
    assert ex.history[-2]["seed"] == 5
    ex.code_buttons.value = "paper"
    assert ex.result.code == "paper" and "code paper(precision = 8)" in ex.text and not ex.precision_slider.disabled
    assert {e["rows"] for e in ex.result.environments} == {30}
    ex.code_buttons.value = "nml"
    verdicts = {}
    for n in (10, 20, 40):  # what the README says of this example (seed 0): 20 rows per class flip the direction
        ex.n_slider.value = n
        verdicts[n] = ex.result.best
    assert verdicts == {10: "first_causes_second", 20: "second_causes_first", 40: "first_causes_second"}


@pytest.mark.parametrize(("text", "message"), [
    ("var X in 0..1\nenv a from d\n", "<explore>:1:1: nothing to score"),
    ("var X in 0..1\nenv a from d\nhypothesis h {\n    X ~ table\n}\n", "<explore>:2:"),
    ("var X in 0..1\nhypothesis h {\n    X ~ table\n}\n", "<explore>:1:1: the spec declares no environments"),
])
def test_explore_raises_a_located_error_for_a_spec_it_cannot_explore(text, message):
    data = {"d": {"X": [0, 1, 1]}} if "nothing" in message else None
    with pytest.raises(kdsl.KdslError) as info:
        kdsl.explore(text, data, background=False, filename="<explore>")
    assert str(info.value).startswith(message)


def test_explore_reports_a_spec_error_and_keeps_the_last_result():
    ex = kdsl.explore(COVARIATE, background=False)
    kept = ex.result
    ex.env_slider.max = 12
    ex.env_slider.value = 12
    assert ex.result is kept and len(ex.history) == 1
    assert ex.status.value.startswith("error") and "theta[env] is out of range" in ex.error
    assert ex.progress.bar_style == "danger"


def test_stop_interrupts_a_search_and_keeps_the_best_so_far():
    ex = kdsl.explore(SEARCH_SPEC, background=False)
    assert ex.env_slider.disabled  # one named environment: no range to resize
    kept = ex.result
    calls = []
    report = ex._progress

    def press_stop_then_report(*args):
        calls.append(args)
        ex.stop()  # what the Stop button does, while the search reports progress
        report(*args)

    ex._progress = press_stop_then_report
    ex.n_slider.value = 500
    assert calls, "the search reported no progress"
    assert ex.result is kept and len(ex.history) == 1
    assert ex.status.value.startswith("stopped") and "last finished result" in ex.status.value
    assert ex.progress.description == "stopped" and ex.stop_button.disabled

    ex._progress = report
    ex.update()  # the stopped settings are solved again when asked
    assert len(ex.history) == 2 and ex.history[-1]["n"] == 500
    ex.n_slider.value = 400
    assert len(ex.history) == 3 and ex.result is not kept


def test_explore_in_the_background():
    ex = kdsl.explore(COVARIATE)  # a thread solves; the notebook stays responsive
    ex.n_slider.value = 20
    ex.n_slider.value = 30
    ex.wait(timeout=120)
    assert ex.history and ex.history[-1]["n"] == 30
    assert ex.result.best == "causal"


def test_stop_button_interrupts_a_background_search():
    ex = kdsl.explore(SEARCH_SPEC)
    ex.wait(timeout=120)
    kept = ex.result
    started, pressed = threading.Event(), threading.Event()
    report = ex._progress

    def slow_report(*args):  # the search is running in the worker thread: hold it until Stop was clicked
        started.set()
        pressed.wait(timeout=60)
        report(*args)

    ex._progress = slow_report
    ex.n_slider.value = 500
    assert started.wait(timeout=60), "the background search reported no progress"
    assert not ex.stop_button.disabled
    ex.stop_button.click()  # what a click in the notebook does (on the kernel's main thread)
    pressed.set()
    ex.wait(timeout=60)
    assert ex.result is kept and len(ex.history) == 1
    assert ex.status.value.startswith("stopped") and ex.stop_button.disabled
