"""Score every hypothesis of a bound model and assemble the :class:`~kdsl.verdict.result.Result`."""

from __future__ import annotations

import math
from dataclasses import replace

import sympy as sp

from kdsl.data.bind import BoundModel
from kdsl.language.model import Model
from kdsl.lengths.fitted import environment_data_bits, environment_tables
from kdsl.lengths.score import ProgramProfile, length_breakdown, program_profile, program_terms
from kdsl.verdict.margins import SEARCH_PICKED, edge_margins, identical_programs, ignored_parents, reading
from kdsl.verdict.result import MechanismResult, ProgramResult, Result, Reuse, finite_or_none, tie_tolerance
from kdsl.verdict.stability import stability as run_stability

__all__ = ["solve_bound", "program_result", "check_scorable", "NEAR_TIE_BITS"]

#: A runner-up closer than this many bits to the best is pointed out.
NEAR_TIE_BITS = 0.01
#: Edge margins against constrained exact searches (two dynamic programs an edge) up to this many variables.
MARGIN_MAX_VARIABLES = 12


def _mechanism_name(mech_profile) -> str:
    template = mech_profile.template
    return template.name if template.name else template.describe()


def program_result(bound: BoundModel, profile: ProgramProfile, name: str | None = None,
                   costs: dict | None = None, formulas: bool = True) -> ProgramResult:
    """Turn a program's profile into its reported form (at its shortest k).

    ``costs`` caches the per-environment costs of templates across the programs of one result.
    ``formulas=False`` leaves the formula, its values and the breakdown empty (a report that shows none).
    """
    envs = bound.names
    hyp = profile.hypothesis
    k = profile.best_k()
    search = bound.model.search
    violations = tuple(search.violations(hyp)) if search is not None else ()
    rows = []
    for kk, (total, choices) in sorted(profile.by_k.items()):
        data = sum(c.data_bits for c in choices)
        rows.append({
            "k": kk, "total_bits": total, "model_bits": total - data if math.isfinite(total) else math.inf,
            "data_bits": data, "min_data_bits": profile.min_data.get(kk, math.inf),
        })
    if k is None:
        # every k is infinite: report the first, with the part that is infinite and why
        k_any = min(profile.by_k)
        _, choices = profile.by_k[k_any]
        data = sum(c.data_bits for c in choices)
        weight = bound.model.code.selection_weight
        model_bits = profile.constant_bits + sum(weight * c.selection_bits + c.table_bits + c.reference_bits
                                                 for c in choices)
        return ProgramResult(
            name or hyp.name, math.inf, model_bits, data, None, tuple(hyp.edges),
            _mechanisms(bound, profile, choices, costs), _shifts(profile, choices, envs), _symmetries(profile),
            tuple(rows), "", "", {}, reason=_infinite_part(profile, choices, model_bits), exact=profile.exact,
            violations=violations,
        )
    total, choices = profile.by_k[k]
    data = sum(c.data_bits for c in choices)
    latex, text, values, breakdown = "", "", {}, None
    if formulas:
        terms = program_terms(profile, k, len(envs))
        latex, text = sp.latex(terms.expr), str(terms.expr)
        values = {str(s): float(v) for s, v in terms.values.items()}
        breakdown = length_breakdown(profile, k, len(envs))
    return ProgramResult(
        name or hyp.name, total, total - data, data, k, tuple(hyp.edges),
        _mechanisms(bound, profile, choices, costs), _shifts(profile, choices, envs), _symmetries(profile), tuple(rows),
        latex, text, values, exact=profile.exact, breakdown=breakdown, violations=violations,
    )


def _infinite_part(profile: ProgramProfile, choices, model_bits: float) -> str:
    """Which part of an infinite length is infinite, and the first impossible row."""
    for mp, c in zip(profile.mechanisms, choices):
        if not math.isfinite(c.data_bits):
            why = c.impossible or "the data are impossible under this mechanism"
            return f"the data part is infinite ({mp.var}'s mechanism): {why}"
    if not math.isfinite(model_bits):
        return "the model part is infinite: a choice it must encode has no possible value"
    return "the length is infinite"


