"""Property tests: whatever text kdsl is given, it succeeds or raises KdslError.

Nothing else may escape — no ValueError, MemoryError, RecursionError — and
nothing may hang: a watchdog turns a load that runs too long into a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import kdsl
from kdsl.api import load
from kdsl.data import bind as data_module
from kdsl.data.bind import bind
from kdsl.errors import KdslError
from kdsl.language.check import check
from kdsl.language.syntax import _parser

#: Multiplies every example count: KDSL_FUZZ_SCALE=50 for the long fuzz of docs/robustness.md.
SCALE = int(os.environ.get("KDSL_FUZZ_SCALE", "1"))

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# A spec touching most of the language; its only caller data is `lab_df`.
SAMPLE = """\
model sample
let theta = [0.1, 0.1, 0.3, 0.6]
let scale = 2 ** 2
var X in 0..9
var Y in 0..9
var D in -3..3
var S in {low, mid, high}
var B in bits(2)
var R real step 0.5
mechanism rate(X) = poisson(scale * 5 * t) where t in grid(0.05, 0.9, 6)
mechanism lin(Y | X) = normal(a * X, sqrt(v)) where a in {1, 2.5}, v in grid(1, 4, 3)
mechanism folded(S | X) = table / mirror
symmetry mirror on X = reflect
symmetry swap on {X, Y} = permute
hypothesis causal {
    X ~ rate
    Y ~ lin(X)
    S ~ folded
    B ~ table(S)
    R ~ normal(X, 1.5)
    D ~ table
}
hypothesis inline {
    X ~ poisson(4) fixed
    Y ~ normal(-X + 1, 1)
    S ~ categorical(0.2, 0.3, 0.5)
    B ~ uniform()
    R ~ normal(0, 2)
    D ~ normal(-1, 0.5)
}
hypothesis real_forms {
    X ~ table
    Y ~ table(X)
    S ~ table
    R ~ poly(2, X, S)
    B ~ table(R, S)
    D ~ table(R)
}
hypothesis real_noise {
    X ~ table
    Y ~ table(X)
    S ~ table
    R ~ linear(X, S) noise histogram fixed
    B ~ table(R, S)
    D ~ table(R)
}
hypothesis real_roots {
    X ~ table(R)
    Y ~ table
    S ~ table
    R ~ histogram
    B ~ table
    D ~ table
}
simulate envs e0..e3 n 8 seed 0 {
    X ~ poisson(20 * theta[env])
    Y ~ normal(X, 1)
    S ~ categorical(0.25, 0.25,
                    0.5)
    B ~ binomial(3, 0.5)
    R ~ normal(1e-3, 2)
    D ~ uniform()
}
env lab from lab_df
code paper(precision = 12)
search {
    graphs max_parents 2
    shifts
    symmetries mirror
    top 3
    method dp
    stability 4 seed 2
    forbid D -> X, R -> X
    require X -> Y
    tiers {X} < {Y, S} < {B}
    targets e0: none
    targets e1: X, Y
}
"""

WATCHDOG_SECONDS = 5.0


@contextlib.contextmanager
def watchdog(seconds: float = WATCHDOG_SECONDS):
    """Fail, rather than hang, when the body runs longer than ``seconds``."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"kdsl did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _only_kdsl_errors(action) -> KdslError | None:
    """Run ``action``; return its KdslError (after checking it renders) or None."""
    try:
        with watchdog():
            action()
    except KdslError as err:
        text = str(err)
        assert text.splitlines()[0].startswith(err.file)
        assert isinstance(err.message, str) and err.message
        return err
    return None


def _check_text(text: str) -> KdslError | None:
    return _only_kdsl_errors(lambda: check(kdsl.parse(text, filename="fuzz.kdsl")))


