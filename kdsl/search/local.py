"""Local scores: every variable's shortest mechanism for every allowed parent set, the seam all searches share.

A program's length is additive over variables (docs/language.md, "Code"), so it
is the sum of *local scores*: for a variable v and a parent set P, the
shortest mechanism for v given P (a free table, an invariant table under a
listed symmetry, or a template declared for v with parents P), each already
with its best sharing across environments, plus v's structure bits.
A *reuse class* (two or more variables of a listed permute symmetry storing
one table) is scored the same way per common parent set, and enters the
searches as one unit that places all its variables at once.

Edge constraints (:class:`EdgeRules`) enter here and nowhere else: only the
parent sets they allow are scored, so every search method, which sees only
:class:`LocalScores`, obeys them.

Parent sets are pruned by ``max_parents`` and by a provable bound: a table's
parameter bits grow with its parent set and data bits are never negative,
so once the bound of P exceeds the best local score among P's subsets, P's
supersets are skipped (for the top N programs: once N of those subsets score
below the bound).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from kdsl.data.bind import BoundModel
from kdsl.language.model import Mechanism, Model, SearchSpec, Template
from kdsl.lengths.score import (
    MechanismProfile,
    mechanism_profile,
    regression_profiles,
    reuse_key,
    reuse_profiles,
    table_local_bits,
    table_local_bits_many,
)
from kdsl.mechanisms.regression import free_templates

__all__ = [
    "EdgeRules",
    "knowledge_rules",
    "LocalScores",
    "ReuseScores",
    "Program",
    "Progress",
    "Scorer",
    "StopSearch",
    "local_scores",
    "reuse_classes",
    "score_chunk",
    "score_parent_set",
    "tightened",
]


Progress = Callable[[str, int, int], None]


class StopSearch(Exception):  # noqa: N818 - a request, not an error
    """Raise from a progress callback to stop a search and keep the best program so far."""


_STOP = (KeyboardInterrupt, StopSearch)


@dataclass
class ReuseScores:
    """A reuse class of a permute symmetry: variables sharing one stored table, scored per common parent set."""

    symmetry: str
    members: tuple[int, ...]  # variable indices, in the symmetry's order
    # parent mask (disjoint from the members) -> (bits of all members together, their profiles)
    entries: dict[int, tuple[float, tuple[MechanismProfile, ...]]] = field(default_factory=dict)

    @property
    def mask(self) -> int:
        return sum(1 << v for v in self.members)

    def best(self, parents: int) -> float:
        entry = self.entries.get(parents)
        return entry[0] if entry else math.inf


@dataclass(frozen=True)
class EdgeRules:
    """Which parents each variable must have and must not have, as bit masks over the variable indices.

    The one place edge constraints enter a search: :func:`local_scores` scores
    only the parent sets that obey them (so every search method, which only
    sees those local scores, obeys them too), and prunes a parent set only by
    subsets that obey them as well.

    >>> rules = EdgeRules(forbidden=(0b010, 0, 0), required=(0, 0b001, 0))
    >>> rules.allows(0, 0b010), rules.allows(1, 0b000), rules.allows(1, 0b101)
    (False, False, True)
    """

    forbidden: tuple[int, ...]
    required: tuple[int, ...]

    @classmethod
    def none(cls, d: int) -> EdgeRules:
        """No constraint on ``d`` variables."""
        return cls((0,) * d, (0,) * d)

    def allows(self, v: int, mask: int) -> bool:
        """Whether variable ``v`` may have exactly the parents in ``mask``."""
        return not mask & self.forbidden[v] and mask & self.required[v] == self.required[v]

    def with_edge(self, parent: int, child: int, *, forbid: bool) -> EdgeRules:
        """These rules plus one more: ``parent -> child`` forbidden (``forbid=True``) or required."""
        if forbid:
            masks = list(self.forbidden)
            masks[child] |= 1 << parent
            return EdgeRules(tuple(masks), self.required)
        masks = list(self.required)
        masks[child] |= 1 << parent
        return EdgeRules(self.forbidden, tuple(masks))


def knowledge_rules(model: Model, spec: SearchSpec) -> EdgeRules:
    """The edge rules a search block's ``forbid``, ``require`` and ``tiers`` lines state.

    >>> from kdsl.language.check import check
    >>> from kdsl.language.syntax import parse
    >>> m = check(parse("var A in 0..1\\nvar B in 0..1\\nvar C in 0..1\\nsearch {\\n require A -> B\\n"
    ...                 " tiers {A, B} < {C}\\n}"))
    >>> rules = knowledge_rules(m, m.search)
    >>> rules.required, rules.forbidden
    ((0, 1, 0), (4, 4, 0))
    """
    names = list(model.variables)
    index = {v: i for i, v in enumerate(names)}
    forbidden = [sum(1 << u for u, parent in enumerate(names) if spec.forbids(parent, child)) for child in names]
    required = [0] * len(names)
    for parent, child in spec.require:
        required[index[child]] |= 1 << index[parent]
    return EdgeRules(tuple(forbidden), tuple(required))


@dataclass
class LocalScores:
    """Every scored (variable, parent set): the best mechanism and its bits; and every scored reuse class."""

    variables: list[str]
    # per variable index: parent mask -> (bits, template, profile or None when only the bits were computed)
    entries: list[dict[int, tuple[float, Template, MechanismProfile | None]]]
    complete: bool = True
    reuse: list[ReuseScores] = field(default_factory=list)
    rules: EdgeRules | None = None  # the edge constraints every entry obeys (None: none)

    def best(self, v: int, mask: int) -> float:
        entry = self.entries[v].get(mask)
        return entry[0] if entry else math.inf


class Program(NamedTuple):
    """A found program: its bits, each variable's parent mask, and the reuse classes it uses (indices into
    :attr:`LocalScores.reuse`; their members take the class's parent mask)."""

    bits: float
    parents: dict[int, int]
    reuse: tuple[int, ...] = ()


