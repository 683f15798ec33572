"""Every notebook in notebooks/ runs top to bottom on a fresh kernel, and is stored without outputs.

The notebooks are lessons: a question, steps, exercises with "try this"
cells, and a separate Solutions section; they hold no ``assert``. What each
one finds is checked here instead (:data:`FINDINGS`), by a cell run in the
notebook's own kernel after its last cell.

The kernel is this interpreter (``sys.executable``), through a kernelspec
written into a temporary ``JUPYTER_PATH``; the working directory is the
repository root.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "kdsl-test-python"
CELL_TIMEOUT = 180

nbformat = pytest.importorskip("nbformat")


def install_kernelspec(prefix: Path, name: str = KERNEL) -> Path:
    """A kernelspec named ``name`` that runs ``sys.executable -m ipykernel_launcher``; returns its share/jupyter dir."""
    share = prefix / "share" / "jupyter"
    spec_dir = share / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({name})",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return share


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    share = install_kernelspec(tmp_path_factory.mktemp("jupyter"))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(share) + (os.pathsep + old if old else "")
    old_pp = os.environ.get("PYTHONPATH")
    if not _kdsl_installed():  # this interpreter runs kdsl from the checkout: so does the kernel
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), old_pp) if p)
    yield KERNEL
    for key, value in (("JUPYTER_PATH", old), ("PYTHONPATH", old_pp)):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _kdsl_installed() -> bool:
    import kdsl

    return ROOT not in Path(kdsl.__file__).resolve().parents


def execute(path: Path, kernel: str, store_widget_state: bool = False, then: str | None = None):
    """Run a notebook in place (a copy in memory) from the repository root; returns it.

    ``then``: code run in the same kernel after the notebook's last cell (its findings' checks).
    """
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    if then is not None:
        book.cells.append(nbformat.v4.new_code_cell(then))
    client = NotebookClient(book, timeout=CELL_TIMEOUT, kernel_name=kernel, resources={"metadata": {"path": str(ROOT)}},
                            store_widget_state=store_widget_state)
    client.execute(cwd=str(ROOT))
    return book


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "01_two_part_codes_and_kraft.ipynb", "02_fig3_selection_strategies.ipynb", "03_covariate_shift_g1.ipynb",
        "04_causal_direction_g2.ipynb", "05_unknown_interventions.ipynb", "06_symmetry.ipynb",
        "07_choosing_a_code.ipynb",
    } <= names
    assert names == set(FINDINGS), "every notebook has its findings checked here"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs before committing"
    assert "widgets" not in book.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_a_lesson(path):
    """A question first, exercises with "try this" cells, then a separate Solutions section; no asserts."""
    book = nbformat.read(path, as_version=4)
    code = [c.source for c in book.cells if c.cell_type == "code"]
    assert not any(re.search(r"^\s*assert\b", src, re.M) for src in code), f"{path.name}: move checks into FINDINGS"
    firsts = [c.source.splitlines()[0] if c.cell_type == "markdown" and c.source else "" for c in book.cells]
    assert "**The question.**" in book.cells[0].source
    assert "## Exercises" in firsts and "## Solutions" in firsts
    exercises, solutions = firsts.index("## Exercises"), firsts.index("## Solutions")
    assert exercises < solutions
    text = "\n".join(c.source for c in book.cells[exercises:solutions] if c.cell_type == "markdown")
    count = len(re.findall(r"^\d\. ", text, re.M))
    assert 2 <= count <= 3, f"{path.name}: {count} exercises"
    labels = re.findall(r"^\*\*(\d(?: and \d)?)\.\*\*", "\n".join(c.source for c in book.cells[solutions:]), re.M)
    assert sorted(int(d) for label in labels for d in label.split(" and ")) == list(range(1, count + 1))
    assert sum(src.startswith("# Try this") for src in code) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, kernel_name):
    from nbclient.exceptions import CellExecutionError

    if path.name.startswith("05_"):
        pytest.importorskip("pgmpy")
    try:
        book = execute(path, kernel_name, then=FINDINGS[path.name])
    except CellExecutionError as err:  # the message holds the cell and the traceback
        pytest.fail(f"{path.name} failed:\n{err}", pytrace=False)
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors


#: What each lesson claims, checked in its own kernel after its last cell (the notebooks hold no asserts).
FINDINGS = {
    "01_two_part_codes_and_kraft.ipynb": """
import math
model_bits, data_bits, p = two_part(16, heads, tails)
assert abs(p - heads / 200) <= 1 / 16
assert model_bits + data_bits < 200                       # the regularity compresses
assert best_M not in (sizes[0], sizes[-1])                # the total is least at an intermediate codebook
for N, M, code, by_hand, by_kdsl, harmonic in kraft_table:
    assert math.isclose(by_hand, by_kdsl, rel_tol=1e-9)
    if code == "direct":
        assert math.isclose(by_hand, 1.0)
    elif code == "compressed":
        assert math.isclose(by_hand, harmonic)            # > 1 once min(N, M) >= 2: not a prefix code
    else:
        assert by_hand <= 1.0
assert all(s <= 1 for s in large.values())
assert min(fair_totals, key=fair_totals.get) == 1 and math.isclose(fair_totals[1], 200)
assert best_by_tosses[2000] > best_by_tosses[20]
assert math.isclose(fixed_k_kraft, 1.0)
""",
    "02_fig3_selection_strategies.ipynb": """
