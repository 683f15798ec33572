"""Output formats come from one registry (kdsl.present.formats), used by the CLI and by the %%kdsl magic.

A test-only format is added here, in this one file, and used through ``kdsl solve --format`` and
``%%kdsl --format`` (an in-process IPython shell), as docs/architecture.md's "How to add an output
format" says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kdsl
from kdsl.cli import main
from kdsl.present.formats import OutputFormat, format_names, get_format, register_format, unregister_format
from kdsl.present.render import latex_text, solve_text

ROOT = Path(__file__).resolve().parent.parent
REGIMES = ROOT / "examples" / "two_regimes.kdsl"
SYMMETRY = ROOT / "examples" / "symmetry.kdsl"


def _shout(result: kdsl.Result) -> str:
    """The test-only format: the best program's name and length, in capitals."""
    best = result.program(result.best)
    return f"BEST {best.name.upper()} AT {best.total_bits:.2f} BITS"


SHOUT = OutputFormat("shout", "text/plain", "the best program, loudly (a test-only format)", _shout)


@pytest.fixture
def shout():
    register_format(SHOUT)
    try:
        yield SHOUT
    finally:
        unregister_format("shout")


@pytest.fixture(scope="module")
def regimes():
    return kdsl.solve(REGIMES)


def _run(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_a_registered_format_reaches_the_command_line(shout, capsys, regimes):
    status, out, _ = _run(capsys, "solve", REGIMES, "--format", "shout")
    assert status == 0 and out.strip() == _shout(regimes) == f"BEST FORWARD AT {regimes.program('forward').total_bits:.2f} BITS"
    status, out, _ = _run(capsys, "solve", REGIMES, SYMMETRY, "--format", "shout")
    assert status == 0 and out.count("BEST ") == 2 and f"== {REGIMES} ==" in out


def test_a_format_without_explanation_is_not_offered_to_explain(shout, capsys):
    assert "shout" in format_names() and "shout" not in format_names(explain=True)
    with pytest.raises(SystemExit) as stop:
        main(["explain", str(REGIMES), "--format", "shout"])
    assert stop.value.code == 2 and "invalid choice: 'shout'" in capsys.readouterr().err


def test_unregistered_formats_are_gone_and_names_are_unique(shout, capsys):
    with pytest.raises(ValueError, match="exists"):
        register_format(SHOUT)
    register_format(SHOUT, replace=True)
    assert get_format("shout") is SHOUT
    with pytest.raises(kdsl.KdslError, match="the formats are: text, json, dot, html, latex, shout"):
        get_format("loud")


def test_every_built_in_format_renders_solve_and_explain(capsys, regimes):
    assert format_names()[:5] == ("text", "json", "dot", "html", "latex")
    _, text, _ = _run(capsys, "solve", REGIMES)
    assert text.strip() == solve_text(regimes)
    _, out, _ = _run(capsys, "solve", REGIMES, "--format", "json")
    assert json.loads(out) == json.loads(json.dumps(regimes.to_dict()))
    _, out, _ = _run(capsys, "solve", REGIMES, "--format", "dot")
    assert out.startswith('digraph "two_regimes"') and '"rain" -> "wet";' in out
    _, out, _ = _run(capsys, "solve", REGIMES, "--format", "html")
    assert out.startswith('<div class="kdsl-result"') and 'data-program="forward"' in out
    _, out, _ = _run(capsys, "solve", REGIMES, "--format", "latex")
    assert out.strip() == latex_text(regimes)
    assert "\\begin{align*}" in out and "L_{\\text{forward}} &= " in out and "L_{\\text{backward}}" in out
    _, out, _ = _run(capsys, "explain", REGIMES, "--format", "latex", "--program", "backward")
    assert "L_{\\text{backward}}" in out and "forward" not in out
    backward = regimes.program("backward")
    (values,) = [line for line in out.splitlines() if line.startswith("&\\quad \\text{with } ")]  # every symbol's value
    assert f"N = {backward.formula_values['N']:g}," in values and values.count(" = ") == len(backward.formula_values)
    _, out, _ = _run(capsys, "explain", REGIMES, "--format", "html")
    assert out.count('class="kdsl-explained"') == 2 and 'class="kdsl-breakdown"' in out
    _, by_flag, _ = _run(capsys, "explain", REGIMES, "--json")
    _, by_format, _ = _run(capsys, "explain", REGIMES, "--format", "json")
    assert by_flag == by_format and json.loads(by_flag)["programs"][0]["name"] == "forward"


def test_a_sweep_names_each_spec_in_the_formats_own_comments(capsys):
    _, out, _ = _run(capsys, "solve", REGIMES, SYMMETRY, "--format", "html")
    assert out.startswith(f"<!-- == {REGIMES} == -->")
    _, out, _ = _run(capsys, "solve", REGIMES, SYMMETRY, "--format", "latex")
    assert out.startswith(f"% == {REGIMES} ==")


# ------------------------------------------------------------------ the magic
@pytest.fixture
def shell():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "kdsl")
    yield ip
    InteractiveShell.clear_instance()


def _cell(shell, line: str, spec: Path):
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        value = shell.run_cell_magic("kdsl", line, spec.read_text())
    return value, shown


def test_a_registered_format_reaches_the_magic(shout, shell, regimes, monkeypatch):
    monkeypatch.chdir(REGIMES.parent)
    value, shown = _cell(shell, "--format shout --out r", REGIMES)
    assert value is None and shell.user_ns["r"].best == "forward"
    assert [o.data for o in shown.outputs] == [{"text/plain": _shout(regimes)}]


def test_the_magic_shows_built_in_formats_by_their_mime_type(shell, monkeypatch):
    from IPython.core.error import UsageError

    monkeypatch.chdir(REGIMES.parent)
    _, shown = _cell(shell, "--format latex", REGIMES)
    (data,) = [o.data for o in shown.outputs]
    assert set(data) == {"text/plain", "text/latex"} and "\\begin{align*}" in data["text/latex"]
    _, shown = _cell(shell, "--format json", REGIMES)
    assert shown.outputs[0].data["application/json"]["best"] == "forward"
    with pytest.raises(UsageError, match="no output format named 'loud'; the formats are: text, json"):
        _cell(shell, "--format loud", REGIMES)
    with pytest.raises(UsageError, match="--check shows the spec's summary"):
        _cell(shell, "--check --format dot", REGIMES)