def _deadline_passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def reuse_classes(model: Model, spec: SearchSpec):
    """Every reuse class a search tries: (permute symmetry, two or more of its discrete variables).

    >>> from kdsl.language.check import check
    >>> from kdsl.language.syntax import parse
    >>> m = check(parse("var A in 0..1\\nvar B in 0..1\\nvar C in 0..1\\nsymmetry s on {A, B, C} = permute\\n"
    ...                 "search {\\n symmetries s\\n}"))
    >>> [members for _, members in reuse_classes(m, m.search)]
    [('A', 'B'), ('A', 'C'), ('B', 'C'), ('A', 'B', 'C')]
    """
    for name in spec.symmetries:
        sym = model.symmetries[name]
        if not sym.rule.reuses or model.variables[sym.variables[0]].is_real:
            continue
        for size in range(2, len(sym.variables) + 1):
            yield from ((name, members) for members in itertools.combinations(sym.variables, size))


def _reuse_runs(classes: list[tuple[str, tuple[str, ...]]]) -> int:
    """How many exact dynamic programs a search runs: one per choice of one class for each symmetry."""
    per_symmetry: dict[str, int] = {}
    for name, _ in classes:
        per_symmetry[name] = per_symmetry.get(name, 0) + 1
    return math.prod(per_symmetry.values())


def _candidates(model: Model, spec: SearchSpec, var: str, parents: tuple[str, ...]) -> list[Template]:
    child = model.variables[var]
    out: list[Template] = []
    if child.is_discrete:
        out.append(Template(None, var, parents, "table", span=spec.span))  # a real parent by its bins (kdsl.mechanisms.bins)
    if child.is_discrete and all(model.variables[p].is_discrete for p in parents):
        for name in spec.symmetries:
            sym = model.symmetries[name]
            if not sym.rule.reuses and sym.variables[0] in parents:
                out.append(Template(None, var, parents, "invariant", symmetry=name, span=spec.span))
    if child.is_real:
        out.extend(free_templates(model, var, parents, spec.classes, spec.span))
    for template in model.templates.values():
        if template.child == var and set(template.parents) == set(parents):
            out.append(template)
    return out


