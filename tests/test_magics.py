"""%load_ext kdsl, %%kdsl and %kdsl explain in a real Jupyter kernel (nbclient + nbformat)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

KDSL_PARENT = Path(__import__("kdsl").__file__).resolve().parent.parent

SPEC = """\
var X in 0..1
var Y in 0..1
env lab from df                # a DataFrame from the notebook
env obs from "obs.csv"         # relative to the working directory
hypothesis dependent {
    X ~ table
    Y ~ table(X)
}
hypothesis independent {
    X ~ table
    Y ~ table
}
"""

CELLS = {
    "load": "%load_ext kdsl",
    "frame": (
        "import pandas as pd\n"
        "df = pd.DataFrame({'X': [0, 1] * 20, 'Y': [0, 1] * 19 + [1, 1], 'id': range(40)})"
    ),
    "solve": "%%kdsl --out r\n" + SPEC,
    "assert": (
        "import kdsl.verdict.result\n"
        "assert isinstance(r, kdsl.verdict.result.Result)\n"
        "assert r.best == 'dependent', r.best\n"
        "assert [e['name'] for e in r.environments] == ['lab', 'obs']\n"
        "print('best is', r.best)"
    ),
    "error": "%%kdsl\nvar X in 0..1\nvar X in 0..2\n",
    "missing": "%%kdsl\nvar X in 0..1\nenv lab from nothere\n",
    "check": "%%kdsl --check --out bound\n" + SPEC,
    "bound": "print(type(bound).__name__, bound.names)",
    "explain": "%kdsl explain r",
    "display": "%%kdsl\n" + SPEC,
    "json": "%%kdsl --json\n" + SPEC,
    "usage": "%kdsl explain nothing_here",
    "stale": "%%kdsl --out r\nvar X in 0..1\nvar X in 0..2\n",
    "after_stale": "print('r' in globals())",
    "bogus": "%%kdsl --bogus\nvar X in 0..1\n",
    "named": "%%kdsl --check --out coin\nvar X in 0..1\nenv a from df\n",
    "named_value": "print(coin.model.name)",
}
#: The cells that must fail with an error output (a spec error, a missing name, a stale --out);
#: an unknown flag is IPython's UsageError, which IPython prints as one line.
FAILING = {"error", "missing", "stale"}


def _python3_kernelspec(root: Path) -> Path:
    """A ``python3`` kernelspec that runs this interpreter and imports this kdsl."""
    spec_dir = root / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (kdsl tests)",
        "language": "python",
        "env": {"PYTHONPATH": str(KDSL_PARENT)},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return root / "jupyter"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    work = tmp_path_factory.mktemp("nb")
    (work / "obs.csv").write_text("X,Y\n" + "".join(f"{i % 2},{i % 2}\n" for i in range(30)))
    mp = pytest.MonkeyPatch()
    # JUPYTER_PATH comes first in the kernelspec search, so 'python3' is this interpreter
    mp.setenv("JUPYTER_PATH", str(_python3_kernelspec(work)))
    mp.setenv("IPYTHONDIR", str(work / "ipython"))
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS.values()]
        client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                                         resources={"metadata": {"path": str(work)}})
        client.execute()
    finally:
        mp.undo()
    return dict(zip(CELLS, (cell.outputs for cell in nb.cells)))


def _text(outs, name=None) -> str:
    parts = []
    for out in outs:
        if out["output_type"] == "stream" and (name is None or out["name"] == name):
            parts.append(out["text"])
        elif out["output_type"] == "error":
            parts.append("\n".join(out["traceback"]))
        elif name is None and "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def _errors(outs) -> list:
    return [out for out in outs if out["output_type"] == "error"]


def test_only_the_bad_cells_fail(outputs):
    for name, outs in outputs.items():
        assert bool(_errors(outs)) == (name in FAILING), (name, _text(outs))


def test_out_stores_the_result_and_shows_nothing(outputs):
    assert outputs["solve"] == [] or all(o["output_type"] == "stream" for o in outputs["solve"])
    assert "best is dependent" in _text(outputs["assert"], "stdout")


def test_error_shows_the_cell_line_and_a_caret_not_a_traceback(outputs):
    (error,) = _errors(outputs["error"])
    assert error["ename"] == "CellError"
    text = _text(outputs["error"])
    lines = text.splitlines()
    assert lines[0].startswith("<kdsl cell>:2:5: ")
    assert lines[1] == "    var X in 0..2"
    assert lines[2] == "        ^"
    assert "Traceback" not in text


def test_missing_notebook_name_is_located(outputs):
    text = _text(outputs["missing"])
    assert text.startswith("<kdsl cell>:2:14: no variable named 'nothere' in the notebook")
    assert "                 ^^^^^^^" in text and "Traceback" not in text


def test_a_failed_cell_leaves_no_stale_out_variable(outputs):
    assert _text(outputs["stale"]).startswith("<kdsl cell>:2:5: ")
    assert _text(outputs["after_stale"], "stdout") == "False\n"  # r from the first cell is gone


def test_unknown_flag_lists_the_options(outputs):
    text = _text(outputs["bogus"])
    assert text.startswith("UsageError: unrecognized arguments: --bogus; usage: %%kdsl [--out NAME] [--check] [--json]")
    assert "--out NAME" in text and "--check" in text and "--json" in text and "Traceback" not in text


def test_a_cell_without_model_is_named_after_its_out_variable(outputs):
    assert _text(outputs["named_value"], "stdout") == "coin\n"


def test_run_all_stops_at_the_failing_cell(tmp_path):
    cells = ["%load_ext kdsl", "%%kdsl --out r\nvar X in 0..1\nvar X in 0..2\n", "print('ran on')"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(_python3_kernelspec(tmp_path)))
    mp.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    try:
        client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=False)
        with pytest.raises(nbclient.exceptions.CellExecutionError) as failed:
            client.execute()
    finally:
        mp.undo()
    assert failed.value.ename == "CellError" and "<kdsl cell>:2:5:" in str(failed.value)
    assert nb.cells[2].outputs == [] and nb.cells[2].get("execution_count") is None  # never ran


def test_check_prints_the_summary_and_stores_the_bound_model(outputs):
    text = _text(outputs["check"], "stdout")
    assert ": ok (code nml)" in text and "environments (2, 70 rows)" in text
    assert "hypotheses (2):" in text
    assert "BoundModel ['lab', 'obs']" in _text(outputs["bound"], "stdout")


def test_explain_shows_each_programs_length(outputs):
    text = _text(outputs["explain"], "stdout")
    assert "program dependent:" in text and "program independent:" in text and "LaTeX:" in text


def test_without_out_the_result_renders_its_mimebundle(outputs):
    results = [o for o in outputs["display"] if o["output_type"] == "execute_result"]
    assert len(results) == 1
    data = results[0]["data"]
    assert {"text/plain", "text/html", "application/json"} <= set(data)
    assert data["application/json"]["best"] == "dependent"
    assert 'class="kdsl-graph"' in data["text/html"] and "$$L = " in data["text/html"]
    assert data["text/plain"].startswith("model ")


def test_json_flag_shows_the_json(outputs):
    shown = [o for o in outputs["json"] if o["output_type"] == "display_data"]
    assert len(shown) == 1 and shown[0]["data"]["application/json"]["best"] == "dependent"


def test_line_magic_usage_error_is_short(outputs):
    text = _text(outputs["usage"])
    assert text.startswith("UsageError: no variable named 'nothing_here'") and "Traceback" not in text

