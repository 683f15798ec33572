"""The examples of docs/language.md: every ```kdsl block is a whole spec that loads and solves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kdsl

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"
_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_SCORED = re.compile(r"^\s*(hypothesis|search)\b", re.MULTILINE)


def _fences() -> list[tuple[int, str, str]]:
    """(line of the opening fence, info tag, body) of every fenced block."""
    text = DOC.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def _kdsl_blocks() -> list[tuple[int, str]]:
    return [(line, body) for line, tag, body in _fences() if tag == "kdsl"]


BLOCKS = _kdsl_blocks()
SCORED = [(line, body) for line, body in BLOCKS if _SCORED.search(body)]


def _ids(blocks):
    return [f"line{line}" for line, _ in blocks]


def test_enough_examples():
    assert len(BLOCKS) >= 8
    assert len(SCORED) >= 8


def test_fences_are_tagged():
    """A fragment must be tagged `text`; only complete specs are tagged `kdsl`."""
    for line, tag, _ in _fences():
        assert tag in ("kdsl", "text"), f"docs/language.md:{line}: fence tagged {tag!r}"


@pytest.mark.parametrize(("line", "text"), BLOCKS, ids=_ids(BLOCKS))
def test_block_loads(line, text):
    bound = kdsl.load(text, filename=f"<docs/language.md block at line {line}>")
    assert bound.environments, f"block at line {line} has no environments"


@pytest.mark.parametrize(("line", "text"), SCORED, ids=_ids(SCORED))
def test_block_solves(line, text):
    result = kdsl.solve(text)
    assert result.best is not None, f"block at line {line}: no finite program"
    assert result.program(result.best).finite
