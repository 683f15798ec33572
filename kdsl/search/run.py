"""Running a ``search`` block: its size, the method chosen, the outcome and the programs it reports.

:func:`search` scores the local scores (:mod:`kdsl.search.local`) and runs the
exact dynamic program or k-best (:mod:`kdsl.search.exact`), the integer
program (:mod:`kdsl.search.milp`) or, as a marked heuristic, greedy search
(:mod:`kdsl.search.greedy`), as :func:`choose_method` decides.

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

import dataclasses
import math
import time
from dataclasses import dataclass, field

from kdsl.data.bind import BoundModel
from kdsl.errors import BudgetError
from kdsl.language.model import Hypothesis, Mechanism, Model, SearchSpec, Template
from kdsl.search.exact import KBEST_MAX_VARIABLES, _dp_bytes, exact_best, k_best
from kdsl.search.greedy import greedy
from kdsl.search.local import (
    _STOP,
    LocalScores,
    Program,
    Progress,
    Scorer,
    _deadline_passed,
    _reuse_runs,
    knowledge_rules,
    local_scores,
    reuse_classes,
)

__all__ = [
    "SearchOutcome",
    "search",
    "choose_method",
    "estimate",
    "outcome_hypotheses",
    "tied_dags",
]


#: Programs reported by a search without `top`, where exact top-N is practical.
DEFAULT_TOP = 5
#: Default memory budget for the exact dynamic program, in bytes.
MEMORY_BUDGET = 4 * 1024**3
#: Default budget of local scores (variable, parent set) to compute.
LOCAL_BUDGET = 400_000
#: Up to this many variables the dynamic program is chosen over the integer program (bench/RESULTS.md (f)).
DP_PREFERRED_MAX = 16
#: Beyond DP_PREFERRED_MAX, with more parent sets per variable than this kept after exact pruning, the dynamic
#: program is chosen wherever it fits (bench/RESULTS.md (f), bench/method_choice.py).
MILP_KEPT_PER_VARIABLE = 15
#: At most this many exact runs, one per choice of one reuse class per permute symmetry.
MAX_REUSE_RUNS = 256


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


def search(bound: BoundModel, progress: Progress | None = None, time_limit: float | None = None,
           memory_budget: int = MEMORY_BUDGET, local_budget: int = LOCAL_BUDGET,
           cache: dict | None = None, scorer: Scorer | None = None) -> SearchOutcome:
    """Run the model's ``search`` block: exact when it fits, else a marked heuristic.

    ``scorer`` scores the local scores' layers (see :func:`local_scores`), e.g. on a Dask cluster.
    """
    model = bound.model
    spec = model.search
    size = estimate(model, spec)
    options = ("lower `graphs max_parents`" + (f" (now {spec.max_parents})" if spec.max_parents is not None else "")
               + ", search fewer variables, or give hypotheses instead")
    if size["local_scores"] > local_budget:
        raise model.source.error(
            f"this search would score {size['local_scores']:,} (variable, parent set) pairs, over the budget of "
            f"{local_budget:,}; {options}", spec.span, kind=BudgetError)
    if size["reuse_runs"] > MAX_REUSE_RUNS:
        raise model.source.error(
            f"the permute symmetries of this search allow {size['reuse_runs']:,} combinations of reuse classes (one "
            f"class per symmetry), over the budget of {MAX_REUSE_RUNS}; list fewer permute symmetries under "
            "`symmetries`, or declare them on fewer variables", spec.span, kind=BudgetError)
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
    interrupted = ("stopped while scoring" if not local.complete and not _deadline_passed(deadline)
                   else "time limit reached while scoring")
    try:  # hill climbing over the scores there are, unless the time limit has passed
        greedy_result = greedy(local, deadline=start if interrupted.startswith("time") else None)
    except _STOP:  # stopped (again) in the hill climbing: the starting graph
        greedy_result = greedy(local, deadline=start)
        if local.complete:
            interrupted = "stopped after scoring"
            local = dataclasses.replace(local, complete=False)
    stats = {"local_scores": sum(len(e) for e in local.entries), "estimate": size, "why": why}
    skipped = [n for n in spec.symmetries if model.symmetries[n].rule.reuses
               and model.variables[model.symmetries[n].variables[0]].is_real]
    if skipped:
        _add_note(stats, f"permute symmetries on real variables ({', '.join(skipped)}) are not searched: "
                         "reuse shares a table, and a real variable has none")
    if not local.complete:
        return SearchOutcome([greedy_result], False, f"greedy ({interrupted})", local, stats)
    if method == "milp" and spec.method is None:  # beyond 16 variables: settled on the kept parent sets
        from kdsl.search.milp import candidate_sets

        kept = candidate_sets(local, top if use_kbest else 1).count
        method, stats["why"] = choose_method(model, spec, size, memory_budget, kept=kept)
        use_kbest = use_kbest and (size["kbest"] or method == "milp")
    if top > 1 and not use_kbest:
        _add_note(stats, f"top {top} needs at most {KBEST_MAX_VARIABLES} variables for the dynamic program; only "
                         "the exact best program is reported (`method milp` gives the top K at any size)")
    if spec.method is None and size["variables"] > DP_PREFERRED_MAX and not use_kbest:
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


def choose_method(model: Model, spec: SearchSpec, size: dict, memory_budget: int = MEMORY_BUDGET,
                  kept: int | None = None) -> tuple[str, str]:
    """Which search runs (``dp``, ``milp`` or ``greedy``), and why, in words.

    The dynamic program where its tables fit, up to :data:`DP_PREFERRED_MAX`
    variables. Beyond, where they still fit, the choice waits for the local
    scores: ``kept`` is the number of parent sets left after exact pruning
    (:func:`kdsl.search.milp.candidate_sets`), the integer program's columns.
    Up to :data:`MILP_KEPT_PER_VARIABLE` per variable (discrete data, where
    most parent sets are pruned) the integer program is the faster; with more
    (real-valued variables prune few) its relaxation is weak and it is far
    slower than the dynamic program, whose time depends only on the number of
    variables (bench/RESULTS.md (f), bench/REAL.md). Without ``kept`` that
    choice is provisional: the integer program. Beyond the memory budget the
    integer program when HiGHS is installed (the reason warns when ``kept`` is
    many), else the heuristic. ``search {
    method ... }`` overrides; ``method dp`` beyond the memory budget is refused.

    >>> from kdsl.language.check import check
    >>> from kdsl.language.syntax import parse
    >>> m = check(parse("\\n".join(f"var X{i} real" for i in range(20)) + "\\nsearch {\\n graphs max_parents 3\\n}"))
    >>> choose_method(m, m.search, estimate(m, m.search), kept=20 * 900)[0]
    'dp'
    >>> choose_method(m, m.search, estimate(m, m.search), kept=20 * 8)[0]
    'milp'
    """
    d = size["variables"]
    fits = size["dp_bytes"] <= memory_budget
    need = f"the dynamic program needs {binary_size(size['dp_bytes'])}, over the {binary_size(memory_budget)} budget"
    if spec.method == "dp":
        if not fits:
            raise model.source.error(f"`method dp`: {need}", spec.method_span or spec.span, kind=BudgetError,
                                     hint="use `method milp`, or search fewer variables")
        return "dp", "asked for by `method dp`"
    if spec.method == "milp":
        _require_highspy(model, spec)
        return "milp", "asked for by `method milp`"
    if spec.method == "greedy":
        return "greedy", "asked for by `method greedy`"
    dp_size = binary_size(size["dp_bytes"])
    if fits and d <= DP_PREFERRED_MAX:
        return "dp", f"{d} variables: the dynamic program fits ({dp_size}) and is faster"
    many = kept is not None and kept > MILP_KEPT_PER_VARIABLE * d
    kept_words = f"{kept:,} parent sets kept after exact pruning ({kept / d:.1f} per variable)" if kept else ""
    if not fits:
        reason = f"{d} variables: {need}"
        if not _highspy_available():
            return "greedy", reason + "; HiGHS is not installed (pip install 'kdsl[milp]' for a proven optimum)"
        if many:
            reason += (f"; {kept_words}, more than {MILP_KEPT_PER_VARIABLE} per variable, where the integer program "
                       "can take minutes or more (lower `graphs max_parents`, or set `time_limit`)")
        return "milp", reason
    if not _highspy_available():
        return "dp", f"{d} variables: the dynamic program fits ({dp_size}); HiGHS (kdsl[milp]) is not installed"
    if kept is None:
        return "milp", f"{d} variables: above {DP_PREFERRED_MAX}, the integer program when few parent sets are kept"
    if many:
        return "dp", (f"{d} variables, {kept_words}: too many for the integer program (its relaxation is weak beyond "
                      f"{MILP_KEPT_PER_VARIABLE} per variable); the dynamic program fits ({dp_size}) and its time "
                      "depends only on the number of variables")
    return "milp", (f"{d} variables, {kept_words}: few enough (at most {MILP_KEPT_PER_VARIABLE} per variable) for the integer "
                    "program, faster here than the dynamic program")


def _highspy_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("highspy") is not None


def _require_highspy(model: Model, spec: SearchSpec) -> None:
    if not _highspy_available():
        raise model.source.error("`method milp` needs HiGHS, which is not installed", spec.method_span or spec.span,
                                 kind=BudgetError,
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
    stats["why"] = (f"{stats['why']}; but the kept parent sets split the variables into "
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
        method = ("integer program (HiGHS), stopped " + (f"with a gap of {out.gap:.6g} bits" if math.isfinite(out.gap)
                                                         else "before the solver had a lower bound (no gap yet)"))
        if len(out.programs) < top:
            _add_note(stats, f"only {len(out.programs)} of the top {top} programs were found before the search stopped")
    return SearchOutcome(out.programs, out.proven, method, local, stats, lower_bound=out.lower_bound, gap=out.gap,
                         candidates=out.candidates)


def _check_every_variable_allowed(model: Model, local: LocalScores) -> None:
    """Refuse a search whose knowledge leaves a variable no mechanism (e.g. a required parent of a real variable
    under `classes histogram`)."""
    for v, var in enumerate(local.variables):
        if not local.entries[v]:
            raise model.source.error(
                f"the search's knowledge leaves {var} no mechanism: no table, template or class fits any parent "
                "set it allows", model.search.span, kind=BudgetError,
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
                template = Template(None, var, parents, "reuse", symmetry=reused[v].symmetry, span=span)
            else:
                _, template, _ = outcome.local.entries[v][pmask]
            mechanisms.append(Mechanism(var, template, not model.search.shifts, span))
        out.append(Hypothesis(f"search-{rank}", tuple(mechanisms), span))
    return out