def representable(model: Model, spec: SearchSpec, child: str, parent: str) -> bool:
    """Whether a search can give ``child`` the parent ``parent`` at all: a free mechanism of ``child`` takes it
    (a table, over a real parent's bins; a regression narrowed by ``classes``) or a declared template does.

    >>> from kdsl.language.check import check
    >>> from kdsl.language.syntax import parse
    >>> m = check(parse("var K in 0..1\\nvar Y real\\nsearch {\\n classes histogram\\n}"))
    >>> representable(m, m.search, "K", "Y"), representable(m, m.search, "Y", "K")
    (True, False)
    """
    return bool(_candidates(model, spec, child, (parent,))) or any(
        t.child == child and parent in t.parents for t in model.templates.values())


def _table_lower_bound(model: Model, spec: SearchSpec, var: str, parents: tuple[str, ...], structure: float,
                       min_rows: int = 1) -> float:
    """No table for ``var`` given ``parents`` (or a superset) is shorter than this.

    Data bits are never negative and a table's parameter bits grow with its
    number of parent configurations (:meth:`kdsl.codes.base.Code.table_parameter_floor`, at least
    ``min_rows`` rows: those of the smallest non-empty environment); for invariant
    tables the configurations are counted by orbits, so each parent counts
    with its fewest orbits under any listed symmetry.
    """
    k = model.variables[var].size
    j = 1
    for p in parents:
        if model.variables[p].is_real:
            continue  # a real parent's bins: at least one
        size = model.variables[p].size
        for name in spec.symmetries:
            sym = model.symmetries[name]
            if p in sym.variables and not sym.rule.reuses:
                size = min(size, sym.rule.orbit_count(model.variables[p].size))
        j *= size
    return structure + model.code.table_parameter_floor(k, j, min_rows)


LocalEntry = tuple[float, Template, "MechanismProfile | None"]
#: Scores a list of (variable index, parent names) of one layer: an iterable of entries (or None) in that order.
Scorer = Callable[[BoundModel, SearchSpec, list[tuple[int, tuple[str, ...]]]], Iterable["LocalEntry | None"]]


def score_parent_set(bound: BoundModel, spec: SearchSpec, v_index: int, parents: tuple[str, ...],
                     cache: dict) -> LocalEntry | None:
    """The shortest mechanism for one variable given one parent set: (bits, template, profile or None).

    Bits include the structure bits; the profile is kept for templates (a
    table's profile is built later, only for the programs reported). None
    when no mechanism fits (e.g. a real parent and no template).

    >>> import kdsl
    >>> bound = kdsl.load("var A in 0..1\\nvar B in 0..1\\nenv e from e\\nsearch {\\n}", data={"e": {"A": [0, 1], "B": [1, 1]}})
    >>> bits, template, _ = score_parent_set(bound, bound.model.search, 1, ("A",), {})
    >>> template.describe(), bits > 0
    ('table(A)', True)
    """
    model = bound.model
    var = list(model.variables)[v_index]
    weight = model.code.selection_weight
    fixed = not spec.shifts
    best: LocalEntry | None = None
    for template in _candidates(model, spec, var, parents):
        key = (var, template, fixed)
        prof = cache.get(key)
        if prof is not None:
            bits = min(c.local_bits(weight) for c in prof.best.values()) + prof.structure_bits
        elif template.kind in ("family", "regression"):
            mech = Mechanism(var, template, fixed, template.span)
            prof = cache[key] = mechanism_profile(bound, mech, with_min_data=False)
            bits = min(c.local_bits(weight) for c in prof.best.values()) + prof.structure_bits
        else:  # a table: its bits only; the few reported programs get their profiles when scored
            bits = table_local_bits(bound, Mechanism(var, template, fixed, spec.span))
        if best is None or bits < best[0]:
            best = (bits, template, prof)
    return best


#: Parent sets scored together by the serial scorer (a deadline is checked between such chunks).
_CHUNK = 512


def _serial_scorer(cache: dict) -> Scorer:
    """Score a layer here, a chunk at a time as it is consumed: the parent sets whose only candidate is a free
    table share numpy passes (:func:`kdsl.lengths.score.table_local_bits_many`), every other one is scored alone."""
    def score(bound: BoundModel, spec: SearchSpec, items: list[tuple[int, tuple[str, ...]]]):
        for start in range(0, len(items), _CHUNK):
            yield from score_chunk(bound, spec, items[start: start + _CHUNK], cache)
    return score


