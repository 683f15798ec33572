"""The integer program on random networks: time to a proven optimum at 30 and 40 variables, and against the DP.

    PYTHONPATH=. python bench/milp_random.py                         # 16, 18, 20 (with the DP), 30, 40; 3 seeds
    PYTHONPATH=. python bench/milp_random.py --vars 30 --seeds 5 --time-limit 600

Random DAGs over ternary variables with at most 2 parents, 3 environments
(one table redrawn in each shifted one) x 1000 rows (bench/greedy_gap.py's
generator), `code paper`. All methods share one set of local scores
(kdsl.search.local.local_scores), timed separately. Up to 20 variables the exact
dynamic program runs too, alternating with the integer program, and both
optima are compared; that ratio is what kdsl.search.run.DP_PREFERRED_MAX rests on (beyond it, bench/method_choice.py).
Greedy (from the empty graph) and the order-based heuristic that seeds the
solver are reported as gaps to the optimum. Load average beside every row.
"""

from __future__ import annotations

import argparse
import os
import time

from _common import machine
from greedy_gap import spec_and_data

from kdsl.api import load
from kdsl.search.exact import exact_best
from kdsl.search.greedy import greedy
from kdsl.search.local import local_scores
from kdsl.search.milp import candidate_sets, improve, solve_milp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vars", type=int, nargs="*", default=[16, 18, 20, 30, 40])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--envs", type=int, default=3)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args()
    print(machine(["numpy", "highspy"]))
    print(f"{args.envs} environments x {args.rows} rows, max 2 parents, code paper; MILP time limit {args.time_limit:g} s\n")
    print("vars seed  scoring s  scored  cands  milp s  proven  gap bits  dp s   dp/milp  milp-dp bits  "
          "greedy gap  order gap  load")
    for d in args.vars:
        for seed in range(args.seeds):
            spec, data = spec_and_data(d, args.envs, args.rows, seed)
            bound = load(spec, data=data)
            t = time.perf_counter()
            local = local_scores(bound, bound.model.search)
            t_score = time.perf_counter() - t
            start = greedy(local)
            cands = candidate_sets(local)
            order = improve(local, cands, start)
            t = time.perf_counter()
            out = solve_milp(local, start=start, deadline=time.monotonic() + args.time_limit)
            t_milp = time.perf_counter() - t
            best = out.programs[0].bits
            dp_cols = f"{'-':>5s}  {'-':>7s}  {'-':>12s}"
            if d <= 20:
                t = time.perf_counter()
                dp = exact_best(local)
                t_dp = time.perf_counter() - t
                dp_cols = f"{t_dp:5.1f}  {t_dp / t_milp:7.2f}  {best - dp.bits:12.2e}"
            print(f"{d:4d} {seed:4d}  {t_score:9.1f}  {out.stats['scored']:6d}  {out.candidates:5d}  {t_milp:6.1f}  "
                  f"{str(out.proven):6s}  {out.gap:8.2g}  {dp_cols}  {start.bits - best:10.2f}  "
                  f"{order.bits - best:9.2f}  {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