# ---------------------------------------------------------------- random text
_ANY_CHAR = st.characters(exclude_categories=("Cs",))
_CONTROL = st.sampled_from(["\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\r", "\t", "\ufeff", "\u200b"])
_TOKENS = st.sampled_from([
    "var", "X", "Y", "in", "0..3", "-3..3", "{", "}", "(", ")", "[", "]", "hypothesis", "h", "~", "=", "|", "/",
    "table", "poisson", "normal", "categorical", "uniform", "mechanism", "where", "t", "grid", "simulate", "env",
    "envs", "n", "seed", "1", "0.5", "1e-3", "let", ",", "symmetry", "on", "reflect", "cyclic", "permute", "code",
    "paper", "search", "graphs", "max_parents", "top", "method", "milp",
    "linear", "poly", "histogram", "noise", "classes", "auto", "fixed", "real", "step", "bits", "**", "*", "+", "-", "..",
    "e0..e3", "by", "from", '"a.csv"', "theta", "[env]", "sqrt", "model", "\n", "\n", " ", "#", "λ", "\x00",
    "forbid", "require", "tiers", "targets", "none", "->", "<", ":",
    "varA", "variable", "hypothesisH", "hypotesis", "serach", "graph", "max_parent", "fixd",
])


@settings(max_examples=200 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.one_of(_ANY_CHAR, _CONTROL), max_size=300))
def test_random_text_only_raises_kdsl_errors(text):
    _check_text(text)


@settings(max_examples=200 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_TOKENS, max_size=80).map(" ".join))
def test_token_soup_only_raises_kdsl_errors(text):
    _check_text(text)


@settings(max_examples=30 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.one_of(_ANY_CHAR, _CONTROL), min_size=1, max_size=40), st.integers(100, 2000))
def test_long_lines_only_raise_kdsl_errors(chunk, repeat):
    _check_text("var X in 0..3 # " + chunk * repeat + "\n" + chunk * repeat)


@settings(max_examples=100 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.one_of(_ANY_CHAR, _CONTROL), max_size=120), st.integers(0, 6))
def test_error_shows_the_line_it_names(noise, where):
    """The source line in an error is the line its number names (lines end at "\\n" only)."""
    lines = SAMPLE.split("\n")
    where = min(where, len(lines) - 1)
    lines[where] = lines[where] + " # " + noise.replace("\n", " ")
    text = "\n".join(lines) + "\nvar X in 0..1\n"
    err = _check_text(text)
    if err is not None and err.line is not None and err.source_line is not None:
        assert err.source_line == text.split("\n")[err.line - 1]


# ---------------------------------------------------------------- keywords are whole words
#: Every word the grammar reserves somewhere, read from the grammar's string terminals.
_WORDS = sorted({t.pattern.value for t in _parser()[0].terminals
                 if type(t.pattern).__name__ == "PatternStr" and t.pattern.value.isidentifier()})
_TAILS = st.from_regex(r"[A-Za-z0-9_]{1,6}", fullmatch=True)


@settings(max_examples=100 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(_WORDS), _TAILS, st.integers(0, len(SAMPLE.split("\n")) - 1))
def test_a_keyword_glued_to_a_name_is_never_the_keyword(keyword, tail, where):
    """Glue a keyword to a name on any line of the sample: the sample never reads it as the keyword and a name."""
    lines = SAMPLE.split("\n")
    tokens = _tokens(lines[where])
    spots = [k for k, tok in enumerate(tokens) if tok == keyword]
    if not spots:
        lines.insert(where, f"{keyword}{tail} in 0..1")
    else:
        tokens[spots[0]] = keyword + tail
        lines[where] = "".join(tokens)
    text = "\n".join(lines)
    err = _check_text(text)
    assert err is not None, f"{keyword}{tail} was read as {keyword!r} and a name"
    if err.message.endswith(f"found {keyword}{tail}"):
        assert text.split("\n")[err.line - 1][err.column - 1:].startswith(keyword + tail)
        assert err.hint is None or "not closed" not in err.hint


@settings(max_examples=100 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(_WORDS), st.integers(0, 20), st.sampled_from(["drop", "double", "swap"]))
def test_misspelled_keywords_in_closed_blocks_never_blame_a_brace(keyword, at, typo):
    """A misspelled keyword inside a block that is closed gets no "is not closed" hint."""
    at = at % len(keyword)
    if typo == "drop":
        word = keyword[:at] + keyword[at + 1:]
    elif typo == "double":
        word = keyword[:at] + keyword[at] + keyword[at:]
    else:
        word = keyword[:at] + keyword[at + 1:at + 2] + keyword[at:at + 1] + keyword[at + 2:]
    if not word.isidentifier() or word == keyword:  # swapping the last letter with nothing is no typo
        return
    for block in ("hypothesis inline {\n", "search {\n"):
        text = SAMPLE.replace(block, block + f"    {word} 1\n")
        err = _check_text(text)
        assert err is not None and (err.hint is None or "not closed" not in err.hint), (word, str(err))