def score_chunk(bound: BoundModel, spec: SearchSpec, items: list[tuple[int, tuple[str, ...]]],
                cache: dict) -> list[LocalEntry | None]:
    """:func:`score_parent_set` of each item, bit for bit, the free tables (not yet profiled in ``cache``) in one
    batch and the free regressions' profiles (:func:`kdsl.lengths.score.regression_profiles`) in another: what a
    serial search and each task on a cluster (:mod:`kdsl.distributed`) score a chunk with."""
    model = bound.model
    names = list(model.variables)
    fixed = not spec.shifts
    out: list[LocalEntry | None] = [None] * len(items)
    at, mechs, regressions, alone = [], [], {}, []
    for i, (v_index, parents) in enumerate(items):
        templates = _candidates(model, spec, names[v_index], parents)
        if len(templates) == 1 and templates[0].kind == "table" and (names[v_index], templates[0], fixed) not in cache:
            at.append(i)
            mechs.append(Mechanism(names[v_index], templates[0], fixed, spec.span))
            continue
        for template in templates:
            key = (names[v_index], template, fixed)
            if template.kind == "regression" and key not in cache:
                regressions[key] = Mechanism(names[v_index], template, fixed, template.span)
        alone.append(i)
    for key, prof in zip(regressions, regression_profiles(bound, list(regressions.values()))):
        cache[key] = prof
    for i in alone:
        out[i] = score_parent_set(bound, spec, *items[i], cache)
    for i, mech, bits in zip(at, mechs, table_local_bits_many(bound, mechs)):
        out[i] = (bits, mech.template, None)
    return out


def local_scores(
    bound: BoundModel, spec: SearchSpec, progress: Progress | None = None, deadline: float | None = None,
    cache: dict | None = None, top: int = 1, rules: EdgeRules | None = None, scorer: Scorer | None = None,
    only: frozenset[int] | None = None,
) -> LocalScores:
    """Score every allowed (variable, parent set), smallest parent sets first.

    A parent set P (and every superset) is skipped once ``top`` of P's
    subsets, P included, score at most P's lower bound: inside any candidate
    set those subsets are then at least as short as anything containing P,
    so the ``top`` shortest programs never need it (ties aside). With
    ``rules``, only parent sets they allow are scored, and only allowed
    subsets count towards pruning (a subset lacking a required parent is no
    alternative). With ``only`` (variable indices), only those variables, and
    the reuse classes holding one of them, are scored.

    The parent sets are scored a layer (one parent-set size) at a time by
    ``scorer`` (default: :func:`score_parent_set` in this process, one by
    one); pruning happens between layers, so a scorer that runs a layer
    elsewhere (:mod:`kdsl.distributed`) gives the same scores bit for bit.
    """
    model = bound.model
    names = list(model.variables)
    d = len(names)
    rules = EdgeRules.none(d) if rules is None else rules
    index = {v: i for i, v in enumerate(names)}
    max_p = d - 1 if spec.max_parents is None else min(spec.max_parents, d - 1)
    fixed = not spec.shifts
    cache = {} if cache is None else cache
    extra_sets: dict[str, set[tuple[str, ...]]] = {v: set() for v in names}
    for t in model.templates.values():
        extra_sets[t.child].add(tuple(sorted(t.parents, key=index.get)))
    total = sum(sum(math.comb(d - 1, i) for i in range(max_p + 1)) + len(extra_sets[v]) for v in names)
    entries: list[dict[int, tuple[float, Template, MechanismProfile | None]]] = [dict() for _ in names]
    pruned: list[set[int]] = [set() for _ in names]
    only_tables = [not any(t.child == v for t in model.templates.values()) and model.variables[v].is_discrete
                   for v in names]
    # smallest parent sets first, across all variables, so that a deadline leaves a usable subset;
    # the empty parent sets are always scored (every variable needs one mechanism)
    by_size: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
    for v_index, var in enumerate(names):
        if only is not None and v_index not in only:
            continue
        others = [u for u in names if u != var]
        for size in range(max_p + 1):
            by_size.setdefault(size, []).extend((v_index, c) for c in itertools.combinations(others, size))
        for extra in sorted(extra_sets[var]):
            if len(extra) > max_p:
                by_size.setdefault(len(extra), []).append((v_index, extra))
    done = 0
    complete = True
    min_rows = _min_rows(bound)
    score = scorer or _serial_scorer(cache)
    for size in sorted(by_size):
        # one layer: the parent sets of this size that no smaller pruned set rules out; every pruning decision
        # rests on smaller layers only, so scoring a layer in any order (or on other machines) changes nothing
        results = None
        try:  # a stop while the layer is listed counts as one while it is scored
            layer = _layer(by_size[size], index, rules, pruned)
            done += len(by_size[size]) - len(layer)
            results = score(bound, spec, [(v_index, parents) for v_index, parents, _ in layer])
            for (v_index, parents, mask), best in zip(layer, results):
                done += 1
                if size > 0 and _deadline_passed(deadline):
                    complete = False
                    break
                if progress is not None and done % 16 == 0 and size > 0:
                    progress("local scores", done, total)
                if best is not None:
                    entries[v_index][mask] = best
                    if best[2] is not None:
                        cache.setdefault((names[v_index], best[1], fixed), best[2])
                if only_tables[v_index] and parents:
                    mine = entries[v_index]
                    structure = _structure_floor(model, len(parents), max_p)
                    bound_bits = _table_lower_bound(model, spec, names[v_index], parents, structure, min_rows)
                    if _dominated([mine[q][0] for q in (*_proper_submasks(mask), mask) if q in mine], bound_bits, top):
                        pruned[v_index].add(mask)
        except _STOP:  # Ctrl-C or a stop request while scoring: keep the scores in (the empty sets' layer finishes)
            if size == 0:
                raise
            complete = False
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()  # a scorer that runs ahead (on a cluster) drops the work no longer wanted
        if not complete:
            break
    reuse: list[ReuseScores] = []
    if complete:
        try:
            reuse, complete = _reuse_scores(bound, spec, max_p, deadline, cache, top, rules, only)
        except _STOP:
            complete = False
    if progress is not None and complete:
        try:
            progress("local scores", total, total)
        except _STOP:
            pass  # every score is in: the search goes on to its exact phase, which will stop at once
    return LocalScores(names, entries, complete, reuse, rules)


