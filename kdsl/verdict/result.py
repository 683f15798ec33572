"""Plain result objects. ``to_dict()`` gives the JSON of docs/language.md; nothing
here renders itself (see :mod:`kdsl.present.render`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kdsl.errors import KdslError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ProgramResult", "MechanismResult", "Reuse", "Result", "EdgeMargin", "Reading", "finite_or_none",
           "TIE_TOLERANCE", "TIE_RELATIVE", "tie_tolerance", "WEAK_BITS"]

#: Programs whose lengths differ by less than this many bits are ties.
TIE_TOLERANCE = 1e-9
#: ... plus this fraction of the length: real-valued data bits are sums of many floats, whose rounding grows with them.
TIE_RELATIVE = 1e-12


def tie_tolerance(bits: float) -> float:
    """How far from a length of ``bits`` another length still ties with it (rounding of float sums).

    >>> tie_tolerance(0.0), tie_tolerance(1e6)
    (1e-09, 1.001e-06)
    """
    return TIE_TOLERANCE + TIE_RELATIVE * abs(bits)
#: A margin under this many bits is called weak (a level above 2^-10, about 1/1000).
WEAK_BITS = 10.0


def finite_or_none(value: float | None) -> float | None:
    """A float for JSON: ``None`` instead of inf or NaN."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class Reuse:
    """A table several variables share through a symmetry: who stores it, who reuses it, at what price.

    ``symmetry`` names the declared symmetry; ``stored_by`` is the variable
    whose bits include the stored table; ``shared_by`` every variable of the
    class, ``stored_by`` first; ``reference_bits`` what this variable pays to
    name the group element it applies to the stored table.
    """

    symmetry: str
    stored_by: str
    shared_by: tuple[str, ...]
    reference_bits: float

    def to_dict(self) -> dict[str, Any]:
        return {"symmetry": self.symmetry, "stored_by": self.stored_by, "shared_by": list(self.shared_by),
                "reference_bits": self.reference_bits}