# ---------------------------------------------------------------- deep nesting
@pytest.mark.parametrize("build", [
    lambda d: "(" * d + "1" + ")" * d,
    lambda d: "-" * d + "1",
    lambda d: "1" + " ** 1" * d,
    lambda d: "1" + " + 1" * d,
    lambda d: "sqrt(" * d + "1" + ")" * d,
    lambda d: "theta[" * d + "0" + "]" * d,
], ids=["parentheses", "negation", "power", "sum", "calls", "indexing"])
@pytest.mark.parametrize("depth", [1000, 5000])
def test_deep_nesting_only_raises_kdsl_errors(build, depth):
    expr = build(depth)
    _check_text(f"let theta = [0.5]\nlet a = {expr}\nvar X in 0..3\n")
    _check_text(f"var X in 0..3\nhypothesis h {{\n    X ~ poisson({expr})\n}}\n")


# ---------------------------------------------------------------- extreme numbers
BIG = "99999999999999999999"
_SIM = "simulate env a n 5 seed 1 {{\n    X ~ {}\n}}\n"
EXTREME = {
    "huge-range": f"var X in 0..{BIG}\n" + _SIM.format("uniform()"),
    "huge-negative-range": f"var X in -{BIG}..3\n" + _SIM.format("normal(0, 1)"),
    "huge-rate": "var X in 0..3\n" + _SIM.format(f"poisson({BIG})"),
    "huge-rate-from-list": f"let theta = [{BIG}]\nvar X in 0..3\n"
                           + "simulate envs e0..e0 n 5 seed 1 {\n    X ~ poisson(20 * theta[env])\n}\n",
    "huge-trials": "var X in 0..3\n" + _SIM.format(f"binomial({BIG}, 0.5)"),
    "huge-grid": f"var X in 0..3\nmechanism m(X) = poisson(t) where t in grid(1, 2, {BIG})\n",
    "big-grid": "var X in 0..3\nmechanism m(X) = poisson(t) where t in grid(1, 2, 99999999999)\n",
    "huge-exponent": f"let a = 2 ** {BIG}\nvar X in 0..3\n",
    "huge-integer-literal": "var X in 0..3\n" + _SIM.format("poisson(10 ** 5000)"),
    "sqrt-of-negative-sd": "var X real\n" + _SIM.format("normal(0, sqrt(-1))"),
    "log-of-negative-rate": "var X in 0..3\nhypothesis h {\n    X ~ poisson(log(-1))\n}\n",
    "huge-seed": "var X in 0..3\nsimulate env a n 5 seed " + BIG + " {\n    X ~ uniform()\n}\n",
    "tiny-step": "var R real step 1e-320\n" + _SIM.format("normal(0, 1)").replace("X ~", "R ~"),
    "huge-precision": f"var X in 0..3\ncode paper(precision = {BIG})\n" + _SIM.format("uniform()"),
    "huge-top": f"var X in 0..3\nsearch {{\n    top {BIG}\n    graphs max_parents {BIG}\n}}\n"
                + _SIM.format("uniform()"),
    "huge-stability": f"var X in 0..3\nsearch {{\n    stability {BIG} seed {BIG}\n}}\n" + _SIM.format("uniform()"),
}


@pytest.mark.parametrize("text", list(EXTREME.values()), ids=list(EXTREME))
def test_extreme_numbers_only_raise_kdsl_errors(text):
    _only_kdsl_errors(lambda: _load_in(text, None, {}, "extreme"))


# ---------------------------------------------------------------- mutated examples
def _caller_data(text: str, base: str | None) -> dict:
    """Small valid columns for every caller-supplied data name of a spec."""
    try:
        model = check(kdsl.parse(text), base_dir=base)
    except KdslError:
        return {}
    data = {}
    for source in model.sources:
        if source.kind not in ("data", "split-data"):
            continue
        columns = {}
        for var in model.variables.values():
            if var.kind == "labels":
                values = list(var.labels)
            elif var.is_real:
                values = [0.0, 0.5]
            else:
                values = [var.lo, var.hi]
            columns[var.name] = [values[i % len(values)] for i in range(4)]
        if source.by:
            columns[source.by] = ["g1", "g1", "g2", "g10"]
        data[source.data_name] = columns
    return data


