"""Proven-optimal structure search by integer programming over candidate parent sets, solved by HiGHS.

Past the dynamic program's reach (its tables grow as 2^d), the shortest
program is found as an integer program, the method of GOBNILP:

* **candidates** (:func:`candidate_sets`): for every variable, and every
  reuse class as one unit, the scored parent sets of
  :func:`kdsl.search.local.local_scores` that are not dominated, i.e. fewer than
  ``top`` of their scored proper subsets are at most as long. A dominated set
  is never needed: in any DAG it can be swapped for that subset, which fits
  every DAG the set fits, without lengthening the program (for the ``top``
  shortest programs, ``top`` such swaps give ``top`` programs no longer).
* **the program**: one binary per (unit, candidate set), with the candidate's
  local bits as its cost; every variable takes exactly one candidate, its own
  or a reuse class's; at most one class per permute symmetry.
* **acyclicity** by *cluster constraints*: every set C of variables has a
  member whose parents lie outside C. There are 2^d of them, so they are added
  as cuts in a loop. In the LP relaxation they are found heuristically (any
  violated cut found is valid); correctness rests on the integer solutions:
  each one is checked exactly for cycles, and every cycle (and strongly
  connected component) gives a violated cluster constraint, added before the
  integer program is solved again. An integer solution without a cycle is a
  DAG, optimal over a relaxation of the problem, hence optimal.
* **the k shortest programs** by no-good cuts: after each optimum, a row
  forbidding exactly its set of choices, then the loop again.

The solver runs with zero relative and absolute MIP gaps (HiGHS's defaults
would accept bits of slack as "optimal"). The winner's length is kdsl's own
sum of local scores; the lower bound is the solver's, and the result is
called proven when that gap is under :data:`PROOF_BITS`.

``highspy`` is an optional dependency (the ``milp`` extra), imported only when
an integer program is solved.

>>> from kdsl.search.local import LocalScores
>>> from kdsl.errors import Span
>>> from kdsl.language.model import Template
>>> t = Template(None, "A", (), "table", span=Span(1, 1, 1, 2, 0, 1))
>>> local = LocalScores(["A", "B"], [{0: (10.0, t, None), 2: (6.0, t, None)},
...                                  {0: (10.0, t, None), 1: (5.0, t, None)}])
>>> [[mask for mask, _ in unit] for unit in candidate_sets(local).sets]   # shortest first
[[2, 0], [1, 0]]
>>> outcome = solve_milp(local)           # A -> B (15 bits) beats B -> A (16 bits); the cycle is cut
>>> outcome.programs[0].bits, outcome.programs[0].parents, outcome.proven
(15.0, {0: 0, 1: 1}, True)
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kdsl.errors import KdslError

__all__ = ["Candidates", "candidate_sets", "MilpOutcome", "solve_milp", "PROOF_BITS", "require_highspy",
           "order_search", "improve"]

#: A search is proven optimal when the solver's lower bound is within this many bits of the winner.
PROOF_BITS = 1e-6
#: The order-based search's time budget (seconds) before the solver starts.
HEURISTIC_SECONDS = 5.0
#: Cuts are violated when the cluster's coverage falls below 1 by more than this.
_VIOLATION = 1e-6


def require_highspy():
    """Import HiGHS's Python interface, or say how to install it."""
    try:
        import highspy
    except ImportError as err:
        raise KdslError("the MILP search needs HiGHS: pip install 'kdsl[milp]' (the highspy package), "
                        "or use `search { method dp }` or `method greedy`") from err
    return highspy


@dataclass
class Candidates:
    """The surviving parent sets of every unit: variables first, then reuse classes (``local.reuse`` order).

    ``sets[u]`` lists (parent mask, bits), shortest first; ``members[u]`` the
    variables the unit places; ``scored`` how many (unit, parent set) were scored.
    """

    sets: list[list[tuple[int, float]]]
    members: list[tuple[int, ...]]
    symmetry: list[str | None]
    scored: int

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.sets)


def _undominated(rows: dict[int, float], top: int) -> list[tuple[int, float]]:
    """The parent sets fewer than ``top`` of whose proper subsets (among ``rows``) are at most as long."""
    out = []
    for mask, bits in rows.items():
        if not math.isfinite(bits):
            continue
        shorter = 0
        sub = (mask - 1) & mask
        while mask:
            if rows.get(sub, math.inf) <= bits:
                shorter += 1
                if shorter >= top:
                    break
            if sub == 0:
                break
            sub = (sub - 1) & mask
        if shorter < top:
            out.append((mask, bits))
    return sorted(out, key=lambda e: (e[1], e[0]))