@dataclass(frozen=True)
class MechanismResult:
    """How one variable is described by a program, across every environment.

    Attributes
    ----------
    template:
        The named template, or the right-hand side when the mechanism has no
        name (``table(rain)``).
    rhs:
        The right-hand side as written, e.g. ``table(rain)``.
    parents:
        The variables the mechanism reads.
    fixed:
        True when one mechanism serves every environment (``fixed``).
    distinct:
        How many distinct mechanisms (tables, slot values) it stores.
    data_bits:
        The bits of this variable's values over every environment (inf when
        the data are impossible under it).
    by_environment:
        Per environment, what it uses: ``"table i"`` or the chosen slot
        values (``"t=0.1"``); empty for a mechanism without parameters.
    method:
        How the sharing was found (see :data:`kdsl.sharing.optimal.METHODS`).
    distinct_by_slot:
        For a template with slots: the distinct values per slot, else None.
    reuse:
        For a member of a reuse class: the shared table (:class:`Reuse`), else None.
    data_bits_by_environment:
        Per environment, the bits of its rows under the mechanism its group
        uses; they add up to ``data_bits`` (up to float rounding). None for
        a free mechanism of a real variable.
    values:
        The variable's values (its labels, or lo..hi); None for a real variable.
    table_by_environment:
        For a table mechanism: per environment, the conditional table it
        uses, ``table[p1, ..., pn, x]`` = P(x-th value | parents' values), as
        the code stores it (quantized under ``paper`` and ``direct``,
        maximum likelihood otherwise); environments that share a mechanism
        share one table. None for any other mechanism. Not in ``to_dict()``.
    """

    template: str
    rhs: str
    parents: tuple[str, ...]
    fixed: bool
    distinct: int
    data_bits: float
    by_environment: dict[str, str]
    method: str
    distinct_by_slot: dict[str, int] | None = None
    reuse: Reuse | None = None
    data_bits_by_environment: dict[str, float] | None = None
    values: tuple[int | str, ...] | None = None
    table_by_environment: dict[str, np.ndarray] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of one entry of ``mechanisms`` (docs/language.md, "What a run returns")."""
        out: dict[str, Any] = {"template": self.template, "rhs": self.rhs, "parents": list(self.parents),
                               "fixed": self.fixed, "distinct": self.distinct,
                               "data_bits": finite_or_none(self.data_bits),
                               "by_environment": dict(self.by_environment), "method": self.method}
        if self.distinct_by_slot is not None:
            out["distinct_by_slot"] = dict(self.distinct_by_slot)
        if self.reuse is not None:
            out["reuse"] = self.reuse.to_dict()
        if self.data_bits_by_environment is not None:
            out["data_bits_by_environment"] = {env: finite_or_none(b) for env, b in self.data_bits_by_environment.items()}
        return out


@dataclass(frozen=True)
class ProgramResult:
    """One scored program (a hypothesis, or a program found by search)."""

    name: str
    total_bits: float
    model_bits: float
    data_bits: float
    k: int | None
    edges: tuple[tuple[str, str], ...]
    mechanisms: dict[str, MechanismResult]  # per variable, in declaration order
    shifts: dict[str, list[list[str]]]
    symmetries: tuple[dict[str, str], ...]
    profile: tuple[dict[str, Any], ...]
    formula: str  # LaTeX
    formula_text: str
    formula_values: dict[str, float]
    reason: str | None = None
    exact: bool = True
    breakdown: dict[str, Any] | None = None  # kdsl.lengths.score.length_breakdown: symbols, terms and per-variable bits
    same_as: str | None = None  # an earlier-ranked program with the very same mechanisms
    violations: tuple[str, ...] = ()  # how the program goes against the search's knowledge (SearchSpec.violations)

    @property
    def finite(self) -> bool:
        return math.isfinite(self.total_bits)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "total_bits": finite_or_none(self.total_bits),
            "model_bits": finite_or_none(self.model_bits),
            "data_bits": finite_or_none(self.data_bits),
            "k": self.k,
            "edges": [list(e) for e in self.edges],
            "mechanisms": {var: m.to_dict() for var, m in self.mechanisms.items()},
            "shifts": self.shifts,
            "symmetries": list(self.symmetries),
            "profile": [
                {key: (finite_or_none(v) if key != "k" else v) for key, v in row.items()} for row in self.profile
            ],
            "formula": self.formula,
            "formula_text": self.formula_text,
            "exact": self.exact,
            "breakdown": self.breakdown,
            "violations": list(self.violations),
        }
        if self.reason is not None:
            out["reason"] = self.reason
        if self.same_as is not None:
            out["same_as"] = self.same_as
        return out

    def to_networkx(self):
        """The program's graph as a :class:`networkx.DiGraph`.

        Each node is a variable, with its mechanism's JSON fields except
        ``parents`` and ``by_environment`` (``rhs``, ``template``, ``fixed``,
        ``distinct``, ``data_bits``, ``method``; ``distinct_by_slot``,
        ``reuse`` and ``data_bits_by_environment`` where it has them) and
        ``shifts``: the groups of environments that share one mechanism. The graph holds the program's ``name``, ``total_bits``,
        ``model_bits``, ``data_bits`` and ``k``.

        >>> import kdsl
        >>> r = kdsl.solve("var X in 0..1\\nvar Y in 0..1\\nsimulate env a n 40 seed 1 {\\n X ~ bernoulli(0.3)\\n"
        ...                "Y ~ bernoulli(0.1 + 0.8 * X)\\n}\\nhypothesis h {\\n X ~ table\\n Y ~ table(X)\\n}\\n")
        >>> g = r.program("h").to_networkx()
        >>> list(g.edges), g.nodes["Y"]["rhs"], g.nodes["X"]["shifts"]
        ([('X', 'Y')], 'table(X)', [['a']])
        """
        import networkx as nx

        graph = nx.DiGraph(name=self.name, total_bits=self.total_bits, model_bits=self.model_bits,
                           data_bits=self.data_bits, k=self.k)
        for var, mechanism in self.mechanisms.items():
            attrs = {key: value for key, value in mechanism.to_dict().items() if key not in ("parents", "by_environment")}
            graph.add_node(var, **attrs, shifts=self.shifts.get(var, []))
        graph.add_edges_from(self.edges)
        return graph


    def to_pgmpy(self) -> dict[str, Any]:
        """The program as fitted pgmpy Bayesian networks, one per environment (pgmpy is imported only here).

        Returns ``{environment: pgmpy.models.DiscreteBayesianNetwork}``, in
        the result's environment order. Each network has the program's
        edges and one ``TabularCPD`` per variable: the conditional table the
        variable's mechanism uses in that environment
        (``MechanismResult.table_by_environment``), fitted to the pooled
        counts of the environment's group. So environments that share a
        mechanism get equal CPDs for it, and a variable whose mechanism
        changed gets one CPD per group. The tables are the ones the code
        stores: maximum likelihood under ``nml`` and ``bic`` (uniform for a
        parent configuration never seen), quantized to the code's precision
        under ``paper`` and ``direct``. State names are the variables'
        values (labels, or integers).

        Raises :class:`ValueError` naming the variable when a variable is
        real, or its mechanism is not a table (a template with slots, a
        free mechanism of a real variable): pgmpy's tabular CPDs cannot
        express them.
        """
        unexpressed = [(var, m) for var, m in self.mechanisms.items() if m.table_by_environment is None]
        if unexpressed:
            var, m = unexpressed[0]
            what = "a real variable" if m.values is None else f"described by {m.rhs}, not a table"
            raise ValueError(f"to_pgmpy needs every mechanism to be a table over discrete variables; {var} is {what}")
        try:
            from pgmpy.factors.discrete import TabularCPD
            from pgmpy.models import DiscreteBayesianNetwork
        except ImportError as err:
            raise ImportError("to_pgmpy needs pgmpy: pip install 'kdsl[interop]'") from err

        envs = next(iter(self.mechanisms.values())).table_by_environment if self.mechanisms else {}
        networks = {}
        for env in envs:
            network = DiscreteBayesianNetwork()
            network.add_nodes_from(self.mechanisms)
            network.add_edges_from((parent, var) for var, m in self.mechanisms.items() for parent in m.parents)
            for var, m in self.mechanisms.items():
                table = m.table_by_environment[env]
                cards = [len(self.mechanisms[p].values) for p in m.parents]
                states = {var: list(m.values), **{p: list(self.mechanisms[p].values) for p in m.parents}}
                network.add_cpds(TabularCPD(var, len(m.values), table.reshape(-1, len(m.values)).T,
                                            evidence=list(m.parents) or None, evidence_card=cards or None,
                                            state_names=states))
            network.check_model()
            networks[env] = network
        return networks


@dataclass(frozen=True)
class Reading:
    """What a margin of ``bits`` between two programs means.

    ``strength`` is ``tie`` (within :data:`TIE_TOLERANCE`), ``weak`` (under
    :data:`WEAK_BITS`) or ``clear``; ``level`` is 2^-bits where both lengths
    are prefix codes fixed before the data (no-hypercompression), else None
    with ``why_no_level`` saying why.
    """

    bits: float | None
    strength: str | None
    level: float | None
    why_no_level: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"bits": finite_or_none(self.bits), "strength": self.strength, "level": self.level,
                "why_no_level": self.why_no_level}


@dataclass(frozen=True)
class EdgeMargin:
    """How decisive one edge of the best program is, and where its direction comes from.

    ``remove_bits``: how much longer the shortest considered program is with
    no edge between the two variables; ``reverse_bits``: with the edge
    reversed (None: no such program considered). ``orientation`` is
    ``equivalence class`` (compelled: every Markov-equivalent DAG has it),
    ``knowledge`` (the search block's require, forbid or tiers rule out the reverse),
    ``shifts`` (reversed, more variables' mechanisms change across environments, or as many
    with more distinct mechanisms), ``fit`` (an edge with a real end whose reversal fits the data
    worse), ``parameters`` (only parameter and selection bits decide it),
    ``untested`` (no program reversing it was considered) or ``ignored``
    (the child's template does not use the parent).
    """

    parent: str
    child: str
    remove_bits: float | None
    remove_program: str | None
    reverse_bits: float | None
    reverse_program: str | None
    orientation: str
    why: str
    reading: Reading

    @property
    def margin(self) -> float | None:
        known = [b for b in (self.remove_bits, self.reverse_bits) if b is not None]
        return min(known) if known else None

    def to_dict(self) -> dict[str, Any]:
        return {"edge": [self.parent, self.child], "margin_bits": finite_or_none(self.margin),
                "remove_bits": finite_or_none(self.remove_bits), "remove_program": self.remove_program,
                "reverse_bits": finite_or_none(self.reverse_bits), "reverse_program": self.reverse_program,
                "orientation": self.orientation, "why": self.why, "reading": self.reading.to_dict()}


@dataclass(frozen=True)
class Result:
    """What a run returns: every program, shortest first, and the verdict."""

    model: str
    code: str
    environments: tuple[dict[str, Any], ...]
    programs: tuple[ProgramResult, ...]
    best: str | None
    ties: tuple[str, ...]
    causes: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    search: dict[str, Any] | None = None  # method, proven, ... when the spec has a search
    edges_margin: tuple[EdgeMargin, ...] = ()  # one per edge of the best program
    margin_basis: str | None = None  # which programs the margins are measured against
    runner_up: Reading | None = None  # the margin of the best program over the next one
    stability: dict[str, Any] | None = None  # see kdsl.verdict.stability

    def program(self, name: str) -> ProgramResult:
        """The program called ``name``; a :class:`~kdsl.errors.KdslError` naming the programs if there is none."""
        for p in self.programs:
            if p.name == name:
                return p
        raise KdslError(f"no program named {name!r}; the programs are: {', '.join(p.name for p in self.programs)}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of docs/language.md ("What a run returns")."""
        return {
            "model": self.model,
            "code": self.code,
            "environments": [dict(e) for e in self.environments],
            "programs": [{**p.to_dict(), "delta_bits": self.delta_bits(p)} for p in self.programs],
            "best": self.best,
            "ties": list(self.ties),
            "causes": [list(c) for c in self.causes],
            "notes": list(self.notes),
            "search": self.search,
            "edges_margin": [m.to_dict() for m in self.edges_margin],
            "margin_basis": self.margin_basis,
            "runner_up": self.runner_up.to_dict() if self.runner_up else None,
            "stability": self.stability,
        }

    def delta_bits(self, program: ProgramResult) -> float | None:
        """How many bits longer ``program`` is than the best (None: no best, or an infinite length)."""
        if self.best is None or not program.finite:
            return None
        return float(program.total_bits - self.program(self.best).total_bits)
    def to_frame(self):
        """The ranking as a :class:`pandas.DataFrame`, shortest first (pandas is imported only here).

        One row per program: ``program``, ``total_bits``, ``model_bits``,
        ``data_bits``, ``k``, ``edges`` (``"X->Y, ..."``), ``changed`` (the
        variables whose mechanism differs across environments), ``exact`` and
        ``best``. Lengths of impossible programs are ``inf``.
        """
        try:
            import pandas as pd
        except ImportError as err:
            raise ImportError("to_frame needs pandas: pip install 'kdsl[interop]'") from err

        rows = [{"program": p.name, "total_bits": p.total_bits, "model_bits": p.model_bits,
                 "data_bits": p.data_bits, "k": p.k, "edges": ", ".join(f"{a}->{b}" for a, b in p.edges),
                 "changed": ", ".join(v for v, groups in p.shifts.items() if len(groups) > 1),
                 "exact": p.exact, "best": p.name == self.best} for p in self.programs]
        return pd.DataFrame(rows, columns=["program", "total_bits", "model_bits", "data_bits", "k", "edges",
                                           "changed", "exact", "best"])

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        """Text, HTML and JSON for notebooks (altair's pattern: ``text/plain``
        always; :mod:`kdsl.present.html` is imported only when a notebook asks)."""
        from kdsl.present.html import mimebundle

        return mimebundle(self, include=include, exclude=exclude)

    def _repr_html_(self) -> str:
        from kdsl.present.html import result_html

        return result_html(self)

    def __repr__(self) -> str:
        best = self.program(self.best) if self.best else None
        total = f"{best.total_bits:.2f} bits" if best else "no finite program"
        return f"<kdsl Result {self.model!r}: {len(self.programs)} programs, best {self.best!r} ({total})>"