def _sources() -> list[tuple[str, str, str | None]]:
    found = [("inline-sample", SAMPLE, None)]
    for path in sorted(EXAMPLES.glob("*.kdsl")):
        found.append((path.stem, path.read_text(encoding="utf-8"), str(path.parent)))
    return found


SOURCES = _sources()
PER_SOURCE = max(25, 200 // len(SOURCES)) * SCALE

_TOKEN = re.compile(r'\s+|"[^"\n]*"|[A-Za-z_][A-Za-z0-9_]*|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.\.|\*\*|.')
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
HUGE = ["99999999999999999999", "123456789012345678901234567890", "1e308", "1e999", "-1", "-17", "0", "0.0",
        "-0.5", "1e-320"]
UNICODE_NAMES = ["λ", "Ωmega", "名前", "e\u0301", "ﬁle", "x\u200b", "Ⅻ", "ü"]


def _tokens(line: str) -> list[str]:
    return _TOKEN.findall(line)


def _code_lines(lines: list[str]) -> list[int]:
    """Indices of lines holding code (mutating comments would test little)."""
    code = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    return code or list(range(len(lines)))


_OPS = ["delete-line", "duplicate-line", "swap-lines", "delete-token", "duplicate-token", "swap-tokens",
        "number", "number", "number", "name", "name", "nest"]


@st.composite
def mutated(draw, text: str) -> str:
    """``text`` with 1 to 3 random edits of its code lines."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            lines = [""]
        code = _code_lines(lines)
        i = draw(st.sampled_from(code))
        op = draw(st.sampled_from(_OPS))
        if op == "delete-line":
            del lines[i]
        elif op == "duplicate-line":
            lines.insert(i, lines[i])
        elif op == "swap-lines":
            j = draw(st.sampled_from(code))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            if op in ("number", "name", "nest"):
                pattern = _NAME if op == "name" else _NUMBER
                candidates = [n for n in code if any(pattern.fullmatch(t) for t in _tokens(lines[n]))]
                if not candidates:
                    continue
                i = draw(st.sampled_from(candidates))
            tokens = _tokens(lines[i])
            if not tokens:
                continue
            k = draw(st.integers(0, len(tokens) - 1))
            if op == "delete-token":
                del tokens[k]
            elif op == "duplicate-token":
                tokens.insert(k, tokens[k])
            elif op == "swap-tokens":
                m = draw(st.integers(0, len(tokens) - 1))
                tokens[k], tokens[m] = tokens[m], tokens[k]
            else:
                pattern = _NAME if op == "name" else _NUMBER
                k = draw(st.sampled_from([n for n, tok in enumerate(tokens) if pattern.fullmatch(tok)]))
                if op == "number":
                    tokens[k] = draw(st.sampled_from(HUGE))
                elif op == "name":
                    tokens[k] = draw(st.sampled_from(UNICODE_NAMES))
                else:
                    tokens[k] = "(" * 1000 + tokens[k] + ")" * 1000
            lines[i] = "".join(tokens)
    return "\n".join(lines)


_KNOWLEDGE_NAMES = st.sampled_from(["A", "B", "C", "A", "B", "C", "Z", "e0", "e1", "e9", "none", "λ"])
_EDGES = st.lists(st.tuples(_KNOWLEDGE_NAMES, _KNOWLEDGE_NAMES).map(lambda e: f"{e[0]} -> {e[1]}"), min_size=1,
                  max_size=4).map(", ".join)
_KNOWLEDGE_LINE = st.one_of(
    _EDGES.map(lambda e: f"forbid {e}"),
    _EDGES.map(lambda e: f"require {e}"),
    st.lists(st.lists(_KNOWLEDGE_NAMES, min_size=1, max_size=3), min_size=1, max_size=4).map(
        lambda tiers: "tiers " + " < ".join("{" + ", ".join(t) + "}" for t in tiers)),
    st.tuples(_KNOWLEDGE_NAMES, st.lists(_KNOWLEDGE_NAMES, max_size=3)).map(
        lambda t: f"targets {t[0]}: " + (", ".join(t[1]) or "none")),
    st.sampled_from(["graphs max_parents 0", "graphs max_parents 1", "fixed", "top 2", "method greedy"]),
)


@settings(max_examples=60 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(_KNOWLEDGE_LINE, max_size=6))
def test_random_knowledge_solves_or_raises_kdsl_errors(lines):
    """Any mix of forbid, require, tiers and targets lines: a located error, or a run that keeps to them."""
    text = ("var A in 0..1\nvar B in 0..2\nvar C in 0..1\nsimulate envs e0, e1 n 20 seed 3 {\n"
            "    A ~ bernoulli(0.3 + 0.4 * env)\n    B ~ binomial(2, 0.2 + 0.3 * A)\n    C ~ bernoulli(0.5)\n}\n"
            "search {\n" + "".join(f"    {line}\n" for line in lines) + "}\n")
    results = []
    error = _only_kdsl_errors(lambda: results.append(kdsl.solve(text)))
    if error is not None:
        assert error.line is not None and error.line >= 1
        return
    result = results[0]
    spec = kdsl.load(text).model.search
    for program in result.programs:
        assert not any(spec.forbids(p, c) for p, c in program.edges)
        assert set(spec.require) <= set(program.edges)


def test_the_inline_sample_is_valid():
    bound = load(SAMPLE, data=_caller_data(SAMPLE, None))
    assert bound.names == ["e0", "e1", "e2", "e3", "lab"]


@pytest.mark.parametrize("name,text,base", SOURCES, ids=[s[0] for s in SOURCES])
def test_unmutated_example_loads(name, text, base):
    """Every source the mutations start from loads as it is (so a mutant's error comes from its mutation)."""
    bound = _load_in(text, base, _caller_data(text, base), name)
    assert bound.environments and all(env.rows > 0 for env in bound.environments)


@pytest.mark.parametrize("name,text,base", SOURCES, ids=[s[0] for s in SOURCES])
def test_mutated_examples_only_raise_kdsl_errors(name, text, base):
    data = _caller_data(text, base)

    @settings(max_examples=PER_SOURCE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(draw):
        spec = draw.draw(mutated(text), label="spec")
        _only_kdsl_errors(lambda: _load_in(spec, base, data, name))

    run()


@pytest.mark.parametrize("name,text,base", SOURCES, ids=[s[0] for s in SOURCES])
def test_deeply_parenthesised_numbers(name, text, base):
    data = _caller_data(text, base)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        tokens = _tokens(line)
        spots = [k for k, tok in enumerate(tokens) if _NUMBER.fullmatch(tok)]
        if not spots or line.lstrip().startswith("#"):
            continue
        k = spots[-1]
        tokens[k] = "(" * 1000 + tokens[k] + ")" * 1000
        mutated_text = "\n".join(lines[:i] + ["".join(tokens)] + lines[i + 1:])
        _only_kdsl_errors(lambda spec=mutated_text: _load_in(spec, base, data, name))


def _load_in(spec: str, base: str | None, data: dict, name: str):
    """Load spec text as if it were the file ``name`` in folder ``base``."""
    return bind(check(kdsl.parse(spec, f"{name}.kdsl"), base_dir=base), data)


CSV_SPEC = """
var X in 0..3
var S in {low, high}
var R real
env obs from "data.csv"
"""


@settings(max_examples=150 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400))
def test_arbitrary_csv_bytes_only_raise_kdsl_errors(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("csv")
    (folder / "data.csv").write_bytes(content)
    (folder / "spec.kdsl").write_text(CSV_SPEC)
    try:
        kdsl.load(folder / "spec.kdsl")
    except kdsl.KdslError:
        pass


ROW = st.lists(st.sampled_from(["0", "3", "4", "-1", "low", "high", "", " ", "1.5", "nan", "1e3", '"', "\ufeff", "é"]),
               min_size=0, max_size=5)


@settings(max_examples=150 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, max_size=8), st.booleans())
def test_ragged_and_mixed_csv_rows_only_raise_kdsl_errors(tmp_path_factory, rows, bom):
    folder = tmp_path_factory.mktemp("csv")
    text = ("\ufeff" if bom else "") + "X,S,R\n" + "\n".join(",".join(r) for r in rows) + "\n"
    (folder / "data.csv").write_text(text, encoding="utf-8")
    (folder / "spec.kdsl").write_text(CSV_SPEC)
    try:
        bound = kdsl.load(folder / "spec.kdsl")
    except kdsl.KdslError:
        return
    env = bound.environments[0]
    assert env.rows == len([r for r in rows if any(c.strip() for c in r)])


CELL = st.sampled_from(["0", "3", "+3", " 3", "3 ", "-0", "4", "-1", "low", " low ", "high", "", " ", "\t", "1.5", "1.",
                        ".5", "1e3", "1E3", "-2.5e-3", "nan", "inf", "-inf", "1e400", "99999999999999999999", "0x10",
                        "1_0", "\u0661", "3\xa0", "#3", "3#", "1d5", "é"])


@settings(max_examples=150 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(CELL, min_size=2, max_size=4), max_size=8), st.booleans())
def test_c_parser_and_cell_by_cell_reading_agree(tmp_path_factory, rows, crlf):
    """Values, or the located error, are the same whether a CSV file is read by numpy's C parser or cell by cell."""
    from unittest import mock

    folder = tmp_path_factory.mktemp("csv")
    newline = "\r\n" if crlf else "\n"
    (folder / "data.csv").write_text(newline.join(["X,S,R", *(",".join(r) for r in rows)]) + newline, encoding="utf-8")
    (folder / "spec.kdsl").write_text(CSV_SPEC)

    def outcome():
        try:
            env = kdsl.load(folder / "spec.kdsl").environments[0]
        except kdsl.KdslError as err:
            return str(err)
        return {name: (column.dtype.str, column.tolist()) for name, column in env.columns.items()}

    fast = outcome()
    with mock.patch.object(data_module._Table, "_scan_plain", lambda self: False):
        exact = outcome()
    assert fast == exact


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30),
       st.sampled_from([None, 0, 1, 2, 5]))
