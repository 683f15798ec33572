"""The parser: every form of LANGUAGE.md, spans, and expressions as sympy trees."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import kdsl
from kdsl.errors import SpecSyntaxError
from kdsl.language import ast
from kdsl.language.expr import Scope, names_in, to_sympy
from kdsl.language.syntax import CHAR_MISTAKES, MISTAKES

ROOT = Path(__file__).resolve().parent.parent

# Every form of LANGUAGE.md, written as the reference writes it (comments
# included), plus wrapped lists and contextual keywords used as names.
ALL_FORMS = """\
# a spec using every form of the language
model covariate_shift          # optional; the default name is the file's stem
let theta = [0.1, 0.1, 0.1, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9]
let sd = 1.5
let wrapped = [
    1,
    2,      # a comment inside a bracketed list
    1e-3
]

var X in 0..17                 # integers 0 to 17 inclusive; expressions see the value, e.g. 0..17
var D in -3..3                 # negative bounds are fine
var S in {low, mid, high}      # labels, coded 0, 1, 2 in this order
var B in bits(3)               # 3-bit strings, m >= 1, written in data as integers 0 .. 7
var R real                     # continuous, resolution 0.01
var T real step 0.001          # continuous with an explicit resolution
var n in 0..1
var seed in 0..1
var step in {true, True,
             false}

env obs from "data/obs.csv"               # one environment
envs from "data/all.csv" by regime        # one environment per value of column regime;
                                          # named by the value as written, in natural order (e2 before e10)
env lab from lab_df                       # a DataFrame / dict of arrays supplied by the caller

simulate envs e0..e9 n 10 seed 0 {
    X ~ poisson(20 * theta[env])
    Y ~ normal(X, 1)
}
simulate env big n 5000 seed 7 {
    X ~ bernoulli(0.3)
    Y ~ bernoulli(0.2 + 0.6 * X)
}
simulate envs a1, a2 n 3 seed 1 {
    n ~ categorical(0.25,
                    0.75)
}

mechanism rate(X) = poisson(20 * t) where t in grid(0.05, 0.90, 18)
mechanism lin(Y | X) = normal(a * X, sqrt(v)) where a in {1, 2, 2.5}, v in grid(14, 27, 8)
mechanism noisy(Y | X) = normal(X, 1)
mechanism cpt(Y | X, Z) = table
mechanism folded(Y | X) = table / mirror        # invariant: Y depends on X only through X's orbit

symmetry mirror on X = reflect          # x -> min + max - x (discrete X)
symmetry turn on X = cyclic             # x -> x + 1 modulo the domain size (discrete X)
symmetry swap on {X1, X2} = permute     # X1 and X2 (same domain) may reuse one stored mechanism

hypothesis causal {
    X ~ rate
    Y ~ noisy(X)
}
hypothesis anticausal {
    Y ~ table
    X ~ table(Y)
}
hypothesis stable {
    X ~ rate fixed                     # one mechanism in every environment
    Y ~ noisy                          # a template carries its declared parents
}
hypothesis inline {
    X ~ poisson(4)
    Y ~ normal(X, 1.5)                 # an inline family: its parents are the variables it names
}
hypothesis invariant {
    X ~ table
    Y ~ table(X) / mirror
}

code paper                    # the default; the paper's code
code paper(precision = 12)
code direct
code bic
code nml

