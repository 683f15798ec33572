"""The package as a new user gets it: README commands, CI, the shipped grammar, lazy extras."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def ci_test_command() -> str:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    marker = lines.index("# The README's second command, verbatim:")
    return lines[marker + 1].strip()


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert ci_test_command() in readme
    assert "venv" in (ROOT / ".ci" / "run").read_text()


def test_readme_main_command_runs_a_bundled_example():
    readme = (ROOT / "README.md").read_text()
    assert "kdsl solve examples/covariate_shift.kdsl" in readme
    assert (ROOT / "examples" / "covariate_shift.kdsl").is_file()


def test_grammar_ships_inside_the_installed_package():
    try:
        dist = metadata.distribution("kdsl")
    except metadata.PackageNotFoundError:
        pytest.skip("kdsl is not installed (run `pip install .`); the packaged grammar cannot be checked")
    files = {str(f) for f in dist.files or []}
    if "kdsl/kdsl.lark" not in files:
        # an editable install points at the checkout; only a real install ships the file
        direct = dist.read_text("direct_url.json") or ""
        if '"editable": true' in direct:
            pytest.skip("kdsl is installed in editable mode; the wheel's contents cannot be checked here")
    assert "kdsl/kdsl.lark" in files
    shipped = Path(dist.locate_file("kdsl/kdsl.lark")).read_text(encoding="utf-8")
    assert shipped == (ROOT / "grammar" / "kdsl.lark").read_text(encoding="utf-8")


def test_grammar_loads_from_the_installed_package_outside_the_checkout(tmp_path):
    try:
        metadata.distribution("kdsl")
    except metadata.PackageNotFoundError:
        pytest.skip("kdsl is not installed (run `pip install .`)")
    code = "import kdsl, kdsl.language.syntax as s; print(kdsl.__file__); print(s.parse('var X in 0..1').decls[0].name.name)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={"PATH": ""})
    assert run.returncode == 0, run.stderr
    location, name = run.stdout.split()
    assert name == "X"
    if not Path(location).resolve().is_relative_to(ROOT):
        assert (Path(location).parent / "kdsl.lark").is_file()


def test_import_needs_no_notebook_package_nor_dask():
    code = (
        "import sys, kdsl; kdsl.solve_many(['var X in 0..1\\nsimulate env a n 3 seed 0 {\\n X ~ bernoulli(0.5)\\n}\\n"
        "hypothesis h {\\n X ~ table\\n}\\n']);"
        "bad = [m for m in ('ipywidgets', 'IPython', 'matplotlib', 'pandas', 'ipykernel', 'dask', 'distributed', 'tqdm')"
        " if m in sys.modules];"
        "print(','.join(bad))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_version_is_consistent():
    import kdsl

    run = subprocess.run([sys.executable, "-m", "kdsl.cli", "--version"], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert run.stdout.strip() == f"kdsl {kdsl.__version__}"