@settings(max_examples=200 * SCALE, deadline=None)
def test_the_inferred_step_is_the_coarsest_power_of_ten_every_value_is_a_multiple_of(values, digits):
    """A real column's default step: a power of ten, every value a multiple of it (within the tolerance of
    :data:`~kdsl.data.bind.RESOLUTION_TOLERANCE`), and not every value a multiple of ten times it."""
    with np.errstate(over="ignore", invalid="ignore"):
        column = np.array(values if digits is None else np.round(values, digits), dtype=float)
    assume(np.all(np.isfinite(column)))  # numpy's rounding of values near the float limit overflows
    step = data_module.inferred_step(column)
    assert step > 0 and np.isfinite(step)
    assert float(np.log10(step)) == pytest.approx(round(float(np.log10(step))), abs=1e-9)
    exponent = round(float(np.log10(step)))
    largest = np.abs(column).max()

    def multiples(e: int) -> bool:  # every value within the tolerance of a multiple of 10**e, in units of 10**e
        in_steps = column * 10.0 ** (-e // 2) * 10.0 ** (-e - (-e // 2))
        slack = data_module.RESOLUTION_TOLERANCE * largest * 10.0 ** (-e // 2) * 10.0 ** (-e - (-e // 2))
        return bool(np.all(np.abs(in_steps - np.round(in_steps)) <= slack * (1 + 1e-9)))

    if exponent > data_module.FINEST_STEP_EXPONENT:
        assert multiples(exponent)
    if largest > 0:
        assert not multiples(exponent + 1)


REAL_PAIR = """var X real
var Y real
env a from d
code {code}
search {{
    graphs
}}
"""


@given(st.lists(st.tuples(st.floats(-1e308, 1e308), st.floats(-1e308, 1e308)), min_size=1, max_size=12),
       st.sampled_from(["bic", "paper", "direct", "nml"]))
@settings(max_examples=40 * SCALE, deadline=None)
def test_any_finite_real_columns_solve_to_finite_nonnegative_lengths(rows, code):
    """Real columns at their inferred steps, however large, small, constant or few: lengths are never NaN
    or negative, and an infinite length comes with its reason."""
    data = {"d": {"X": np.array([r[0] for r in rows]), "Y": np.array([r[1] for r in rows])}}
    try:
        result = kdsl.solve(REAL_PAIR.format(code=code), data=data)
    except KdslError:
        return
    for program in result.programs:
        assert not np.isnan(program.total_bits) and program.total_bits >= 0
        assert program.finite or program.reason