search {
    graphs max_parents 2          # every DAG over the variables
    shifts                        # the default: environments may change mechanisms; `fixed` forbids it
    symmetries mirror, turn       # try these invariances and reuses
    top 5                         # how many programs to report
}
"""


@pytest.fixture(scope="module")
def spec() -> ast.Spec:
    return kdsl.parse(ALL_FORMS, filename="all.kdsl")


def _decls(spec, kind):
    return [d for d in spec.decls if isinstance(d, kind)]


def _by_name(spec, kind, name):
    return next(d for d in _decls(spec, kind) if d.name.name == name)


def test_every_form_parses(spec):
    counts = {}
    for d in spec.decls:
        counts[type(d).__name__] = counts.get(type(d).__name__, 0) + 1
    assert counts == {
        "ModelDecl": 1, "LetDecl": 3, "VarDecl": 9, "EnvDecl": 2, "EnvsDecl": 1, "SimulateDecl": 3,
        "MechanismDecl": 5, "SymmetryDecl": 3, "HypothesisDecl": 5, "CodeDecl": 5, "SearchDecl": 1,
    }
    assert spec.source.filename == "all.kdsl"
    assert spec.source.text == ALL_FORMS


def test_header_and_constants(spec):
    assert _decls(spec, ast.ModelDecl)[0].name.name == "covariate_shift"
    theta = _by_name(spec, ast.LetDecl, "theta").value
    assert isinstance(theta, ast.ListValue)
    assert [x.value for x in theta.items] == [0.1, 0.1, 0.1, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert _by_name(spec, ast.LetDecl, "sd").value.value == 1.5
    wrapped = _by_name(spec, ast.LetDecl, "wrapped").value
    assert [x.value for x in wrapped.items] == [1.0, 2.0, 0.001]


def test_variable_domains(spec):
    dom = {d.name.name: d.domain for d in _decls(spec, ast.VarDecl)}
    assert (dom["X"].lo, dom["X"].hi) == (0, 17)
    assert (dom["D"].lo, dom["D"].hi) == (-3, 3)
    assert [i.name for i in dom["S"].labels] == ["low", "mid", "high"]
    assert dom["B"].bits == 3
    assert isinstance(dom["R"], ast.RealDomain) and dom["R"].step is None
    assert dom["T"].step.value == 0.001
    # contextual keywords are ordinary names
    assert isinstance(dom["n"], ast.IntRange) and isinstance(dom["seed"], ast.IntRange)
    assert [i.name for i in dom["step"].labels] == ["true", "True", "false"]


def test_environments(spec):
    obs, lab = _decls(spec, ast.EnvDecl)
    assert obs.name.name == "obs" and obs.source.path == "data/obs.csv"
    assert lab.name.name == "lab" and isinstance(lab.source, ast.DataSource) and lab.source.name.name == "lab_df"
    (split,) = _decls(spec, ast.EnvsDecl)
    assert split.source.path == "data/all.csv" and split.by.name == "regime"
    ranged, single, listed = _decls(spec, ast.SimulateDecl)
    assert isinstance(ranged.targets, ast.SimRange)
    assert (ranged.targets.first.name, ranged.targets.last.name, ranged.n, ranged.seed) == ("e0", "e9", 10, 0)
    assert [line.var.name for line in ranged.lines] == ["X", "Y"]
    assert isinstance(single.targets, ast.SimSingle) and single.targets.name.name == "big"
    assert (single.n, single.seed) == (5000, 7)
    assert isinstance(listed.targets, ast.SimList) and [i.name for i in listed.targets.names] == ["a1", "a2"]
    # a wrapped argument list, and a variable called `n`
    (line,) = listed.lines
    assert line.var.name == "n" and len(line.call.args) == 2


def test_templates(spec):
    rate = _by_name(spec, ast.MechanismDecl, "rate")
    assert rate.child.name == "X" and rate.parents == ()
    assert isinstance(rate.rhs, ast.Call) and rate.rhs.func.name == "poisson"
    (book,) = rate.codebooks
    assert book.name.name == "t" and isinstance(book.values, ast.Grid)
    assert (book.values.lo.value, book.values.hi.value, book.values.count) == (0.05, 0.90, 18)

    lin = _by_name(spec, ast.MechanismDecl, "lin")
    assert [p.name for p in lin.parents] == ["X"]
    a, v = lin.codebooks
    assert [x.value for x in a.values.values] == [1, 2, 2.5]
    assert (v.values.lo.value, v.values.hi.value, v.values.count) == (14, 27, 8)

    cpt = _by_name(spec, ast.MechanismDecl, "cpt")
    assert isinstance(cpt.rhs, ast.BareRhs) and cpt.rhs.name.name == "table"
    assert [p.name for p in cpt.parents] == ["X", "Z"]

    folded = _by_name(spec, ast.MechanismDecl, "folded")
    assert isinstance(folded.rhs, ast.InvariantRhs)
    assert (folded.rhs.table.name, folded.rhs.symmetry.name) == ("table", "mirror")


def test_symmetries(spec):
    sym = {d.name.name: d for d in _decls(spec, ast.SymmetryDecl)}
    assert [i.name for i in sym["mirror"].on] == ["X"] and sym["mirror"].kind.name == "reflect"
    assert not sym["mirror"].on_set
    assert sym["turn"].kind.name == "cyclic"
    assert [i.name for i in sym["swap"].on] == ["X1", "X2"] and sym["swap"].on_set
    assert sym["swap"].kind.name == "permute"


def test_hypotheses(spec):
    hyp = {d.name.name: d for d in _decls(spec, ast.HypothesisDecl)}
    x, y = hyp["causal"].assignments
    assert isinstance(x.rhs, ast.RefRhs) and x.rhs.name.name == "rate" and not x.fixed
    assert isinstance(y.rhs, ast.Call) and y.rhs.func.name == "noisy"
    x, y = hyp["stable"].assignments
    assert x.fixed and not y.fixed
    y, x = hyp["anticausal"].assignments
    assert isinstance(y.rhs, ast.RefRhs) and y.rhs.name.name == "table"
    assert x.rhs.func.name == "table" and [a.id for a in x.rhs.args] == ["Y"]
    _, y = hyp["invariant"].assignments
    assert isinstance(y.rhs, ast.InvariantRef) and y.rhs.symmetry.name == "mirror"
    assert y.rhs.base.func.name == "table"


def test_code_and_search(spec):
    codes = _decls(spec, ast.CodeDecl)
    assert [c.name.name for c in codes] == ["paper", "paper", "direct", "bic", "nml"]
    (option,) = codes[1].options
    assert option.name.name == "precision" and option.value.value == 12
    (search,) = _decls(spec, ast.SearchDecl)
    options = {o.kind: o.value for o in search.options}
    assert options["graphs"] == 2 and options["top"] == 5 and "shifts" in options
    assert [i.name for i in options["symmetries"]] == ["mirror", "turn"]


def test_contextual_keywords_as_names_through_check():
    text = """\