def _layer(candidates: list[tuple[int, tuple[str, ...]]], index: dict[str, int], rules: EdgeRules,
           pruned: list[set[int]]) -> list[tuple[int, tuple[str, ...], int]]:
    """The parent sets of one size to score: those the rules allow and no smaller pruned set rules out."""
    layer = []
    for v_index, parents in candidates:
        mask = sum(1 << index[p] for p in parents)
        if rules.allows(v_index, mask) and not any(q in pruned[v_index] for q in _proper_submasks(mask)):
            layer.append((v_index, parents, mask))
    return layer


def tightened(bound: BoundModel, spec: SearchSpec, local: LocalScores, rules: EdgeRules,
              cache: dict | None = None) -> LocalScores:
    """``local`` under stricter ``rules`` (``local.rules`` plus more), re-scoring only what they change.

    A newly forbidden parent only removes entries: every subset of an allowed
    parent set is allowed too, so the pruning behind ``local`` still holds.
    A newly required parent makes subsets lacking it no alternative, so the
    variables that gain one (and the reuse classes holding them) are scored
    again under ``rules``; ``cache`` reuses their mechanisms' profiles.
    """
    d = len(local.variables)
    base = local.rules if local.rules is not None else EdgeRules.none(d)
    entries = [{m: e for m, e in local.entries[v].items() if rules.allows(v, m)} for v in range(d)]
    reuse = [ReuseScores(b.symmetry, b.members, {m: e for m, e in b.entries.items()
                                                 if all(rules.allows(v, m) for v in b.members)})
             for b in local.reuse]
    changed = frozenset(v for v in range(d) if rules.required[v] != base.required[v])
    if changed:
        fresh = local_scores(bound, spec, cache=cache, rules=rules, only=changed)
        for v in changed:
            entries[v] = fresh.entries[v]
        redone = {(b.symmetry, b.members): b for b in fresh.reuse}
        reuse = [redone.get((b.symmetry, b.members), b) for b in reuse]
    return LocalScores(local.variables, entries, local.complete, reuse, rules)


