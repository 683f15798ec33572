"""Benchmark: kdsl's multi-environment exact DAG search against causal-learn's exact search.

    PYTHONPATH=. python bench/vs_causallearn_exact.py              # ~1 min
    PYTHONPATH=. python bench/vs_causallearn_exact.py --envs 5 --rows 1000 --code bic
    PYTHONPATH=. python bench/vs_causallearn_exact.py --vars 14 --repeat 1          # larger
    PYTHONPATH=. python bench/vs_causallearn_exact.py --profile --parts             # + where kdsl's time goes

Same rows for both: ``--vars`` (12) ternary variables from a random DAG with
at most 3 parents per variable (``bench/_common.py random_network_data``),
``--envs`` (4) environments of ``--rows`` (1000) rows, two tables redrawn per
environment after the first. kdsl searches ``graphs max_parents 3; top 1``
under ``--code`` (default ``paper``): every local score is a free table with
its exact best sharing of tables across the environments. causal-learn gets
the pooled rows as floats, centred (its BIC regresses without an intercept),
and runs ``bic_exact_search(X, search_method=..., max_parents=3)``: a
linear-Gaussian BIC. The optima are of different scores, so only speed is
compared.

Each side is timed end to end and split into its two phases: scoring every
(variable, parent set), and the exact search over variable subsets given
those scores (kdsl: ``kdsl.search.local.local_scores`` then ``exact_best``;
causal-learn: ``generate_parent_graph`` per variable then
``dp_shortest_path`` / ``astar_shortest_path``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys

import numpy as np
from _common import command_line, discrete_spec, fmt_s, machine, median, random_network_data, timed

import kdsl
from kdsl.search.exact import exact_best
from kdsl.search.local import local_scores


def causallearn_phases(X: np.ndarray, max_parents: int, method: str) -> tuple[float, float]:
    from causallearn.search.ScoreBased.ExactSearch import astar_shortest_path, dp_shortest_path, generate_parent_graph

    d = X.shape[1]
    _, t_local = timed(lambda: tuple(generate_parent_graph(X, i, max_parents, parent_set=tuple(j for j in range(d) if j != i),
                                                           include_parents=()) for i in range(d)))
    graphs = tuple(generate_parent_graph(X, i, max_parents, parent_set=tuple(j for j in range(d) if j != i),
                                         include_parents=()) for i in range(d))
    if method == "dp":
        _, t_search = timed(lambda: dp_shortest_path(graphs, True, False))
    else:
        _, t_search = timed(lambda: astar_shortest_path(graphs, True, False, 3, False))
    return t_local[0], t_search[0]


def local_score_parts(bound, max_parents: int, runs: int = 300) -> None:
    """Time the pieces of one free-table local score (the last variable given its first parents)."""
    from kdsl import sharing
    from kdsl.language.model import Mechanism, Template
    from kdsl.lengths import score
    from kdsl.mechanisms import tables

    model = bound.model
    names = list(model.variables)
    var, parents = names[-1], tuple(names[:max_parents])
    child, pvars = model.variables[var], [model.variables[p] for p in parents]
    counts = tables.count_tables(bound, child, pvars, None)
    pooled = tables.subset_counts(counts)
    data, param, _ = tables.group_costs(pooled, model.code)
    data[0] = param[0] = np.inf
    mech = Mechanism(var, Template(None, var, parents, "table"), False, model.spec.decls[0].span)
    n_env = len(bound.environments)
    parts = {
        "score.table_local_bits (the whole local score, as a search computes it)": lambda: score.table_local_bits(bound, mech),
        "  tables.count_tables": lambda: tables.count_tables(bound, child, pvars, None),
        "  tables.subset_counts": lambda: tables.subset_counts(counts),
        "  tables.group_costs": lambda: tables.group_costs(pooled, model.code),
        "  sharing.least_partition_bits (least total bits for every k)": lambda: sharing.least_partition_bits(data + param),
        "score.mechanism_profile (the full profile, built only for reported programs)":
            lambda: score.mechanism_profile(bound, mech),
    }
    print(f"one local score, {var} | {', '.join(parents)} ({n_env} environments), mean of {runs} calls:")
    for label, fn in parts.items():
        fn()
        _, times = timed(fn, repeat=runs)
        print(f"  {sum(times) / runs * 1e3:7.3f} ms  {label}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vars", type=int, default=12)
    ap.add_argument("--card", type=int, default=3)
    ap.add_argument("--envs", type=int, default=4)
    ap.add_argument("--rows", type=int, default=1000, help="rows per environment")
    ap.add_argument("--max-parents", type=int, default=3)
    ap.add_argument("--code", default="paper", choices=["paper", "bic", "nml", "direct"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="runs per side (median reported)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one kdsl run")
    ap.add_argument("--parts", action="store_true", help="time the pieces of one kdsl local score")
    args = ap.parse_args(argv)

    from causallearn.search.ScoreBased.ExactSearch import bic_exact_search

    print("Exact DAG search: kdsl (discrete, multi-environment) vs causal-learn bic_exact_search (linear-Gaussian BIC)")
    print(machine(["kdsl", "causallearn", "numpy", "scipy"]))
    print(f"command: {command_line()}")
    names, edges, frames = random_network_data(args.vars, args.card, args.max_parents, args.envs, args.rows, 2, args.seed)
    rows = args.envs * args.rows
    print(f"data: {args.vars} variables with {args.card} values, {len(edges)} generating edges, {args.envs} environments "
          f"x {args.rows} rows = {rows} rows; max {args.max_parents} parents; kdsl code {args.code}")
    spec = discrete_spec(names, args.card, args.envs, args.max_parents, 1, args.code)
    data = {f"d{e}": f for e, f in enumerate(frames)}
    X = np.vstack([np.column_stack([f[v] for v in names]) for f in frames]).astype(float)
    X -= X.mean(0)

    kdsl.solve(spec, data=data)  # warm-up: grammar, sympy lambdify caches
    k_cpu: list[float] = []
    result, k_times = timed(lambda: kdsl.solve(spec, data=data), repeat=args.repeat, cpu=k_cpu)
    kdsl_s = median(k_times)
    bound = kdsl.load(spec, data=data)
    local, t_local = timed(lambda: local_scores(bound, bound.model.search), repeat=args.repeat)
    best, t_dp = timed(lambda: exact_best(local), repeat=args.repeat)
    print(f"kdsl:         {fmt_s(kdsl_s)} end to end (kdsl.solve, median of {args.repeat}; CPU {fmt_s(median(k_cpu))}); "
          f"{result.search['method']}, proven {result.search['proven']}, {result.search['local_scores']} local scores")
    print(f"              phases: local scores {fmt_s(median(t_local))} "
          f"({median(t_local) / max(1, result.search['local_scores']) * 1e3:.2f} ms each), "
          f"exact DP over {2 ** args.vars:,} subsets {fmt_s(median(t_dp))}")

    cl, cl_cpu = {}, {}
    for method in ("dp", "astar"):
        cpu: list[float] = []
        _, times = timed(lambda m=method: bic_exact_search(X, search_method=m, max_parents=args.max_parents),
                         repeat=args.repeat, cpu=cpu)
        cl[method], cl_cpu[method] = median(times), median(cpu)
        t_loc, t_srch = causallearn_phases(X, args.max_parents, method)
        print(f"causal-learn: {fmt_s(cl[method])} end to end (bic_exact_search search_method='{method}', median of "
              f"{args.repeat}; CPU {fmt_s(cl_cpu[method])}); phases: parent graphs {fmt_s(t_loc)}, "
              f"shortest path {fmt_s(t_srch)}")

    print(f"ratio causal-learn / kdsl, end to end: dp {cl['dp'] / kdsl_s:.2f}x, astar {cl['astar'] / kdsl_s:.2f}x "
          f"(CPU: dp {cl_cpu['dp'] / median(k_cpu):.2f}x, astar {cl_cpu['astar'] / median(k_cpu):.2f}x) "
          f"(target >= 1: {'met' if min(cl.values()) >= kdsl_s else 'MISSED'})")
    t_loc, t_srch = causallearn_phases(X, args.max_parents, "dp")
    print(f"ratio of the search phase alone (causal-learn dp shortest path / kdsl exact DP): "
          f"{t_srch / median(t_dp):.1f}x")
    if args.parts:
        local_score_parts(bound, args.max_parents)
    if args.profile:
        pr = cProfile.Profile()
        pr.enable()
        kdsl.solve(spec, data=data)
        pr.disable()
        out = io.StringIO()
        pstats.Stats(pr, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