var n in 0..1
var seed in {true, True}
var step in 0..2
hypothesis top {
    n ~ table
    seed ~ table(n)
    step ~ table(seed)
}
simulate env seed n 5 seed 3 {
    n ~ bernoulli(0.5)
    seed ~ bernoulli(0.2 + 0.6 * n)
    step ~ uniform()
}
"""
    bound = kdsl.load(text)
    assert list(bound.model.variables) == ["n", "seed", "step"]
    assert bound.model.hypotheses["top"].edges == [("n", "seed"), ("seed", "step")]
    assert bound.names == ["seed"]


def test_empty_and_comment_only_specs_parse():
    assert kdsl.parse("").decls == ()
    assert kdsl.parse("# nothing here\n\n   # still nothing\n").decls == ()


def test_crlf_and_bom_are_accepted():
    spec = kdsl.parse("\ufeffvar X in 0..3\r\nvar Y in 0..3\r\n")
    assert [d.name.name for d in spec.decls] == ["X", "Y"]


# ---------------------------------------------------------------- spans
def test_span_of_a_variable_name(spec):
    lines = ALL_FORMS.split("\n")
    decl = _by_name(spec, ast.VarDecl, "S")
    row = next(i for i, text in enumerate(lines, 1) if text.startswith("var S "))
    assert (decl.name.span.line, decl.name.span.column) == (row, 5)
    assert (decl.name.span.end_line, decl.name.span.end_column) == (row, 6)
    assert decl.span.line == row and decl.span.column == 1


def test_span_of_a_call_argument():
    text = "var X in 0..3\nvar Y in 0..3\nhypothesis h {\n    X ~ table\n    Y ~ normal(X,  1.5)\n}\n"
    hyp = kdsl.parse(text).decls[2]
    call = hyp.assignments[1].rhs
    first, second = call.args
    assert (first.span.line, first.span.column, first.span.end_column) == (5, 16, 17)
    assert (second.span.line, second.span.column, second.span.end_column) == (5, 20, 23)
    assert second.text == "1.5"
    assert (call.func.span.line, call.func.span.column) == (5, 9)


def test_span_of_a_wrapped_argument():
    text = "var X in 0..2\nhypothesis h {\n    X ~ categorical(0.2,\n        0.3, 0.5)\n}\n"
    call = kdsl.parse(text).decls[1].assignments[0].rhs
    assert [(a.span.line, a.span.column) for a in call.args] == [(3, 21), (4, 9), (4, 14)]


def test_span_of_a_binary_expression():
    text = "let a = 0.2 + 0.6 * X\n"
    value = kdsl.parse(text).decls[0].value
    assert isinstance(value, ast.BinOp) and value.op == "+"
    assert (value.span.column, value.span.end_column) == (9, 22)
    assert (value.right.span.column, value.right.span.end_column) == (15, 22)


# ---------------------------------------------------------------- expressions
def _expr(text: str) -> ast.Expr:
    return kdsl.parse(f"let probe = {text}\n").decls[0].value


def test_expression_becomes_a_sympy_tree():
    node = _expr("0.2 + 0.6 * X")
    assert isinstance(node, ast.BinOp) and node.op == "+"
    assert isinstance(node.right, ast.BinOp) and node.right.op == "*"
    x = sympy.Dummy("X")
    tree = to_sympy(node, Scope(symbols={"X": x}))
    assert isinstance(tree, sympy.Add)
    consts = [a for a in tree.args if a.is_number]
    (product,) = [a for a in tree.args if isinstance(a, sympy.Mul)]
    assert consts == [sympy.Float(0.2)]
    assert set(product.args) == {sympy.Float(0.6), x}
    assert tree.free_symbols == {x}
    assert float(tree.subs(x, 1)) == pytest.approx(0.8)


def test_precedence_and_unary_minus():
    x = sympy.Dummy("X")
    scope = Scope(symbols={"X": x})
    assert to_sympy(_expr("-2 ** 2"), scope) == -4
    assert to_sympy(_expr("2 ** 3 ** 2"), scope) == 512
    assert to_sympy(_expr("(1 + 2) * 3"), scope) == 9
    assert to_sympy(_expr("1 - 2 - 3"), scope) == -4
    assert to_sympy(_expr("8 / 4 / 2"), scope) == 1
    tree = to_sympy(_expr("sqrt(X) + max(X, 1) + abs(-X)"), scope)
    assert tree.subs(x, 4) == 2 + 4 + 4


def test_constants_and_indexing():
    scope = Scope(constants={"theta": (0.1, 0.5, 0.9), "k": 2.0}, env=2)
    assert to_sympy(_expr("theta[env] * k"), scope) == sympy.Float(1.8)
    assert names_in(_expr("k * theta[env]"))[0].id == "k"


def test_expression_text_is_never_evaluated(monkeypatch):
    """Nothing the user writes reaches eval, exec or sympify."""
    import builtins

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("eval/exec/sympify must not be called on user text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    x = sympy.Dummy("X")
    tree = to_sympy(_expr("__import__ * 0.6 + X"), Scope(symbols={"X": x, "__import__": sympy.Dummy("i")}))
    assert x in tree.free_symbols
    assert not calls


def test_unknown_function_in_expression():
    with pytest.raises(kdsl.SpecError):
        kdsl.load("let a = eval(1)\nvar X in 0..1\n")


def test_syntax_error_is_located():
    with pytest.raises(SpecSyntaxError) as info:
        kdsl.parse("var X in 0..3\nvar Y 0..3\n", filename="m.kdsl")
    err = info.value
    assert (err.file, err.line, err.column) == ("m.kdsl", 2, 7)
    assert str(err).splitlines()[:3] == [
        "m.kdsl:2:7: expected 'in' or 'real' after the variable's name, found 0",
        "    var Y 0..3",
        "          ^",
    ]


def test_the_generated_parser_is_built_from_the_current_grammar():
    import hashlib

    from kdsl.language import _lark_parser

    digest = hashlib.sha256((ROOT / "grammar" / "kdsl.lark").read_bytes()).hexdigest()
    header = Path(_lark_parser.__file__).read_text(encoding="utf-8").splitlines()[0]
    assert f"sha256 {digest}" in header, "grammar/kdsl.lark changed: run `python scripts/build_parser.py`"


def test_the_generated_parser_parses_like_one_built_from_the_grammar():
    import lark

    from kdsl.language.syntax import _BracketNewlines, _parser, grammar_text

    built = lark.Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=_BracketNewlines(),
                      propagate_positions=True, maybe_placeholders=True)
    generated = _parser()[0]
    texts = [p.read_text(encoding="utf-8") for folder in ("examples", "tests/specs") for p in (ROOT / folder).glob("*.kdsl")]
    assert len(texts) > 20

    def plain(node):
        """A tree as nested tuples: rule names, token types and texts, and every position."""
        if hasattr(node, "children"):
            meta = node.meta
            where = None if meta.empty else (meta.line, meta.column, meta.end_line, meta.end_column)
            return str(node.data), where, [plain(child) for child in node.children]
        return None if node is None else (node.type, str(node), node.line, node.column)

    def outcome(parser, text):
        try:
            return plain(parser.parse(text if text.endswith("\n") else text + "\n"))
        except Exception as err:  # the two parsers raise their own classes of the same names
            return type(err).__name__, getattr(err, "line", None), getattr(err, "column", None)

    for text in texts:
        assert outcome(generated, text) == outcome(built, text)


@pytest.mark.parametrize("text,where,hint", [
    ("varA in 0..1\n", (1, 1), "keywords are whole words: write `var A`"),
    ("var A in 0..1\nhypothesisH {\n    A ~ table\n}\n", (2, 1), "keywords are whole words: write `hypothesis H`"),
    ("variable in 0..1\n", (1, 1), "keywords are whole words: 'variable' is a name, not 'var' followed by a name"),
    ("var A in 0..1\nhypotesis H {\n    A ~ table\n}\n", (2, 1), "did you mean 'hypothesis'?"),
    ("var A in 0..1\nsearch {\n    graph max_parents 1\n}\n", (3, 5), "did you mean 'graphs'?"),
    ("var A in 0..1\nsearch {\n    graphs max_parent 1\n}\n", (3, 12), "did you mean 'max_parents'?"),
    ("var A in 0..1\nhypothesis h {\n    A ~ table fixd\n}\n", (3, 15), "did you mean 'fixed'?"),
    # a closed block: no hint blames its brace
    ("var A in 0..1\nhypothesis h {\n    A ~ table\n    A B\n}\n", (4, 7), None),
    # an unclosed block: the hint names it
    ("var A in 0..1\nhypothesis h {\n    A ~ table\nvar B in 0..1\n", (4, 5), "the '{' at line 2 is not closed"),
    ("var A in 0..1\nhypothesis h {\n    A ~ poisson(1\n    B ~ table\n}\n", (4, 5),
     "the '(' at line 3, column 16 is not closed"),
    ("var A in 0..1\nhypothesis h {\n    A ~ poisson(1\n    B ~ table)\n}\n", (4, 5), None),
], ids=["glued-var", "glued-hypothesis", "name-starting-with-var", "hypotesis", "graph", "max_parent", "fixd",
        "closed-block", "unclosed-block", "unclosed-paren", "paren-closed-later"])
def test_keyword_and_bracket_hints(text, where, hint):
    with pytest.raises(SpecSyntaxError) as info:
        kdsl.parse(text)
    assert (info.value.line, info.value.column) == where
    assert info.value.hint == hint


def _last_content_line(text: str) -> int:
    lines = text.split("\n")
    return max(i for i, line in enumerate(lines, start=1) if line.strip() not in ("", "}"))


@pytest.mark.parametrize("mistake", MISTAKES, ids=[(m.message or m.hint)[:40] for m in MISTAKES])
def test_every_example_of_a_mistake_stops_on_its_line_with_its_message(mistake):
    for example in mistake.examples:
        with pytest.raises(SpecSyntaxError) as info:
            kdsl.parse(example)
        err = info.value
        assert err.line == _last_content_line(example), example
        if mistake.message:
            assert err.message == mistake.message.format(found=err.message.rsplit("found ", 1)[-1]), example
        assert err.hint is not None or mistake.hint is None, example


@pytest.mark.parametrize("mistake", CHAR_MISTAKES, ids=[m.pattern.pattern for m in CHAR_MISTAKES])
def test_every_example_of_a_character_mistake_gives_its_message(mistake):
    with pytest.raises(SpecSyntaxError) as info:
        kdsl.parse(mistake.example)
    assert info.value.hint == mistake.hint
    assert info.value.message == (mistake.message or info.value.message)
    assert info.value.message.startswith("unexpected character") == (mistake.message is None)


def test_a_mistake_is_recognised_by_where_the_parser_stops_not_by_the_text():
    # `table` in a simulate block is a mistake; a family without parentheses is not that mistake
    with pytest.raises(SpecSyntaxError) as info:
        kdsl.parse("var X in 0..1\nsimulate env a n 5 seed 1 {\n    X ~ uniform\n}\n")
    assert "`table` has none" not in info.value.message
    # `~` for `=` in a `let` is not the template mistake
    with pytest.raises(SpecSyntaxError) as info:
        kdsl.parse("let a ~ 1\n")
    assert "template" not in info.value.message


def test_located_errors_are_built_in_one_place():
    """Only kdsl/errors.py gives an error its source line: every other module locates errors through SourceText."""
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "kdsl").rglob("*.py")
                 if path.name not in ("errors.py", "_lark_parser.py") and "source_line=" in path.read_text("utf-8")]
    assert offenders == []
