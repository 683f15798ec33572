"""The integer-programming search on pgmpy's insurance, water and alarm, next to pooled HillClimbSearch and GES.

    PYTHONPATH=. python bench/milp_networks.py                       # all three, code bic, seed 0
    PYTHONPATH=. python bench/milp_networks.py --networks insurance --code paper --time-limit 600

Each network is sampled in one observational and two intervened environments
(one or two random variables get a new random table; bench/accuracy.py's
sampler), 1000 rows each, at most 3 parents. kdsl runs `method milp` with a
time limit; the table gives its time to the proven optimum (or the gap in
bits where the limit struck), the parent sets it scored and those surviving
the exact pruning, and the SHD against the true DAG, next to pgmpy's
HillClimbSearch (BIC) and causal-learn's GES (BDeu) on the same rows pooled.
The load average is printed beside every row (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import time

from _common import machine
from accuracy import directed, kdsl_spec, make_instance, run_ges, run_hc, shd


def run_kdsl_milp(inst: dict, code: str, max_parents: int, time_limit: float) -> dict:
    import kdsl

    spec, frame = kdsl_spec(inst, code, max_parents, f"    method milp\n    time_limit {time_limit:g}\n")
    start = time.perf_counter()
    result = kdsl.solve(spec, data={"df": frame})
    seconds = time.perf_counter() - start
    best = result.program(result.best)
    return {"graph": directed(best.edges), "seconds": seconds, "search": result.search}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", nargs="*", default=["insurance", "water", "alarm"])
    ap.add_argument("--code", default="bic")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--max-parents", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args()
    print(machine(["numpy", "highspy", "pgmpy", "causallearn"]))
    print(f"code {args.code}, seed {args.seed}, {args.rows} rows x 3 environments, max {args.max_parents} parents, "
          f"kdsl time limit {args.time_limit:g} s\n")
    print("network    vars  method            seconds  SHD  proven  gap bits  scored   candidates  load")
    for network in args.networks:
        inst = make_instance(network, args.seed, args.rows, n_shifted=2)
        truth = directed(inst["edges"])
        d = len(inst["nodes"])
        out = run_kdsl_milp(inst, args.code, args.max_parents, args.time_limit)
        s = out["search"]
        gap = "-" if s["gap"] is None else f"{s['gap']:.3g}"
        print(f"{network:9s}  {d:4d}  kdsl {args.code:5s} milp   {out['seconds']:8.1f}  {sum(shd(truth, out['graph'])):3d}"
              f"  {str(s['proven']):6s}  {gap:>8s}  {s['local_scores']:7d}  {s['candidates'] or 0:10d}"
              f"  {os.getloadavg()[0]:.2f}", flush=True)
        for name, fit in (("HillClimb BIC pooled", run_hc(inst, args.max_parents)),
                          ("GES BDeu pooled", run_ges(inst, args.max_parents))):
            print(f"{network:9s}  {d:4d}  {name:17s} {fit['seconds']:8.1f}  {sum(shd(truth, fit['graph'])):3d}"
                  f"  {'-':6s}  {'-':>8s}  {'-':>7s}  {'-':>10s}  {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
