"""Structure search: the shortest programs over DAGs x mechanism shifts x symmetries.

A program's length is additive over variables (docs/language.md, "Code"), so it
is the sum of *local scores*: for a variable v and a parent set P, the
shortest mechanism for v given P (a free table, an invariant table under a
listed symmetry, or a template declared for v with parents P), each already
with its best sharing across environments, plus v's structure bits.
A *reuse class* (two or more variables of a listed permute symmetry storing
one table) is scored the same way per common parent set, and enters the
dynamic programs as one unit that places all its variables at once.

* :func:`exact_best` finds the optimal DAG by dynamic programming over
  variable subsets (best parent sets by a subset-minimum transform, then
  sinks layer by layer), vectorised with numpy. Exact.
* :func:`k_best` finds the exact top-N DAGs by the k-best variant of the same
  recursion, removing duplicates (one DAG reached through several sinks) at
  every subset. Exact; practical up to :data:`KBEST_MAX_VARIABLES` variables.
* :func:`greedy` climbs from the empty graph by single-edge additions,
  removals and reversals. A heuristic: it gives the best-so-far program when
  a time limit strikes and the answer beyond exact reach.

Parent sets are pruned by ``max_parents`` and by a provable bound: a table's
parameter bits grow with its parent set and data bits are never negative,
so once the bound of P exceeds the best local score among P's subsets, P's
supersets are skipped (for the top N programs: once N of those subsets score
below the bound).

>>> import kdsl
>>> result = kdsl.solve('''
... var A in 0..1
... var B in 0..1
... simulate env a n 400 seed 1 {
...     A ~ bernoulli(0.3)
...     B ~ bernoulli(0.1 + 0.8 * A)
... }
... search {
...     graphs max_parents 1
...     top 2
... }
... ''')
>>> [p.name for p in result.programs], result.programs[0].edges != ()
(['search-1', 'search-2'], True)
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from kdsl.data.bind import BoundModel
from kdsl.errors import BudgetError
from kdsl.language.model import Hypothesis, Mechanism, Model, SearchSpec, Template
from kdsl.lengths.score import MechanismProfile, mechanism_profile, reuse_key, reuse_profiles, selection_weight, table_local_bits
from kdsl.mechanisms.regression import free_templates

__all__ = [
    "EdgeRules",
    "knowledge_rules",
    "LocalScores",
    "ReuseScores",
    "Program",
    "SearchOutcome",
    "search",
    "local_scores",
    "score_parent_set",
    "exact_best",
    "k_best",
    "greedy",
    "estimate",
    "KBEST_MAX_VARIABLES",
    "outcome_hypotheses",
    "StopSearch",
    "tied_dags",
    "tightened",
]

#: Exact top-N (N > 1) is computed up to this many variables.
KBEST_MAX_VARIABLES = 14
#: Programs reported by a search without `top`, where exact top-N is practical.
DEFAULT_TOP = 5
#: Default memory budget for the exact dynamic program, in bytes.
MEMORY_BUDGET = 4 * 1024**3
#: Default budget of local scores (variable, parent set) to compute.
LOCAL_BUDGET = 400_000
#: Up to this many variables the dynamic program is chosen over the integer program (bench/RESULTS.md (f)).
DP_PREFERRED_MAX = 16
#: At most this many exact runs, one per choice of one reuse class per permute symmetry.
MAX_REUSE_RUNS = 256

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


@dataclass
class SearchOutcome:
    """The programs a search found, shortest first, and how far it got."""

    programs: list[Program]
    proven: bool
    method: str
    local: LocalScores
    stats: dict = field(default_factory=dict)
    lower_bound: float | None = None  # a proven lower bound on the shortest program's bits (None: none known)
    gap: float | None = None  # bits between the best program found and that bound (None: no bound)
    candidates: int | None = None  # parent sets left after exact pruning (the integer program's columns)


def _deadline_passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def estimate(model: Model, spec: SearchSpec) -> dict:
    """Size of a search before it runs: local scores, DP memory, exactness.

    >>> from kdsl.language.check import check
    >>> from kdsl.language.syntax import parse
    >>> m = check(parse("var A in 0..1\\nvar B in 0..1\\nvar C in 0..1\\nsearch {\\n graphs max_parents 1\\n}"))
    >>> estimate(m, m.search)["local_scores"]
    9
    """
    d = len(model.variables)
    p = d - 1 if spec.max_parents is None else min(spec.max_parents, d - 1)
    per_var = sum(math.comb(d - 1, i) for i in range(p + 1))
    classes = list(reuse_classes(model, spec))
    reuse_sets = sum(sum(math.comb(d - len(members), i) for i in range(p + 1)) for _, members in classes)
    dp_bytes = _dp_bytes(d, [len(members) for _, members in classes])
    return {
        "variables": d,
        "max_parents": p,
        "local_scores": d * per_var + reuse_sets,
        "reuse_classes": len(classes),
        "reuse_runs": _reuse_runs(classes),
        "dp_bytes": dp_bytes,
        "exact": dp_bytes <= MEMORY_BUDGET,
        "kbest": d <= KBEST_MAX_VARIABLES,
    }


def binary_size(n_bytes: float) -> str:
    """A size in the binary unit budgets are set in (the default is 4 GiB, so it reads "4.0 GiB").

    >>> binary_size(4 * 1024**3), binary_size(7.5 * 1024**2), binary_size(512)
    ('4.0 GiB', '7.5 MiB', '512 bytes')
    """
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes:.0f} bytes"


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


# ---------------------------------------------------------------------- local scores
def _candidates(model: Model, spec: SearchSpec, var: str, parents: tuple[str, ...]) -> list[Template]:
    child = model.variables[var]
    out: list[Template] = []
    if child.is_discrete and all(model.variables[p].is_discrete for p in parents):
        out.append(Template(None, var, parents, "table"))
        for name in spec.symmetries:
            sym = model.symmetries[name]
            if not sym.rule.reuses and sym.variables[0] in parents:
                out.append(Template(None, var, parents, "invariant", symmetry=name))
    if child.is_real:
        out.extend(free_templates(model, var, parents, spec.classes))
    for template in model.templates.values():
        if template.child == var and set(template.parents) == set(parents):
            out.append(template)
    return out


def _parameter_floor(model: Model, k: int, j: int, min_rows: int) -> float:
    """The fewest parameter bits one stored table of a ``k``-valued child over ``j`` configurations can cost.

    ``paper``/``direct``: (2n+4) bits per free entry; ``bic``: ½ log2(rows) per
    free entry, with a group's rows at least those of the smallest non-empty
    environment; any other code (``nml``, whose cost depends on the counts): 0.

    >>> from kdsl.language.model import CodeSpec
    >>> class M: code = CodeSpec("bic")
    >>> _parameter_floor(M, 3, 4, 1024)
    40.0
    """
    free = (k - 1) * j
    if model.code.name in ("paper", "direct"):
        return float((2 * model.code.precision + 4) * free)
    if model.code.name == "bic":
        return 0.5 * free * math.log2(max(min_rows, 1))
    return 0.0


def _table_lower_bound(model: Model, spec: SearchSpec, var: str, parents: tuple[str, ...], structure: float,
                       min_rows: int = 1) -> float:
    """No table for ``var`` given ``parents`` (or a superset) is shorter than this.

    Data bits are never negative and a table's parameter bits grow with its
    number of parent configurations (:func:`_parameter_floor`); for invariant
    tables the configurations are counted by orbits, so each parent counts
    with its fewest orbits under any listed symmetry.
    """
    k = model.variables[var].size
    if any(model.variables[p].is_real for p in parents):
        return structure  # no table can have a real parent; only the structure bits are certain
    j = 1
    for p in parents:
        size = model.variables[p].size
        for name in spec.symmetries:
            sym = model.symmetries[name]
            if p in sym.variables and not sym.rule.reuses:
                size = min(size, sym.rule.orbit_count(model.variables[p].size))
        j *= size
    return structure + _parameter_floor(model, k, j, min_rows)


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
    weight = selection_weight(model.code.name)
    fixed = not spec.shifts
    best: LocalEntry | None = None
    for template in _candidates(model, spec, var, parents):
        key = (var, template, fixed)
        prof = cache.get(key)
        if prof is not None:
            bits = min(c.local_bits(weight) for c in prof.best.values()) + prof.structure_bits
        elif template.kind in ("family", "regression"):
            mech = Mechanism(var, template, fixed, template.span or model.spec.decls[0].span)
            prof = cache[key] = mechanism_profile(bound, mech, with_min_data=False)
            bits = min(c.local_bits(weight) for c in prof.best.values()) + prof.structure_bits
        else:  # a table: its bits only; the few reported programs get their profiles when scored
            bits = table_local_bits(bound, Mechanism(var, template, fixed, spec.span))
        if best is None or bits < best[0]:
            best = (bits, template, prof)
    return best


def _serial_scorer(cache: dict) -> Scorer:
    """Score a layer here, one parent set at a time, as it is consumed."""
    def score(bound: BoundModel, spec: SearchSpec, items: list[tuple[int, tuple[str, ...]]]):
        return (score_parent_set(bound, spec, v_index, parents, cache) for v_index, parents in items)
    return score


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
    score = scorer or _serial_scorer(cache)
    for size in sorted(by_size):
        # one layer: the parent sets of this size that no smaller pruned set rules out; every pruning decision
        # rests on smaller layers only, so scoring a layer in any order (or on other machines) changes nothing
        layer: list[tuple[int, tuple[str, ...], int]] = []
        for v_index, parents in by_size[size]:
            mask = sum(1 << index[p] for p in parents)
            if rules.allows(v_index, mask) and not any(q in pruned[v_index] for q in _proper_submasks(mask)):
                layer.append((v_index, parents, mask))
        done += len(by_size[size]) - len(layer)
        results = score(bound, spec, [(v_index, parents) for v_index, parents, _ in layer])
        try:
            for (v_index, parents, mask), best in zip(layer, results):
                done += 1
                if size > 0 and _deadline_passed(deadline):
                    complete = False
                    break
                if progress is not None and done % 16 == 0 and size > 0:
                    try:
                        progress("local scores", done, total)
                    except _STOP:
                        complete = False
                        break
                if best is not None:
                    entries[v_index][mask] = best
                    if best[2] is not None:
                        cache.setdefault((names[v_index], best[1], fixed), best[2])
                if only_tables[v_index] and parents:
                    mine = entries[v_index]
                    structure = _structure_bits(model, len(parents))
                    bound_bits = _table_lower_bound(model, spec, names[v_index], parents, structure, _min_rows(bound))
                    if _dominated([mine[q][0] for q in (*_proper_submasks(mask), mask) if q in mine], bound_bits, top):
                        pruned[v_index].add(mask)
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


def _reuse_lower_bound(model: Model, members: tuple[str, ...], parents: tuple[str, ...], reference: float,
                       min_rows: int = 1) -> float:
    """No reuse class of ``members`` with ``parents`` (or a superset) is shorter than this (one stored table)."""
    r = len(members)
    j = math.prod(model.variables[p].size for p in parents)
    return (r * _structure_bits(model, len(parents)) + (r - 1) * reference
            + _parameter_floor(model, model.variables[members[0]].size, j, min_rows))


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
    weight = selection_weight(model.code.name)
    fixed = not spec.shifts
    out = []
    for name, members in reuse_classes(model, spec):
        if only is not None and not any(index[v] in only for v in members):
            continue
        scores = ReuseScores(name, tuple(index[v] for v in members))
        reference = math.log2(math.factorial(len(model.symmetries[name].variables)))
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
                mechanisms = [Mechanism(v, Template(None, v, parents, "reuse", symmetry=name), fixed, spec.span)
                              for v in members]
                key = reuse_key(mechanisms)
                if key not in cache:
                    cache[key] = {p.var: p for p in reuse_profiles(bound, mechanisms, with_min_data=False)}
                profiles = tuple(cache[key][v] for v in members)
                bits = min(sum(p.best[k].local_bits(weight) for p in profiles) for k in profiles[0].best)
                scores.entries[mask] = (bits + sum(p.structure_bits for p in profiles), profiles)
                if parents:
                    bound_bits = _reuse_lower_bound(model, members, parents, reference, _min_rows(bound))
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


def _structure_bits(model: Model, n_parents: int) -> float:
    if model.code.name == "bic":
        return 0.0
    d = len(model.variables)
    return math.log2(d) + math.log2(math.comb(d - 1, n_parents))


# ---------------------------------------------------------------------- exact DP
def _drop_bits(masks, removed: int):
    """``masks`` (an int or an integer array) with the bits of ``removed`` taken out, higher bits shifted down.

    A unit's parents lie outside the unit, so its tables run over the other
    variables only; this is the index of a set of other variables there.

    >>> _drop_bits(0b10110, 0b00100), _drop_bits(np.array([0b1001, 0b0011]), 0b0010).tolist()
    (10, [5, 1])
    """
    for b in reversed(range(removed.bit_length())):
        if removed >> b & 1:
            masks = (masks & ((1 << b) - 1)) | ((masks >> (b + 1)) << b)
    return masks


def _units(local: LocalScores) -> list[tuple[int, dict[int, float]]]:
    """Every unit a program places: its variable mask and its local scores (parent mask -> bits).

    Units are the variables, then the reuse classes (``local.reuse``), whose
    scores hold the bits of all their members together.
    """
    rows = [(1 << v, {mask: entry[0] for mask, entry in local.entries[v].items()}) for v in range(len(local.variables))]
    return rows + [(block.mask, {mask: entry[0] for mask, entry in block.entries.items()}) for block in local.reuse]


def _best_parent_tables(local: LocalScores) -> list[np.ndarray]:
    """Per unit u, ``table[C]``: the least local score of u with parents inside C, a set of the other variables.

    C is indexed without the unit's own variables (:func:`_drop_bits`), so a
    variable's table has ``2**(d-1)`` cells. The subset minimum is taken in
    place one variable at a time; which parent set attains it is not stored
    (:func:`_best_parents_inside` finds it again for the few sets a program uses).
    """
    d = len(local.variables)
    tables = []
    for umask, row in _units(local):
        free = d - bin(umask).count("1")
        table = np.full(1 << free, np.inf)
        if row:
            table[_drop_bits(np.fromiter(row, np.int64, len(row)), umask)] = np.fromiter(row.values(), float, len(row))
        for b in range(free):  # pair each set without variable b with the same set with it
            view = table.reshape(-1, 2, 1 << b)
            np.minimum(view[:, 0, :], view[:, 1, :], out=view[:, 1, :])
        tables.append(table)
    return tables


def _best_parents_inside(row: dict[int, float], candidates: int) -> int:
    """The parent set inside ``candidates`` with the least bits (ties: fewest parents, then the lowest mask)."""
    inside = [(bits, bin(mask).count("1"), mask) for mask, bits in row.items() if not mask & ~candidates]
    return min(inside)[2]


def _subset_layers(d: int) -> list[np.ndarray]:
    """Every subset of d variables as a mask, grouped by size (int32 masks below 31 variables)."""
    masks = np.arange(1 << d, dtype=np.int32 if d < 31 else np.int64)
    sizes = np.zeros(1 << d, dtype=np.uint8)
    for b in range(d):
        sizes += (masks >> b & 1).astype(np.uint8)
    return [masks[sizes == layer] for layer in range(d + 1)]


def _dp_bytes(d: int, class_sizes: list[int]) -> int:
    """Peak bytes of :func:`exact_best` on d variables and reuse classes of these sizes (measured in bench/)."""
    tables = 8 * (d * (1 << (d - 1)) + sum(1 << (d - r) for r in class_sizes))
    widest = math.comb(d, d // 2)  # the largest layer of subsets
    # subset masks (4 bytes) and the sink table (8), plus the temporaries of the widest layer
    return tables + 12 * (1 << d) + _LAYER_BYTES * widest


#: Bytes of temporaries per subset of the widest layer while one unit is placed (measured, bench/dp_memory.py).
_LAYER_BYTES = 20


def _reuse_runs_of(local: LocalScores):
    """The reuse classes each exact run may use: one class of every symmetry (a symmetry stores one table).

    A program may use at most one class per permute symmetry (docs/language.md:
    the symmetry's variables reuse *one* stored table), which does not
    decompose over subsets; so the dynamic program runs once for each choice
    of one class per symmetry, and every run also covers the programs that
    use fewer classes.
    """
    by_symmetry: dict[str, list[int]] = {}
    for i, block in enumerate(local.reuse):
        by_symmetry.setdefault(block.symmetry, []).append(i)
    yield from itertools.product(*by_symmetry.values())


def exact_best(local: LocalScores, progress: Progress | None = None,
               deadline: float | None = None) -> Program | None:
    """The optimal program over all DAGs and reuse classes; None on a deadline.

    ``best[S]``, the shortest program for the variables in S with parents
    inside S, is the least over units u inside S (the sink) of
    ``best[S - u]`` plus u's best parent set inside ``S - u``; subsets are
    taken layer by layer, by size. Which sink attains each minimum is not
    stored: it is found again for the one chain of sets the optimum uses.
    """
    d = len(local.variables)
    full = (1 << d) - 1
    layers = _subset_layers(d)
    rows = _units(local)
    tables = _best_parent_tables(local)
    best = np.empty(1 << d)
    found: Program | None = None
    for run in _reuse_runs_of(local):
        units = list(range(d)) + [d + i for i in run]
        best.fill(np.inf)
        best[0] = 0.0
        for layer in range(1, d + 1):
            if _deadline_passed(deadline):
                return None
            if progress is not None:
                progress("subsets", layer, d)
            for u in units:
                umask = rows[u][0]
                sets = layers[layer]
                sets = sets[sets & umask == umask]
                rest = sets ^ umask
                cand = best[rest]
                cand += tables[u][_drop_bits(rest, umask)]
                np.minimum(cand, best[sets], out=cand)
                best[sets] = cand
        if not best[full] < (math.inf if found is None else found.bits):
            found = Program(math.inf, {}) if found is None else found
            continue
        parents: dict[int, int] = {}
        used: list[int] = []
        mask = full
        while mask:  # the sink of each set on the optimal chain: the unit whose sum reproduces best[set]
            u = next(u for u in units if mask & rows[u][0] == rows[u][0] and best[mask ^ rows[u][0]]
                     + tables[u][_drop_bits(mask ^ rows[u][0], rows[u][0])] == best[mask])
            umask = rows[u][0]
            mask ^= umask
            pmask = _best_parents_inside(rows[u][1], mask)
            if u >= d:
                used.append(u - d)
            parents.update((v, pmask) for v in range(d) if umask >> v & 1)
        found = Program(float(best[full]), parents, tuple(sorted(used)))
    return found


def _top_parent_sets(row: dict[int, float], umask: int, d: int, top: int) -> list[list[tuple[float, int]]]:
    """For every set C of the variables outside ``umask`` (indexed as in :func:`_drop_bits`), the ``top``
    shortest parent sets inside C."""
    free = d - bin(umask).count("1")
    own: dict[int, tuple[float, int]] = {_drop_bits(mask, umask): (bits, mask) for mask, bits in row.items()}
    lists: list[list[tuple[float, int]]] = [[] for _ in range(1 << free)]
    for c in range(1 << free):
        merged = [own[c]] if c in own else []
        for b in range(free):
            if c >> b & 1:
                merged.extend(lists[c ^ (1 << b)])
        lists[c] = sorted(set(merged))[:top]
    return lists


def k_best(local: LocalScores, top: int, progress: Progress | None = None,
           deadline: float | None = None) -> list[Program] | None:
    """The exact ``top`` shortest programs (ties broken by a fixed order); None on a deadline."""
    d = len(local.variables)
    size = 1 << d
    rows = _units(local)
    parent_lists = [_top_parent_sets(row, umask, d, top) for umask, row in rows]
    order = sorted(range(1, size), key=lambda m: bin(m).count("1"))
    everything: dict[tuple[tuple[int, int], ...], float] = {}
    for run in _reuse_runs_of(local):
        units = [(u, rows[u][0]) for u in [*range(d), *(d + i for i in run)]]
        nets: list[list[tuple[float, tuple[tuple[int, int], ...]]]] = [[] for _ in range(size)]
        nets[0] = [(0.0, ())]
        for s in order:
            if _deadline_passed(deadline):
                return None
            candidates: dict[tuple[tuple[int, int], ...], float] = {}
            for u, umask in units:
                if s & umask != umask:
                    continue
                rest = s ^ umask
                for bits_net, net in nets[rest]:
                    for bits_p, pmask in parent_lists[u][_drop_bits(rest, umask)]:
                        key = tuple(sorted((*net, (u, pmask))))
                        total = bits_net + bits_p
                        if total < candidates.get(key, math.inf):
                            candidates[key] = total
            nets[s] = heapq.nsmallest(top, ((b, k) for k, b in candidates.items()))
            if progress is not None and s % 256 == 0:
                progress("subsets", s, size)
        for bits, net in nets[size - 1]:
            everything[net] = min(bits, everything.get(net, math.inf))
    out = []
    for bits, net in heapq.nsmallest(top, ((b, k) for k, b in everything.items())):
        if not math.isfinite(bits):
            continue
        parents: dict[int, int] = {}
        used = []
        for u, pmask in net:
            if u < d:
                parents[u] = pmask
            else:
                used.append(u - d)
                for v in local.reuse[u - d].members:
                    parents[v] = pmask
        out.append(Program(bits, parents, tuple(sorted(used))))
    return out


# ---------------------------------------------------------------------- heuristic
def _acyclic_with(parents: dict[int, int], child: int, new_parent: int) -> bool:
    """Would adding new_parent -> child keep the graph acyclic (no path child ~> new_parent)?"""
    stack, seen = [new_parent], set()
    while stack:
        u = stack.pop()
        if u == child:
            return False
        if u in seen:
            continue
        seen.add(u)
        pmask = parents[u]
        stack.extend(b for b in range(len(parents)) if pmask >> b & 1)
    return True


def greedy(local: LocalScores, deadline: float | None = None) -> Program:
    """Hill climbing over single-edge changes from the empty graph, or the required edges (a heuristic).

    A move to a parent set the local scores lack (pruned or against the
    rules) has infinite length and is never taken.

    Reuse classes are then tried on the DAG found: a class whose members
    all have the same parents replaces their separate tables when shorter.
    """
    d = len(local.variables)
    required = local.rules.required if local.rules is not None else (0,) * d
    parents = dict(enumerate(required))  # start from the required edges (the empty graph without rules)
    scores = {v: local.best(v, parents[v]) for v in range(d)}
    while not _deadline_passed(deadline):
        best_gain, best_move = 1e-9, None
        for child in range(d):
            for other in range(d):
                if other == child:
                    continue
                bit = 1 << other
                if parents[child] & bit:
                    gain = scores[child] - local.best(child, parents[child] ^ bit)
                    if gain > best_gain:
                        best_gain, best_move = gain, ("remove", child, other)
                    # reversal: other -> child becomes child -> other
                    trial = dict(parents)
                    trial[child] ^= bit
                    if _acyclic_with(trial, other, child):
                        gain_r = gain + scores[other] - local.best(other, parents[other] | (1 << child))
                        if gain_r > best_gain:
                            best_gain, best_move = gain_r, ("reverse", child, other)
                else:
                    if not _acyclic_with(parents, child, other):
                        continue
                    gain = scores[child] - local.best(child, parents[child] | bit)
                    if gain > best_gain:
                        best_gain, best_move = gain, ("add", child, other)
        if best_move is None:
            break
        kind, child, other = best_move
        bit = 1 << other
        if kind == "add":
            parents[child] |= bit
        elif kind == "remove":
            parents[child] ^= bit
        else:
            parents[child] ^= bit
            parents[other] |= 1 << child
            scores[other] = local.best(other, parents[other])
        scores[child] = local.best(child, parents[child])
    return _with_reuse(local, parents, scores)


def _with_reuse(local: LocalScores, parents: dict[int, int], scores: dict[int, float]) -> Program:
    """Use the reuse classes that shorten a given DAG, largest saving first, at most one per symmetry."""
    gains = []
    for i, block in enumerate(local.reuse):
        common = {parents[v] for v in block.members}
        if len(common) == 1:
            gain = sum(scores[v] for v in block.members) - block.best(common.pop())
            if gain > 1e-9:
                gains.append((-gain, i))
    used: list[int] = []
    taken, symmetries = 0, set()
    total = float(sum(scores.values()))
    for neg_gain, i in sorted(gains):
        block = local.reuse[i]
        if block.mask & taken or block.symmetry in symmetries:
            continue
        used.append(i)
        taken |= block.mask
        symmetries.add(block.symmetry)
        total += neg_gain
    return Program(total, parents, tuple(sorted(used)))


# ---------------------------------------------------------------------- driver
def search(bound: BoundModel, progress: Progress | None = None, time_limit: float | None = None,
           memory_budget: int = MEMORY_BUDGET, local_budget: int = LOCAL_BUDGET,
           cache: dict | None = None, scorer: Scorer | None = None) -> SearchOutcome:
    """Run the model's ``search`` block: exact when it fits, else a marked heuristic.

    ``scorer`` scores the local scores' layers (see :func:`local_scores`), e.g. on a Dask cluster.
    """
    model = bound.model
    spec = model.search
    size = estimate(model, spec)
    span = spec.span
    options = ("lower `graphs max_parents`" + (f" (now {spec.max_parents})" if spec.max_parents is not None else "")
               + ", search fewer variables, or give hypotheses instead")
    if size["local_scores"] > local_budget:
        raise BudgetError(
            f"this search would score {size['local_scores']:,} (variable, parent set) pairs, over the budget of "
            f"{local_budget:,}; {options}", file=model.filename, line=span.line, column=span.column,
            source_line=model.source_line(span.line))
    if size["reuse_runs"] > MAX_REUSE_RUNS:
        raise BudgetError(
            f"the permute symmetries of this search allow {size['reuse_runs']:,} combinations of reuse classes (one "
            f"class per symmetry), over the budget of {MAX_REUSE_RUNS}; list fewer permute symmetries under "
            "`symmetries`, or declare them on fewer variables", file=model.filename, line=span.line,
            column=span.column, source_line=model.source_line(span.line))
    limit = spec.time_limit if time_limit is None else time_limit
    start = time.monotonic()
    deadline = None if limit is None else start + limit
    method, why = choose_method(model, spec, size, memory_budget)
    top = spec.top if spec.top is not None else (DEFAULT_TOP if size["kbest"] else 1)
    use_kbest = top > 1 and (size["kbest"] or method == "milp")
    local = local_scores(bound, spec, progress, deadline, cache, top=top if use_kbest else 1, scorer=scorer,
                         rules=knowledge_rules(model, spec))
    if local.complete:
        _check_every_variable_allowed(model, local)
    greedy_result = greedy(local, deadline=None if local.complete else start)
    interrupted = "stopped" if not local.complete and not _deadline_passed(deadline) else "time limit reached"
    stats = {"local_scores": sum(len(e) for e in local.entries), "estimate": size, "why": why}
    skipped = [n for n in spec.symmetries if model.symmetries[n].rule.reuses
               and model.variables[model.symmetries[n].variables[0]].is_real]
    mixed = [v for v in model.variables.values() if v.is_discrete] and [v for v in model.variables.values()
                                                                        if v.is_real]
    if mixed:
        _add_note(stats, "a discrete variable is never given a real parent here (no free table over a real "
                         "parent's bins), so an edge between a discrete and a real variable can only point from "
                         "the discrete one; such edges are not evidence of a causal direction")
    if skipped:
        _add_note(stats, f"permute symmetries on real variables ({', '.join(skipped)}) are not searched: "
                         "reuse shares a table, and a real variable has none")
    if not local.complete:
        return SearchOutcome([greedy_result], False, f"greedy ({interrupted} while scoring)", local, stats)
    if top > 1 and not use_kbest:
        _add_note(stats, f"top {top} needs at most {KBEST_MAX_VARIABLES} variables for the dynamic program; only "
                         "the exact best program is reported (`method milp` gives the top K at any size)")
    if spec.method is None and method != "dp" and not use_kbest:
        parts = _components_outcome(local, stats, progress, deadline)
        if parts is not None:
            return parts
    if method == "milp":
        return _milp_outcome(local, top, greedy_result, deadline, progress, stats)
    if method == "greedy":
        from kdsl.search.milp import candidate_sets, improve

        cands = candidate_sets(local)
        try:
            found = improve(local, cands, greedy_result, deadline)
        except _STOP:
            found = greedy_result
        return SearchOutcome([found], False, "greedy, then order-based search (a heuristic)", local, stats,
                             candidates=cands.count)
    try:
        if use_kbest:
            found = k_best(local, top, progress, deadline)
        else:
            best = exact_best(local, progress, deadline)
            found = None if best is None else [best]
    except _STOP:
        return SearchOutcome([greedy_result], False, "greedy (stopped during the exact search)", local, stats)
    if found is None:
        return SearchOutcome([greedy_result], False, "greedy (time limit reached in the exact search)", local, stats)
    method = "exact k-best dynamic program" if use_kbest else "exact dynamic program"
    bits = found[0].bits if found else math.inf
    return SearchOutcome(found, True, method, local, stats, lower_bound=bits, gap=0.0)


def choose_method(model: Model, spec: SearchSpec, size: dict, memory_budget: int = MEMORY_BUDGET) -> tuple[str, str]:
    """Which search runs (``dp``, ``milp`` or ``greedy``), and why, in words.

    The dynamic program where its tables fit and up to :data:`DP_PREFERRED_MAX`
    variables (measured faster there: bench/milp_random.py, bench/RESULTS.md (f)); the integer
    program beyond when HiGHS is installed; else the heuristic. ``search {
    method ... }`` overrides; ``method dp`` beyond the memory budget is refused.
    """
    d = size["variables"]
    fits = size["dp_bytes"] <= memory_budget
    need = f"the dynamic program needs {binary_size(size['dp_bytes'])}, over the {binary_size(memory_budget)} budget"
    if spec.method == "dp":
        if not fits:
            span = spec.span
            raise BudgetError(f"`method dp`: {need}", file=model.filename, line=span.line, column=span.column,
                              source_line=model.source_line(span.line),
                              hint="use `method milp`, or search fewer variables")
        return "dp", "asked for by `method dp`"
    if spec.method == "milp":
        _require_highspy(model, spec)
        return "milp", "asked for by `method milp`"
    if spec.method == "greedy":
        return "greedy", "asked for by `method greedy`"
    if fits and d <= DP_PREFERRED_MAX:
        return "dp", f"{d} variables: the dynamic program fits ({binary_size(size['dp_bytes'])}) and is faster"
    reason = f"{d} variables: " + (need if not fits else f"above {DP_PREFERRED_MAX}, the integer program is faster")
    if _highspy_available():
        return "milp", reason
    if fits:
        return "dp", f"{d} variables: the dynamic program fits; HiGHS (kdsl[milp]) is not installed"
    return "greedy", reason + "; HiGHS is not installed (pip install 'kdsl[milp]' for a proven optimum)"


def _highspy_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("highspy") is not None


def _require_highspy(model: Model, spec: SearchSpec) -> None:
    if not _highspy_available():
        span = spec.span
        raise BudgetError("`method milp` needs HiGHS, which is not installed", file=model.filename, line=span.line,
                          column=span.column, source_line=model.source_line(span.line),
                          hint="pip install 'kdsl[milp]' (the highspy package), or use `method dp` or `method greedy`")


def _components_outcome(local: LocalScores, stats: dict, progress: Progress | None,
                        deadline: float | None) -> SearchOutcome | None:
    """The exact optimum by one dynamic program per part of the candidate parent graph
    (:mod:`kdsl.search.components`), when every part has at most :data:`DP_PREFERRED_MAX` variables; else None."""
    from kdsl.search.components import by_components

    try:
        split = by_components(local, DP_PREFERRED_MAX, progress, deadline)
    except _STOP:
        return None
    if split is None:
        return None
    found, parts = split
    stats["why"] = (f"{stats['why']}; but the parent sets kept after exact pruning split the variables into "
                    f"{len(parts)} independent parts of at most {max(map(len, parts))}, each solved by the dynamic "
                    "program")
    return SearchOutcome([found], True, "exact dynamic program", local, stats, lower_bound=found.bits, gap=0.0)


def _milp_outcome(local: LocalScores, top: int, start: Program, deadline: float | None, progress: Progress | None,
                  stats: dict) -> SearchOutcome:
    from kdsl.search.milp import solve_milp

    out = solve_milp(local, top=top, start=start, deadline=deadline, progress=progress)
    stats.update(out.stats)
    if out.proven:
        method = "exact integer program (HiGHS)" + (", k-best by no-good cuts" if top > 1 else "")
    else:
        method = f"integer program (HiGHS), stopped with a gap of {out.gap:.6g} bits"
        if len(out.programs) < top:
            _add_note(stats, f"only {len(out.programs)} of the top {top} programs were found before the search stopped")
    return SearchOutcome(out.programs, out.proven, method, local, stats, lower_bound=out.lower_bound, gap=out.gap,
                         candidates=out.candidates)


def _check_every_variable_allowed(model: Model, local: LocalScores) -> None:
    """Refuse a search whose knowledge leaves a variable no mechanism (e.g. a required real parent of a table)."""
    for v, var in enumerate(local.variables):
        if not local.entries[v]:
            span = model.search.span
            raise BudgetError(
                f"the search's knowledge leaves {var} no mechanism: no table, template or class fits any parent "
                "set it allows (a table cannot have a real parent)", file=model.filename, line=span.line,
                column=span.column, source_line=model.source_line(span.line),
                hint=f"declare a template for {var} with the required parents, or change the forbid/require lines")


def _add_note(stats: dict, note: str) -> None:
    stats["note"] = f"{stats['note']}; {note}" if stats.get("note") else note


def tied_dags(local: LocalScores, parents: dict[int, int], tolerance: float, limit: int = 2000,
              held: int = 0) -> list[dict[int, int]]:
    """DAGs as short as ``parents`` (within ``tolerance`` bits) reached by covered-edge reversals.

    An edge u -> v is covered when v's parents are u's parents plus u;
    reversing it keeps the DAG's equivalence class, and for a score-equivalent
    code (``bic``) keeps its length. Every DAG of an equivalence class is
    reachable from any other by such reversals (Chickering 1995), so a walk
    over reversals that keep the length finds the equal-length DAGs a single
    reported program hides. Reversals leaving the searched parent sets are not
    taken, nor reversals touching the variables in the mask ``held`` (those
    of a reuse class, whose parents are scored together). At most ``limit``
    DAGs are visited.
    """
    d = len(local.variables)
    start = tuple(parents.get(v, 0) for v in range(d))
    base = sum(local.best(v, start[v]) for v in range(d) if not held >> v & 1)
    seen = {start}
    queue = [start]
    while queue and len(seen) < limit:
        current = queue.pop()
        for v in range(d):
            for u in range(d):
                if not current[v] >> u & 1 or current[v] != current[u] | (1 << u):
                    continue  # u -> v is not a covered edge
                if held >> u & 1 or held >> v & 1:
                    continue
                new = list(current)
                new[v], new[u] = current[u], current[u] | (1 << v)
                key = tuple(new)
                if key in seen:
                    continue
                delta = (local.best(u, new[u]) + local.best(v, new[v])
                         - local.best(u, current[u]) - local.best(v, current[v]))
                if math.isfinite(delta) and abs(delta) <= tolerance and math.isfinite(base):
                    seen.add(key)
                    queue.append(key)
    return [dict(enumerate(dag)) for dag in seen]


def outcome_hypotheses(model: Model, outcome: SearchOutcome) -> list[Hypothesis]:
    """Each found program as a hypothesis (named search-1, search-2, ...)."""
    out = []
    names = outcome.local.variables
    span = model.search.span
    feasible = [program for program in outcome.programs if math.isfinite(program.bits)]
    for rank, program in enumerate(feasible, start=1):
        reused = {v: outcome.local.reuse[i] for i in program.reuse for v in outcome.local.reuse[i].members}
        mechanisms = []
        for v, var in enumerate(names):
            pmask = program.parents.get(v, 0)
            if v in reused:
                parents = tuple(names[u] for u in range(len(names)) if pmask >> u & 1)
                template = Template(None, var, parents, "reuse", symmetry=reused[v].symmetry)
            else:
                _, template, _ = outcome.local.entries[v][pmask]
            mechanisms.append(Mechanism(var, template, not model.search.shifts, span))
        out.append(Hypothesis(f"search-{rank}", tuple(mechanisms), span))
    return out