def _mechanisms(bound: BoundModel, profile, choices, costs: dict | None = None) -> dict[str, MechanismResult]:
    envs = bound.names
    out = {}
    for mp, choice in zip(profile.mechanisms, choices):
        reuse = None
        if mp.shares:
            reuse = Reuse(mp.template.symmetry, mp.shares[0], tuple(mp.shares), choice.reference_bits)
        split = environment_data_bits(bound, mp, choice, costs)
        fitted = environment_tables(bound, mp, choice)
        var = bound.model.variables[mp.var]
        out[mp.var] = MechanismResult(
            template=_mechanism_name(mp), rhs=mp.template.describe(), parents=tuple(mp.mechanism.parents),
            fixed=mp.mechanism.fixed, distinct=choice.k, data_bits=choice.data_bits,
            by_environment=dict(zip(envs, choice.labels)), method=mp.method,
            distinct_by_slot={s.name: kk for s, kk in zip(mp.template.slots, choice.slot_k)} if choice.slot_k else None,
            reuse=reuse, data_bits_by_environment=None if split is None else dict(zip(envs, split)),
            values=None if var.is_real else tuple(var.labels or range(var.lo, var.hi + 1)),
            table_by_environment=None if fitted is None else dict(zip(envs, fitted)))
    return out


def _shifts(profile, choices, envs) -> dict:
    return {mp.var: [[envs[e] for e in group] for group in choice.groups]
            for mp, choice in zip(profile.mechanisms, choices)}


def _symmetries(profile) -> tuple:
    return tuple(
        {"var": mp.var, "symmetry": mp.template.symmetry, "use": "reuse" if mp.shares else "invariance"}
        for mp in profile.mechanisms if mp.template.symmetry
    )


def _hidden_ties(outcome) -> list[set[tuple[str, str]]]:
    """Edge sets of the DAGs as short as the search's best, found by covered-edge reversals."""
    from kdsl.search.run import tied_dags

    if not outcome.programs or not math.isfinite(outcome.programs[0].bits):
        return []
    names = outcome.local.variables
    best = outcome.programs[0]
    held = 0
    for i in best.reuse:
        held |= outcome.local.reuse[i].mask
    dags = tied_dags(outcome.local, best.parents, tie_tolerance(best.bits), held=held)
    return [{(names[u], names[v]) for v, mask in dag.items() for u in range(len(names)) if mask >> u & 1}
            for dag in dags]


def _one_way_edges(model, edges) -> list[tuple[str, str]]:
    """Edges a -> b whose reverse a search cannot represent (no mechanism of a takes b as a parent)."""
    from kdsl.search.local import representable

    return [(a, b) for a, b in edges if not representable(model, model.search, a, b)]


def _inferred_step_notes(model: Model) -> list[str]:
    """One note naming each real variable whose step was inferred from its data (no `step` written)."""
    inferred = [f"{v.name} {v.step:g}" for v in model.variables.values() if v.is_real and v.step_auto]
    if not inferred:
        return []
    return [f"recording steps inferred from the data: {', '.join(inferred)} (write `step` on a `var` line to "
            "set one)"]


def _template_notes(programs: list[ProgramProfile]) -> list[str]:
    """Say where compared programs describe a variable with different named templates."""
    by_var: dict[str, set[str]] = {}
    for prof in programs:
        for mp in prof.mechanisms:
            if mp.template.name is not None:
                by_var.setdefault(mp.var, set()).add(mp.template.name)
            else:
                by_var.setdefault(mp.var, set()).add(mp.template.describe())
    differing = {v: names for v, names in by_var.items()
                 if len(names) > 1 and any(p.mechanisms and _named(p, v) for p in programs)}
    if not differing:
        return []
    shown = "; ".join(f"{v}: {', '.join(sorted(n))}" for v, n in differing.items())
    return [f"programs describe variables with different templates ({shown}); a template's expression and "
            "codebook are part of the code, not counted in its bits"]


def _named(profile: ProgramProfile, var: str) -> bool:
    return any(mp.var == var and mp.template.name is not None for mp in profile.mechanisms)


def _bound_in_reported_bits(search_info: dict, outcome, programs: list[ProgramResult]) -> None:
    """Put the search's lower bound on the scale of the reported totals (which add program-wide constants,
    the same for every program, to the sum of local scores the search minimises)."""
    found = next((p for p in programs if p.name == "search-1"), None)
    if found is None or not found.finite or not outcome.programs or not math.isfinite(outcome.programs[0].bits):
        return
    search_info["lower_bound"] += found.total_bits - outcome.programs[0].bits


