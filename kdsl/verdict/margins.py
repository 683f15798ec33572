"""How decisive a verdict is: the margin of every edge of the best program and where its direction comes from.

For each edge ``a -> b`` of the best program two alternatives are measured:
the shortest program with no edge between ``a`` and ``b`` (*removal*) and
the shortest with ``b -> a`` instead (*reversal*). With an exact search they
are the search's best under one more edge rule (:class:`kdsl.search.local.EdgeRules`),
computed exactly from the local scores; declared hypotheses count too. With
hypotheses only, the alternatives are the declared hypotheses lacking or
reversing the edge (None when no hypothesis does). The edge's margin is the
smaller of the two.

Its direction comes from background knowledge (``require``, or ``forbid``
and ``tiers`` ruling out the reverse), else from (a) the Markov equivalence class of the best DAG
(the edge is compelled, :mod:`kdsl.verdict.equivalence`), (b) shifts across
environments (the sparse-mechanism-shift principle: the reversal changes the
mechanisms of more variables across the environments, or as many but with
more distinct mechanisms in all), (c) for an edge with a real end, the fit
(the reversal's data bits are longer by more than :data:`FIT_BITS`: its
mechanisms describe the values less well, as a polynomial or a histogram can
in one direction and not the other), or (d) only the parameter and selection
bits (the reversal is no worse on that pair), which is what a single
environment leaves to a code's pricing. Free tables reversed within the
equivalence class fit equally (the same maximum-likelihood counts), so (c) is
only asked of edges with a real end.

A margin of Δ bits between two prefix codes fixed before the data means the
shorter is favoured at level 2^-Δ (no-hypercompression: a code beats the true
one by Δ bits with probability at most 2^-Δ); :func:`reading` says when that
holds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kdsl.codes import get_code
from kdsl.language.model import Template
from kdsl.verdict.equivalence import compelled_edges
from kdsl.verdict.result import TIE_TOLERANCE, WEAK_BITS, EdgeMargin, ProgramResult, Reading, tie_tolerance

if TYPE_CHECKING:
    from kdsl.data.bind import BoundModel
    from kdsl.search.run import SearchOutcome

__all__ = ["reading", "identical_programs", "ignored_parents", "edge_margins", "SEARCH_PICKED", "NOT_A_CODE",
           "FIT_BITS"]

#: Why a margin against a search's program has no probability reading.
SEARCH_PICKED = "the alternative was picked by a search among many DAGs after seeing the data"
#: Why a margin under a code that gives no code lengths (``bic``) has no probability reading, given its name.
NOT_A_CODE = "{} is not a code length"
#: An edge with a real end whose reversal's data bits are longer by more than this is oriented by the fit.
FIT_BITS = 1.0


def reading(bits: float | None, code: str, picked: str | None = None, tolerance: float = TIE_TOLERANCE) -> Reading:
    """The meaning of a margin of ``bits``; ``picked`` says why the programs were not fixed before the data.

    A margin within ``tolerance`` (the tie tolerance at the programs' length) is a tie.

    >>> reading(12.0, "nml").level == 2 ** -12, reading(12.0, "nml").strength
    (True, 'clear')
    >>> r = reading(3.0, "bic")
    >>> r.strength, r.level, r.why_no_level
    ('weak', None, 'bic is not a code length')
    >>> reading(0.0, "paper").why_no_level
    'within the tie tolerance (1e-09 bits)'
    """
    if bits is None or not math.isfinite(bits):
        return Reading(bits, None, None, "no alternative was considered" if bits is None else "the alternative is impossible")
    if bits <= tolerance:
        return Reading(bits, "tie", None, f"within the tie tolerance ({tolerance:.3g} bits)")
    strength = "weak" if bits < WEAK_BITS else "clear"
    why = picked if get_code(code).is_prefix_code else NOT_A_CODE.format(code)
    return Reading(bits, strength, None if why else 2.0 ** -bits, why)


def _signature(p: ProgramResult) -> tuple:
    mechanisms = tuple(sorted((v, m.rhs, m.parents, m.reuse is not None) for v, m in p.mechanisms.items()))
    return frozenset(p.edges), mechanisms, tuple(sorted((v, tuple(map(tuple, g))) for v, g in p.shifts.items()))


def identical_programs(programs: Sequence[ProgramResult]) -> dict[str, str]:
    """Each program that repeats an earlier one (same mechanisms, sharing and length): its name -> the earlier's.

    A search's program may be longer than the same program declared as a hypothesis by the bits it pays
    for choosing its free mechanisms; it repeats it all the same."""
    seen: dict[tuple, ProgramResult] = {}
    out = {}
    for p in programs:
        if not p.finite:
            continue
        key = _signature(p)
        first = seen.get(key)
        if first is not None and (p.name.startswith("search-")
                                  or abs(first.total_bits - p.total_bits) <= tie_tolerance(first.total_bits)):
            out[p.name] = first.name
        else:
            seen.setdefault(key, p)
    return out


def ignored_parents(template: Template) -> tuple[str, ...]:
    """The parents a family template declares but its expression never uses.

    >>> import sympy
    >>> a = sympy.Dummy("A")
    >>> from kdsl.errors import Span
    >>> t = Template("m", "B", ("A",), "family", family="binomial", args=(sympy.Integer(2), sympy.Symbol("p")),
    ...              parent_symbols=(a,), span=Span(2, 1, 2, 50, 14, 63))
    >>> ignored_parents(t)
    ('A',)
    """
    if template.kind != "family":
        return ()
    used = set().union(*(a.free_symbols for a in template.args)) if template.args else set()
    return tuple(p for p, s in zip(template.parents, template.parent_symbols) if s not in used)


def _adjacent(p: ProgramResult, a: str, b: str) -> bool:
    return (a, b) in p.edges or (b, a) in p.edges


def _distinct(p: ProgramResult) -> dict[str, int]:
    return {v: m.distinct for v, m in p.mechanisms.items()}


class _Alternative:
    """The shortest considered program under one constraint: its extra bits, name, distinct mechanisms and data
    bits."""

    def __init__(self, bits: float | None = None, name: str | None = None, distinct: dict[str, int] | None = None,
                 searched: bool = False, data: float | None = None):
        self.bits, self.name, self.distinct, self.searched, self.data = bits, name, distinct, searched, data

    def improve(self, bits: float, name: str, distinct, searched: bool, data: float | None = None) -> None:
        if math.isfinite(bits) and (self.bits is None or bits < self.bits - TIE_TOLERANCE):
            self.bits, self.name, self.distinct, self.searched, self.data = bits, name, distinct, searched, data


def _searched(bound: BoundModel, outcome: SearchOutcome, cache: dict, parent: int, child: int,
              reverse: bool) -> tuple[float, dict[str, int] | None, float | None]:
    """The search's best program without ``parent -> child`` (and without ``child -> parent``, or with it): its
    bits, and for the reversal its distinct mechanisms per variable and its data bits."""
    from kdsl.lengths.score import program_profile
    from kdsl.search.exact import exact_best
    from kdsl.search.local import EdgeRules, tightened
    from kdsl.search.run import SearchOutcome, outcome_hypotheses

    local = outcome.local
    rules = (local.rules or EdgeRules.none(len(local.variables))).with_edge(parent, child, forbid=True)
    rules = rules.with_edge(child, parent, forbid=not reverse)
    constrained = tightened(bound, bound.model.search, local, rules, cache)
    program = exact_best(constrained)
    if program is None or not math.isfinite(program.bits):
        return math.inf, None, None
    if not reverse:
        return program.bits, None, None
    hyp = outcome_hypotheses(bound.model, SearchOutcome([program], True, "", constrained))[0]
    prof = program_profile(bound, hyp, cache)
    _, choices = prof.by_k[prof.best_k()]
    return program.bits, {mp.var: c.k for mp, c in zip(prof.mechanisms, choices)}, sum(c.data_bits for c in choices)


def _shift_count(distinct: dict[str, int]) -> tuple[int, int]:
    """``(variables whose mechanism changes across environments, distinct mechanisms in all)``, compared in order.

    >>> _shift_count({"rain": 3, "wet": 1}) < _shift_count({"rain": 2, "wet": 2})
    True
    """
    return sum(1 for k in distinct.values() if k > 1), sum(distinct.values())


def _fixed_by_knowledge(search, a: str, b: str) -> str | None:
    """Why the search block's knowledge rules out ``b -> a`` (so ``a -> b`` cannot be reversed), or None."""
    if search is None:
        return None
    if (a, b) in search.require:
        return f"fixed by knowledge: {a} -> {b} is required"
    if search.forbids(b, a):
        rule = "forbidden" if (b, a) in search.forbid else "against the tiers"
        return f"fixed by knowledge: {b} -> {a} is {rule}"
    return None


def _orientation(best: ProgramResult, a: str, b: str, compelled: set, reverse: _Alternative,
                 n_env: int, search=None, real: bool = False) -> tuple[str, str]:
    if (a, b) in compelled:
        return "equivalence class", ("compelled: every DAG Markov equivalent to the best one has it "
                                     "(a v-structure, or Meek's rules from one)")
    fixed = _fixed_by_knowledge(search, a, b)
    if fixed is not None:
        return "knowledge", fixed
    if reverse.distinct is None:
        return "untested", "no considered program reverses it"
    mine = _distinct(best)
    (changed, total), (changed_rev, total_rev) = _shift_count(mine), _shift_count(reverse.distinct)
    if n_env > 1 and (changed_rev, total_rev) > (changed, total):
        more = {v: (mine.get(v, 0), k) for v, k in reverse.distinct.items() if k > mine.get(v, 0)}
        shown = ", ".join(f"{v} needs {new} distinct mechanisms instead of {old}" for v, (old, new) in sorted(more.items()))
        count = (f"{changed_rev} changing mechanisms instead of {changed}" if changed_rev > changed else
                 f"{total_rev} distinct mechanisms instead of {total}")
        return "shifts", f"reversed, {count} across the environments: {shown}"
    counts = ("" if n_env == 1 else f" and the reversal changes no more mechanisms across the environments "
              f"(reversed: {changed_rev} changing and {total_rev} distinct in all; as found: {changed} changing and "
              f"{total} distinct)")
    worse = None if reverse.data is None else reverse.data - best.data_bits
    if real and worse is not None and worse > FIT_BITS:
        return "fit", (f"reversed, the mechanisms fit the data worse by {worse:.3g} bits (the same equivalence class "
                       "and no more distinct mechanisms): the direction rests on how well each direction's "
                       "mechanisms describe the values, e.g. a curve or a noise law only one direction fits")
    return "parameters", ("decided only by parameter and selection bits: the edge is reversible within the "
                          f"equivalence class{counts}; no structural evidence for this direction")


def edge_margins(bound: BoundModel, programs: Sequence[ProgramResult], best: ProgramResult,
                 outcome: SearchOutcome | None = None, offset: float = 0.0,
                 cache: dict | None = None, ignored: set[tuple[str, str]] | None = None,
                 ) -> tuple[EdgeMargin, ...]:
    """Every edge of ``best``: removal and reversal margins, their reading, and its orientation's source.

    ``programs`` are the scored programs (alternatives among them are declared
    or reported ones); ``outcome`` an exact search whose constrained optima
    are alternatives too, with ``offset`` the bits its programs' totals add to
    ``Program.bits``. ``ignored`` edges (a parent the child's template does not
    use) are reported as such.
    """
    cache = {} if cache is None else cache
    code = bound.model.code.name
    names = list(bound.model.variables)
    compelled = compelled_edges(names, best.edges)
    others = [p for p in programs if p.finite and p.name != best.name and p.same_as != best.name]
    out = []
    for a, b in best.edges:
        remove, reverse = _Alternative(), _Alternative()
        for p in others:
            if not _adjacent(p, a, b):
                remove.improve(p.total_bits - best.total_bits, p.name, _distinct(p), p.name.startswith("search-"))
            elif (b, a) in p.edges:
                reverse.improve(p.total_bits - best.total_bits, p.name, _distinct(p), p.name.startswith("search-"),
                                p.data_bits)
        if outcome is not None:
            i, j = names.index(a), names.index(b)
            for alt, flip in ((remove, False), (reverse, True)):
                bits, distinct, data = _searched(bound, outcome, cache, i, j, flip)
                alt.improve(bits + offset - best.total_bits, "search", distinct, True, data)
        if ignored and (a, b) in ignored:
            orientation, why = "ignored", f"{b}'s template does not use {a}: not a cause"
        else:
            real = bound.model.variables[a].is_real or bound.model.variables[b].is_real
            orientation, why = _orientation(best, a, b, compelled, reverse, len(bound.environments),
                                            bound.model.search, real)
        margins = [alt for alt in (remove, reverse) if alt.bits is not None]
        nearest = min(margins, key=lambda alt: alt.bits) if margins else None
        picked = SEARCH_PICKED if nearest is not None and (nearest.searched or best.name.startswith("search-")) else None
        out.append(EdgeMargin(a, b, remove.bits, remove.name, reverse.bits, reverse.name, orientation, why,
                              reading(nearest.bits if nearest else None, code, picked, tie_tolerance(best.total_bits))))
    return tuple(_implied(names, best.edges, out))


#: The sources that settle an edge's direction on their own, from which Meek's rules may orient others.
_SETTLED = ("shifts", "fit", "knowledge")


def _implied(names: list[str], edges: Sequence[tuple[str, str]], margins: list[EdgeMargin]) -> list[EdgeMargin]:
    """``margins`` with every edge that only parameter bits orient (or whose reversal was not tried) marked
    ``implied`` where the settled edges' directions force it through Meek's rules."""
    settled = [(m.parent, m.child) for m in margins if m.orientation in _SETTLED]
    if not settled:
        return margins
    forced = compelled_edges(names, edges, known=settled)
    by = ", ".join(f"{m.parent} -> {m.child} (by {m.orientation})" for m in margins if m.orientation in _SETTLED)
    return [dataclasses.replace(m, orientation="implied", why=(
        f"implied by {by}: with that settled, Meek's rules orient this edge (the reverse would make a cycle or a "
        "v-structure the data do not have)")) if m.orientation in ("parameters", "untested")
            and (m.parent, m.child) in forced else m for m in margins]
