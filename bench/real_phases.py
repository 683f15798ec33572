"""Where the time goes at 20 variables: kdsl's and causal-learn's exact BIC searches, phase by phase.

    PYTHONPATH=. python bench/real_phases.py --vars 20 --timeout 1200

The same data as ``bench/real_vs_causallearn.py`` (a random linear-Gaussian DAG,
max 3 parents, 1000 rows, two decimals, centred). Each phase runs in its own
process with a time limit; the table gives its wall time (or "> limit"), its
peak resident memory, and the load average when it ended. The phases:

* kdsl ``local scores``: every (variable, parent set) scored (``local_scores``);
* kdsl ``search``: local scores and the search by the default method (here the
  dynamic program: kdsl.search.run.choose_method counts the kept parent sets);
* kdsl ``search, method dp``: the same with ``method dp`` (the exact dynamic
  program over variable subsets, which fits in memory at 20 variables);
* kdsl ``solve``: all of ``kdsl.solve`` (search, the reported program's profile,
  the per-edge margins, which rerun the exact program under each edge rule);
* kdsl ``solve, no margins``: ``solve_bound(..., margins=False)``;
* causal-learn ``parent graphs``: ``generate_parent_graph`` for every variable;
* causal-learn ``bic_exact_search``: parent graphs and the A* search.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

from _common import machine
from real_vs_causallearn import linear_data


def _spec(names: list[str], method: str = "") -> str:
    method = f"\n method {method}" if method else ""
    return "\n".join([*(f"var {v} real step 0.01" for v in names), "env a from d",
                      f"search {{\n graphs max_parents 3\n classes linear\n top 1{method}\n}}", "code bic"])


def _phase(name: str, names: list[str], x) -> str:
    import kdsl

    data = {"d": {v: x[:, i] for i, v in enumerate(names)}}
    method = "dp" if name.endswith("method dp") else ""
    name = name.removesuffix(", method dp")
    if name == "kdsl local scores":
        from kdsl.search.local import local_scores

        bound = kdsl.load(_spec(names), data=data)
        local = local_scores(bound, bound.model.search)
        return f"{sum(len(e) for e in local.entries)} parent sets scored"
    if name == "kdsl search":
        from kdsl.search.run import search

        outcome = search(kdsl.load(_spec(names, method), data=data))
        return outcome.method
    if name == "kdsl solve":
        return f"{len(kdsl.solve(_spec(names, method), data=data).programs[0].edges)} edges"
    if name == "kdsl solve, no margins":
        from kdsl.verdict.solver import solve_bound

        bound = kdsl.load(_spec(names, method), data=data)
        return f"{len(solve_bound(bound, margins=False).programs[0].edges)} edges"
    if name == "causal-learn parent graphs":
        from causallearn.search.ScoreBased.ExactSearch import generate_parent_graph

        graphs = [generate_parent_graph(x, i, 3) for i in range(len(names))]
        return f"{sum(len(g) for g in graphs)} entries"
    if name == "causal-learn bic_exact_search":
        from causallearn.search.ScoreBased.ExactSearch import bic_exact_search

        _, stats = bic_exact_search(x, search_method="astar", max_parents=3)
        return f"A* closed {stats['n_closed']} subsets"
    raise ValueError(name)


def _child(name, names, x, queue) -> None:
    queue.put(_phase(name, names, x))


def _peak_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run(name: str, names: list[str], x, timeout: float) -> tuple[str, float, float]:
    queue: mp.Queue = mp.Queue()
    proc = mp.Process(target=_child, args=(name, names, x, queue))
    start = time.perf_counter()
    proc.start()
    peak = 0.0
    while proc.is_alive() and time.perf_counter() - start < timeout:
        peak = max(peak, _peak_mib(proc.pid))
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    if proc.is_alive():
        peak = max(peak, _peak_mib(proc.pid))
        proc.terminate()
        proc.join()
        return f"> {timeout:.0f} s (stopped)", peak, seconds
    return queue.get() if not queue.empty() else f"exit code {proc.exitcode}", peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vars", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--phases", default="all", help="phase names separated by ;")
    args = parser.parse_args()
    names, _, x = linear_data(args.vars, args.rows, args.seed)
    phases = ["kdsl local scores", "causal-learn parent graphs", "kdsl search", "kdsl search, method dp",
              "kdsl solve, no margins, method dp", "kdsl solve, method dp", "kdsl solve",
              "causal-learn bic_exact_search"]
    if args.phases != "all":
        phases = [p for p in phases if any(w.strip() == p for w in args.phases.split(";"))]
    print(machine(["numpy", "causallearn"]))
    print(f"{args.vars} variables, {args.rows} rows, seed {args.seed}, time limit {args.timeout:.0f} s per phase")
    print("| phase | wall time | peak memory | outcome | load at end |")
    print("|---|---|---|---|---|")
    for phase in phases:
        outcome, peak, seconds = run(phase, names, x, args.timeout)
        print(f"| {phase} | {seconds:.1f} s | {peak:.0f} MiB | {outcome} | {os.getloadavg()[0]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
