"""Golden negative fixtures and a few direct semantic checks.

Every ``tests/specs/*.kdsl`` fixture starts with a comment naming the error
it must produce::

    # error: LINE:COL: message substring
    # hint: hint substring            (optional second line)

LINE and COL count in the fixture file itself, comment lines included.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kdsl
from kdsl.api import load
from kdsl.errors import KdslError, SpecError, SpecSyntaxError
from kdsl.language.check import check

SPECS = Path(__file__).parent / "specs"
FIXTURES = sorted(SPECS.glob("*.kdsl"))

_HEADER = re.compile(r"#\s*error:\s*(\d+):(\d+):\s*(.+?)\s*$")
_HINT = re.compile(r"#\s*hint:\s*(.+?)\s*$")


def _expectation(path: Path) -> tuple[int, int, str, str | None]:
    lines = path.read_text(encoding="utf-8").splitlines()
    match = _HEADER.fullmatch(lines[0])
    assert match, f"{path.name}: the first line must be `# error: LINE:COL: message`"
    hint = None
    if len(lines) > 1:
        hint_match = _HINT.fullmatch(lines[1])
        hint = hint_match.group(1) if hint_match else None
    return int(match.group(1)), int(match.group(2)), match.group(3), hint


def test_there_are_enough_fixtures():
    assert len(FIXTURES) >= 40


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_negative_fixture(path: Path):
    line, column, message, hint = _expectation(path)
    with pytest.raises(KdslError) as info:
        load(path)
    err = info.value
    assert isinstance(err, KdslError)
    assert (err.line, err.column) == (line, column), f"{err.line}:{err.column}: {err.message}"
    assert message in err.message
    if hint is not None:
        assert err.hint is not None and hint in err.hint

    text = str(err)
    out = text.splitlines()
    assert out[0] == f"{path}:{line}:{column}: {err.message}"
    # The offending line of the fixture, exactly, under the message.
    source_lines = path.read_text(encoding="utf-8").split("\n")
    assert err.source_line == source_lines[line - 1]
    assert out[1] == "    " + source_lines[line - 1].expandtabs(1)
    # The caret line starts under the reported column.
    caret = out[2]
    assert caret.strip() and set(caret.strip()) == {"^"}
    assert caret.index("^") == 4 + column - 1
    assert "Traceback" not in text


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_error_is_the_same_through_parse_and_check(path: Path):
    """Spec-only errors come out of kdsl.parse + check with the same position;
    data-binding errors (checked specs) are only found by load."""
    line, column, message, _ = _expectation(path)
    text = path.read_text(encoding="utf-8")
    try:
        check(kdsl.parse(text, filename=path.name), base_dir=str(path.parent))
    except KdslError as err:
        assert (err.line, err.column) == (line, column)
        assert message in err.message
        assert err.file == path.name
        assert str(err).splitlines()[0] == f"{path.name}:{line}:{column}: {err.message}"
    else:
        # only the fixtures whose error needs the data may pass the checks
        assert path.stem in {"missing_data_file", "data_name_not_supplied", "invalid_rate_in_simulation",
                             "knowledge_unknown_environment"}


def test_syntax_errors_are_spec_syntax_errors():
    for stem in ("syntax_missing_in", "syntax_unclosed_brace", "syntax_tilde_as_equal", "syntax_leading_dot",
                 "syntax_trailing_dot", "syntax_stray_character"):
        with pytest.raises(SpecSyntaxError):
            kdsl.parse((SPECS / f"{stem}.kdsl").read_text(encoding="utf-8"))


def test_semantic_errors_are_spec_errors_not_syntax_errors():
    for stem in ("duplicate_variable", "hypothesis_cycle", "grid_empty", "unknown_code"):
        spec = kdsl.parse((SPECS / f"{stem}.kdsl").read_text(encoding="utf-8"))
        with pytest.raises(SpecError) as info:
            check(spec)
        assert not isinstance(info.value, SpecSyntaxError)


# ---------------------------------------------------------------- positive checks
VALID = """\
model demo
let theta = [0.1, 0.3, 0.5]
var X in 0..9
var Y in 0..9
var S in {low, high}
mechanism rate(X) = poisson(10 * t) where t in grid(0.1, 0.9, 9)
mechanism noisy(Y | X) = normal(X, 1)
symmetry mirror on X = reflect
hypothesis causal {
    X ~ rate
    Y ~ noisy(X)
    S ~ table(Y)
}
hypothesis folded {
    X ~ table
    Y ~ table(X) / mirror
    S ~ table
}
simulate envs e0..e2 n 20 seed 3 {
    X ~ poisson(10 * theta[env])
    Y ~ normal(X, 1)
    S ~ bernoulli(0.5)
}
code bic
"""


def test_valid_spec_checks():
    model = check(kdsl.parse(VALID))
    assert model.name == "demo"
    assert list(model.variables) == ["X", "Y", "S"]
    assert model.hypotheses["causal"].edges == [("X", "Y"), ("Y", "S")]
    assert model.code.name == "bic"


def test_declarations_may_come_in_any_order():
    text = """\
hypothesis h {
    Y ~ folded
    X ~ table
}
mechanism folded(Y | X) = table / mirror
symmetry mirror on X = reflect
var Y in 0..3
var X in 0..3
"""
    model = check(kdsl.parse(text))
    assert model.hypotheses["h"].edges == [("X", "Y")]


def test_labels_of_different_variables_may_share_names():
    check(kdsl.parse("var A in {LOW, HIGH}\nvar B in {LOW, HIGH}\n"))


def test_environment_and_variable_namespaces_are_separate():
    text = "var X in 0..1\nsimulate env X n 3 seed 1 {\n    X ~ bernoulli(0.5)\n}\n"
    bound = load(text)
    assert bound.names == ["X"]


def test_model_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "my_model.kdsl"
    path.write_text("var X in 0..1\nsimulate env a n 3 seed 1 {\n    X ~ bernoulli(0.5)\n}\n", encoding="utf-8")
    assert load(path).model.name == "my_model"


def test_error_position_with_crlf_line_endings():
    text = "var X in 0..3\r\nvar Y in 0..3\r\nvar X in 0..5\r\n"
    with pytest.raises(SpecError) as info:
        check(kdsl.parse(text, filename="crlf.kdsl"))
    assert (info.value.line, info.value.column) == (3, 5)
    assert str(info.value).splitlines()[1] == "    var X in 0..5"


@pytest.mark.parametrize("separator", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028"])
def test_source_line_counts_only_newlines(separator):
    """Lines are counted at "\\n" only; a form feed or a unicode line separator
    inside a line (in a comment, or as white space) must not shift the line shown."""
    text = f"var X in 0..3 # note{separator}more\nvar Y in 0..3\nvar X in 0..5\n"
    with pytest.raises(SpecError) as info:
        check(kdsl.parse(text, filename="sep.kdsl"))
    err = info.value
    assert (err.line, err.column) == (3, 5)
    assert err.source_line == "var X in 0..5"


def test_model_objects_cannot_be_made_without_their_place():
    """Spans are required: an error about a model object always points at the text it came from."""
    from kdsl.language.model import SearchSpec, Template, Variable

    for make in (lambda: Template(None, "A", (), "table"), lambda: Variable("A", "int", 0, 1), lambda: SearchSpec()):
        with pytest.raises(TypeError, match="span"):
            make()
    model = check(kdsl.parse("var A in 0..1\nsimulate env a n 3 seed 1 {\n    A ~ bernoulli(0.5)\n}\n"))
    (source,) = model.sources
    assert (source.source_span.line, source.source_span.column) == (2, 10)  # a simulation: the environments it names