def _structure_floor(model: Model, n_parents: int, max_p: int) -> float:
    """The fewest structure bits of any parent set of at least ``n_parents`` (and at most ``max_p``) parents.

    Structure bits need not grow with the parent set (``log2 C(d - 1, p)``
    falls past the middle), so a bound for every superset takes the least.
    """
    d = len(model.variables)
    return min(model.code.bits("structure_bits", d, p) for p in range(n_parents, max(max_p, n_parents) + 1))


def _reuse_lower_bound(model: Model, members: tuple[str, ...], parents: tuple[str, ...], reference: float,
                       min_rows: int, max_p: int) -> float:
    """No reuse class of ``members`` with ``parents`` (or a superset of at most ``max_p``) is shorter than this
    (one stored table)."""
    r = len(members)
    j = math.prod(model.variables[p].size for p in parents)
    return (r * _structure_floor(model, len(parents), max_p) + (r - 1) * reference
            + model.code.table_parameter_floor(model.variables[members[0]].size, j, min_rows))


def _reuse_scores(bound: BoundModel, spec: SearchSpec, max_p: int, deadline: float | None,
                  cache: dict, top: int = 1, rules: EdgeRules | None = None,
                  only: frozenset[int] | None = None) -> tuple[list[ReuseScores], bool]:
    """Score every reuse class for every allowed common parent set (discrete parents only), pruned like tables.

    A common parent set is allowed when ``rules`` allow it for every member;
    with ``only``, just the classes holding one of those variables are scored.
    """
    model = bound.model
    names = list(model.variables)
    index = {v: i for i, v in enumerate(names)}
    weight = model.code.selection_weight
    fixed = not spec.shifts
    out = []
    for name, members in reuse_classes(model, spec):
        if only is not None and not any(index[v] in only for v in members):
            continue
        scores = ReuseScores(name, tuple(index[v] for v in members))
        reference = model.code.bits("reference_bits", len(model.symmetries[name].variables))
        others = [u for u in names if u not in members and model.variables[u].is_discrete]
        pruned: set[int] = set()
        for size in range(max_p + 1):
            for parents in itertools.combinations(others, size):
                if size and _deadline_passed(deadline):
                    return out, False
                mask = sum(1 << index[p] for p in parents)
                if rules is not None and not all(rules.allows(index[v], mask) for v in members):
                    continue
                proper = list(_proper_submasks(mask)) if mask else []
                if any(q in pruned for q in proper):
                    continue
                mechanisms = [Mechanism(v, Template(None, v, parents, "reuse", symmetry=name, span=spec.span), fixed, spec.span)
                              for v in members]
                key = reuse_key(mechanisms)
                if key not in cache:
                    cache[key] = {p.var: p for p in reuse_profiles(bound, mechanisms, with_min_data=False)}
                profiles = tuple(cache[key][v] for v in members)
                bits = min(sum(p.best[k].local_bits(weight) for p in profiles) for k in profiles[0].best)
                scores.entries[mask] = (bits + sum(p.structure_bits for p in profiles), profiles)
                if parents:
                    bound_bits = _reuse_lower_bound(model, members, parents, reference, _min_rows(bound), max_p)
                    if _dominated([scores.best(q) for q in (*proper, mask)], bound_bits, top):
                        pruned.add(mask)
        out.append(scores)
    return out, True


def _min_rows(bound: BoundModel) -> int:
    """Rows of the smallest non-empty environment (every stored table's group has at least these)."""
    return min((e.rows for e in bound.environments if e.rows > 0), default=1)


def _dominated(subset_bits: list[float], bound_bits: float, top: int) -> bool:
    """Whether ``top`` subsets of a parent set score at most its lower bound, so no superset can be needed."""
    return sum(1 for bits in subset_bits if bits <= bound_bits) >= top


def _proper_submasks(mask: int):
    """Every subset of ``mask`` except ``mask`` itself (the empty set included)."""
    sub = (mask - 1) & mask
    while True:
        yield sub
        if sub == 0:
            return
        sub = (sub - 1) & mask
