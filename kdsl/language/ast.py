"""The kdsl syntax tree: frozen dataclasses named after the grammar's rules.

Every node carries its source :class:`Span`. The tree only records what was
written; meaning (names, domains, data) is given by :mod:`kdsl.language.check`.

>>> from kdsl.language.syntax import parse
>>> spec = parse("var X in 0..3\\n")
>>> spec.decls[0].domain
IntRange(span=Span(line=1, column=10, end_line=1, end_column=14, start=9, end=13), lo=0, hi=3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from kdsl.errors import SourceText, Span  # Span: a node's place, defined with the source text it points into


@dataclass(frozen=True)
class Node:
    span: Span


@dataclass(frozen=True)
class Ident(Node):
    """A name as written, with its position."""

    name: str


# ------------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Number(Node):
    value: float
    text: str

    @property
    def is_integer(self) -> bool:
        return self.text.isdigit()


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Index(Node):
    target: Ident
    index: Expr


@dataclass(frozen=True)
class Call(Node):
    func: Ident
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # one of + - * / **
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg(Node):
    operand: Expr


Expr = Union[Number, Name, Index, Call, BinOp, Neg]


# ------------------------------------------------------------------ header, constants
@dataclass(frozen=True)
class ModelDecl(Node):
    name: Ident


@dataclass(frozen=True)
class ListValue(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class LetDecl(Node):
    name: Ident
    value: Union[Expr, ListValue]


# ------------------------------------------------------------------ variables
@dataclass(frozen=True)
class IntRange(Node):
    lo: int
    hi: int


@dataclass(frozen=True)
class LabelSet(Node):
    labels: tuple[Ident, ...]


@dataclass(frozen=True)
class BitsDomain(Node):
    bits: int


@dataclass(frozen=True)
class RealDomain(Node):
    step: Number | None
    auto: bool = False  # `step auto`: the resolution is inferred from the data


Domain = Union[IntRange, LabelSet, BitsDomain, RealDomain]


@dataclass(frozen=True)
class VarDecl(Node):
    name: Ident
    domain: Domain


# ------------------------------------------------------------------ environments
@dataclass(frozen=True)
class FileSource(Node):
    path: str


@dataclass(frozen=True)
class DataSource(Node):
    name: Ident


Source = Union[FileSource, DataSource]


@dataclass(frozen=True)
class EnvDecl(Node):
    name: Ident
    source: Source


@dataclass(frozen=True)
class EnvsDecl(Node):
    source: Source
    by: Ident


@dataclass(frozen=True)
class SimSingle(Node):
    name: Ident


@dataclass(frozen=True)
class SimRange(Node):
    first: Ident
    last: Ident


@dataclass(frozen=True)
class SimList(Node):
    names: tuple[Ident, ...]


@dataclass(frozen=True)
class SimLine(Node):
    var: Ident
    call: Call


@dataclass(frozen=True)
class SimulateDecl(Node):
    targets: Union[SimSingle, SimRange, SimList]
    n: int
    seed: int
    lines: tuple[SimLine, ...]


# ------------------------------------------------------------------ templates
@dataclass(frozen=True)
class Grid(Node):
    lo: Number
    hi: Number
    count: int


@dataclass(frozen=True)
class ValueSet(Node):
    values: tuple[Number, ...]


@dataclass(frozen=True)
class Codebook(Node):
    name: Ident
    values: Union[Grid, ValueSet]


@dataclass(frozen=True)
class BareRhs(Node):
    """A bare name on a template's right-hand side (must be ``table``)."""

    name: Ident


@dataclass(frozen=True)
class InvariantRhs(Node):
    """``table / SYMMETRY``."""

    table: Ident
    symmetry: Ident


@dataclass(frozen=True)
class MechanismDecl(Node):
    name: Ident
    child: Ident
    parents: tuple[Ident, ...]
    rhs: Union[Call, BareRhs, InvariantRhs]
    codebooks: tuple[Codebook, ...]


@dataclass(frozen=True)
class SymmetryDecl(Node):
    name: Ident
    on: tuple[Ident, ...]
    on_set: bool
    kind: Ident


# ------------------------------------------------------------------ hypotheses
@dataclass(frozen=True)
class RefRhs(Node):
    """``V ~ NAME`` (a template, or ``table``)."""

    name: Ident


@dataclass(frozen=True)
class InvariantRef(Node):
    """``V ~ table(PARENTS) / SYMMETRY`` (or ``table / SYMMETRY``)."""

    base: Union[RefRhs, Call]
    symmetry: Ident


@dataclass(frozen=True)
class Assignment(Node):
    var: Ident
    rhs: Union[RefRhs, Call, InvariantRef]
    fixed: bool
    noise: Ident | None = None  # `Y ~ linear(X) noise histogram`: the residuals' model (default normal)


@dataclass(frozen=True)
class HypothesisDecl(Node):
    name: Ident
    assignments: tuple[Assignment, ...]


# ------------------------------------------------------------------ code, search
@dataclass(frozen=True)
class CodeOption(Node):
    name: Ident
    value: Number


@dataclass(frozen=True)
class CodeDecl(Node):
    name: Ident
    options: tuple[CodeOption, ...]


@dataclass(frozen=True)
class EdgeRef(Node):
    """``PARENT -> CHILD`` in a ``forbid`` or ``require`` line."""

    parent: Ident
    child: Ident


@dataclass(frozen=True)
class Targets(Node):
    """``targets ENV: V1, V2`` (``variables`` empty for ``targets ENV: none``)."""

    env: Ident
    variables: tuple[Ident, ...]


@dataclass(frozen=True)
class SearchOption(Node):
    """One line of a search block: ``kind`` is graphs, shifts, fixed,
    symmetries, classes, top, time_limit, method, forbid, require, tiers or
    targets; ``value`` its argument (or None): names for symmetries and
    classes, a name for method, edges for forbid and require, one tuple of
    names per tier for tiers, a :class:`Targets`."""

    kind: str
    value: Union[int, float, tuple[Ident, ...], Ident, tuple[EdgeRef, ...], tuple[tuple[Ident, ...], ...], Targets,
                 None]


@dataclass(frozen=True)
class SearchDecl(Node):
    options: tuple[SearchOption, ...]


Decl = Union[
    ModelDecl, LetDecl, VarDecl, EnvDecl, EnvsDecl, SimulateDecl, MechanismDecl,
    SymmetryDecl, HypothesisDecl, CodeDecl, SearchDecl,
]


@dataclass(frozen=True)
class Spec:
    """A parsed spec: its declarations in order, and the source text they were read from."""

    decls: tuple[Decl, ...]
    source: SourceText
