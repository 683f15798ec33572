"""docs/python.md runs as written: its examples are doctests, run from the repository's root."""

from __future__ import annotations

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_python_doc_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    failed, attempted = doctest.testfile(str(ROOT / "docs" / "python.md"), module_relative=False,
                                         optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert attempted >= 20 and failed == 0
