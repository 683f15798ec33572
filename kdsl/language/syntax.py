"""Parse kdsl text into the syntax tree of :mod:`kdsl.language.ast`.

The grammar is ``grammar/kdsl.lark`` (shipped in the wheel as
``kdsl/kdsl.lark``); its LALR parser is generated once, by
``scripts/build_parser.py`` with lark's standalone tool, into
``kdsl/language/_lark_parser.py``, so no process builds it. A post-lexer drops newlines inside ``( )``, ``[ ]`` and
value sets so lists may wrap; a syntax error becomes a
:class:`~kdsl.errors.SpecSyntaxError` located at the offending token, with a
hint for the common mistakes.

>>> spec = parse('var X in 0..17\\nvar S in {low,\\n  high}\\n')
>>> [d.name.name for d in spec.decls]
['X', 'S']
>>> parse('var X 0..3\\n', filename='m.kdsl')
Traceback (most recent call last):
...
kdsl.errors.SpecSyntaxError: m.kdsl:1:7: expected 'in' or 'real' after the variable's name, found 0
    var X 0..3
          ^
hint: write `var X in 0..3`
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kdsl.errors import SourceText, SpecSyntaxError
from kdsl.language import ast
from kdsl.language._lark_parser import (
    Lark,
    Lark_StandAlone,
    Token,
    Transformer,
    Tree,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
    v_args,
)

__all__ = ["parse", "grammar_text", "MAX_DEPTH", "MISTAKES", "CHAR_MISTAKES"]


#: Deepest nesting of expressions and brackets a spec may use.
MAX_DEPTH = 200


def grammar_text() -> str:
    """The grammar, from the installed package or else from the checkout."""
    try:
        packaged = resources.files("kdsl").joinpath("kdsl.lark")
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):  # pragma: no cover - odd installs
        pass
    return (Path(__file__).resolve().parents[2] / "grammar" / "kdsl.lark").read_text(encoding="utf-8")


#: A ``{`` after one of these tokens opens a set of names or values, not a block.
_SET_OPENERS = ("IN", "ON", "TIERS", "LESSTHAN")


class _BracketNewlines:
    """Post-lexer: drop newlines inside ``( )``, ``[ ]`` and value sets.

    A ``{`` opens a value set when it follows ``in``, ``on``, ``tiers`` or a
    tier's ``<``; otherwise it
    opens a block, inside which newlines separate lines. The stack of open
    brackets is kept so that an error can name an unclosed one.
    """

    always_accept = ("_NL", "NAME")
    _OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}

    def __init__(self) -> None:
        self.stack: list[tuple[Token, bool]] = []  # (opening token, drops newlines)

    def process(self, stream):
        self.stack = []
        previous = None
        for tok in stream:
            if tok.type in self._OPEN:
                drops = tok.type != "LBRACE" or (previous is not None and previous.type in _SET_OPENERS)
                self.stack.append((tok, drops))
            elif tok.type in ("RPAR", "RSQB", "RBRACE"):
                if self.stack and self._OPEN[self.stack[-1][0].type] == tok.type:
                    self.stack.pop()
            elif tok.type == "_NL" and self.stack and self.stack[-1][1]:
                continue
            previous = tok
            yield tok


@functools.lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _BracketNewlines]:
    """The parser, generated from the grammar at build time (``scripts/build_parser.py``); loading it builds nothing."""
    post = _BracketNewlines()
    return Lark_StandAlone(postlex=post), post


def _span(meta_or_token) -> ast.Span:
    m = meta_or_token
    return ast.Span(m.line, m.column, m.end_line, m.end_column, m.start_pos, m.end_pos)


def _ident(tok: Token) -> ast.Ident:
    return ast.Ident(_span(tok), str(tok))


def _number_value(text: str) -> float:
    return float(int(text)) if text.isdigit() else float(text)


@v_args(meta=True)
class _ToAst(Transformer):
    """Build :mod:`kdsl.language.ast` nodes; no checking happens here."""

    def start(self, meta, children):
        return tuple(children)

    # header and constants
    def model_decl(self, meta, c):
        return ast.ModelDecl(_span(meta), _ident(c[0]))

    def let_decl(self, meta, c):
        value = c[1]
        if isinstance(value, ast.ListValue) and value.span is None:  # `[]`: no token of its own to place it
            value = ast.ListValue(_span(meta), ())
        return ast.LetDecl(_span(meta), _ident(c[0]), value)

    def list_value(self, meta, c):
        items = tuple(x for x in c if x is not None)
        return ast.ListValue(None if meta.empty else _span(meta), items)

    # variables
    def var_decl(self, meta, c):
        return ast.VarDecl(_span(meta), _ident(c[0]), c[1])

    def int_range(self, meta, c):
        return ast.IntRange(_span(meta), c[0], c[1])

    def label_set(self, meta, c):
        return ast.LabelSet(_span(meta), tuple(_ident(t) for t in c))

    def bits_domain(self, meta, c):
        return ast.BitsDomain(_span(meta), int(c[0]))

    def real_domain(self, meta, c):
        if c and c[0] == "auto":
            return ast.RealDomain(_span(meta), None, auto=True)
        return ast.RealDomain(_span(meta), c[0] if c else None)

    def step_auto(self, meta, c):
        return "auto"

    # environments
    def env_decl(self, meta, c):
        return ast.EnvDecl(_span(meta), _ident(c[0]), c[1])

    def envs_decl(self, meta, c):
        return ast.EnvsDecl(_span(meta), c[0], _ident(c[1]))

    def file_source(self, meta, c):
        return ast.FileSource(_span(meta), str(c[0])[1:-1])

    def data_source(self, meta, c):
        return ast.DataSource(_span(meta), _ident(c[0]))

    def sim_single(self, meta, c):
        return ast.SimSingle(_span(meta), _ident(c[0]))

    def sim_range(self, meta, c):
        return ast.SimRange(_span(meta), _ident(c[0]), _ident(c[1]))

    def sim_list(self, meta, c):
        return ast.SimList(_span(meta), tuple(_ident(t) for t in c))

    def sim_line(self, meta, c):
        return ast.SimLine(_span(meta), _ident(c[0]), c[1])

    def simulate_decl(self, meta, c):
        targets, n, seed, *lines = c
        return ast.SimulateDecl(_span(meta), targets, int(n), int(seed), tuple(lines))

    # templates
    def mechanism_decl(self, meta, c):
        name, child, parents, rhs, where = c
        return ast.MechanismDecl(_span(meta), _ident(name), _ident(child), parents or (), rhs, where or ())

    def parent_list(self, meta, c):
        return tuple(_ident(t) for t in c)

    def bare_rhs(self, meta, c):
        return ast.BareRhs(_span(meta), _ident(c[0]))

    def invariant_rhs(self, meta, c):
        return ast.InvariantRhs(_span(meta), _ident(c[0]), _ident(c[1]))

    def where_clause(self, meta, c):
        return tuple(c)

    def codebook(self, meta, c):
        return ast.Codebook(_span(meta), _ident(c[0]), c[1])

    def grid(self, meta, c):
        return ast.Grid(_span(meta), c[0], c[1], int(c[2]))

    def value_set(self, meta, c):
        return ast.ValueSet(_span(meta), tuple(c))

    def symmetry_decl(self, meta, c):
        name, on, kind = c
        on_set = isinstance(on, tuple)
        targets = on if on_set else (_ident(on),)
        return ast.SymmetryDecl(_span(meta), _ident(name), targets, on_set, _ident(kind))

    def name_set(self, meta, c):
        return tuple(_ident(t) for t in c)

    # hypotheses
    def hypothesis_decl(self, meta, c):
        return ast.HypothesisDecl(_span(meta), _ident(c[0]), tuple(c[1:]))

    def assignment(self, meta, c):
        var, rhs, noise, fixed = c
        return ast.Assignment(_span(meta), _ident(var), rhs, fixed is not None, noise)

    def noise_clause(self, meta, c):
        return _ident(c[0])

    def ref_rhs(self, meta, c):
        return ast.RefRhs(_span(meta), _ident(c[0]))

    def invariant_ref(self, meta, c):
        return ast.InvariantRef(_span(meta), c[0], _ident(c[1]))

    # code and search
    def code_decl(self, meta, c):
        name, *options = c
        return ast.CodeDecl(_span(meta), _ident(name), tuple(o for o in options if o is not None))

    def code_option(self, meta, c):
        return ast.CodeOption(_span(meta), _ident(c[0]), c[1])

    def search_decl(self, meta, c):
        return ast.SearchDecl(_span(meta), tuple(c))

    def graphs_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "graphs", int(c[0]) if c[0] is not None else None)

    def shifts_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "shifts", None)

    def fixed_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "fixed", None)

    def symmetries_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "symmetries", tuple(_ident(t) for t in c))

    def classes_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "classes", tuple(_ident(t) for t in c))

    def top_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "top", int(c[0]))

    def time_limit_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "time_limit", c[0].value)

    def method_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "method", _ident(c[0]))

    def stability_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "stability", (int(c[0]), None if c[1] is None else int(c[1])))

    def forbid_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "forbid", tuple(c))

    def require_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "require", tuple(c))

    def edge(self, meta, c):
        return ast.EdgeRef(_span(meta), _ident(c[0]), _ident(c[1]))

    def tiers_opt(self, meta, c):
        return ast.SearchOption(_span(meta), "tiers", tuple(c))

    def tier(self, meta, c):
        return tuple(_ident(t) for t in c)

    def targets_opt(self, meta, c):
        env, *names = c
        variables = tuple(_ident(t) for t in names if t.type != "NONE")
        return ast.SearchOption(_span(meta), "targets", ast.Targets(_span(meta), _ident(env), variables))

    # expressions
    def call(self, meta, c):
        func, *args = c
        return ast.Call(_span(meta), _ident(func), tuple(a for a in args if a is not None))

    def _binop(op):  # noqa: N805 - a factory used only in this class body
        def build(self, meta, c):
            return ast.BinOp(_span(meta), op, c[0], c[1])

        return build

    add, sub, mul, div, pow = _binop("+"), _binop("-"), _binop("*"), _binop("/"), _binop("**")

    def neg(self, meta, c):
        return ast.Neg(_span(meta), c[0])

    def name(self, meta, c):
        return ast.Name(_span(meta), str(c[0]))

    def index(self, meta, c):
        return ast.Index(_span(meta), _ident(c[0]), c[1])

    def number(self, meta, c):
        return ast.Number(_span(meta), _number_value(str(c[0])), str(c[0]))

    def signed_number(self, meta, c):
        return c[0]

    def negative_number(self, meta, c):
        num = c[0]
        return ast.Number(_span(meta), -num.value, "-" + num.text)

    def signed_int(self, meta, c):
        return int(c[0])

    def negative_int(self, meta, c):
        return -int(c[0])


_TOKEN_WORDS = {
    "NAME": "a name",
    "INT": "an integer",
    "DECIMAL": "a number",
    "SCIENTIFIC": "a number",
    "STRING": 'a quoted path ("...")',
    "_NL": "the end of the line",
    "$END": "the end of the file",
}


def _describe_expected(expected: set[str], parser: Lark) -> str:
    words = []
    for name in sorted(expected):
        if name in _TOKEN_WORDS:
            word = _TOKEN_WORDS[name]
        else:
            try:
                word = repr(parser.get_terminal(name).pattern.value).replace('"', "'")
            except KeyError:
                word = name
        if word not in words:
            words.append(word)
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _describe_token(tok: Token) -> str:
    if tok.type == "_NL":
        return "the end of the line"
    if tok.type == "$END":
        return "the end of the file"
    return str(tok) if tok.type in ("NAME", "INT", "DECIMAL", "SCIENTIFIC") else repr(str(tok))


def _expected_terminals(err: UnexpectedInput) -> set[str]:
    """The terminals the parser could take where ``err`` happened.

    ``NAME`` is lexed in every state (keywords are whole words), so a name
    where only keywords fit is refused by the parser rather than the lexer;
    it is described as the lexer of that state would: its keywords, or the
    end of the line.
    """
    expected = set(getattr(err, "expected", None) or ())
    state = getattr(err, "state", None)
    if state is None or not hasattr(state, "parse_conf"):
        return expected
    accepted = {name for name in state.parse_conf.states[state.position] if name.isupper()}
    if "NAME" not in accepted and ("NAME" in expected or err.token.type == "NAME"):
        return (accepted - {"$END"}) | {"_NL"}
    return expected


def _keywords(expected: set[str], parser: Lark) -> list[str]:
    """The keywords (word-like string terminals) among ``expected``."""
    words = []
    for name in sorted(expected):
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        if type(pattern).__name__ == "PatternStr" and pattern.value.isidentifier():
            words.append(pattern.value)
    return words


def _all_keywords(parser: Lark) -> set[str]:
    """Every word the grammar spells out (``var``, ``auto``, ``graphs``, ...)."""
    return {t.pattern.value for t in parser.terminals
            if type(t.pattern).__name__ == "PatternStr" and t.pattern.value.isidentifier()}


def _keyword_hint(word: str, expected: set[str], parser: Lark) -> str | None:
    """A hint for a name found where a keyword was expected: a keyword glued to a name, or a misspelled keyword.

    >>> parser = _parser()[0]
    >>> _keyword_hint("varA", {"VAR", "MODEL"}, parser)
    'keywords are whole words: write `var A`'
    >>> _keyword_hint("stepauto", {"STEP"}, parser)
    'keywords are whole words: write `step auto`'
    >>> _keyword_hint("hypotesis", {"HYPOTHESIS", "VAR"}, parser)
    "did you mean 'hypothesis'?"
    """
    keywords = _keywords(expected, parser)
    glued = [kw for kw in keywords if word.startswith(kw) and len(word) > len(kw)]
    if glued:
        keyword = max(glued, key=len)
        rest = word[len(keyword):]
        if not rest[0].islower() or rest in _all_keywords(parser):
            return f"keywords are whole words: write `{keyword} {rest}`"
        return f"keywords are whole words: '{word}' is a name, not '{keyword}' followed by a name"
    close = difflib.get_close_matches(word, keywords, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_SKIPPED = re.compile(r'#[^\n]*|"[^"\n]*"')


def _never_closed(text: str, opening: Token) -> bool:
    """Whether the bracket ``opening`` has no matching closer anywhere after it (comments and strings skipped)."""
    open_char, close_char = str(opening), _CLOSERS[str(opening)]
    depth = 1
    for piece in re.split(_SKIPPED, text[opening.end_pos:]):
        for ch in piece:
            depth += (ch == open_char) - (ch == close_char)
            if depth == 0:
                return False
    return True


# ---------------------------------------------------------------- hints from examples
@dataclass(frozen=True)
class _Place:
    """What a hint may use: the offending token, its line's text and column, and how it is described."""

    token: Token
    line: str
    column: int
    found: str

    @property
    def before(self) -> str:
        """The line up to the offending token."""
        return self.line[: self.column - 1]

    @property
    def after(self) -> str:
        """The line from the offending token on."""
        return self.line[self.column - 1:]

    def replaced(self, text: str) -> str:
        """The line with the offending (one-character) token replaced by ``text``."""
        return (self.before + text + self.line[self.column:]).strip()


@dataclass(frozen=True)
class _Mistake:
    """A common mistake: bad inputs that end in it, the message that replaces "expected ..., found ...", and a hint.

    An error is this mistake when the parser stopped in the state one of the
    ``examples`` stops in, at a token of the same type (and the same text,
    when ``same_text``), and ``when`` (if given) holds.
    """

    examples: tuple[str, ...]
    message: str | None = None  # formatted with {found}; None keeps the generic message
    hint: Callable[[_Place], str] | str | None = None
    when: Callable[[_Place], bool] | None = None
    same_text: bool = False


def _anywhere(*texts: str) -> tuple[str, ...]:
    """Each text as the first declaration and after others, after a blank line or not (the parser's state may
    differ)."""
    return tuple(blank + before + text for text in texts for blank in ("", "\n")
                 for before in ("", "model m\n", "model m\nmodel n\n"))


def _in_block(header: str, *lines: str, filler: str = "Y ~ uniform()") -> tuple[str, ...]:
    """Each line as the first and as a later line of a block (after ``filler`` lines), anywhere in a spec."""
    return _anywhere(*(f"{header} {{\n{before}    {line}\n}}\n" for line in lines
                       for before in ("", f"    {filler}\n", f"    {filler}\n    {filler}\n")))


_HYPOTHESIS = "hypothesis h"
_SIMULATE = "simulate env a n 5 seed 1"

#: The common mistakes, each shown by the bad inputs that make it (a test checks every example gives its message).
MISTAKES: tuple[_Mistake, ...] = (
    _Mistake(_anywhere("var X 0..3\n", "var X {a, b}\n", "var X -1..3\n", "var X ..3\n"),
             "expected 'in' or 'real' after the variable's name, found {found}",
             lambda p: f"write `var {p.line.split()[1]} in {p.after.strip()}`"),
    _Mistake(_in_block(_HYPOTHESIS, "X = table", "X = table(Y)") + _in_block(_SIMULATE, "X = uniform()"),
             "a hypothesis gives each variable its mechanism with '~', not '='",
             lambda p: f"write `{p.replaced('~')}`"),
    _Mistake(_anywhere("mechanism m(X) ~ table\n", "mechanism m(X | Y) ~ table\n"),
             "a template is defined with '=', not '~'",
             lambda p: f"write `{p.replaced('=')}`"),
    _Mistake(_in_block(_HYPOTHESIS, "X ~ table / a / b", "X ~ table(Y) / a / b", "X ~ table / a fixed / b")
             + _anywhere("mechanism m(X) = table / a / b\n"),
             "a line takes one symmetry: a table is either invariant (reflect, cyclic) or reused (permute), not both"),
    _Mistake(_in_block("search", "time_limit -3", filler="shifts"),
             "the time limit is a positive number of seconds", "write e.g. `time_limit 30`"),
    _Mistake(_in_block(_SIMULATE, "X ~ table"),
             "a simulate block draws each variable from a family with its parameters; `table` has none",
             lambda p: f"write a family, e.g. `{p.before.strip()[: -len('table')].rstrip()} categorical(0.2, 0.5, 0.3)`",
             when=lambda p: re.search(r"~\s*table\s*$", p.before) is not None),
    _Mistake(_in_block(_HYPOTHESIS, "X ~ table fixed / a", "X ~ table(Y) fixed / a"),
             "`fixed` ends the line: it comes after the symmetry",
             lambda p: f"write `{(p.before.rstrip()[: -len(' fixed')] + ' ' + p.after.strip()).strip()} fixed`"),
    _Mistake(_anywhere("simulate envs a n 5 seed 1 {\n}\n", "simulate envs a seed 1 {\n}\n"),
             "`simulate envs` takes two or more environment names, but after one name found {found}",
             lambda p: f"for one environment write `simulate env {p.before.split()[2]} ...`; for several, "
                       "a range `a1..a3` or a list `a, b`"),
    _Mistake(_anywhere("simulate env a n 5 {\n}\n", "simulate envs a..b n 5 {\n}\n", "simulate envs a, b n 5 {\n}\n"),
             "a simulate block needs a `seed` after its row count, found {found}",
             lambda p: f"write `{p.before.strip()} seed 1 {p.after.strip()}` (any whole number; the same seed draws the same data)"),
    _Mistake(_anywhere('envs a from "d.csv"\n', "envs a from d\n"),
             "`envs from SOURCE by COLUMN` splits one source into environments named by the column's values; "
             "instead of `from` found {found}",
             lambda p: f"for one environment write `env {p.after.split()[0]} from ...`; to split, "
                       "`envs from SOURCE by COLUMN`"),
    _Mistake(_in_block(_HYPOTHESIS, "X ~ linear(Y) fixed noise histogram", "X ~ poly(2, Y) fixed noise normal"),
             "`fixed` ends the line: it comes after the noise model",
             lambda p: f"write `{(p.before.rstrip()[: -len(' fixed')] + ' ' + p.after.strip()).strip()} fixed`"),
    _Mistake(_in_block(_HYPOTHESIS, "X ~ linear(Y) noise", "X ~ linear(Y) noise 3"),
             "`noise` names the model of the regression's residuals (normal or histogram), found {found}",
             lambda p: f"write `{p.before.strip()} histogram`"),
    _Mistake(_in_block(_HYPOTHESIS, "X ~ linear(Y) histogram", "X ~ poly(2, Y) normal"),
             "a regression's noise model is written after `noise`, found {found}",
             lambda p: f"write `{p.before.strip()} noise {p.token}`",
             when=lambda p: str(p.token) in ("histogram", "normal")),
    _Mistake(_anywhere("var X real step -1\n", "var X real step -0.5\n"),
             "a step is a positive number (the width of one recording cell), found {found}",
             "write e.g. `step 0.01`, or leave the step out to take the data's recording resolution",
             same_text=True),
    _Mistake(_anywhere("mechanism m(X) = poisson(t)\n    where t in grid(1, 2, 3)\n"),
             "a `where` clause must stay on its template's line",
             "newlines are allowed only inside ( ), [ ] and { }: wrap inside a value set, or join the lines",
             same_text=True),
)


def _stop(text: str) -> tuple[int, str, str]:
    """Where parsing ``text`` stops: (parser state, token type, token text)."""
    try:
        _parser()[0].parse(text)
    except UnexpectedToken as err:
        return err.state.position, err.token.type, str(err.token)
    raise AssertionError(f"the example of a mistake parses: {text!r}")  # pragma: no cover - a wrong table


@functools.lru_cache(maxsize=1)
def _mistakes_by_stop() -> dict[tuple, list[_Mistake]]:
    """Each mistake under the stops of its examples: (state, token type) and, for ``same_text``, the text too."""
    table: dict[tuple, list[_Mistake]] = {}
    for mistake in MISTAKES:
        for example in mistake.examples:
            state, kind, text = _stop(example)
            key = (state, kind, text) if mistake.same_text else (state, kind)
            if mistake not in table.setdefault(key, []):
                table[key].append(mistake)
    return table


def _mistake(err: UnexpectedToken, place: _Place) -> _Mistake | None:
    """The common mistake ``err`` is, if any."""
    state = getattr(err, "state", None)
    if state is None or not hasattr(state, "position"):
        return None
    table = _mistakes_by_stop()
    token = place.token
    candidates = table.get((state.position, token.type, str(token)), []) + table.get((state.position, token.type), [])
    return next((m for m in candidates if m.when is None or m.when(place)), None)


@dataclass(frozen=True)
class _CharMistake:
    """A character the lexer cannot take, recognised by a pattern at its position (``example`` shows it)."""

    pattern: re.Pattern
    example: str
    message: str | None
    hint: str


#: Characters no token can start with, in the usual places (a test checks every example gives its message).
CHAR_MISTAKES: tuple[_CharMistake, ...] = (
    _CharMistake(re.compile(r"(?<=\.)\."), "var X in 0...3\n", "a range has two dots, not three", "write 0..3"),
    _CharMistake(re.compile(r"\.(?=\d)"), "let a = .5\n", "a number must have a digit before its decimal point",
                 "write 0.5, not .5"),
    _CharMistake(re.compile(r"(?<=\d)\."), "let a = 5.\n", "a number must have a digit after its decimal point",
                 "write 5.0, not 5."),
    _CharMistake(re.compile(r"'"), "var X in 0..1\nenv a from 'x.csv'\n", None,
                 'strings use double quotes: "data/obs.csv"'),
)


def _character_error(err: UnexpectedCharacters, source: SourceText) -> SpecSyntaxError:
    text, pos = source.text, err.pos_in_stream
    ch = text[pos] if pos < len(text) else ""
    message, hint = f"unexpected character {ch!r}", None
    mistake = next((m for m in CHAR_MISTAKES if m.pattern.match(text, pos)), None)
    if mistake is not None:
        message, hint = mistake.message or message, mistake.hint
    return source.error(message, source.span(pos, pos), kind=SpecSyntaxError, hint=hint)


def _syntax_error(err: UnexpectedInput, source: SourceText, post: _BracketNewlines) -> SpecSyntaxError:
    """``err`` as a located error: at the offending token (an unclosed bracket at the end of the file: at the
    bracket), with a message saying what could stand there, or a common mistake's message and hint."""
    if isinstance(err, UnexpectedCharacters):
        return _character_error(err, source)
    parser = _parser()[0]
    tok = err.token
    if tok.type == "$END" and post.stack:
        opening = post.stack[-1][0]
        return source.error(f"unclosed {str(opening)!r}: the file ends before its closing bracket",
                            source.span(opening.start_pos, opening.start_pos), kind=SpecSyntaxError)
    where = source.end_span() if tok.type == "$END" else _span(tok)
    expected = _expected_terminals(err)
    place = _Place(tok, source.line(where.line), where.column, _describe_token(tok))
    message = f"expected {_describe_expected(expected, parser)}, found {place.found}"
    hint = None
    mistake = _mistake(err, place)
    if mistake is not None:
        message = mistake.message.format(found=place.found) if mistake.message else message
        hint = mistake.hint(place) if callable(mistake.hint) else mistake.hint
    if hint is None and tok.type == "NAME":
        hint = _keyword_hint(str(tok), expected, parser)
    if hint is None and tok.type != "$END":
        hint = _unclosed_hint(tok, source.text, post)
    return source.error(message, where, kind=SpecSyntaxError, hint=hint)


def _unclosed_hint(tok: Token, text: str, post: _BracketNewlines) -> str | None:
    """A hint naming a bracket opened on an earlier line and never closed in the file, if there is one."""
    if not post.stack:
        return None
    opening, drops = post.stack[-1]
    if drops and opening.line < tok.line and _never_closed(text, opening):
        return f"the {str(opening)!r} at line {opening.line}, column {opening.column} is not closed"
    opening, drops = post.stack[0]
    if (opening.type == "LBRACE" and not drops and opening.line < tok.line and tok.type in ("NAME", "LBRACE")
            and _never_closed(text, opening)):
        return f"the '{{' at line {opening.line} is not closed"
    return None


def parse(text: str, filename: str | None = None) -> ast.Spec:
    """Parse kdsl ``text`` into an :class:`~kdsl.language.ast.Spec` (no semantic checks).

    Parameters
    ----------
    text:
        The spec.
    filename:
        Shown in error messages; ``<string>`` when omitted.

    Raises
    ------
    SpecSyntaxError
        Located at the offending token, with a caret and, for common
        mistakes, a hint.
    """
    if not isinstance(text, str):
        raise TypeError(f"kdsl.parse expects the spec text as str, got {type(text).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]
    source = SourceText(text, filename)
    parser, post = _parser()
    try:
        tree = parser.parse(text if text.endswith("\n") else text + "\n")
    except UnexpectedInput as err:
        raise _syntax_error(err, source, post) from None
    except RecursionError:  # pragma: no cover - the LALR parser does not recurse
        raise source.error("the spec is nested too deeply to read", 1, kind=SpecSyntaxError) from None
    _check_depth(tree, source)
    try:
        decls = _ToAst().transform(tree)
    except VisitError as err:  # pragma: no cover - a bug in the transformer
        raise err.orig_exc from None
    return ast.Spec(decls, source)


def _check_depth(tree: Tree, source: SourceText) -> None:
    """Refuse trees deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            where = source.span(0, 0) if node.meta.empty else source.span(node.meta.start_pos, node.meta.start_pos)
            raise source.error(f"this is nested more than {MAX_DEPTH} levels deep", where, kind=SpecSyntaxError,
                               hint="split the expression with `let` constants")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