def _knowledge(spec) -> dict | None:
    """The search block's background knowledge as plain data (None when it states none)."""
    if not (spec.forbid or spec.require or spec.tiers or spec.targets):
        return None
    return {"forbid": [list(e) for e in spec.forbid], "require": [list(e) for e in spec.require],
            "tiers": [list(t) for t in spec.tiers], "targets": {t.env: list(t.variables) for t in spec.targets}}


def check_scorable(model) -> None:
    """Raise a located :class:`~kdsl.errors.SpecError` when ``model`` has no hypothesis and no search."""
    if not model.hypotheses and model.search is None:
        raise model.source.error(
            "nothing to score: the spec has no hypothesis and no search (add `hypothesis NAME { ... }` or `search { }`)",
            model.source.span(0, 0))


def solve_bound(bound: BoundModel, progress=None, time_limit: float | None = None, client=None,
                margins: bool = True, stability: int | None = None, seed: int | None = None,
                formulas: bool = True) -> Result:
    """Score every hypothesis of ``bound`` under its declared code, and run its search.

    ``progress(stage, done, total)`` is called during a search; ``time_limit``
    (seconds) overrides the spec's ``time_limit``. With a Dask ``client``, the
    search's local scores are computed on its cluster (:mod:`kdsl.distributed`).
    ``margins=False`` skips the edge margins (:mod:`kdsl.verdict.margins`);
    ``stability`` subsamples (0: none; None: the search's ``stability`` line)
    and their ``seed`` add the verdict's stability (:mod:`kdsl.verdict.stability`).
    ``formulas=False`` builds no program's symbolic length (:func:`program_result`): ``kdsl solve``'s text
    and dot output show none.
    """
    model = bound.model
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    check_scorable(model)
    if client is not None:
        from kdsl.distributed import check_client

        check_client(client)
    cache: dict = {}
    hypotheses = list(model.hypotheses.values())
    search_info = None
    outcome = None
    hidden_ties: list[set[tuple[str, str]]] = []
    if model.search is not None:
        from kdsl.search.run import outcome_hypotheses, search

        scorer = None
        if client is not None:
            from kdsl.distributed import ClusterScorer

            scorer = ClusterScorer(client)
        outcome = search(bound, progress=progress, time_limit=time_limit, cache=cache, scorer=scorer)
        hypotheses = outcome_hypotheses(model, outcome) + hypotheses
        hidden_ties = _hidden_ties(outcome)
        search_info = {"method": outcome.method, "proven": outcome.proven,
                       "local_scores": outcome.stats.get("local_scores"), "note": outcome.stats.get("note"),
                       "why": outcome.stats.get("why"), "candidates": outcome.candidates,
                       "lower_bound": finite_or_none(outcome.lower_bound), "gap": finite_or_none(outcome.gap),
                       "knowledge": _knowledge(model.search)}
    profiles = [program_profile(bound, hyp, cache) for hyp in hypotheses]
    costs: dict = {}
    programs = [program_result(bound, prof, costs=costs, formulas=formulas) for prof in profiles]
    if search_info is not None and search_info["lower_bound"] is not None:
        _bound_in_reported_bits(search_info, outcome, programs)
    order = sorted(range(len(programs)), key=lambda i: (not programs[i].finite, programs[i].total_bits, i))
    programs = [programs[i] for i in order]
    same = identical_programs(programs)
    programs = [replace(p, same_as=same.get(p.name)) for p in programs]
    finite = [p for p in programs if p.finite]
    best = finite[0] if finite else None
    tolerance = tie_tolerance(best.total_bits) if best is not None else 0.0
    ignored = ({(parent, mp.var) for mp in profiles[order[0]].mechanisms for parent in ignored_parents(mp.template)}
               if best is not None else set())
    ties: list[str] = []
    causes: tuple = ()
    if best is not None:
        ties = [p.name for p in finite if p.total_bits - best.total_bits <= tolerance and p.same_as is None]
        shared = set(best.edges) - ignored
        for name in ties[1:]:
            shared &= set(next(p for p in finite if p.name == name).edges)
        if best.name == "search-1":
            for edges in hidden_ties:  # equal-length DAGs the search did not report
                shared &= edges
        causes = tuple(e for e in best.edges if e in shared)
    notes = _template_notes(profiles) + _inferred_step_notes(model)
    if best is not None and best.name.startswith("search-"):
        one_way = _one_way_edges(model, causes)
        if one_way:
            causes = tuple(e for e in causes if e not in one_way)
            notes.append(f"not reported as causes: {', '.join(f'{a} -> {b}' for a, b in one_way)}: the search has no "
                         "mechanism for the reverse (no free mechanism or template of the first variable takes the "
                         "second as a parent, e.g. `classes histogram` gives a real variable no parents), so these "
                         "edges could not point the other way")
    if best is not None and best.name == "search-1" and len(hidden_ties) > 1:
        dropped = [f"{a} -> {b}" for a, b in best.edges if (a, b) not in set(causes) and (a, b) not in ignored]
        notes.append(f"{len(hidden_ties)} DAGs of equal length (within rounding) differ from search-1 by reversing "
                     f"edges; causes keeps only the relations they share" + (f" (dropped: {', '.join(dropped)})" if dropped else ""))
    distinct = [p for p in finite if p.same_as is None]
    runner_up = None
    if len(distinct) > len(ties):
        other = distinct[len(ties)]
        gap = other.total_bits - best.total_bits
        searched = any(p.name.startswith("search-") for p in (best, other))
        runner_up = reading(gap, model.code.name, SEARCH_PICKED if searched else None, tolerance)
        if gap < NEAR_TIE_BITS:
            notes.append(f"{other.name} is only {gap:.3g} bits longer than {best.name}: the choice between "
                         "them, and the causes that differ, rest on a very small margin")
    if search_info is not None and search_info["note"]:
        notes.append(search_info["note"])
    against = [f"{p.name} ({'; '.join(p.violations)})" for p in programs if p.violations]
    if against:
        notes.append("against the search's knowledge (forbid, require, tiers, targets): " + ", ".join(against))
    if not all(p.exact for p in programs):
        notes.append("some sharings were found by a heuristic (see each program's 'exact')")
    notes += [f"{w.location}: warning: {w.message}" for w in model.warnings]
    edges_margin, basis = (), None
    if margins and best is not None:
        exact = _margins_by_search(outcome)
        offset = 0.0
        if exact:
            search_1 = next(p for p in programs if p.name == "search-1")
            offset = search_1.total_bits - outcome.programs[0].bits
        edges_margin = edge_margins(bound, programs, best, outcome if exact else None, offset, cache, ignored)
        basis = ("the exact search under each edge constraint, and the declared hypotheses" if exact else
                 "the other programs listed (the search's runners-up and the declared hypotheses)"
                 if outcome is not None else "the declared hypotheses")
        if outcome is not None and not exact:
            notes.append(f"edge margins against the search were not computed ({_margin_limit(outcome)}); to measure "
                         "an edge, declare hypotheses without it and with it reversed, or solve again with "
                         "`forbid A -> B` in the search block and compare the lengths")
    runs, seed = _stability_request(model, stability, seed)
    return Result(
        model=model.name,
        code=model.code.name,
        environments=tuple({"name": e.name, "rows": e.rows} for e in bound.environments),
        programs=tuple(programs),
        best=best.name if best is not None else None,
        ties=tuple(ties),
        causes=causes,
        notes=tuple(notes),
        search=search_info,
        edges_margin=edges_margin,
        margin_basis=basis,
        runner_up=runner_up,
        stability=run_stability(bound, runs, seed) if runs else None,
    )


def _margins_by_search(outcome) -> bool:
    """Whether edge margins can come from the exact dynamic program under each edge constraint."""
    return outcome is not None and _margin_limit(outcome) is None


def _margin_limit(outcome) -> str | None:
    """Why a search's edge margins cannot come from constrained exact searches (None: they can)."""
    if not outcome.programs or not math.isfinite(outcome.programs[0].bits):
        return "the search found no program of finite length"
    if not outcome.proven:
        return "the search is not proven optimal"
    d = len(outcome.local.variables)
    if d > MARGIN_MAX_VARIABLES:
        return (f"{d} variables: two constrained exact searches per edge are run only up to "
                f"{MARGIN_MAX_VARIABLES} variables")
    if not outcome.stats.get("estimate", {}).get("exact"):
        return "the search's dynamic program does not fit in memory"
    return None


def _stability_request(model, runs: int | None, seed: int | None) -> tuple[int, int]:
    """How many stability subsamples to run, and their seed: the caller's, else the search's line."""
    spec = model.search
    if runs is None:
        runs = spec.stability if spec is not None and spec.stability else 0
    if seed is None:
        seed = spec.stability_seed if spec is not None else 0
    return runs, seed