import math
for (M, N), s in shape.items():
    assert s["at_1"] > 0 and s["min"] < 0 and s["falls_to_min"]
    if (M, N) != (20, 80):
        assert s["at_end"] > s["min"]                     # rising again near min(M, N)
assert float(wrapped(80, 20, 2)) < float(strategy1(80, 20))
assert pays_l[:6] == [1, 2, 3, 4, 5, 6] and 7 not in pays_l and pays_l[-1] == 10
assert pays_wrapped == [1, 2]
values = [pays_by_N[N] for N in (10, 20, 40, 80)]
assert values == sorted(values) and values[-1] > values[0]
""",
    "03_covariate_shift_g1.ipynb": """
import math
assert k_data > 7 > k_total                               # data alone overfits; the total picks a small k
assert causal.k == k_total
assert result.best == "causal" and result.causes == (("X", "Y"),)
parts = [v["total_bits"] for v in causal.breakdown["variables"]] + [causal.breakdown["program"]["total_bits"]]
assert math.isclose(sum(parts), causal.total_bits, abs_tol=1e-9)
assert picked[400] >= picked[100] >= picked[10] and picked[400] == 7
assert view.selected == "causal"
assert len(causal.shifts["X"]) == causal.k and len(causal.shifts["Y"]) == 1
view.selected = "anticausal"
assert "anticausal" in view.shift_map.value
explorer.wait()
assert explorer.result.best == "causal" and explorer.progress.description == "done"
assert "causal" in explorer.ranking.value and explorer.history[-1]["k"] == 4
assert sparse_k_total == 2 < sparse_k_data
assert four.k == 2 and four.shifts["X"] == [["e0", "e1", "e2"], ["e3"]]
assert many_k_data == 7 == many.k
""",
    "04_causal_direction_g2.ipynb": """
import math
assert abs(fit["causal"] - fit["anticausal"]) < 2          # the data bits cannot separate the directions
assert anti.total_bits - causal.total_bits > 10             # the total can
assert result.best == "causal" and result.causes == (("X", "Y"),)
assert "anticausal" in view.length.value and anti.formula in view.length.value
assert sum(model_bits["anticausal"].values()) < sum(model_bits["causal"].values())
assert sum(data_bits["anticausal"].values()) > sum(data_bits["causal"].values()) + 10
assert direct.best == "anticausal" and 0 < direct_gap < 1
for code, free_causal, free_anticausal, free_causes, x_groups in rows:   # free regressions, no templates
    assert free_causal < free_anticausal and free_causes == (("X", "Y"),) and len(x_groups) >= 2, code
""",
    "05_unknown_interventions.ipynb": """
import math
assert set(targets) == {"smoke", "bronc"}
assert ["smokers"] in targets["smoke"]                     # smoke changed in the smokers regime only
assert ["bronc"] in targets["bronc"]                       # bronc | smoke changed in the bronc regime only
assert found.search["proven"]
assert set(targets_two) == {"smoke"} and ["smokers"] in targets_two["smoke"]
assert set(targets_small) == {"smoke"}
""",
    "06_symmetry.ipynb": """
import math
assert best.edges == (("X", "Y"),)
assert best.symmetries == ({"var": "Y", "symmetry": "mirror", "use": "invariance"},)
assert plain.data_bits <= best.data_bits                    # the free table fits a little better ...
assert plain.model_bits - best.model_bits == 2 * (2 * 8 + 4)  # ... but two more entries cost (2n+4) bits each
assert best.total_bits < plain.total_bits
assert winner.symmetries == () and folded_excess > 100
assert found.mechanisms["B"].reuse.shared_by == ("A", "B")   # A and B share one table ...
assert found.mechanisms["C"].reuse is None                 # ... C keeps its own
assert saving > 100
assert saved_at_12 == 2 * (2 * 12 + 4)
assert uses_mirror == {3000: True, 300000: False}
""",
    "07_choosing_a_code.ipynb": """
import math
assert price["paper, direct (n = 8)"][0] == 20
assert all(b < 20 for b in price["bic"]) and all(b < 20 for b in price["nml"])
big = max(SIZES)
assert all(margin[code, big] > 0 and x_tables[code, big] == 3 for code in CODES)   # where they agree
for small in (10, 20):                                                             # where paper under-fits
    assert verdict["paper", small] == verdict["direct", small] == "independent"
    assert verdict["bic", small] != "independent" and verdict["nml", small] == "causal"
assert abs(margin["bic", 10]) < 1e-9 and 0 < margin["nml", 10] < 1                  # the tie at 10 rows
assert verdict["bic", 20] == "causal" and x_tables["bic", 20] == x_tables["nml", 20] == 3
assert edge_from["paper"] > edge_from["nml"] and three_tables_from["paper"] > three_tables_from["nml"]
assert three_tables_from["paper"] > edge_from["paper"]
assert len(fig.axes) == 2 and len(fig.axes[0].lines) == len(CODES) + 1
assert by_var["causal"]["X"] == by_var["independent"]["X"] and y_excess > 0
assert all(first_edge[c] <= first_edge["paper"] for c in ("bic", "nml"))
""",
}


def test_magics_are_used_in_two_notebooks():
    using = [p.name for p in NOTEBOOKS
             if "%load_ext kdsl" in p.read_text(encoding="utf-8") and "%%kdsl" in p.read_text(encoding="utf-8")]
    assert len(using) >= 2, using