def candidate_sets(local, top: int = 1) -> Candidates:
    """Drop every scored parent set that ``top`` of its scored subsets dominate (exact for the ``top`` best)."""
    d = len(local.variables)
    sets = [_undominated({m: e[0] for m, e in local.entries[v].items()}, top) for v in range(d)]
    sets += [_undominated({m: e[0] for m, e in block.entries.items()}, top) for block in local.reuse]
    members = [(v,) for v in range(d)] + [block.members for block in local.reuse]
    symmetry = [None] * d + [block.symmetry for block in local.reuse]
    scored = sum(len(e) for e in local.entries) + sum(len(b.entries) for b in local.reuse)
    return Candidates(sets, members, symmetry, scored)


# ---------------------------------------------------------------------- heuristic start
def _order_program(cands: Candidates, order: list[int]) -> tuple[float, dict[int, int]]:
    """Each variable's shortest own candidate inside its predecessors in ``order``."""
    placed = 0
    parents: dict[int, int] = {}
    total = 0.0
    for v in order:
        for mask, bits in cands.sets[v]:
            if mask & ~placed == 0:
                parents[v] = mask
                total += bits
                break
        else:
            return math.inf, {}
        placed |= 1 << v
    return total, parents


def order_search(cands: Candidates, d: int, start: list[int], seconds: float = 2.0, seed: int = 0,
                 restarts: int = 20) -> tuple[float, dict[int, int]]:
    """Order-based local search (a heuristic): insertion moves until none improves, then random restarts.

    Stops after ``seconds`` or ``restarts`` restarts in a row without a shorter program.
    Each variable takes its shortest candidate among its predecessors, so
    every order gives a DAG; the best DAG seen is returned.
    """
    rng = np.random.default_rng(seed)
    stop = time.monotonic() + seconds
    best_bits, best_parents = _order_program(cands, start)
    order = list(start)
    current = best_bits
    stale = 0  # restarts since the best improved
    while time.monotonic() < stop and stale < restarts:
        improved = False
        for i in rng.permutation(d):
            v = order[i]
            rest = order[:i] + order[i + 1:]
            for j in range(d):
                if j == i:
                    continue
                trial = rest[:j] + [v] + rest[j:]
                bits, _ = _order_program(cands, trial)
                if bits < current - 1e-9:
                    order, current, improved = trial, bits, True
                    break
            if time.monotonic() > stop:
                break
        if current < best_bits - 1e-9:
            best_bits, best_parents = current, _order_program(cands, order)[1]
            stale = 0
        if not improved:
            stale += 1  # a local optimum: perturb by a few random swaps
            order = list(order)
            for _ in range(max(2, d // 8)):
                a, b = rng.integers(0, d, size=2)
                order[a], order[b] = order[b], order[a]
            current = _order_program(cands, order)[0]
    return best_bits, best_parents


def improve(local, cands: Candidates, start, deadline: float | None = None, seconds: float = HEURISTIC_SECONDS):
    """A program at most as long as ``start`` (a :class:`kdsl.search.local.Program`, possibly cyclic or None):
    order-based search from its topological order, then the reuse classes that shorten the DAG found."""
    from kdsl.search.greedy import _with_reuse
    from kdsl.search.local import Program

    d = len(local.variables)
    order = _topological_order(start.parents, d) if start is not None else list(range(d))
    if deadline is not None:
        seconds = max(0.0, min(seconds, deadline - time.monotonic()))
    _, parents = order_search(cands, d, order, seconds)
    if not parents:
        return start if start is not None else Program(math.inf, {})
    found = _with_reuse(local, parents, {v: local.best(v, parents[v]) for v in range(d)})
    return found if start is None or found.bits < start.bits else start


def _topological_order(parents: dict[int, int], d: int) -> list[int]:
    """An order of the variables in which a DAG's parents come first (for a cyclic graph, cycles are broken)."""
    order: list[int] = []
    state = [0] * d  # 0 new, 1 on the stack, 2 done

    def visit(v: int) -> None:
        stack = [(v, iter([u for u in range(d) if parents.get(v, 0) >> u & 1]))]
        state[v] = 1
        while stack:
            node, it = stack[-1]
            nxt = next((u for u in it if state[u] == 0), None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            else:
                state[nxt] = 1
                stack.append((nxt, iter([u for u in range(d) if parents.get(nxt, 0) >> u & 1])))

    for v in range(d):
        if state[v] == 0:
            visit(v)
    return order


# ---------------------------------------------------------------------- the integer program
@dataclass
class MilpOutcome:
    """Programs found (shortest first, kdsl's lengths), the solver's lower bound and the gap of the best."""

    programs: list  # of kdsl.search.local.Program
    proven: bool
    lower_bound: float
    gap: float
    candidates: int
    stats: dict = field(default_factory=dict)


class _Model:
    """The HiGHS model, its columns and the cut rows added so far."""

    def __init__(self, highspy, cands: Candidates, d: int, threads: int = 1):
        self.highspy = highspy
        self.d = d
        self.cands = cands
        cols = [(u, mask, bits) for u, sets in enumerate(cands.sets) for mask, bits in sets]
        self.col_unit = np.array([c[0] for c in cols], dtype=np.int64)
        self.col_mask = [c[1] for c in cols]
        # offsets keep the solver's numbers small: each variable's shortest own candidate is subtracted
        self.offset = [cands.sets[v][0][1] if cands.sets[v] else math.inf for v in range(d)]
        cost = [bits - sum(self.offset[v] for v in cands.members[u]) for u, _, bits in cols]
        self.constant = float(sum(self.offset))
        inc = [(v, mask, j) for j, (u, mask, _) in enumerate(cols) for v in cands.members[u]]
        self.inc_var = np.array([i[0] for i in inc], dtype=np.int64)
        self.inc_mask = np.array([i[1] for i in inc], dtype=np.int64)
        self.inc_col = np.array([i[2] for i in inc], dtype=np.int64)
        self.n = len(cols)
        h = _quiet_highs(highspy)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.0)
        h.setOptionValue("threads", threads)
        inf = highspy.kHighsInf
        h.addCols(self.n, np.array(cost, dtype=np.float64), np.zeros(self.n), np.ones(self.n), 0,
                  np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([], dtype=np.float64))
        for v in range(d):  # one candidate per variable, its own or a reuse class's
            idx = self.inc_col[self.inc_var == v]
            h.addRow(1.0, 1.0, len(idx), idx.astype(np.int32), np.ones(len(idx)))
        for sym in sorted({s for s in cands.symmetry if s is not None}):  # one class per permute symmetry
            idx = np.flatnonzero(np.isin(self.col_unit, [u for u, s in enumerate(cands.symmetry) if s == sym]))
            h.addRow(-inf, 1.0, len(idx), idx.astype(np.int32), np.ones(len(idx)))
        h.HandleUserInterrupt = True  # cancelSolve() stops a run (Ctrl-C, a stop request)
        self.h = h
        self.cuts: set[int] = set()
        self.stopped = False

    def run(self, progress) -> bool:
        """Solve in HiGHS's thread, polling ``progress``; Ctrl-C or StopSearch cancels the run and sets ``stopped``
        (the solver keeps what it found so far). False when stopped before the run started."""
        from kdsl.search.local import _STOP

        try:
            if progress is not None:
                progress("integer program", len(self.cuts), len(self.cuts))
        except _STOP:
            self.stopped = True
            return False
        self.h.startSolve()
        try:
            while not self.h.wait(0.2)[0]:
                if progress is not None:
                    progress("integer program", len(self.cuts), len(self.cuts))
        except _STOP:
            self.stopped = True
            self.h.cancelSolve()
            while not self.h.wait(0.2)[0]:
                pass
        return True

    def set_integer(self, integer: bool) -> None:
        kind = self.highspy.HighsVarType.kInteger if integer else self.highspy.HighsVarType.kContinuous
        self.h.changeColsIntegrality(self.n, np.arange(self.n, dtype=np.int32), np.array([kind] * self.n))

    def coverage(self, cluster: int, x: np.ndarray) -> float:
        """How much of cluster C's constraint the solution covers (at least 1 when it holds)."""
        inside = ((np.int64(1) << self.inc_var) & cluster) != 0
        outside = (self.inc_mask & cluster) == 0
        return float(x[self.inc_col[inside & outside]].sum())

    def add_cut(self, cluster: int) -> bool:
        if cluster in self.cuts:
            return False
        inside = ((np.int64(1) << self.inc_var) & cluster) != 0
        outside = (self.inc_mask & cluster) == 0
        cols = self.inc_col[inside & outside]
        idx, counts = np.unique(cols, return_counts=True)
        self.h.addRow(1.0, self.highspy.kHighsInf, len(idx), idx.astype(np.int32), counts.astype(np.float64))
        self.cuts.add(cluster)
        return True

    def add_nogood(self, chosen: list[int]) -> None:
        self.h.addRow(-self.highspy.kHighsInf, len(chosen) - 1.0, len(chosen), np.array(chosen, dtype=np.int32),
                      np.ones(len(chosen)))

    def weights(self, x: np.ndarray) -> np.ndarray:
        """w[u, v]: how much of v's choice has u among its parents."""
        w = np.zeros((self.d, self.d))
        active = np.flatnonzero(x[self.inc_col] > 1e-9)
        for i in active:
            v, mask = int(self.inc_var[i]), int(self.inc_mask[i])
            val = x[self.inc_col[i]]
            for u in range(self.d):
                if mask >> u & 1:
                    w[u, v] += val
        return w

    def chosen(self, x: np.ndarray) -> list[int]:
        return [int(j) for j in np.flatnonzero(x > 0.5)]

    def parents_of(self, chosen: list[int]) -> tuple[dict[int, int], tuple[int, ...]]:
        parents: dict[int, int] = {}
        classes = []
        for j in chosen:
            u = int(self.col_unit[j])
            for v in self.cands.members[u]:
                parents[v] = self.col_mask[j]
            if u >= self.d:
                classes.append(u - self.d)
        return parents, tuple(sorted(classes))

    def columns_of(self, parents: dict[int, int], classes: tuple[int, ...]) -> list[int] | None:
        """The columns of a program, or None when one of its choices is not a candidate."""
        lookup = {(int(u), m): j for j, (u, m) in enumerate(zip(self.col_unit, self.col_mask))}
        out = []
        covered = set()
        for c in classes:
            u = self.d + c
            members = self.cands.members[u]
            j = lookup.get((u, parents[members[0]]))
            if j is None:
                return None
            out.append(j)
            covered.update(members)
        for v in range(self.d):
            if v not in covered:
                j = lookup.get((v, parents.get(v, 0)))
                if j is None:
                    return None
                out.append(j)
        return out


def _components(w: np.ndarray, threshold: float) -> list[list[int]]:
    """Strongly connected components (two or more variables) of the graph of weights above ``threshold``."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from((int(u), int(v)) for u, v in zip(*np.nonzero(w > threshold)))
    return [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def _mask(vs) -> int:
    return sum(1 << int(v) for v in vs)


def _integer_cuts(model: _Model, parents: dict[int, int]) -> list[int]:
    """Clusters violated by an integer solution: each cyclic component, and a shortest cycle through each node."""
    import networkx as nx

    d = model.d
    g = nx.DiGraph()
    g.add_edges_from((u, v) for v, mask in parents.items() for u in range(d) if mask >> u & 1)
    out = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) < 2:
            continue
        out.append(_mask(comp))
        sub = g.subgraph(comp)
        for v in comp:
            paths = nx.single_source_shortest_path(sub, v)
            back = [u for u in sub.predecessors(v) if u in paths]
            if back:
                u = min(back, key=lambda b: len(paths[b]))
                out.append(_mask(paths[u]))
    return list(dict.fromkeys(out))


def _lp_cuts(model: _Model, x: np.ndarray) -> list[int]:
    """Violated cluster constraints of a fractional solution, found heuristically (each one checked exactly)."""
    w = model.weights(x)
    found: list[int] = []
    for threshold in (0.99, 0.5, 0.25, 0.05):
        for comp in _components(w, threshold):
            current = list(comp)
            while len(current) >= 2:
                cluster = _mask(current)
                if model.coverage(cluster, x) < 1 - _VIOLATION and cluster not in model.cuts:
                    found.append(cluster)
                # drop the variable whose removal leaves the least coverage
                best, best_cov = None, math.inf
                for v in current:
                    rest = _mask(current) & ~(1 << v)
                    cov = model.coverage(rest, x) if bin(rest).count("1") >= 2 else math.inf
                    if cov < best_cov:
                        best, best_cov = v, cov
                if best is None:
                    break
                current.remove(best)
        if found:
            break
    return list(dict.fromkeys(found))


def solve_milp(local, top: int = 1, start=None, deadline: float | None = None,
               progress: Callable[[str, int, int], None] | None = None, heuristic_seconds: float = HEURISTIC_SECONDS) -> MilpOutcome:
    """The exact ``top`` shortest programs over the candidates, or the best found with its gap at ``deadline``.

    ``start`` (a :class:`kdsl.search.local.Program`) seeds the incumbent: the
    order-based search starts from it, and every cyclic integer solution is
    repaired into a DAG that may replace it. The incumbent is not handed to
    HiGHS (``setSolution``): with highspy 1.16 the solution read back after
    such a run was the start, while the reported objective was the optimum's.
    The incumbent is what a stopped search returns, next to the lower bound.
    """
    from kdsl.search.local import _STOP, Program, _deadline_passed

    highspy = require_highspy()
    d = len(local.variables)
    cands = candidate_sets(local, top)
    stats = {"candidates": cands.count, "scored": cands.scored, "cuts": 0, "rounds": 0}
    if not all(cands.sets[v] for v in range(d)):  # a variable without a finite mechanism: no finite program
        return MilpOutcome([Program(math.inf, {})], True, math.inf, 0.0, cands.count, stats)
    model = _Model(highspy, cands, d)

    def own_bits(parents: dict[int, int], classes: tuple[int, ...]) -> float:
        held = set()
        total = 0.0
        for c in classes:
            block = local.reuse[c]
            total += block.best(parents[block.members[0]])
            held.update(block.members)
        return total + sum(local.best(v, parents.get(v, 0)) for v in range(d) if v not in held)

    try:
        incumbent = improve(local, cands, start, deadline, heuristic_seconds)
    except _STOP:  # stopped in the heuristic: the start is the best so far, with no bound
        return MilpOutcome([start] if start is not None else [], False, -math.inf, math.inf, cands.count, stats)
    stats["heuristic_bits"] = incumbent.bits
    found: list = []
    best_lower = -math.inf
    try:
        # the LP relaxation first: cheap cluster cuts tighten every later integer program
        model.set_integer(False)
        for _ in range(200):
            if _deadline_passed(deadline) or model.stopped:
                break
            if not model.run(progress):
                break
            if model.h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                # the LP optimum over a subset of the constraints bounds the shortest program from below
                best_lower = max(best_lower, model.h.getInfo().objective_function_value + model.constant)
            x = np.array(model.h.getSolution().col_value)
            cuts = _lp_cuts(model, x)
            if not cuts:
                break
            for c in cuts:
                stats["cuts"] += model.add_cut(c)
        model.set_integer(True)
        while len(found) < top and not model.stopped:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                model.h.setOptionValue("time_limit", left)
            if not model.run(progress):
                break
            stats["rounds"] += 1
            status = model.h.getModelStatus()
            info = model.h.getInfo()
            if status == highspy.HighsModelStatus.kInfeasible:  # fewer than `top` programs exist
                break
            bound = info.mip_dual_bound + model.constant
            if not found and math.isfinite(bound):
                best_lower = max(best_lower, bound)  # a relaxation's bound holds for the whole problem
            if not found and incumbent.bits - best_lower < PROOF_BITS:  # the start is proven optimal already
                cols = model.columns_of(incumbent.parents, incumbent.reuse)
                if cols is not None:
                    found.append(incumbent)
                    model.add_nogood(cols)
                    continue
            if info.primal_solution_status != 2:  # no integer solution (time limit)
                break
            x = np.array(model.h.getSolution().col_value)
            chosen = model.chosen(x)
            parents, classes = model.parents_of(chosen)
            cuts = _integer_cuts(model, parents)
            if cuts:
                for c in cuts:
                    stats["cuts"] += model.add_cut(c)
                if not found:  # repair the cyclic solution into a DAG: a candidate incumbent
                    trial = improve(local, cands, Program(math.inf, parents), None, 0.0)
                    if trial.bits < incumbent.bits:
                        incumbent = trial
                continue
            bits = own_bits(parents, classes)
            optimal = status == highspy.HighsModelStatus.kOptimal
            if not optimal:  # stopped with an acyclic incumbent
                if not found and bits < incumbent.bits:
                    incumbent = Program(bits, parents, classes)
                break
            found.append(Program(bits, parents, classes))
            model.add_nogood(chosen)
    except _STOP:  # outside a solver run (during the heuristic or between runs): keep the best so far
        pass
    if found:
        best = found[0]
        gap = max(0.0, best.bits - best_lower)
        return MilpOutcome(found, gap < PROOF_BITS, best_lower, gap, cands.count, stats)
    gap = incumbent.bits - best_lower if math.isfinite(best_lower) else math.inf
    return MilpOutcome([incumbent], False, best_lower, max(gap, 0.0), cands.count, stats)


def _quiet_highs(highspy):
    """A HiGHS instance with its output off; its first construction in a process prints a banner to the
    C-level stdout, which would corrupt `kdsl solve --json`, so stdout is pointed at /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h
