"""The checked model: plain data that every later stage reads.

:func:`kdsl.language.check.check` builds a :class:`Model` from a syntax tree;
:func:`kdsl.data.bind.bind` adds the environments' data. Nothing here parses,
checks or renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.codes.base import Code
from kdsl.errors import SourceText
from kdsl.language import ast
from kdsl.mechanisms.families import Domain
from kdsl.mechanisms.symmetries import SymmetryKind, get_symmetry_kind

sympy = lazy_module("sympy")

VariableKind = Literal["int", "labels", "bits", "real"]


@dataclass(frozen=True)
class Variable:
    """A declared variable and its domain.

    >>> from kdsl.errors import Span
    >>> v = Variable("S", "labels", 0, 2, labels=("low", "mid", "high"), span=Span(1, 1, 1, 24, 0, 23))
    >>> v.size, v.describe()
    (3, '{low, mid, high}')
    """

    name: str
    kind: VariableKind
    lo: int | None
    hi: int | None
    labels: tuple[str, ...] | None = None
    step: float | None = None
    span: ast.Span = field(kw_only=True)  # its `var` line
    step_auto: bool = False  # no step written (or `step auto`): ``step`` is 0.01 until data are bound, then theirs

    @property
    def is_real(self) -> bool:
        return self.kind == "real"

    @property
    def is_discrete(self) -> bool:
        return self.kind != "real"

    @property
    def size(self) -> int | None:
        """Number of values (None for a real variable)."""
        return None if self.is_real else self.hi - self.lo + 1

    @property
    def domain(self) -> Domain:
        return Domain(self.lo, self.hi, self.step)

    def values(self) -> np.ndarray:
        """The values expressions see (label codes for labels)."""
        return np.arange(self.lo, self.hi + 1)

    def describe(self) -> str:
        if self.kind == "labels":
            return "{" + ", ".join(self.labels) + "}"
        if self.kind == "bits":
            return f"bits({(self.hi + 1).bit_length() - 1})"
        if self.kind == "real":
            return f"real step {self.step:g}"
        return f"{self.lo}..{self.hi}"

    def value_name(self, value: float) -> str:
        """How a value is written (the label for labels)."""
        if self.kind == "labels":
            return self.labels[int(value)]
        return f"{value:g}"


@dataclass(frozen=True)
class Slot:
    """A template parameter with its codebook of candidate values."""

    name: str
    symbol: sympy.Symbol
    values: tuple[float, ...]
    span: ast.Span

    @property
    def size(self) -> int:
        return len(self.values)


MechanismKind = Literal["family", "table", "invariant", "reuse", "regression"]


@dataclass(frozen=True)
class Template:
    """A mechanism for ``child`` given ``parents``.

    ``kind`` is ``family`` (a family call whose arguments are sympy
    expressions of the parents' and slots' dummies), ``table`` (a free
    conditional table), ``invariant`` (a table over the orbits of
    ``symmetry``), or ``regression`` (a free mechanism of a real child,
    ``family`` naming its kind in :data:`kdsl.mechanisms.regression.KINDS`, ``degree``
    the highest degree of ``poly``, ``noise`` the model of a regression's
    residuals, ``normal`` or ``histogram``, and ``choices`` how many free
    mechanisms a search chose it among for its child and parents, paid as
    log2 of it). ``name`` is
    None for a mechanism written inline in a hypothesis.
    """

    name: str | None
    child: str
    parents: tuple[str, ...]
    kind: MechanismKind
    family: str | None = None
    args: tuple[sympy.Expr, ...] = ()
    arg_spans: tuple[ast.Span, ...] = ()
    parent_symbols: tuple[sympy.Symbol, ...] = ()
    slots: tuple[Slot, ...] = ()
    symmetry: str | None = None
    span: ast.Span = field(kw_only=True)  # where it is written: its template or hypothesis line, or the search block
    degree: int = 0
    noise: str = "normal"
    choices: int = 1

    def describe(self) -> str:
        """The right-hand side as a short text."""
        if self.kind == "table":
            return "table(" + ", ".join(self.parents) + ")" if self.parents else "table"
        if self.kind in ("invariant", "reuse"):
            table = f"table({', '.join(self.parents)})" if self.parents else "table"
            return f"{table} / {self.symmetry}"
        if self.kind == "regression":
            shown = ([str(self.degree)] if self.family == "poly" else []) + list(self.parents)
            text = f"{self.family}({', '.join(shown)})" if shown else self.family
            return text + (f" noise {self.noise}" if self.noise != "normal" else "")
        names = {s: s.name for s in self.parent_symbols}
        names.update({s.symbol: s.name for s in self.slots})
        args = [sympy.sstr(a.xreplace({k: sympy.Symbol(v) for k, v in names.items()}), full_prec=False)
                for a in self.args]
        return f"{self.family}({', '.join(args)})"


@dataclass(frozen=True)
class Mechanism:
    """One line of a hypothesis: ``var ~ ...``."""

    var: str
    template: Template
    fixed: bool
    span: ast.Span

    @property
    def parents(self) -> tuple[str, ...]:
        return self.template.parents


@dataclass(frozen=True)
class Hypothesis:
    name: str
    mechanisms: tuple[Mechanism, ...]  # one per variable, in the order written
    span: ast.Span

    def mechanism(self, var: str) -> Mechanism:
        return next(m for m in self.mechanisms if m.var == var)

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(p, m.var) for m in self.mechanisms for p in m.parents]


@dataclass(frozen=True)
class Symmetry:
    """A declared symmetry; ``kind`` names its entry in :data:`kdsl.mechanisms.symmetries.SYMMETRY_KINDS`."""

    name: str
    variables: tuple[str, ...]
    kind: str
    span: ast.Span

    @property
    def rule(self) -> SymmetryKind:
        """The registered kind: its orbits, whether its variables reuse one table, its checks."""
        return get_symmetry_kind(self.kind)


@dataclass(frozen=True)
class TargetsLine:
    """``targets ENV: V1, V2``: the variables environment ``env`` intervened on (empty for ``none``)."""

    env: str
    variables: tuple[str, ...]
    span: ast.Span  # of the environment's name, where an unknown environment is reported


@dataclass(frozen=True)
class SearchSpec:
    """A search block. ``forbid`` and ``require`` are (parent, child) edges;
    ``tiers`` lists the tiers in order (an edge from a later tier to an
    earlier one is forbidden); ``targets`` the declared intervention targets."""

    max_parents: int | None = None
    shifts: bool = True
    symmetries: tuple[str, ...] = ()
    classes: tuple[str, ...] = ("linear", "poly", "normal", "histogram")  # free mechanisms of real variables
    top: int | None = None  # None: 5 where exact top-N is practical, else 1
    time_limit: float | None = None
    span: ast.Span = field(kw_only=True)  # the search block
    method: str | None = None  # one of SEARCH_METHODS; None: chosen by the search (kdsl.search.run.choose_method)
    method_span: ast.Span | None = None  # of the `method` line, where a method that cannot run is reported
    stability: int | None = None  # subsamples to re-solve (kdsl.verdict.stability); None: no stability run
    stability_seed: int = 0
    forbid: tuple[tuple[str, str], ...] = ()
    require: tuple[tuple[str, str], ...] = ()
    tiers: tuple[tuple[str, ...], ...] = ()
    targets: tuple[TargetsLine, ...] = ()

    def forbids(self, parent: str, child: str) -> bool:
        """Whether the knowledge rules out the edge ``parent -> child`` (``forbid`` or ``tiers``).

        >>> from kdsl.errors import Span
        >>> at = Span(1, 1, 3, 2, 0, 20)
        >>> SearchSpec(tiers=(("A",), ("B", "C")), span=at).forbids("B", "A"), SearchSpec(span=at).forbids("B", "A")
        (True, False)
        """
        if (parent, child) in self.forbid:
            return True
        tier = {v: i for i, names in enumerate(self.tiers) for v in names}
        return parent in tier and child in tier and tier[parent] > tier[child]

    def violations(self, hypothesis: Hypothesis) -> list[str]:
        """How a program goes against this search's knowledge, in words (empty when it respects it).

        A forbidden edge (by ``forbid`` or ``tiers``), a missing required edge,
        or a mechanism written ``fixed`` for a variable some environment
        declares as a target (``fixed`` says no environment changed it).

        >>> from kdsl.errors import Span
        >>> at = Span(1, 1, 3, 2, 0, 20)
        >>> spec = SearchSpec(forbid=(("B", "A"),), require=(("A", "C"),), span=at)
        >>> table = Template(None, "A", ("B",), "table", span=at)
        >>> spec.violations(Hypothesis("h", (Mechanism("A", table, False, at),), at))
        ['forbidden edge B -> A', 'missing required edge A -> C']
        """
        edges = set(hypothesis.edges)
        out = [f"forbidden edge {p} -> {c}" for p, c in hypothesis.edges if self.forbids(p, c)]
        out += [f"missing required edge {p} -> {c}" for p, c in self.require if (p, c) not in edges]
        for mech in hypothesis.mechanisms:
            targeted = [t.env for t in self.targets if mech.var in t.variables]
            if mech.fixed and targeted:
                out.append(f"{mech.var} is written fixed, but {', '.join(targeted)} declare{'s' if len(targeted) == 1 else ''} "
                           f"it a target")
        return out


#: The search methods a spec may ask for: the exact dynamic program, the integer program (HiGHS), the heuristic.
SEARCH_METHODS = ("dp", "milp", "greedy")


@dataclass(frozen=True)
class SimulationLine:
    var: str
    family: str
    args_by_env: tuple[tuple[sympy.Expr, ...], ...]  # per environment of the block
    parent_symbols: tuple[tuple[str, sympy.Symbol], ...]
    arg_spans: tuple[ast.Span, ...]
    span: ast.Span


@dataclass(frozen=True)
class EnvSource:
    """Where environments come from, in declaration order.

    ``kind`` is ``file`` (``env NAME from "path"``), ``data`` (``env NAME from
    name``), ``split-file``/``split-data`` (``envs from ... by column``) or
    ``simulate``.
    """

    kind: Literal["file", "data", "split-file", "split-data", "simulate"]
    span: ast.Span
    names: tuple[str, ...] = ()  # known names (empty for a split, known at binding)
    path: str | None = None
    data_name: str | None = None
    by: str | None = None
    rows: int | None = None  # simulate: rows per environment
    seed: int | None = None
    lines: tuple[SimulationLine, ...] = ()
    source_span: ast.Span = field(kw_only=True)  # the file name or data name (a simulation: the environments named)


@dataclass(frozen=True)
class Model:
    """A checked spec (without data)."""

    name: str
    source: SourceText  # the spec's text and file name: where its errors are located
    variables: dict[str, Variable]
    constants: dict[str, float | tuple[float, ...]]
    sources: tuple[EnvSource, ...]
    templates: dict[str, Template]
    symmetries: dict[str, Symmetry]
    hypotheses: dict[str, Hypothesis]
    code: Code  # the ``code`` line's code, with its options (the default code without one)
    search: SearchSpec | None
    base_dir: str | None = None
    spec: ast.Spec | None = field(default=None, repr=False)
    warnings: tuple = ()  # located warnings (SpecError objects, not raised), e.g. a template parent left unused
