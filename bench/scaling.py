"""Benchmark: exact DAG search at 20 discrete variables, 5 environments x 2000 rows, max 2 parents.

    PYTHONPATH=. python bench/scaling.py                    # ~1 min
    PYTHONPATH=. python bench/scaling.py --vars 16                           # smaller
    PYTHONPATH=. python bench/scaling.py --vars 23                           # larger: ~1.5 min, ~3.5 GB (DP ~ d * 2^d)
    PYTHONPATH=. python bench/scaling.py --tracemalloc                       # + Python-heap peak (slower)
    PYTHONPATH=. python bench/scaling.py --profile                           # + cProfile of the run

Targets: wall time under 60 s and peak memory under 4 GB on a 2-core machine.

Data: ``bench/_common.py random_network_data`` -- a random DAG over
``--vars`` variables with ``--card`` (3) values and at most ``--max-parents``
parents each, environment 0 as drawn and two tables redrawn in each other
environment. kdsl runs ``kdsl.solve`` on ``search { graphs max_parents 2;
top 1 }`` (code ``paper``); the result must say ``proven: True``.

Measured in one run: wall time of ``kdsl.solve`` (load included), split by
its progress callback into binding, local scores, the exact DP over 2^d
subsets and the rest (scoring and reporting the found program); peak
resident memory of the process (``getrusage`` maxrss, which includes the
interpreter, numpy, scipy and sympy, and the data: the baseline before the
run is printed too).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import tracemalloc

from _common import command_line, discrete_spec, fmt_s, machine, peak_rss_mib, random_network_data

import kdsl
from kdsl.search.run import estimate
from kdsl.verdict.solver import solve_bound


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vars", type=int, default=20)
    ap.add_argument("--card", type=int, default=3)
    ap.add_argument("--envs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=2000, help="rows per environment")
    ap.add_argument("--max-parents", type=int, default=2)
    ap.add_argument("--code", default="paper", choices=["paper", "bic", "nml", "direct"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tracemalloc", action="store_true", help="also trace the Python-heap peak (slows the run)")
    ap.add_argument("--profile", action="store_true", help="run under cProfile and print the top functions")
    args = ap.parse_args(argv)

    print("Exact search scaling: kdsl.solve wall time and peak memory")
    print(machine(["kdsl", "numpy", "scipy", "sympy"]))
    print(f"command: {command_line()}")
    names, edges, frames = random_network_data(args.vars, args.card, args.max_parents, args.envs, args.rows, 2, args.seed)
    spec = discrete_spec(names, args.card, args.envs, args.max_parents, 1, args.code)
    data = {f"d{e}": f for e, f in enumerate(frames)}
    print(f"data: {args.vars} variables with {args.card} values, {len(edges)} generating edges, {args.envs} environments "
          f"x {args.rows} rows; max {args.max_parents} parents; code {args.code}")
    baseline = peak_rss_mib()

    last: dict[str, float] = {}  # stage -> time of its latest progress call

    def progress(stage: str, done: int, total: int) -> None:
        last[stage] = time.perf_counter()

    if args.tracemalloc:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    bound = kdsl.load(spec, data=data)
    bound_at = time.perf_counter()
    result = solve_bound(bound, progress=progress)
    end = time.perf_counter()
    if profiler:
        profiler.disable()
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    peak = peak_rss_mib()

    est = estimate(bound.model, bound.model.search)
    wall = end - start
    local_end = last.get("local scores", bound_at)  # the final call reports total/total
    dp_end = last.get("subsets", local_end)  # the last layer of the subset DP starts here
    print(f"search: {result.search['method']}, proven {result.search['proven']}, {result.search['local_scores']} "
          f"local scores (estimate {est['local_scores']}); DP table estimate {est['dp_bytes'] / 2**20:.0f} MiB")
    print(f"wall time: {wall:.2f} s (target < 60 s: {'met' if wall < 60 else 'MISSED'})")
    print(f"  load (parse, check, bind): {fmt_s(bound_at - start)}; local scores: {fmt_s(local_end - bound_at)}; "
          f"exact DP (best-parent tables + subset layers, to the last layer's start): {fmt_s(dp_end - local_end)}; "
          f"last layer, scoring and reporting the program: {fmt_s(end - dp_end)}")
    print(f"peak memory (maxrss): {peak:.0f} MiB; before the run {baseline:.0f} MiB "
          f"(target < 4 GB = 3815 MiB: {'met' if peak < 4e9 / 2**20 else 'MISSED'})")
    if traced is not None:
        print(f"tracemalloc peak during the run: {traced:.0f} MiB")
    best = result.programs[0]
    print(f"best program: {best.total_bits:.2f} bits, {len(best.edges)} edges (generating DAG: {len(edges)} edges)")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
