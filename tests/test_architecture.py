"""docs/architecture.md matches the tree: every path and dotted name it gives exists, every module is placed."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text()
PACKAGE = ROOT / "kdsl"


def _folder_rows() -> dict[str, str]:
    """The "where each concept lives" table: each ``kdsl/FOLDER/`` row's description cell."""
    rows = {}
    for line in DOC.splitlines():
        match = re.match(r"\| `kdsl/(\w+)/` \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_every_path_named_exists():
    paths = set(re.findall(r"`((?:kdsl|tests|docs|scripts|grammar)/[\w/.]+)`", DOC))
    assert len(paths) > 20
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_dotted_name_resolves():
    names = set(re.findall(r"`(kdsl(?:\.\w+)+)`", DOC))
    assert len(names) >= 6
    for name in sorted(names):
        module_name, _, attribute = name.rpartition(".")
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            module = importlib.import_module(module_name)
            assert hasattr(module, attribute), f"docs/architecture.md names {name}, which does not exist"


def test_every_subpackage_and_module_is_placed():
    rows = _folder_rows()
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert subpackages and sorted(rows) == subpackages
    for folder, cell in rows.items():
        named = set(re.findall(r"`(\w+\.py)`", cell))
        present = {p.name for p in (PACKAGE / folder).glob("*.py")} - {"__init__.py"}
        assert named == present, f"kdsl/{folder}/: the doc names {sorted(named)}, the folder holds {sorted(present)}"
    top = {p.name for p in PACKAGE.glob("*.py")}
    placed = set(re.findall(r"\| `kdsl/(\w+\.py)` \|", DOC))
    assert placed == top, f"top-level modules placed {sorted(placed)}, present {sorted(top)}"
